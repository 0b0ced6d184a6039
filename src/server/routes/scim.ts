import type { FastifyReply, FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import * as z from 'zod';
import { hashSecret } from '../crypto';
import { ScimDiscovery } from '../sso/scim-discovery';
import {
	LIST_SCHEMA,
	pageOf,
	projectResource,
	SEARCH_SCHEMA,
	type ListQuery,
	type ScimProblemKind,
	type ScimResult,
} from '../sso/scim-resource';
import type { ScimUsers } from '../sso/scim-users';
import type { ScimGroups } from '../groups/scim-groups';
import type { IdentityStore } from '../store/identity-store';
import { isStoreUnavailable, STORE_UNAVAILABLE } from '../http/errors';
import { parseJsonBody } from '../http/json-body';

export interface ScimRouteOptions {
	readonly users: ScimUsers;
	readonly groups: ScimGroups;
	readonly identity: Pick<IdentityStore, 'findScimOrganization'>;
	readonly publicUrl: () => string;
}

const ERROR_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:Error';
const SCIM_TYPE = 'application/scim+json; charset=utf-8';
/** SCIM bodies are small; a larger one is refused before it is parsed. */
const BODY_LIMIT = 256 * 1024;

/** RFC 7644 §3.12: each problem's HTTP status and `scimType` (none for 404, 403 and the last admin). */
const PROBLEM_STATUS: Record<ScimProblemKind, { status: number; scimType?: string }> = {
	invalidFilter: { status: 400, scimType: 'invalidFilter' },
	invalidSyntax: { status: 400, scimType: 'invalidSyntax' },
	invalidValue: { status: 400, scimType: 'invalidValue' },
	invalidPath: { status: 400, scimType: 'invalidPath' },
	noTarget: { status: 400, scimType: 'noTarget' },
	mutability: { status: 400, scimType: 'mutability' },
	uniqueness: { status: 409, scimType: 'uniqueness' },
	notFound: { status: 404 },
	lastAdmin: { status: 409 },
	notProvisioned: { status: 403 },
};

declare module 'fastify' {
	interface FastifyRequest {
		scimOrgId?: string;
	}
}

const IdParams = z.object({ id: z.string().min(1).max(100) });
const names = z
	.string()
	.max(2000)
	.transform((value) => value.split(',').map((name) => name.trim()))
	.optional();
const Projection = { attributes: names, excludedAttributes: names };
const ProjectionQuery = z.object(Projection);
type Projected = z.infer<typeof ProjectionQuery>;

/** A SCIM resource as the services answer it: its attributes, and where it lives. */
type ScimResource = { [attribute: string]: unknown; meta: { location: string } };

/** What one resource type's service answers (Users and Groups alike), each call a result the routes map to a status. */
interface ScimResources<R extends ScimResource> {
	/** Every resource the filter matches (all without one), in the order lists show them. */
	matching(orgId: string, filter: string | undefined): Promise<ScimResult<R[]>>;
	create(orgId: string, body: unknown): Promise<ScimResult<R>>;
	get(orgId: string, id: string): Promise<ScimResult<R>>;
	replace(orgId: string, id: string, body: unknown): Promise<ScimResult<R>>;
	patch(orgId: string, id: string, body: unknown): Promise<ScimResult<R>>;
	delete(orgId: string, id: string): Promise<ScimResult<undefined>>;
}

const ListParams = z.object({
	filter: z.string().max(1000).optional(),
	startIndex: z.coerce.number().int().optional(),
	count: z.coerce.number().int().optional(),
	...Projection,
});
/** RFC 7644 §3.4.3: the same query as a POST body. */
const SearchRequest = z.looseObject({
	schemas: z.array(z.string()).refine((schemas) => schemas.includes(SEARCH_SCHEMA), `schemas must contain ${SEARCH_SCHEMA}`),
	filter: z.string().max(1000).optional(),
	startIndex: z.number().int().optional(),
	count: z.number().int().optional(),
	attributes: z.array(z.string().max(200)).max(100).optional(),
	excludedAttributes: z.array(z.string().max(200)).max(100).optional(),
});

/**
 * SCIM 2.0 for Entra ID and Okta provisioning, under `/scim/v2`: discovery (ServiceProviderConfig,
 * ResourceTypes, Schemas), Users and Groups, each with its `.search`, and `/.search` across both.
 * Its bearer token opens these routes only, and no other token opens them. Bodies are `application/scim+json` or `application/json`; every answer is
 * `application/scim+json`, errors in RFC 7644 §3.12's shape.
 */
export const scimRoutes: FastifyPluginAsyncZod<ScimRouteOptions> = async (app, { users, groups, identity, publicUrl }) => {
	const discovery = new ScimDiscovery(() => `${publicUrl()}/scim/v2`);
	// People's records: no cache keeps them.
	const send = (reply: FastifyReply, status: number, body: unknown) =>
		reply.code(status).type(SCIM_TYPE).header('cache-control', 'no-store').send(body);
	const error = (reply: FastifyReply, status: number, detail: string, scimType?: string) =>
		send(reply, status, { schemas: [ERROR_SCHEMA], status: String(status), ...(scimType ? { scimType } : {}), detail });
	const answer = <T>(reply: FastifyReply, result: ScimResult<T>, status: number, body: (value: T) => unknown) => {
		if (!result.ok) {
			const mapped = PROBLEM_STATUS[result.kind];
			return error(reply, mapped.status, result.detail, mapped.scimType);
		}
		return status === 204 ? reply.code(204).send() : send(reply, status, body(result.value));
	};

	// Only SCIM's two media types; any other body is a 415 (RFC 7644 §3.1, §3.8).
	app.removeAllContentTypeParsers();
	app.addContentTypeParser(
		['application/scim+json', 'application/json'],
		{ parseAs: 'string', bodyLimit: BODY_LIMIT },
		(_request, body, done) => {
			if (body === '') {
				done(null, undefined);
				return;
			}
			const read = parseJsonBody(String(body));
			if (read.ok) {
				done(null, read.value);
			} else {
				done(Object.assign(new Error(read.message), { statusCode: 400, scimType: 'invalidSyntax' }), undefined);
			}
		},
	);
	app.setErrorHandler((failure: Error & { statusCode?: number; scimType?: string; code?: string }, request, reply) => {
		const status = failure.statusCode ?? 500;
		if (isStoreUnavailable(failure)) {
			// A directory retries a 503 when Retry-After says (RFC 7644 §3.12), rather than counting a failure.
			request.log.error({ err: failure }, 'the database is out of reach');
			reply.header('retry-after', String(STORE_UNAVAILABLE.retryAfterSeconds));
			return error(reply, STORE_UNAVAILABLE.status, STORE_UNAVAILABLE.message);
		}
		if (status >= 500) {
			request.log.error({ err: failure }, 'SCIM request failed');
			return error(reply, 500, 'internal error; see the service log');
		}
		if (status === 415) {
			return error(reply, 415, 'send the body as application/scim+json (or application/json)');
		}
		return error(reply, status, failure.message, failure.scimType ?? (status === 400 ? 'invalidValue' : undefined));
	});
	app.addHook('onRequest', async (request: FastifyRequest, reply: FastifyReply) => {
		const match = /^Bearer\s+(\S+)$/i.exec(request.headers.authorization ?? '');
		const orgId = match ? await identity.findScimOrganization(hashSecret(match[1]!)) : undefined;
		if (!orgId) {
			reply.header('www-authenticate', 'Bearer realm="scim"');
			return error(reply, 401, 'the SCIM token is missing or not current: create one in the console under Single sign-on');
		}
		request.scimOrgId = orgId;
	});
	// Anything else: a SCIM error, so a directory reads it as one.
	app.setNotFoundHandler((request, reply) =>
		error(reply, 404, `this service provisions Users and Groups; there is no ${request.method} ${request.url.split('?')[0]}`),
	);
	const orgOf = (request: FastifyRequest) => request.scimOrgId!;
	const hidden = { hide: true };

	app.get('/ServiceProviderConfig', { schema: hidden }, async (_request, reply) =>
		send(reply, 200, discovery.serviceProviderConfig(`${publicUrl()}/console/sso`)),
	);
	app.get('/ResourceTypes', { schema: hidden }, async (_request, reply) => send(reply, 200, discovery.list(discovery.resourceTypes())));
	app.get('/ResourceTypes/:id', { schema: { ...hidden, params: IdParams } }, async (request, reply) => {
		const found = discovery.resourceTypes().find((type) => type.id === request.params.id);
		return found ? send(reply, 200, found) : error(reply, 404, `no ResourceType ${request.params.id}`);
	});
	app.get('/Schemas', { schema: hidden }, async (_request, reply) => send(reply, 200, discovery.list(discovery.schemas())));
	app.get('/Schemas/:id', { schema: { ...hidden, params: z.object({ id: z.string().max(200) }) } }, async (request, reply) => {
		const found = discovery.schemas().find((schema) => schema.id === request.params.id);
		return found ? send(reply, 200, found) : error(reply, 404, `no Schema ${request.params.id}`);
	});

	/** A list (RFC 7644 §3.4.2): the page the query asks for of what matched, each resource projected as asked. */
	const sendList = (reply: FastifyReply, query: ListQuery & Projected, matched: ScimResult<ScimResource[]>) =>
		answer(reply, matched, 200, (resources) => {
			const page = pageOf(resources, query);
			return {
				schemas: [LIST_SCHEMA],
				totalResults: page.total,
				startIndex: page.startIndex,
				itemsPerPage: page.resources.length,
				Resources: page.resources.map((resource) => projectResource(resource, query.attributes, query.excludedAttributes)),
			};
		});
	/**
	 * One resource type's endpoints (RFC 7644 §3.3–§3.6): list with filter and paging, the same as a
	 * POST `.search`, create, read, replace, PATCH and delete, each read back as the caller projected it.
	 */
	const resourceRoutes = <R extends ScimResource>(path: string, resources: ScimResources<R>) => {
		app.get(path, { schema: { ...hidden, querystring: ListParams } }, async (request, reply) =>
			sendList(reply, request.query, await resources.matching(orgOf(request), request.query.filter)),
		);
		app.post(`${path}/.search`, { schema: { ...hidden, body: SearchRequest } }, async (request, reply) =>
			sendList(reply, request.body, await resources.matching(orgOf(request), request.body.filter)),
		);
		const projectedAs = (request: FastifyRequest<{ Querystring: Projected }>) => (resource: R) =>
			projectResource(resource, request.query.attributes, request.query.excludedAttributes);
		app.post(path, { schema: projected }, async (request, reply) => {
			const result = await resources.create(orgOf(request), request.body);
			if (result.ok) {
				reply.header('location', result.value.meta.location);
			}
			return answer(reply, result, 201, projectedAs(request));
		});
		app.get(`${path}/:id`, { schema: withId }, async (request, reply) =>
			answer(reply, await resources.get(orgOf(request), request.params.id), 200, projectedAs(request)),
		);
		app.put(`${path}/:id`, { schema: withId }, async (request, reply) =>
			answer(reply, await resources.replace(orgOf(request), request.params.id, request.body), 200, projectedAs(request)),
		);
		app.patch(`${path}/:id`, { schema: withId }, async (request, reply) =>
			answer(reply, await resources.patch(orgOf(request), request.params.id, request.body), 200, projectedAs(request)),
		);
		app.delete(`${path}/:id`, { schema: { ...hidden, params: IdParams } }, async (request, reply) =>
			answer(reply, await resources.delete(orgOf(request), request.params.id), 204, () => undefined),
		);
	};
	const projected = { ...hidden, querystring: ProjectionQuery };
	const withId = { ...projected, params: IdParams };
	resourceRoutes('/Users', users);
	resourceRoutes('/Groups', groups);
	// RFC 7644 §3.4.3: a search at the root covers every resource type, Users first, then Groups; an
	// attribute one type does not have matches none of its resources.
	const everything = async (orgId: string, filter: string | undefined): Promise<ScimResult<ScimResource[]>> => {
		const people = await users.matching(orgId, filter);
		if (!people.ok) {
			return people;
		}
		const teams = await groups.matching(orgId, filter);
		return teams.ok ? { ok: true, value: [...people.value, ...teams.value] } : teams;
	};
	app.post('/.search', { schema: { ...hidden, body: SearchRequest } }, async (request, reply) =>
		sendList(reply, request.body, await everything(orgOf(request), request.body.filter)),
	);
};
