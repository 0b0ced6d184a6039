import * as z from 'zod';
import { PolicySigningKeySchema } from '../../policy';
import { Disposable, Emitter, type Event } from '../base/disposable';
import type { SecretStore } from '../base/storage';
import type { Scheduler } from '../base/scheduler';
import {
	describeRefusal,
	formBody,
	isServiceUnanswered,
	readServiceJson,
	readTokenEndpointError,
	serviceFetch,
	ServiceHttpError,
	type ServiceConnection,
} from '../base/service-http';
import { CLIENT_ID, TokenResponseSchema, type TokenResponse } from '../../policy';
import { runDeviceFlow, type DeviceFlowUi } from './device-flow';

export type { SecretStore } from '../base/storage';

const StoredSessionSchema = z.object({
	serverUrl: z.string(),
	accessToken: z.string(),
	refreshToken: z.string(),
	expiresAt: z.number(),
	organization: z.object({ id: z.string(), name: z.string() }),
	account: z.object({ id: z.string(), email: z.string(), role: z.enum(['admin', 'member']) }),
	signingKey: PolicySigningKeySchema,
});

export type StoredSession = z.infer<typeof StoredSessionSchema>;

export const SESSION_SECRET_KEY = 'orgProviderPolicy.session';
/** Refresh this long before the access token expires. */
const REFRESH_MARGIN_MS = 120_000;

export type SignOutReason = 'user' | 'revoked';

/** Sign-in was asked for before any policy server was set: the member needs the setting, not a retry. */
export class NoPolicyServerError extends Error {
	override readonly name = 'NoPolicyServerError';
}

/**
 * A change of session; a sign-out says why, and a refused refresh what the service said (its
 * `error_description`). `other-service`: the sign-in is kept but set aside, another service being
 * configured now (see {@link SessionManager.signedInElsewhere}).
 */
export interface SessionChange {
	readonly session: StoredSession | undefined;
	readonly reason?: SignOutReason | 'other-service';
	readonly detail?: string;
}

/**
 * Holds the member's tokens (in secret storage only), refreshes them before expiry and after a
 * 401, and follows changes other windows make to the same secret.
 *
 * A sign-in belongs to the service that issued it: while the configured service is another one (the
 * member, or IT's file, changed the address), it is not in use — no token of it is sent there, and
 * the member is asked to sign in to the new one. Only its revocation goes back to its own service.
 */
export class SessionManager extends Disposable {
	private current: StoredSession | undefined;
	private refreshing: Promise<boolean> | undefined;
	/** The session listeners were last told of. */
	private announced: StoredSession | undefined;
	private readonly changed = this._register(new Emitter<SessionChange>());
	readonly onDidChange = this.changed.event;

	constructor(
		private readonly secrets: SecretStore,
		private readonly connection: () => ServiceConnection | undefined,
		private readonly scheduler: Scheduler,
		/** Fires when the configured service may have changed (its settings, IT's file). */
		serverChanges?: Event<void>,
	) {
		super();
		this._register(
			secrets.onDidChange(({ key }) => {
				if (key === SESSION_SECRET_KEY) {
					void this.reload();
				}
			}),
		);
		if (serverChanges) {
			this._register(
				serverChanges(() => {
					const session = this.session;
					if (session !== this.announced) {
						this.announce(session || !this.current ? { session } : { session, reason: 'other-service' });
					}
				}),
			);
		}
	}

	private announce(change: SessionChange): void {
		this.announced = change.session;
		this.changed.fire(change);
	}

	/** The sign-in to the configured service; undefined when there is none, or the one kept is another service's. */
	get session(): StoredSession | undefined {
		const stored = this.current;
		return stored && sameServer(stored.serverUrl, this.connection()?.serverUrl) ? stored : undefined;
	}

	/** The service of the sign-in kept but not in use, another service being configured now. */
	get signedInElsewhere(): string | undefined {
		return this.current && !this.session ? this.current.serverUrl : undefined;
	}

	/** Reads the stored session; another window may have signed in or out. */
	async reload(): Promise<StoredSession | undefined> {
		const next = await this.stored();
		const before = this.session;
		this.current = next;
		const now = this.session;
		if (before?.accessToken !== now?.accessToken || before?.account.id !== now?.account.id) {
			this.announce({ session: now, ...(now ? {} : { reason: 'user' as const }) });
		}
		return now;
	}

	private async stored(): Promise<StoredSession | undefined> {
		const raw = await this.secrets.get(SESSION_SECRET_KEY);
		try {
			return raw ? StoredSessionSchema.parse(JSON.parse(raw)) : undefined;
		} catch {
			return undefined;
		}
	}

