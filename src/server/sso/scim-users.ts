import { scimPatch, ScimError, type ScimPatchOperation } from 'scim-patch';
import { filter as scimFilter, parse as parseFilter, type Filter } from 'scim2-parse-filter';
import { z } from 'zod';
import { DomainError, type Members } from '../accounts';
import type { AuditLog } from '../audit';
import { isoTime, type Clock } from '../clock';
import type { IdentityStore } from '../store/identity-store';
import type { Store, UserRecord } from '../store/store';

export const USER_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:User';
export const LIST_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:ListResponse';
const PATCH_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
const MAX_PAGE = 200;

/** A User resource (RFC 7643 §4.1) as this service keeps it: the e-mail address is the userName. */
export interface ScimUser {
	schemas: string[];
	id: string;
	externalId?: string;
	userName: string;
	active: boolean;
	emails: { value: string; primary: boolean; type: string }[];
	meta: { resourceType: 'User'; created: string; lastModified: string; location: string };
}

/** RFC 7644 §3.12's error types this service answers with, plus the two that have none. */
export type ScimProblemKind =
	'invalidFilter' | 'invalidSyntax' | 'invalidValue' | 'invalidPath' | 'noTarget' | 'mutability' | 'uniqueness' | 'notFound' | 'lastAdmin';
export type ScimResult<T> = { ok: true; value: T } | { ok: false; kind: ScimProblemKind; detail: string };

const problem = (kind: ScimProblemKind, detail: string): { ok: false; kind: ScimProblemKind; detail: string } => ({
	ok: false,
	kind,
	detail,
});

// Entra ID sends booleans as "True"/"False" strings in some PATCH requests; both forms are accepted.
const scimBoolean = z.union([z.boolean(), z.enum(['true', 'false', 'True', 'False']).transform((value) => value.toLowerCase() === 'true')]);
const UserInput = z.looseObject({
	userName: z
		.string('userName is required')
		.trim()
		.toLowerCase()
		.regex(/^[^\s@]+@[^\s@]+$/, 'userName must be an e-mail address'),
	externalId: z.string().max(500).nullish(),
	active: scimBoolean.default(true),
});
const PatchInput = z.looseObject({
	schemas: z.array(z.string()).refine((schemas) => schemas.includes(PATCH_SCHEMA), `schemas must contain ${PATCH_SCHEMA}`),
	Operations: z
		.array(z.looseObject({ op: z.string(), path: z.string().optional(), value: z.unknown().optional() }))
		.min(1, 'Operations must not be empty'),
});

/**
 * SCIM 2.0 provisioning of an organization's people (RFC 7644): what Entra ID and Okta send.
 * Deactivating or deleting someone revokes every token they hold at once, on every instance.
 */
export class ScimUsers {
	constructor(
		private readonly store: Pick<Store, 'getUser' | 'findUserByEmail' | 'listUsers'>,
		private readonly identity: Pick<IdentityStore, 'setDeactivated' | 'updateUser'>,
		private readonly members: Pick<Members, 'create' | 'remove' | 'forgetRevoked' | 'isLastActiveAdmin'>,
		private readonly clock: Clock,
		private readonly audit: Pick<AuditLog, 'record'>,
		private readonly locationOf: (id: string) => string,
	) {}

	resource(user: UserRecord): ScimUser {
		return {
			schemas: [USER_SCHEMA],
			id: user.id,
			...(user.externalId ? { externalId: user.externalId } : {}),
			userName: user.email,
			active: user.deactivatedAt === null,
			emails: [{ value: user.email, primary: true, type: 'work' }],
			meta: {
				resourceType: 'User',
				created: isoTime(user.createdAt),
				lastModified: isoTime(Math.max(user.createdAt, user.deactivatedAt ?? 0)),
				location: this.locationOf(user.id),
			},
		};
	}

	async create(orgId: string, body: unknown): Promise<ScimResult<ScimUser>> {
		const input = UserInput.safeParse(body);
		if (!input.success) {
			return problem('invalidValue', input.error.issues[0]?.message ?? 'invalid User');
		}
		const { userName, externalId, active } = input.data;
		if (await this.store.findUserByEmail(orgId, userName)) {
			return problem('uniqueness', `a User with userName ${userName} already exists`);
		}
		let user: UserRecord;
		try {
			user = await this.members.create(orgId, userName, 'member', null, { externalId: externalId ?? null });
		} catch (error) {
			if (error instanceof DomainError && error.code === 'already_member') {
				return problem('uniqueness', `a User with userName ${userName} already exists`);
			}
			throw error;
		}
		await this.audit.record(orgId, 'scim', 'scim.user_created', 'ok', { user: userName, active });
		if (!active) {
			await this.setActive(user, false);
		}
		return this.get(orgId, user.id);
	}

	async get(orgId: string, id: string): Promise<ScimResult<ScimUser>> {
		const user = await this.store.getUser(id);
		return user && user.orgId === orgId ? { ok: true, value: this.resource(user) } : problem('notFound', `no User ${id}`);
	}

