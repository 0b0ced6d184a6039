import { $ } from './dom';

/**
 * The settings form's organization-token part. While it is ticked, members send the token and no
 * key of their own: "Members enter their own API key" is off and cannot be ticked.
 */
export function organizationTokenChoice(): { organizationToken?: { audience: string; lifetimeMinutes?: number; header?: string } } {
	if (!$<HTMLInputElement>('#organization-token').checked) {
		return {};
	}
	const lifetime = $<HTMLInputElement>('#token-lifetime').value.trim();
	const header = $<HTMLInputElement>('#token-header').value.trim();
	return {
		organizationToken: {
			audience: $<HTMLInputElement>('#token-audience').value.trim(),
			// A number only where one was typed: the service names anything else in the field's error.
			...(lifetime ? { lifetimeMinutes: /^\d+$/.test(lifetime) ? Number(lifetime) : (lifetime as unknown as number) } : {}),
			...(header ? { header } : {}),
		},
	};
}

/** Shows the panel while ticked, and keeps the member-key box consistent with it. */
export function reflectOrganizationToken(): void {
	const on = $<HTMLInputElement>('#organization-token').checked;
	$('#organization-token-panel').hidden = !on;
	const memberKey = $<HTMLInputElement>('#api-key-required');
	if (on) {
		memberKey.checked = false;
	}
	memberKey.disabled = on;
}
