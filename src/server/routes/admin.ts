import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { etagOf, PolicySettingsSchema, RoleSchema } from '../../policy';
import type { Members, Tokens } from '../accounts';
import { isoTime } from '../clock';
import { principalOf, requireRole, type Authenticators } from '../http/auth';
import { currentOrThrow, expectedRevision, INVALID_POLICY_MESSAGE, savePolicy } from '../http/policy-http';
import { ErrorSchema, sendStoredJson, signedPolicyResponse } from '../http/schemas';
import { invitationView, InvitationViewSchema, memberView, MemberViewSchema, revisionView, RevisionViewSchema } from '../http/views';
import { HttpError } from '../http/http-error';
import { settingsOfRevision, type PolicyService } from '../policy/policy-service';
import type { Store } from '../store/store';
import { mailFailure, type InvitationMail, type InvitationMailer } from '../mail';
import type { FastifyBaseLogger } from 'fastify';

export interface AdminRouteOptions {
	readonly auth: Authenticators;
	readonly members: Pick<Members, 'create' | 'invite' | 'remove'>;
	readonly tokens: Pick<Tokens, 'createAdminApiToken'>;
	readonly policies: Pick<PolicyService, 'current' | 'save' | 'history' | 'revision' | 'withKeptHeaderValues'>;
	readonly store: Pick<Store, 'listUsers' | 'listInvitations' | 'getOrganization'>;
	readonly publicUrl: () => string;
	readonly mailer?: InvitationMailer | undefined;
}

const bearer = [{ bearerAuth: [] }];

/** Headers whose saved value stays: sent empty, because the console never receives secret values. */
const KeepHeaderValuesQuery = z.object({
	keepHeaderValues: z
		.union([z.string(), z.array(z.string())])
		.transform((value) => (Array.isArray(value) ? value : [value]))
		.pipe(z.array(z.string().max(256)).max(64))
		.default([])
		.describe('Header names (repeat the parameter) whose value is sent empty and keeps the saved value'),
});

const NewMemberSchema = z.strictObject({
	email: z.email('must be an email address'),
	role: RoleSchema.default('member'),
	password: z.string().min(12, 'must be at least 12 characters').optional(),
});

const NewInvitationSchema = z.object({
	email: z.string(),
	role: RoleSchema,
	expiresAt: z.string(),
	link: z.string(),
	/** Whether the link was e-mailed (only when the service has SMTP configured). */
	emailed: z.boolean(),
	/** Why the e-mail could not be sent, when it could not: the admin passes the link on instead. */
	emailError: z.string().optional(),
});

/** An invitation e-mail that fails leaves the invitation in place: the admin still has the link. */
async function sendInvitation(
	mailer: InvitationMailer,
	mail: InvitationMail,
	log: FastifyBaseLogger,
): Promise<{ sent: boolean; error?: string }> {
	try {
		await mailer.send(mail);
		return { sent: true };
	} catch (error) {
		const reason = mailFailure(error);
		log.warn({ reason }, 'could not e-mail an invitation');
		return { sent: false, error: reason };
	}
}

