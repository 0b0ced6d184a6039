import type { FastifyReply, FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { hashSecret } from '../crypto';
import { LIST_SCHEMA, type ScimProblemKind, type ScimResult, type ScimUsers } from '../sso/scim-users';
import type { IdentityStore } from '../store/identity-store';

export interface ScimRouteOptions {
	readonly users: ScimUsers;
	readonly identity: Pick<IdentityStore, 'findScimOrganization'>;
	readonly publicUrl: () => string;
}

const ERROR_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:Error';
const SCIM_TYPE = 'application/scim+json; charset=utf-8';

/** RFC 7644 §3.12: each problem's HTTP status and `scimType` (none for 404 and the last admin). */
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
};

declare module 'fastify' {
	interface FastifyRequest {
		scimOrgId?: string;
	}
}

const IdParams = z.object({ id: z.string().min(1).max(100) });
const ListQuery = z.object({
	filter: z.string().max(1000).optional(),
	startIndex: z.coerce.number().int().optional(),
	count: z.coerce.number().int().optional(),
});

/**
 * SCIM 2.0 `Users` for Entra ID and Okta provisioning, under `/scim/v2`. Its bearer token opens
 * these routes only, and no other token opens them. Every answer is `application/scim+json`,
 * errors in RFC 7644 §3.12's shape.
 */
export const scimRoutes: FastifyPluginAsyncZod<ScimRouteOptions> = async (app, { users, identity, publicUrl }) => {
	const send = (reply: FastifyReply, status: number, body: unknown) => reply.code(status).type(SCIM_TYPE).send(body);
	const error = (reply: FastifyReply, status: number, detail: string, scimType?: string) =>
		send(reply, status, { schemas: [ERROR_SCHEMA], status: String(status), ...(scimType ? { scimType } : {}), detail });
	const answer = <T>(reply: FastifyReply, result: ScimResult<T>, status: number, body: (value: T) => unknown) => {
		if (!result.ok) {
			const mapped = PROBLEM_STATUS[result.kind];
			return error(reply, mapped.status, result.detail, mapped.scimType);
		}
		return status === 204 ? reply.code(204).send() : send(reply, status, body(result.value));
	};

	app.addContentTypeParser(['application/scim+json', 'application/json'], { parseAs: 'string' }, (_request, body, done) => {
		try {
			done(null, body === '' ? undefined : JSON.parse(String(body)));
		} catch {
			done(Object.assign(new Error('the body is not JSON'), { statusCode: 400, scimType: 'invalidSyntax' }), undefined);
		}
	});
	app.setErrorHandler((failure: Error & { statusCode?: number; scimType?: string }, request, reply) => {
		const status = failure.statusCode ?? 500;
		if (status >= 500) {
			request.log.error({ err: failure }, 'SCIM request failed');
			return error(reply, 500, 'internal error; see the service log');
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
	// Groups, Schemas, ResourceTypes and anything else: a SCIM error, so a directory reads it as one.
	app.setNotFoundHandler((request, reply) =>
		error(reply, 404, `this service provisions Users only; there is no ${request.method} ${request.url.split('?')[0]}`),
	);
	const orgOf = (request: FastifyRequest) => request.scimOrgId!;
	const hidden = { hide: true };

	app.get('/ServiceProviderConfig', { schema: hidden }, async (_request, reply) =>
		send(reply, 200, {
			schemas: ['urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig'],
			documentationUri: `${publicUrl()}/console/sso`,
			patch: { supported: true },
			bulk: { supported: false, maxOperations: 0, maxPayloadSize: 0 },
			filter: { supported: true, maxResults: 200 },
			changePassword: { supported: false },
			sort: { supported: false },
			etag: { supported: false },
			authenticationSchemes: [
				{ type: 'oauthbearertoken', name: 'OAuth Bearer Token', description: 'The SCIM token from the console', primary: true },
			],
		}),
	);

	app.get('/Users', { schema: { ...hidden, querystring: ListQuery } }, async (request, reply) =>
		answer(reply, await users.list(orgOf(request), request.query), 200, (page) => ({
			schemas: [LIST_SCHEMA],
			totalResults: page.total,
			startIndex: page.startIndex,
			itemsPerPage: page.resources.length,
			Resources: page.resources,
		})),
	);
	app.post('/Users', { schema: hidden }, async (request, reply) => {
		const result = await users.create(orgOf(request), request.body);
		if (result.ok) {
			reply.header('location', result.value.meta.location);
		}
		return answer(reply, result, 201, (user) => user);
	});
	app.get('/Users/:id', { schema: { ...hidden, params: IdParams } }, async (request, reply) =>
		answer(reply, await users.get(orgOf(request), request.params.id), 200, (user) => user),
	);
	app.put('/Users/:id', { schema: { ...hidden, params: IdParams } }, async (request, reply) =>
		answer(reply, await users.replace(orgOf(request), request.params.id, request.body), 200, (user) => user),
	);
	app.patch('/Users/:id', { schema: { ...hidden, params: IdParams } }, async (request, reply) =>
		answer(reply, await users.patch(orgOf(request), request.params.id, request.body), 200, (user) => user),
	);
	app.delete('/Users/:id', { schema: { ...hidden, params: IdParams } }, async (request, reply) =>
		answer(reply, await users.delete(orgOf(request), request.params.id), 204, () => undefined),
	);
};
