import type { TokenResponse } from '../../policy';
import type { Clock } from '../clock';
import { hashSecret, newSecret, newUserCode, normalizeUserCode } from '../crypto';
import type { DeviceCodeRecord, Store, UserRecord } from '../store/store';
import { OAuthError, requireKnownClient } from './errors';
import type { AccountTimings } from './timings';
import type { Tokens } from './tokens';

/** RFC 8628 from the service's side: codes handed out, approved or denied in a browser, polled. */
export class DeviceAuthorizations {
	constructor(
		private readonly store: Store,
		private readonly clock: Clock,
		private readonly timings: AccountTimings,
		private readonly tokens: Tokens,
	) {}

	async start(clientId: string): Promise<{ deviceCode: string; userCode: string; expiresIn: number; interval: number }> {
		requireKnownClient(clientId);
		const deviceCode = newSecret('opp_dc');
		const record: DeviceCodeRecord = {
			deviceCodeHash: hashSecret(deviceCode),
			userCode: newUserCode(),
			clientId,
			expiresAt: this.clock.now() + this.timings.deviceCodeSeconds * 1000,
			intervalSeconds: this.timings.devicePollSeconds,
			lastPolledAt: null,
			status: 'pending',
			userId: null,
		};
		await this.store.createDeviceCode(record);
		return { deviceCode, userCode: record.userCode, expiresIn: this.timings.deviceCodeSeconds, interval: record.intervalSeconds };
	}

	/** The device access token request of RFC 8628 §3.4, answered as §3.5 says. */
	async poll(deviceCode: string, clientId: string): Promise<TokenResponse> {
		requireKnownClient(clientId);
		const record = await this.store.getDeviceCode(hashSecret(deviceCode));
		if (!record || record.clientId !== clientId) {
			throw new OAuthError('invalid_grant', 'unknown device code');
		}
		const now = this.clock.now();
		if (record.expiresAt <= now) {
			throw new OAuthError('expired_token', 'the device code expired; start the sign-in again');
		}
		if (record.status === 'denied') {
			throw new OAuthError('access_denied', 'the sign-in was denied');
		}
		if (record.status === 'used') {
			throw new OAuthError('invalid_grant', 'the device code was already used');
		}
		if (record.status === 'pending') {
			if (record.lastPolledAt !== null && now - record.lastPolledAt < record.intervalSeconds * 1000) {
				// §3.5: slow_down, and the interval grows by 5 seconds for this and all later requests.
				await this.store.updateDeviceCode(record.deviceCodeHash, { lastPolledAt: now, intervalSeconds: record.intervalSeconds + 5 });
				throw new OAuthError('slow_down', `polling too fast; wait ${record.intervalSeconds + 5} seconds between requests`);
			}
			await this.store.updateDeviceCode(record.deviceCodeHash, { lastPolledAt: now });
			throw new OAuthError('authorization_pending', 'waiting for the member to approve the code');
		}
		const user = record.userId ? await this.store.getUser(record.userId) : undefined;
		if (!user || !(await this.store.consumeDeviceCode(record.deviceCodeHash))) {
			throw new OAuthError('invalid_grant', 'the device code was already used');
		}
		if (user.deactivatedAt !== null) {
			// Approved, then deactivated by the directory before VS Code came for its tokens: none.
			throw new OAuthError('access_denied', 'the account was deactivated by its directory after the approval');
		}
		return this.tokens.issue(user, record.clientId);
	}

	async findPending(userCode: string): Promise<DeviceCodeRecord | undefined> {
		const record = await this.store.findDeviceCodeByUserCode(normalizeUserCode(userCode));
		return record && record.status === 'pending' && record.expiresAt > this.clock.now() ? record : undefined;
	}

	async decide(record: DeviceCodeRecord, user: UserRecord, approve: boolean): Promise<void> {
		await this.store.updateDeviceCode(record.deviceCodeHash, approve ? { status: 'approved', userId: user.id } : { status: 'denied' });
	}
}
