import type { PolicySettings } from '../../policy';

const list = (models: readonly string[] | undefined) => (models?.length ? models.join(', ') : 'any the endpoint lists');

/**
 * What restoring `target` would do to members now on `current`, in the console's words — the
 * changes members feel: enforcement turned on or off, another endpoint, other models, another
 * credential. Empty when restoring changes none of those.
 */
export function restoreEffect(current: PolicySettings | undefined, target: PolicySettings): string[] {
	const effects: string[] = [];
	const wasOn = current?.enabled === true;
	if (target.enabled !== wasOn) {
		effects.push(target.enabled ? 'turns the policy on' : 'turns the policy off: members choose their own provider again');
	}
	if (!target.enabled) {
		return effects;
	}
	const [before, after] = [current?.enabled ? current.provider : undefined, target.provider];
	if (after && before?.baseUrl !== after.baseUrl) {
		effects.push(`endpoint → ${after.baseUrl.split('?')[0]}`);
	}
	const [modelsBefore, modelsAfter] = [before?.models?.allowed, after?.models?.allowed];
	if (after && list(modelsBefore) !== list(modelsAfter)) {
		effects.push(`models → ${list(modelsAfter)}`);
	}
	const credential = (provider: PolicySettings['provider']) =>
		!provider
			? undefined
			: provider.organizationToken
				? `organization tokens for ${provider.organizationToken.audience}`
				: provider.azure?.identityAuth
					? 'Entra ID'
					: provider.apiKeyRequired
						? "members' own API keys"
						: 'no member key';
	if (after && before && credential(before) !== credential(after)) {
		effects.push(`credentials → ${credential(after)}`);
	}
	return effects;
}
