import type { PolicySigningKey } from '../policy';
import type { Clock } from './clock';
import { hashPassword, hashSecret, newId, newSecret, newUserCode, normalizeUserCode, verifyPassword } from './crypto';
import { HttpError } from './http-error';
import type { PolicyEvents } from './policy-service';
import type { DeviceCodeRecord, Role, Store, TokenRecord, UserRecord } from './store/store';

export interface AccountTimings {
	accessTokenSeconds: number;
	refreshTokenSeconds: number;
	sessionSeconds: number;
	invitationSeconds: number;
	deviceCodeSeconds: number;
	devicePollSeconds: number;
}

export const DEFAULT_TIMINGS: AccountTimings = {
	accessTokenSeconds: 3600,
	refreshTokenSeconds: 30 * 24 * 3600,
	sessionSeconds: 12 * 3600,
	invitationSeconds: 7 * 24 * 3600,
	deviceCodeSeconds: 900,
	devicePollSeconds: 5,
};

export const PUBLIC_CLIENT_ID = 'vscode';

export interface Principal {
	readonly user: UserRecord;
	readonly token: TokenRecord;
}

export interface TokenResponse {
	access_token: string;
	token_type: 'Bearer';
	expires_in: number;
	refresh_token: string;
	organization: { id: string; name: string };
	user: { id: string; email: string; role: Role };
	policy_signing_key: PolicySigningKey;
}

/** RFC 6749 §5.2 / RFC 8628 §3.5 error answered by the token endpoint. */
export class OAuthError extends HttpError {
	constructor(code: string, description: string, status = 400) {
		super(status, code, description);
	}
}

/** How long a resolved token may be reused without reading the store again. */
const PRINCIPAL_CACHE_MS = 5000;
const PRINCIPAL_CACHE_SIZE = 20_000;

export class Accounts {
	/**
	 * Resolved bearer tokens, so a read of the policy costs no query. Every revocation in this
	 * process clears it at once; the short lifetime bounds what another instance's revocation
	 * (PostgreSQL, later) could leave behind.
	 */
	private readonly principals = new Map<string, { found: { token: TokenRecord; user: UserRecord } | undefined; at: number }>();

	constructor(
		private readonly store: Store,
		private readonly events: PolicyEvents,
		private readonly clock: Clock,
		private readonly timings: AccountTimings,
		private readonly signingKeyOf: (orgId: string) => Promise<PolicySigningKey | undefined>,
	) {}

	/** Normalizes the email and refuses one that already belongs to a member of the organization. */
	private async newMemberEmail(orgId: string, email: string): Promise<string> {
		const normalized = email.trim().toLowerCase();
		if (await this.store.findUserByEmail(orgId, normalized)) {
			throw new HttpError(409, 'conflict', `${normalized} is already a member of this organization`);
		}
		return normalized;
	}

	async createUser(orgId: string, email: string, role: Role, password: string | null): Promise<UserRecord> {
		// Checked before hashing: scrypt is the expensive part.
		const user: UserRecord = {
			id: newId(),
			orgId,
			email: await this.newMemberEmail(orgId, email),
			role,
			passwordHash: password === null ? null : await hashPassword(password),
			createdAt: this.clock.now(),
			lastSeenAt: null,
			appliedRevision: null,
			appliedAt: null,
		};
		await this.store.createUser(user);
		return user;
	}

	/** The account these credentials open, in whichever organization holds it. */
	async checkPassword(email: string, password: string): Promise<UserRecord | undefined> {
		const candidates = await this.store.findUsersByEmail(email.trim().toLowerCase());
		if (candidates.length === 0) {
			await verifyPassword(password, null);
			return undefined;
		}
		for (const user of candidates) {
			if (await verifyPassword(password, user.passwordHash)) {
				return user;
			}
		}
		return undefined;
	}

	// ── bearer tokens ──────────────────────────────────────────────────────────

