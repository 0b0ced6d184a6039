import type { AuditLog } from '../audit';
import { DAY_MS, isoTime, type Clock } from '../clock';
import { hashSecret, newSecret } from '../crypto';
import type { Store, TokenRecord, UserRecord } from '../store/store';
import { neutralise } from '../text-safety';
import type { Tokens } from './tokens';

/** How long a new admin API token lasts when its maker does not say: long enough for a quarter's pipeline runs, short enough that a forgotten one ends. */
export const ADMIN_TOKEN_DEFAULT_DAYS = 90;
/** The longest lifetime a token may be given; longer-lived automation chooses "never", which the console marks. */
export const ADMIN_TOKEN_MAX_DAYS = 366;
/** A token this close to its end is flagged in the console, and the CLI says so on every call. */
export const ADMIN_TOKEN_EXPIRY_WARNING_DAYS = 7;
/** The header the admin API answers an admin API token's calls with: when that token stops working. */
export const TOKEN_EXPIRES_HEADER = 'org-policy-token-expires';

/** Where an admin API token stands: it opens the admin API only while `active`. */
export type AdminApiTokenState = 'active' | 'expired' | 'maker-not-admin';

export interface AdminApiTokenView {
	/** The token's public name in URLs (the start of its stored hash: the token itself is never kept). */
	readonly id: string;
	readonly label: string;
	/** Whose admin rights the token carries: it stops opening anything when they stop being an admin. */
	readonly createdBy: string;
	readonly createdAt: number;
	/** Null: the token never expires (its maker chose so). */
	readonly expiresAt: number | null;
	readonly lastUsedAt: number | null;
	readonly state: AdminApiTokenState;
}

export interface NewAdminApiToken {
	readonly view: AdminApiTokenView;
	/** The secret, shown to its maker once. */
	readonly token: string;
}

/** A token's id: enough of its stored hash to name it among an organization's tokens, and nothing that opens anything. */
export const adminApiTokenId = (tokenHash: string) => tokenHash.slice(0, 16);

/**
 * Admin API tokens: what automation (the `org-policy` CLI in a pipeline, scripts) acts with. Each is
 * labelled, carries its maker's admin rights, expires unless its maker chose otherwise, and can be
 * listed and revoked by any admin of the organization; its last use is noted.
 */
export class AdminApiTokens {
	constructor(
		private readonly store: Pick<Store, 'insertTokens' | 'listAdminApiTokens'>,
		private readonly tokens: Pick<Tokens, 'revokeRecord'>,
		private readonly clock: Clock,
		/** Where each token made and revoked is written, with the admin who did it (console and API alike). */
		private readonly audit?: Pick<AuditLog, 'record'>,
	) {}

	/**
	 * Makes a token; refused when its maker has a token of that label still listed (not revoked, an
	 * expired one included): the tokens list and the pipelines that use them tell them apart by label.
	 * (The activity list names each by its id too, `apiTokenActor`, so a revoked token's label may be
	 * used again.)
	 */
	async create(
		maker: UserRecord,
		label: string,
		expiresInDays: number | null,
	): Promise<{ ok: true; value: NewAdminApiToken } | { ok: false; field: 'label'; message: string }> {
		// Shown in the console and the activity list: no control or bidi character in it.
		const named = neutralise(label.trim());
		const tokens = await this.store.listAdminApiTokens(maker.orgId);
		if (tokens.some(({ token }) => token.userId === maker.id && token.label?.toLowerCase() === named.toLowerCase())) {
			return {
				ok: false,
				field: 'label',
				message: `you have a token labelled "${named}" already: choose another label, or revoke that one first`,
			};
		}
		const token = newSecret('opp_admin');
		const now = this.clock.now();
		const record: TokenRecord = {
			tokenHash: hashSecret(token),
			kind: 'admin_api',
			userId: maker.id,
			orgId: maker.orgId,
			familyId: null,
			clientId: null,
			expiresAt: expiresInDays === null ? null : now + expiresInDays * DAY_MS,
			createdAt: now,
			usedAt: null,
			revokedAt: null,
			csrfToken: null,
			label: named,
		};
		await this.store.insertTokens([record]);
		const view = this.view(record, maker, now);
		await this.audit?.record(maker.orgId, maker.email, 'admin_token.created', 'ok', {
			label: view.label,
			id: view.id,
			expiresAt: isoTime(view.expiresAt) ?? 'never',
		});
		return { ok: true, value: { token, view } };
	}

	async list(orgId: string): Promise<AdminApiTokenView[]> {
		const now = this.clock.now();
		return (await this.store.listAdminApiTokens(orgId)).map(({ token, user }) => this.view(token, user, now));
	}

	/**
	 * Revokes one of the organization's tokens at once, on every instance; undefined when it has no
	 * such token. `actor` names who did it in the activity list (a token revoking itself names itself).
	 */
	async revoke(by: UserRecord, id: string, actor = by.email): Promise<AdminApiTokenView | undefined> {
		const now = this.clock.now();
		const found = (await this.store.listAdminApiTokens(by.orgId)).find(({ token }) => adminApiTokenId(token.tokenHash) === id);
		if (!found) {
			return undefined;
		}
		await this.tokens.revokeRecord(found.token);
		const view = this.view(found.token, found.user, now);
		await this.audit?.record(by.orgId, actor, 'admin_token.revoked', 'ok', { label: view.label, id: view.id, createdBy: view.createdBy });
		return view;
	}

	private view(token: TokenRecord, maker: UserRecord, now: number): AdminApiTokenView {
		const state: AdminApiTokenState =
			token.expiresAt !== null && token.expiresAt <= now
				? 'expired'
				: maker.role !== 'admin' || maker.deactivatedAt !== null
					? 'maker-not-admin'
					: 'active';
		return {
			id: adminApiTokenId(token.tokenHash),
			label: token.label ?? '',
			createdBy: maker.email,
			createdAt: token.createdAt,
			expiresAt: token.expiresAt,
			lastUsedAt: token.usedAt,
			state,
		};
	}
}
