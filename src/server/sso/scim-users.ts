import { scimPatch, ScimError, type ScimPatchOperation, type ScimResource } from 'scim-patch';
import { filter as scimFilter, parse as parseFilter, type Filter } from 'scim2-parse-filter';
import * as z from 'zod';
import { DomainError, type Members } from '../accounts';
import type { AuditLog } from '../audit';
import type { Clock } from '../clock';
import type { IdentityStore } from '../store/identity-store';
import type { Store, UserRecord } from '../store/store';
import { checkPatchPath, checkPatchValueKeys, readStoredAttributes, type StoredAttributes } from './scim-attributes';
import { notProvisioned, PATCH_SCHEMA, problem, userResource, UserInput, type ScimResult, type ScimUser } from './scim-resource';

export { LIST_SCHEMA, type ScimProblemKind, type ScimResult, type ScimUser } from './scim-resource';
export { USER_SCHEMA } from './scim-schema';

const MAX_OPERATIONS = 100;

const PatchInput = z.looseObject({
	schemas: z.array(z.string()).refine((schemas) => schemas.includes(PATCH_SCHEMA), `schemas must contain ${PATCH_SCHEMA}`),
	Operations: z
		.array(
			z.looseObject({
				op: z.string().refine((op) => ['add', 'replace', 'remove'].includes(op.toLowerCase()), 'op must be add, replace or remove'),
				path: z.string().max(1000).optional(),
				value: z.unknown().optional(),
			}),
		)
		.min(1, 'Operations must not be empty')
		.max(MAX_OPERATIONS, `Operations must have at most ${MAX_OPERATIONS} entries`),
});

/**
 * SCIM 2.0 provisioning of an organization's people (RFC 7644): what Entra ID and Okta send.
 * Deactivating or deleting someone revokes every token they hold at once, on every instance. The
 * operator's break-glass admins are not the directory's: it may read them, never change them.
 */
export class ScimUsers {
	constructor(
		private readonly store: Pick<Store, 'getUser' | 'findUserByEmail' | 'listUsers'>,
		private readonly identity: Pick<IdentityStore, 'setDeactivated' | 'updateUser' | 'scimAttributes' | 'saveScimAttributes'>,
		private readonly members: Pick<Members, 'create' | 'remove' | 'forgetRevoked' | 'isLastActiveAdmin'>,
		private readonly clock: Clock,
		private readonly audit: Pick<AuditLog, 'record'>,
		private readonly locationOf: (id: string) => string,
	) {}

	async create(orgId: string, body: unknown): Promise<ScimResult<ScimUser>> {
		const read = readUser(body);
		if (!read.ok) {
			return read;
		}
		const { input, attributes } = read.value;
		const { userName, externalId, active } = input;
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
		await this.keep(user, JSON.stringify(attributes));
		await this.audit.record(orgId, 'scim', 'scim.user_created', 'ok', { user: userName, active });
		if (!active) {
			await this.setActive(user, false);
		}
		return this.get(orgId, user.id);
	}

	async get(orgId: string, id: string): Promise<ScimResult<ScimUser>> {
		const user = await this.store.getUser(id);
		if (!user || user.orgId !== orgId) {
			return problem('notFound', `no User ${id}`);
		}
		const kept = await this.identity.scimAttributes(orgId, id);
		return { ok: true, value: userResource(user, kept.get(id), this.locationOf(id)) };
	}

	/** Every person the filter (RFC 7644 §3.4.2.2, on any declared attribute) matches, everyone without one, in the order lists show them. */
	async matching(orgId: string, filter: string | undefined): Promise<ScimResult<ScimUser[]>> {
		let parsed: Filter | undefined;
		try {
			parsed = filter ? parseFilter(filter) : undefined;
		} catch (error) {
			return problem('invalidFilter', `the filter could not be parsed: ${(error as Error).message}`);
		}
		// The common case (Entra ID and Okta look people up by userName) is one indexed read.
		const byUserName = parsed && userNameEquals(parsed);
		const users =
			byUserName !== undefined
				? [await this.store.findUserByEmail(orgId, byUserName)].filter((user) => user !== undefined)
				: await this.store.listUsers(orgId);
		const kept = await this.identity.scimAttributes(orgId, users.length === 1 ? users[0]!.id : undefined);
		let resources = users.map((user) => userResource(user, kept.get(user.id), this.locationOf(user.id)));
		if (parsed && byUserName === undefined) {
			resources = resources.filter(scimFilter(parsed));
		}
		return { ok: true, value: resources };
	}