/** Admin endpoints under /api/v1/admin: the policy, its history, members and automation tokens. */
export const adminRoutes: FastifyPluginAsyncZod<AdminRouteOptions> = async (
	app,
	{ auth, members, tokens, policies, store, publicUrl, mailer },
) => {
	// Who may call is settled before the body is validated: strangers learn nothing from a 400.
	app.addHook('preValidation', requireRole(auth, 'admin'));

	app.put(
		'/policy',
		{
			config: { invalidRequest: { code: 'invalid_policy', message: INVALID_POLICY_MESSAGE } },
			schema: {
				summary: 'Save a new policy revision',
				security: bearer,
				headers: z.looseObject({ 'if-match': z.string().optional().describe('The quoted revision edited, or *') }),
				querystring: KeepHeaderValuesQuery,
				body: PolicySettingsSchema,
				response: { 200: signedPolicyResponse, 400: ErrorSchema, 412: ErrorSchema, 428: ErrorSchema },
			},
			// Before validation: a kept header arrives empty and gets its saved value back.
			preValidation: async (request) => {
				const keep = KeepHeaderValuesQuery.parse(request.query).keepHeaderValues;
				const restored = await policies.withKeptHeaderValues(principalOf(request).user.orgId, request.body, keep);
				if (!restored.ok) {
					throw new HttpError(400, 'invalid_policy', INVALID_POLICY_MESSAGE, { fieldErrors: restored.errors });
				}
				request.body = restored.value as typeof request.body;
			},
		},
		async (request, reply) => {
			const { user } = principalOf(request);
			const expected = expectedRevision(request.headers['if-match']);
			const saved = await savePolicy(policies, user.orgId, request.body, expected, user.email);
			reply.header('etag', etagOf(saved.revision));
			return sendStoredJson(reply, saved.json);
		},
	);

	app.get(
		'/policy/revisions',
		{
			schema: {
				summary: 'Revision history with field diffs (header values masked), newest first',
				security: bearer,
				querystring: z.object({ limit: z.coerce.number().int().min(1).max(500).default(50) }),
				response: { 200: z.object({ revisions: z.array(RevisionViewSchema) }) },
			},
		},
		async (request) => {
			const { user } = principalOf(request);
			const limit = request.query.limit;
			const history = await policies.history(user.orgId, limit + 1);
			return { revisions: history.slice(0, limit).map((revision, index) => revisionView(revision, history[index + 1])) };
		},
	);

	app.post(
		'/policy/revisions/:revision/restore',
		{
			config: { invalidRequest: { code: 'invalid_policy', message: INVALID_POLICY_MESSAGE } },
			schema: {
				summary: "Save an earlier revision's settings as a new revision (its header values included)",
				security: bearer,
				params: z.object({ revision: z.coerce.number().int().min(1) }),
				headers: z.looseObject({ 'if-match': z.string().optional().describe('The quoted current revision, or *') }),
				response: { 200: signedPolicyResponse, 400: ErrorSchema, 404: ErrorSchema, 412: ErrorSchema, 428: ErrorSchema },
			},
		},
		async (request, reply) => {
			const { user } = principalOf(request);
			const expected = expectedRevision(request.headers['if-match']);
			const earlier = await policies.revision(user.orgId, request.params.revision);
			if (!earlier) {
				throw new HttpError(404, 'no_revision', `there is no revision ${request.params.revision}`);
			}
			// Saved again through the same rules: a revision that no longer passes them is refused, naming the fields.
			const saved = await savePolicy(policies, user.orgId, settingsOfRevision(earlier), expected, user.email);
			reply.header('etag', etagOf(saved.revision));
			return sendStoredJson(reply, saved.json);
		},
	);

	app.get(
		'/members',
		{
			schema: {
				summary: 'Members with their sync state, and pending invitations',
				security: bearer,
				response: {
					200: z.object({ currentRevision: z.number(), members: z.array(MemberViewSchema), invitations: z.array(InvitationViewSchema) }),
				},
			},
		},
		async (request) => {
			const { user } = principalOf(request);
			const current = await currentOrThrow(policies, user.orgId);
			const [users, invitations] = await Promise.all([store.listUsers(user.orgId), store.listInvitations(user.orgId)]);
			return {
				currentRevision: current.revision,
				members: users.map((member) => memberView(member, current.revision)),
				invitations: invitations.map(invitationView),
			};
		},
	);

	app.post(
		'/members',
		{
			schema: {
				summary: 'Add a member (with a password) or invite one (without)',
				security: bearer,
				body: NewMemberSchema,
				response: {
					201: z.union([z.object({ member: MemberViewSchema }), z.object({ invitation: NewInvitationSchema })]),
					400: ErrorSchema,
					409: ErrorSchema,
				},
			},
		},
		async (request, reply) => {
			const { user } = principalOf(request);
			const { email, role, password } = request.body;
			if (password) {
				const created = await members.create(user.orgId, email, role, password);
				const current = await currentOrThrow(policies, user.orgId);
				return reply.code(201).send({ member: memberView(created, current.revision) });
			}
			const invitation = await members.invite(user.orgId, email, role, user.email);
			const link = `${publicUrl()}/invite/${invitation.token}`;
			const mail =
				mailer &&
				(await sendInvitation(
					mailer,
					{
						to: email,
						organization: (await store.getOrganization(user.orgId))?.name ?? user.orgId,
						invitedBy: user.email,
						link,
						expiresAt: invitation.expiresAt,
					},
					request.log,
				));
			return reply.code(201).send({
				invitation: {
					email,
					role,
					expiresAt: isoTime(invitation.expiresAt),
					link,
					emailed: mail?.sent ?? false,
					...(mail?.error ? { emailError: mail.error } : {}),
				},
			});
		},
	);

	app.delete(
		'/members/:id',
		{
			schema: {
				summary: 'Remove a member and revoke their tokens at once',
				security: bearer,
				params: z.object({ id: z.string().min(1) }),
				response: { 204: z.null(), 404: ErrorSchema, 409: ErrorSchema },
			},
		},
		async (request, reply) => {
			const { user } = principalOf(request);
			await members.remove(user.orgId, request.params.id);
			return reply.code(204).send(null);
		},
	);

	app.post(
		'/tokens',
		{
			schema: {
				summary: 'Create an admin API token for automation (shown once)',
				security: bearer,
				body: z.strictObject({ label: z.string().min(1).max(100) }),
				response: { 201: z.object({ token: z.string(), label: z.string() }), 400: ErrorSchema },
			},
		},
		async (request, reply) => {
			const { user } = principalOf(request);
			return reply.code(201).send({ token: await tokens.createAdminApiToken(user, request.body.label), label: request.body.label });
		},
	);
};
