import type { FailureKind } from '../../policy';
import type { ErrorAction } from '../../webview/chat/protocol';

/**
 * The buttons under a failed answer: what the member can do about this failure first — set the key
 * where the key is the problem; for Entra ID, sign in with Microsoft or try again (after `az login`)
 * instead of being left with the log — and always the details.
 */
export function errorActionsFor(kind: FailureKind | undefined): ErrorAction[] {
	const first: ErrorAction[] =
		kind === 'missing-key' || kind === 'key-rejected' ? ['setApiKey'] : kind === 'sign-in' ? ['signInWithMicrosoft', 'tryAgain'] : [];
	return [...first, 'copyDetails', 'showLog'];
}