	async signIn(ui: DeviceFlowUi, signal: AbortSignal): Promise<StoredSession> {
		const connection = this.requireConnection();
		const tokens = await runDeviceFlow(connection, this.scheduler, ui, signal);
		const replaced = this.current;
		const session = await this.save(connection.serverUrl, tokens);
		if (replaced && replaced.refreshToken !== session.refreshToken) {
			// The replaced sign-in is not kept, so it ends at its service too rather than lingering live
			// (there, on the Members page, as a second machine falling behind).
			await this.revokeAtIssuer(replaced);
		}
		return session;
	}

	async signOut(reason: SignOutReason = 'user', detail?: string): Promise<void> {
		const session = this.current;
		this.current = undefined;
		await this.secrets.delete(SESSION_SECRET_KEY);
		if (session && reason === 'user') {
			await this.revokeAtIssuer(session);
		}
		this.announce({ session: undefined, reason, ...(detail ? { detail } : {}) });
	}

	/**
	 * A valid access token, refreshed first when it is about to expire. While the service cannot
	 * refresh it (unreachable or failing), the current one is answered: it may still be good, and a
	 * 401 asks again.
	 */
	async accessToken(): Promise<string | undefined> {
		const session = this.session;
		if (!session) {
			return undefined;
		}
		if (session.expiresAt - this.scheduler.now() < REFRESH_MARGIN_MS) {
			await this.refresh().catch((error: unknown) => {
				if (!isServiceUnanswered(error)) {
					throw error;
				}
			});
		}
		return this.session?.accessToken;
	}

	/**
	 * After a 401: tries the refresh token once. True when a refreshed token is ready; false when the
	 * service refused the refresh (revoked, reused, member removed), which signs the member out.
	 * Throws `ServiceUnreachableError` or `ServiceHttpError` when the service could not answer
	 * (unreachable, 5xx, a proxy's page, a rate limit): that says nothing of the session, which is kept.
	 */
	refresh(): Promise<boolean> {
		this.refreshing ??= this.doRefresh().finally(() => (this.refreshing = undefined));
		return this.refreshing;
	}

	private async doRefresh(): Promise<boolean> {
		const session = this.session;
		const connection = this.connection();
		if (!session || !connection) {
			return false;
		}
		const response = await serviceFetch(
			connection,
			'/oauth/token',
			formBody({ grant_type: 'refresh_token', refresh_token: session.refreshToken, client_id: CLIENT_ID }),
		);
		if (!response.ok) {
			const answer = await readTokenEndpointError(response, 'refreshing the sign-in: the policy service');
			if (answer instanceof ServiceHttpError) {
				throw answer;
			}
			// RFC 6749 §5.2: the service refuses a grant with 400 (401 for the client); another status says nothing of the session.
			if (answer.status !== 400 && answer.status !== 401) {
				throw new ServiceHttpError(
					answer.status,
					`refreshing the sign-in: the policy service answered ${answer.status}: ${describeRefusal(answer)}`,
				);
			}
			const now = await this.stored();
			if (now && now.refreshToken !== session.refreshToken) {
				// Another window signed in anew meanwhile, which ended this sign-in: the new one is kept.
				return (await this.reload()) !== undefined;
			}
			await this.signOut('revoked', answer.description?.slice(0, 200));
			return false;
		}
		await this.save(session.serverUrl, await readServiceJson(response, 'refreshing the sign-in: the policy service', TokenResponseSchema));
		return true;
	}

	private async save(serverUrl: string, tokens: TokenResponse): Promise<StoredSession> {
		const session: StoredSession = {
			serverUrl,
			accessToken: tokens.access_token,
			refreshToken: tokens.refresh_token,
			expiresAt: this.scheduler.now() + tokens.expires_in * 1000,
			organization: tokens.organization,
			account: tokens.user,
			signingKey: tokens.policy_signing_key,
		};
		this.current = session;
		await this.secrets.store(SESSION_SECRET_KEY, JSON.stringify(session));
		this.announce({ session });
		return session;
	}

	/** Best effort: the tokens are gone locally whether or not their service hears of it. */
	private async revokeAtIssuer(session: StoredSession): Promise<void> {
		const connection = this.connection();
		if (connection) {
			const issuer = { ...connection, serverUrl: session.serverUrl };
			await serviceFetch(issuer, '/oauth/revoke', formBody({ token: session.refreshToken })).catch(() => undefined);
		}
	}

	private requireConnection(): ServiceConnection {
		const connection = this.connection();
		if (!connection) {
			throw new NoPolicyServerError(
				'No policy server is configured: set "orgProviderPolicy.serverUrl" (the address on your invitation page), or ask IT for the managed bootstrap file.',
			);
		}
		return connection;
	}
}

/** Whether two addresses name the same service (`https://policy.example.com/` is `https://POLICY.example.com`). */
function sameServer(a: string, b: string | undefined): boolean {
	if (b === undefined) {
		return false;
	}
	const normal = (address: string) => {
		try {
			return new URL(address).href.replace(/\/+$/, '');
		} catch {
			return address;
		}
	};
	return normal(a) === normal(b);
}
