import { parseIfMatch } from '../../policy';
import { isoTime } from '../clock';
import type { Canary, PolicyService, PublishedRevision } from '../policy/policy-service';
import { HttpError } from './http-error';

/** Interprets If-Match for a policy write: required, so two admins never overwrite each other silently. */
export function expectedRevision(header: string | undefined): number | 'any' {
	const ifMatch = parseIfMatch(header);
	switch (ifMatch.kind) {
		case 'absent':
			throw new HttpError(
				428,
				'precondition_required',
				'send If-Match: "<revision>" with the revision you edited (or * to overwrite whatever is current)',
			);
		case 'invalid':
			throw new HttpError(400, 'invalid_request', 'If-Match: must be a quoted revision such as "12", or *');
		case 'any':
			return 'any';
		case 'revision':
			return ifMatch.revision;
	}
}

/** Saves through the domain and maps its result: invalid → 400 naming fields, conflict → 412 naming who. */
export async function savePolicy(
	policies: Pick<PolicyService, 'save'>,
	orgId: string,
	body: unknown,
	expected: number | 'any',
	author: string,
	canary?: Canary,
): Promise<PublishedRevision> {
	const result = await policies.save(orgId, body, expected, author, canary);
	switch (result.kind) {
		case 'invalid':
			throw new HttpError(400, 'invalid_policy', INVALID_POLICY_MESSAGE, { fieldErrors: result.errors });
		case 'conflict': {
			const current = result.current;
			throw new HttpError(
				412,
				'stale_revision',
				current
					? `the policy changed since you loaded it: revision ${current.revision} by ${current.createdBy} at ${isoTime(current.createdAt)}; reload and apply your change again`
					: 'the policy changed since you loaded it; reload',
				{ details: current ? { revision: current.revision, updatedBy: current.createdBy, updatedAt: isoTime(current.createdAt) } : {} },
			);
		}
		case 'rollout-active':
			throw new HttpError(
				409,
				'rollout_active',
				`revision ${result.current.revision} is still rolling out to its canary: promote it to everyone or roll it back first`,
			);
		case 'saved':
			return result.revision;
	}
}

export const INVALID_POLICY_MESSAGE = 'the policy was not saved: fix the fields named';

export async function currentOrThrow(policies: Pick<PolicyService, 'current'>, orgId: string): Promise<PublishedRevision> {
	const current = await policies.current(orgId);
	if (!current) {
		throw noPolicy();
	}
	return current;
}

export function noPolicy(): HttpError {
	return new HttpError(404, 'no_policy', 'this organization has no policy yet');
}

/**
 * What the console never receives, put back into an admin's body before it is validated (saved
 * secret header values, overlay header values sent empty, and with `keep.overlays` the saved
 * overlays); a value that cannot be put back is refused, naming the field.
 */
export async function withKeptValuesOrThrow(
	policies: Pick<PolicyService, 'withKeptValues'>,
	orgId: string,
	body: unknown,
	keep: { headers: readonly string[]; overlays?: boolean },
): Promise<unknown> {
	const restored = await policies.withKeptValues(orgId, body, keep);
	if (!restored.ok) {
		throw new HttpError(400, 'invalid_policy', INVALID_POLICY_MESSAGE, { fieldErrors: restored.errors });
	}
	return restored.value;
}
