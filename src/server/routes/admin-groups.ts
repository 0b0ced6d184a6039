import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import * as z from 'zod';
import { actorOf, principalOf, requireRole, type Authenticators } from '../http/auth';
import { HttpError } from '../http/http-error';
import { ErrorSchema } from '../http/schemas';
import { GroupChangeSchema, GroupNameSchema, type GroupResult, type GroupsService } from '../groups/groups-service';
import { EMAIL_MAX_LENGTH } from '../accounts/email-address';

export interface AdminGroupRouteOptions {
	readonly auth: Authenticators;
	readonly groups: GroupsService;
}

const bearer = [{ bearerAuth: [] }];
const GroupSchema = z.object({
	id: z.string(),
	displayName: z.string(),
	source: z
		.enum(['console', 'scim', 'sso'])
		.describe('Who manages the group: the console, the directory (SCIM) or the sign-in group claim'),
	editable: z.boolean(),
	members: z.array(z.string()).describe("Members' e-mail addresses"),
});

function valueOf(result: GroupResult) {
	if (!result.ok) {
		throw new HttpError(
			result.status,
			result.status === 404 ? 'not_found' : result.status === 409 ? 'conflict' : 'invalid_request',
			result.message,
			{
				...(result.errors ? { fieldErrors: result.errors } : {}),
			},
		);
	}
	return result.value;
}

/** Groups under /api/v1/admin/groups: listed with their members, made, renamed, members added and removed, deleted. */
export const adminGroupRoutes: FastifyPluginAsyncZod<AdminGroupRouteOptions> = async (app, { auth, groups }) => {
	app.addHook('onRequest', requireRole(auth, 'admin'));
	const IdParams = z.object({ id: z.string().max(100) });

	app.get(
		'/groups',
		{ schema: { summary: 'Groups with their members', security: bearer, response: { 200: z.object({ groups: z.array(GroupSchema) }) } } },
		async (request) => ({
			groups: await groups.list(principalOf(request).user.orgId),
		}),
	);

	app.post(
		'/groups',
		{
			schema: {
				summary: 'Make a group in the console (members by e-mail)',
				security: bearer,
				body: z.strictObject({ displayName: GroupNameSchema, members: z.array(z.string().max(EMAIL_MAX_LENGTH)).max(1000).default([]) }),
				response: { 201: GroupSchema, 400: ErrorSchema, 409: ErrorSchema },
			},
		},
		async (request, reply) => {
			const principal = principalOf(request);
			const { user } = principal;
			return reply
				.code(201)
				.send(valueOf(await groups.create(user.orgId, actorOf(principal), request.body.displayName, request.body.members)));
		},
	);

	app.patch(
		'/groups/:id',
		{
			schema: {
				summary: 'Rename a console group, add and remove members (by e-mail)',
				security: bearer,
				params: IdParams,
				body: GroupChangeSchema,
				response: { 200: GroupSchema, 400: ErrorSchema, 404: ErrorSchema, 409: ErrorSchema },
			},
		},
		async (request) => {
			const principal = principalOf(request);
			const { user } = principal;
			return valueOf(await groups.change(user.orgId, actorOf(principal), request.params.id, request.body));
		},
	);

	app.delete(
		'/groups/:id',
		{
			schema: {
				summary: 'Delete a console group',
				security: bearer,
				params: IdParams,
				response: { 204: z.null(), 404: ErrorSchema, 409: ErrorSchema },
			},
		},
		async (request, reply) => {
			const principal = principalOf(request);
			const { user } = principal;
			const result = await groups.delete(user.orgId, actorOf(principal), request.params.id);
			if (!result.ok) {
				valueOf(result);
			}
			return reply.code(204).send(null);
		},
	);
};