	/** `filter` per RFC 7644 §3.4.2.2; `startIndex` is 1-based. */
	async list(
		orgId: string,
		query: { filter?: string; startIndex?: number; count?: number },
	): Promise<ScimResult<{ total: number; startIndex: number; resources: ScimUser[] }>> {
		let parsed: Filter | undefined;
		try {
			parsed = query.filter ? parseFilter(query.filter) : undefined;
		} catch (error) {
			return problem('invalidFilter', `the filter could not be parsed: ${(error as Error).message}`);
		}
		// The common case (Entra ID and Okta look people up by userName) is one indexed read.
		const byUserName = parsed && userNameEquals(parsed);
		const users =
			byUserName !== undefined
				? [await this.store.findUserByEmail(orgId, byUserName)].filter((user) => user !== undefined)
				: await this.store.listUsers(orgId);
		let resources = users.map((user) => this.resource(user));
		if (parsed && byUserName === undefined) {
			resources = resources.filter(scimFilter(parsed));
		}
		const startIndex = Math.max(1, query.startIndex ?? 1);
		const count = Math.min(MAX_PAGE, Math.max(0, query.count ?? MAX_PAGE));
		return { ok: true, value: { total: resources.length, startIndex, resources: resources.slice(startIndex - 1, startIndex - 1 + count) } };
	}

	async patch(orgId: string, id: string, body: unknown): Promise<ScimResult<ScimUser>> {
		const request = PatchInput.safeParse(body);
		if (!request.success) {
			return problem('invalidSyntax', request.error.issues[0]?.message ?? 'not a PatchOp request');
		}
		const current = await this.get(orgId, id);
		if (!current.ok) {
			return current;
		}
		let patched: Omit<ScimUser, 'meta'>;
		try {
			// The library's resource type wants Date timestamps; meta is read-only here anyway.
			const document = { ...structuredClone(current.value), meta: { created: new Date(0), lastModified: new Date(0) } };
			patched = scimPatch(document, request.data.Operations as ScimPatchOperation[], { mutateDocument: false, treatMissingAsAdd: true });
		} catch (error) {
			if (error instanceof ScimError) {
				return problem(
					error.scimCode === 'noTarget' ? 'noTarget' : error.scimCode === 'invalidPath' ? 'invalidPath' : 'invalidValue',
					error.message,
				);
			}
			throw error;
		}
		return this.replace(orgId, id, patched);
	}

	/** PUT: the resource as sent; attributes this service does not keep (names, phone numbers) are ignored. */
	async replace(orgId: string, id: string, body: unknown): Promise<ScimResult<ScimUser>> {
		const input = UserInput.safeParse(body);
		if (!input.success) {
			return problem('invalidValue', input.error.issues[0]?.message ?? 'invalid User');
		}
		const user = await this.store.getUser(id);
		if (!user || user.orgId !== orgId) {
			return problem('notFound', `no User ${id}`);
		}
		const { userName, externalId, active } = input.data;
		if (userName !== user.email && (await this.store.findUserByEmail(orgId, userName))) {
			return problem('uniqueness', `a User with userName ${userName} already exists`);
		}
		if (!active && (await this.members.isLastActiveAdmin(user))) {
			return problem('lastAdmin', 'the last active admin of the organization cannot be deactivated');
		}
		const change = {
			...(userName !== user.email ? { email: userName } : {}),
			...(externalId !== undefined && externalId !== user.externalId ? { externalId } : {}),
		};
		if (Object.keys(change).length > 0) {
			await this.identity.updateUser(user.id, change);
			await this.audit.record(orgId, 'scim', 'scim.user_updated', 'ok', { user: userName, fields: Object.keys(change).join(', ') });
		}
		if (active !== (user.deactivatedAt === null)) {
			await this.setActive({ ...user, email: userName }, active);
		}
		return this.get(orgId, id);
	}

	async delete(orgId: string, id: string): Promise<ScimResult<undefined>> {
		const user = await this.store.getUser(id);
		if (!user || user.orgId !== orgId) {
			return problem('notFound', `no User ${id}`);
		}
		try {
			await this.members.remove(orgId, id);
		} catch (error) {
			if (error instanceof DomainError && error.code === 'last_admin') {
				return problem('lastAdmin', error.message);
			}
			throw error;
		}
		await this.audit.record(orgId, 'scim', 'scim.user_deleted', 'ok', { user: user.email });
		return { ok: true, value: undefined };
	}

	private async setActive(user: UserRecord, active: boolean): Promise<void> {
		await this.identity.setDeactivated(user.id, active ? null : this.clock.now());
		if (!active) {
			this.members.forgetRevoked(user.id);
		}
		await this.audit.record(user.orgId, 'scim', active ? 'scim.user_reactivated' : 'scim.user_deactivated', 'ok', { user: user.email });
	}
}

/** `userName eq "…"` (userName is case-insensitive, RFC 7643 §4.1.1), else undefined. */
function userNameEquals(filter: Filter): string | undefined {
	return filter.op === 'eq' && 'compValue' in filter && filter.attrPath.toLowerCase() === 'username' && typeof filter.compValue === 'string'
		? filter.compValue.toLowerCase()
		: undefined;
}
