import type { PolicyDocument } from '../policy';
import type { Event } from './base/disposable';
import type { Announcement } from './lock/announcements';
import type { EffectiveSettings } from './lock/effective';
import type { VsCodeChatVisibility } from './lock/vscode-chat';
import type { SyncState } from './sync/policy-sync';

/**
 * What `activate()` returns: read by other extensions and by the extension-host tests. Custom header
 * values are hidden in everything it returns (`••••••`): another extension sends through the
 * Language Model API, which adds them.
 */
export interface OrgProviderPolicyApi {
	readonly version: 1;
	/** The applied policy document, if any (live or cached). */
	policy(): PolicyDocument | undefined;
	syncState(): SyncState;
	effectiveSettings(): EffectiveSettings;
	/** The models the member may choose, and the current choice. */
	models(): Promise<{ models: string[]; selected: string | undefined }>;
	/** Fires when the sync state, the applied policy or the effective settings change. */
	readonly onDidChange: Event<void>;
	/** Fires when sign-in shows a device code, so a helper can show it elsewhere too. */
	readonly onDidShowDeviceCode: Event<{ userCode: string; verificationUri: string }>;
	/** Fires with each policy-change notice shown to the member (what changed, and the action offered). */
	readonly onDidAnnounce: Event<Announcement>;
	/** Whether VS Code's own chat lists the organization's models, once known (undefined before a policy names models). */
	vscodeChat(): VsCodeChatVisibility | undefined;
}
