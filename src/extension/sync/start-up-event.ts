import { parseDocument } from '../../policy';
import type { SyncEvent } from './state';
import type { StartUpPolicy } from './start-up-policy';

/**
 * The start-up decision made on the activation path (precompiled checks, no zod), as the event the
 * sync applies once the rest of the extension has loaded: the cached document validated again with
 * every rule, so a document the precompiled check passed but a rule refuses is not applied.
 */
export function startUpEvent(startUp: StartUpPolicy): SyncEvent | undefined {
	switch (startUp.kind) {
		case 'restored': {
			const parsed = parseDocument(startUp.document);
			return parsed.ok
				? { type: 'restored', policy: { document: parsed.value, source: 'cached', receivedAt: startUp.receivedAt } }
				: { type: 'unverifiable', organizationId: startUp.document.organization.id };
		}
		case 'cannot-verify':
			return { type: 'unverifiable', organizationId: startUp.organizationId };
		default:
			return undefined;
	}
}