	async issueTokens(user: UserRecord, familyId = newId()): Promise<TokenResponse> {
		const now = this.clock.now();
		const accessToken = newSecret('opp_at');
		const refreshToken = newSecret('opp_rt');
		const base = { userId: user.id, orgId: user.orgId, familyId, createdAt: now, usedAt: null, revokedAt: null, csrfToken: null, label: null };
		await this.store.insertTokens([
			{ ...base, tokenHash: hashSecret(accessToken), kind: 'access', expiresAt: now + this.timings.accessTokenSeconds * 1000 },
			{ ...base, tokenHash: hashSecret(refreshToken), kind: 'refresh', expiresAt: now + this.timings.refreshTokenSeconds * 1000 },
		]);
		const [organization, signingKey] = await Promise.all([this.store.getOrganization(user.orgId), this.signingKeyOf(user.orgId)]);
		if (!organization || !signingKey) {
			throw new Error(`organization ${user.orgId} is not set up`);
		}
		return {
			access_token: accessToken,
			token_type: 'Bearer',
			expires_in: this.timings.accessTokenSeconds,
			refresh_token: refreshToken,
			organization: { id: organization.id, name: organization.name },
			user: { id: user.id, email: user.email, role: user.role },
			policy_signing_key: signingKey,
		};
	}

	async refresh(refreshToken: string): Promise<TokenResponse> {
		const now = this.clock.now();
		const record = await this.store.getToken(hashSecret(refreshToken));
		if (!record || record.kind !== 'refresh' || record.revokedAt !== null || (record.expiresAt !== null && record.expiresAt <= now)) {
			throw new OAuthError('invalid_grant', 'the refresh token is invalid, expired or revoked');
		}
		if (!(await this.store.markTokenUsed(record.tokenHash, now))) {
			// A rotated-out refresh token came back: someone holds a copy. End the whole family.
			await this.store.revokeFamily(record.familyId ?? '', now);
			this.forgetPrincipals();
			throw new OAuthError('invalid_grant', 'the refresh token was already used; every session it started has been revoked');
		}
		const user = await this.store.getUser(record.userId);
		if (!user) {
			throw new OAuthError('invalid_grant', 'the account no longer exists');
		}
		return this.issueTokens(user, record.familyId ?? newId());
	}

	/** Revokes a token and, for access and refresh tokens, the rest of its sign-in (RFC 7009). */
	async revoke(token: string): Promise<void> {
		const record = await this.store.getToken(hashSecret(token));
		if (!record) {
			return;
		}
		if (record.familyId) {
			await this.store.revokeFamily(record.familyId, this.clock.now());
		} else {
			await this.store.revokeToken(record.tokenHash, this.clock.now());
		}
		this.forgetPrincipals();
	}

	async resolveBearer(token: string): Promise<Principal | undefined> {
		const hash = hashSecret(token);
		const now = this.clock.now();
		let cached = this.principals.get(hash);
		if (!cached || now - cached.at > PRINCIPAL_CACHE_MS) {
			cached = { found: await this.store.getTokenWithUser(hash), at: now };
			if (this.principals.size >= PRINCIPAL_CACHE_SIZE) {
				this.principals.clear();
			}
			this.principals.set(hash, cached);
		}
		const found = cached.found;
		return found && (found.token.kind === 'access' || found.token.kind === 'admin_api') ? this.validPrincipal(found) : undefined;
	}

	/** Any revocation (here, or on another instance): forget every resolved token, so none outlives it. */
	forgetPrincipals(): void {
		this.principals.clear();
	}

	async createAdminApiToken(user: UserRecord, label: string): Promise<string> {
		const token = newSecret('opp_admin');
		await this.store.insertTokens([
			{
				tokenHash: hashSecret(token),
				kind: 'admin_api',
				userId: user.id,
				orgId: user.orgId,
				familyId: null,
				expiresAt: null,
				createdAt: this.clock.now(),
				usedAt: null,
				revokedAt: null,
				csrfToken: null,
				label,
			},
		]);
		return token;
	}

	// ── console sessions ───────────────────────────────────────────────────────

	async createSession(user: UserRecord): Promise<{ cookie: string; csrfToken: string }> {
		const cookie = newSecret('opp_s');
		const csrfToken = newSecret('csrf');
		const now = this.clock.now();
		await this.store.insertTokens([
			{
				tokenHash: hashSecret(cookie),
				kind: 'console_session',
				userId: user.id,
				orgId: user.orgId,
				familyId: null,
				expiresAt: now + this.timings.sessionSeconds * 1000,
				createdAt: now,
				usedAt: null,
				revokedAt: null,
				csrfToken,
				label: null,
			},
		]);
		return { cookie, csrfToken };
	}

