import * as z from 'zod';
import { isoTime } from '../clock';
import type { ScimAttributesRecord } from '../store/identity-store';
import type { UserRecord } from '../store/store';
import { hasUnsafeText } from '../text-safety';
import type { StoredAttributes } from './scim-attributes';
import { ENTERPRISE_SCHEMA, USER_SCHEMA } from './scim-schema';
import { EMAIL_MAX_LENGTH } from '../accounts/email-address';

export const LIST_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:ListResponse';
export const PATCH_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
export const SEARCH_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:SearchRequest';

/**
 * A User resource (RFC 7643 §4.1) as this service keeps it: the e-mail address is the userName; the
 * other declared attributes (names, phone numbers, the enterprise extension) as the directory sent them.
 */
export interface ScimUser {
	schemas: string[];
	id: string;
	externalId?: string;
	userName: string;
	active: boolean;
	emails: unknown[];
	meta: { resourceType: 'User'; created: string; lastModified: string; location: string };
	[attribute: string]: unknown;
}

/** RFC 7644 §3.12's error types this service answers with, plus those that have none (404, 403, 409). */
export type ScimProblemKind =
	| 'invalidFilter'
	| 'invalidSyntax'
	| 'invalidValue'
	| 'invalidPath'
	| 'noTarget'
	| 'mutability'
	| 'uniqueness'
	| 'notFound'
	| 'lastAdmin'
	| 'notProvisioned';
export type ScimProblem = { ok: false; kind: ScimProblemKind; detail: string };
export type ScimResult<T> = { ok: true; value: T } | ScimProblem;

/** A list request (RFC 7644 §3.4.2): a filter, and the page (1-based `startIndex`, `count`). */
export interface ListQuery {
	filter?: string | undefined;
	startIndex?: number | undefined;
	count?: number | undefined;
}

/** One page of a list: how many matched in all, where the page starts (1-based), and its resources. */
export interface ListPage<R> {
	total: number;
	startIndex: number;
	resources: R[];
}

/** The most resources one page holds (ServiceProviderConfig's `filter.maxResults` says the same). */
export const MAX_PAGE = 200;

/** The page a query asks for of everything that matched (RFC 7644 §3.4.2.4: `startIndex` below 1 is 1). */
export function pageOf<R>(matched: readonly R[], query: Pick<ListQuery, 'startIndex' | 'count'>): ListPage<R> {
	const startIndex = Math.max(1, query.startIndex ?? 1);
	const count = Math.min(MAX_PAGE, Math.max(0, query.count ?? MAX_PAGE));
	return { total: matched.length, startIndex, resources: matched.slice(startIndex - 1, startIndex - 1 + count) };
}

export const problem = (kind: ScimProblemKind, detail: string): ScimProblem => ({ ok: false, kind, detail });

// Entra ID sends booleans as "True"/"False" strings in some PATCH requests; both forms are accepted.
const scimBoolean = z.union([z.boolean(), z.enum(['true', 'false', 'True', 'False']).transform((value) => value.toLowerCase() === 'true')]);

/** The attributes the account itself keeps; the same rules as the admin API's for an address. */
export const UserInput = z.looseObject({
	userName: z
		.string('userName is required')
		.trim()
		.max(EMAIL_MAX_LENGTH, `userName must be at most ${EMAIL_MAX_LENGTH} characters`)
		.refine((value) => !hasUnsafeText(value), 'userName must not contain control or bidirectional-override characters')
		.transform((value) => value.toLowerCase())
		.pipe(z.email('userName must be an e-mail address')),
	externalId: z
		.string('externalId must be a string')
		.max(500, 'externalId must be at most 500 characters')
		.refine((value) => !hasUnsafeText(value), 'externalId must not contain control or bidirectional-override characters')
		.nullish(),
	active: scimBoolean.default(true),
});

/** The resource as it is read back: the account's own attributes over the kept ones. */
export function userResource(user: UserRecord, kept: ScimAttributesRecord | undefined, location: string): ScimUser {
	const attributes = kept ? (JSON.parse(kept.attributesJson) as StoredAttributes) : {};
	const lastModified = Math.max(user.createdAt, user.deactivatedAt ?? 0, kept?.updatedAt ?? 0);
	return {
		schemas: ENTERPRISE_SCHEMA in attributes ? [USER_SCHEMA, ENTERPRISE_SCHEMA] : [USER_SCHEMA],
		id: user.id,
		...(user.externalId ? { externalId: user.externalId } : {}),
		userName: user.email,
		...attributes,
		active: user.deactivatedAt === null,
		emails: Array.isArray(attributes['emails']) ? attributes['emails'] : [{ value: user.email, primary: true, type: 'work' }],
		meta: { resourceType: 'User', created: isoTime(user.createdAt), lastModified: isoTime(lastModified), location },
	};
}

/**
 * `attributes` and `excludedAttributes` (RFC 7644 §3.4.2.5) over top-level names: id, schemas and
 * meta are always returned, as are userName (returned: always).
 */
export function projectResource<R extends { [attribute: string]: unknown }>(
	resource: R,
	attributes?: readonly string[],
	excluded?: readonly string[],
): Partial<R> {
	const always = new Set(['id', 'schemas', 'meta', 'username']);
	const top = (name: string) => name.split('.')[0]!.toLowerCase();
	const wanted = attributes?.length ? new Set(attributes.map(top)) : undefined;
	const dropped = new Set((excluded ?? []).map(top));
	return Object.fromEntries(
		Object.entries(resource).filter(([key]) => {
			const name = key.toLowerCase();
			return always.has(name) || ((!wanted || wanted.has(name)) && !dropped.has(name));
		}),
	) as Partial<R>;
}

/** Accounts the service's operator made (the first admin, `admin reset-link`): not the directory's. */
export function notProvisioned(user: UserRecord, verb: string): ScimProblem | undefined {
	return user.breakGlass
		? problem(
				'notProvisioned',
				`${user.email} is a break-glass admin the service's operator made, not an account the directory provisioned: it cannot ${verb} it (leave this person unassigned in the directory)`,
			)
		: undefined;
}