	async patch(orgId: string, id: string, body: unknown): Promise<ScimResult<ScimUser>> {
		const request = PatchInput.safeParse(body);
		if (!request.success) {
			return problem('invalidSyntax', request.error.issues[0]?.message ?? 'not a PatchOp request');
		}
		// Every path and attribute name is checked before the patch library sees it (RFC 7644 §3.5.2).
		for (const operation of request.data.Operations) {
			const refused =
				operation.path !== undefined
					? checkPatchPath(operation.path)
					: operation.op.toLowerCase() === 'remove'
						? problem('noTarget', 'remove needs a path')
						: checkPatchValueKeys(operation.value);
			if (refused) {
				return refused;
			}
		}
		const current = await this.get(orgId, id);
		if (!current.ok) {
			return current;
		}
		let patched: Record<string, unknown>;
		try {
			// The library's resource type wants Date timestamps; meta is read-only here anyway. It patches a
			// copy whose objects have no prototype, so no path can reach the process's shared one.
			const document = withoutPrototypes({ ...current.value, meta: { created: new Date(0), lastModified: new Date(0) } });
			patched = {
				...scimPatch(document as ScimResource, request.data.Operations as ScimPatchOperation[], {
					mutateDocument: true,
					treatMissingAsAdd: true,
				}),
			};
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

	/** PUT: the resource as sent replaces what was kept; an attribute left out is cleared (externalId too). */
	async replace(orgId: string, id: string, body: unknown): Promise<ScimResult<ScimUser>> {
		const read = readUser(body);
		if (!read.ok) {
			return read;
		}
		const { input, attributes } = read.value;
		const user = await this.store.getUser(id);
		if (!user || user.orgId !== orgId) {
			return problem('notFound', `no User ${id}`);
		}
		const refused = notProvisioned(user, 'change');
		if (refused) {
			return refused;
		}
		const { userName, active } = input;
		const externalId = input.externalId ?? null;
		if (userName !== user.email && (await this.store.findUserByEmail(orgId, userName))) {
			return problem('uniqueness', `a User with userName ${userName} already exists`);
		}
		if (!active && (await this.members.isLastActiveAdmin(user))) {
			return problem('lastAdmin', 'the last active admin of the organization cannot be deactivated');
		}
		const change = {
			...(userName !== user.email ? { email: userName } : {}),
			...(externalId !== user.externalId ? { externalId } : {}),
		};
		const fields = Object.keys(change);
		if (fields.length > 0) {
			await this.identity.updateUser(user.id, change);
		}
		const json = JSON.stringify(attributes);
		if ((await this.identity.scimAttributes(orgId, id)).get(id)?.attributesJson !== json) {
			await this.keep(user, json);
			fields.push('attributes');
		}
		if (fields.length > 0) {
			await this.audit.record(orgId, 'scim', 'scim.user_updated', 'ok', { user: userName, fields: fields.join(', ') });
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
		const refused = notProvisioned(user, 'delete');
		if (refused) {
			return refused;
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

	private async keep(user: UserRecord, attributesJson: string): Promise<void> {
		await this.identity.saveScimAttributes({ userId: user.id, orgId: user.orgId, attributesJson, updatedAt: this.clock.now() });
	}

	private async setActive(user: UserRecord, active: boolean): Promise<void> {
		await this.identity.setDeactivated(user.id, active ? null : this.clock.now());
		if (!active) {
			this.members.forgetRevoked(user.id);
		}
		await this.audit.record(user.orgId, 'scim', active ? 'scim.user_reactivated' : 'scim.user_deactivated', 'ok', { user: user.email });
	}
}

/** A User resource as sent: what the account keeps, and the declared attributes kept beside it. */
function readUser(body: unknown): ScimResult<{ input: z.output<typeof UserInput>; attributes: StoredAttributes }> {
	const input = UserInput.safeParse(body);
	if (!input.success) {
		return problem('invalidValue', input.error.issues[0]?.message ?? 'invalid User');
	}
	const attributes = readStoredAttributes(body as Record<string, unknown>);
	return attributes.ok ? { ok: true, value: { input: input.data, attributes: attributes.value } } : attributes;
}

/** `userName eq "…"` (userName is case-insensitive, RFC 7643 §4.1.1), else undefined. */
function userNameEquals(filter: Filter): string | undefined {
	return filter.op === 'eq' && 'compValue' in filter && filter.attrPath.toLowerCase() === 'username' && typeof filter.compValue === 'string'
		? filter.compValue.toLowerCase()
		: undefined;
}

/** A deep copy of JSON-shaped data whose objects have no prototype (Dates stay as they are). */
function withoutPrototypes(value: unknown): unknown {
	if (Array.isArray(value)) {
		return value.map(withoutPrototypes);
	}
	if (value === null || typeof value !== 'object' || value instanceof Date) {
		return value;
	}
	const copy = Object.create(null) as Record<string, unknown>;
	for (const [key, inner] of Object.entries(value)) {
		copy[key] = withoutPrototypes(inner);
	}
	return copy;
}