	async resolveSession(cookie: string): Promise<Principal | undefined> {
		const found = await this.store.getTokenWithUser(hashSecret(cookie));
		return found?.token.kind === 'console_session' ? this.validPrincipal(found) : undefined;
	}

	async endSession(cookie: string): Promise<void> {
		await this.store.revokeToken(hashSecret(cookie), this.clock.now());
		this.forgetPrincipals();
	}

	private validPrincipal({ token, user }: { token: TokenRecord; user: UserRecord }): Principal | undefined {
		if (token.revokedAt !== null || (token.expiresAt !== null && token.expiresAt <= this.clock.now())) {
			return undefined;
		}
		return user.orgId === token.orgId ? { user, token } : undefined;
	}

	// ── members ────────────────────────────────────────────────────────────────

	async removeUser(orgId: string, userId: string): Promise<void> {
		const user = await this.store.getUser(userId);
		if (!user || user.orgId !== orgId) {
			throw new HttpError(404, 'not_found', 'no such member in this organization');
		}
		if (user.role === 'admin') {
			const admins = (await this.store.listUsers(orgId)).filter((candidate) => candidate.role === 'admin');
			if (admins.length <= 1) {
				throw new HttpError(409, 'last_admin', 'the last admin of an organization cannot be removed');
			}
		}
		await this.store.removeUser(userId, this.clock.now());
		this.forgetPrincipals();
		this.events.publishUserRevoked(userId);
	}

	async invite(orgId: string, email: string, role: Role, invitedBy: string): Promise<{ token: string; expiresAt: number }> {
		const normalized = await this.newMemberEmail(orgId, email);
		const token = newSecret('opp_inv');
		const now = this.clock.now();
		const expiresAt = now + this.timings.invitationSeconds * 1000;
		await this.store.createInvitation({
			tokenHash: hashSecret(token),
			orgId,
			email: normalized,
			role,
			createdBy: invitedBy,
			createdAt: now,
			expiresAt,
			acceptedAt: null,
		});
		return { token, expiresAt };
	}

	async acceptInvitation(token: string, password: string): Promise<UserRecord> {
		const invitation = await this.store.getInvitation(hashSecret(token));
		if (!invitation || invitation.acceptedAt !== null) {
			throw new HttpError(404, 'invalid_invitation', 'this invitation link is not valid or was already used');
		}
		if (invitation.expiresAt <= this.clock.now()) {
			throw new HttpError(410, 'expired_invitation', 'this invitation link has expired; ask your admin for a new one');
		}
		const user: UserRecord = {
			id: newId(),
			orgId: invitation.orgId,
			email: invitation.email,
			role: invitation.role,
			passwordHash: await hashPassword(password),
			createdAt: this.clock.now(),
			lastSeenAt: null,
			appliedRevision: null,
			appliedAt: null,
		};
		if (!(await this.store.acceptInvitation(invitation.tokenHash, user, user.createdAt))) {
			throw new HttpError(404, 'invalid_invitation', 'this invitation link was already used');
		}
		return user;
	}

	// ── RFC 8628 device authorization ──────────────────────────────────────────

	async startDeviceAuthorization(clientId: string): Promise<{ deviceCode: string; userCode: string; expiresIn: number; interval: number }> {
		if (clientId !== PUBLIC_CLIENT_ID) {
			throw new OAuthError('invalid_client', `unknown client_id; the VS Code extension uses "${PUBLIC_CLIENT_ID}"`, 401);
		}
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
	async pollDeviceCode(deviceCode: string, clientId: string): Promise<TokenResponse> {
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
		return this.issueTokens(user);
	}

	async findPendingDevice(userCode: string): Promise<DeviceCodeRecord | undefined> {
		const record = await this.store.findDeviceCodeByUserCode(normalizeUserCode(userCode));
		return record && record.status === 'pending' && record.expiresAt > this.clock.now() ? record : undefined;
	}

	async decideDevice(record: DeviceCodeRecord, user: UserRecord, approve: boolean): Promise<void> {
		await this.store.updateDeviceCode(record.deviceCodeHash, approve ? { status: 'approved', userId: user.id } : { status: 'denied' });
	}
}
