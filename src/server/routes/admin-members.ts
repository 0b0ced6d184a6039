import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import * as z from 'zod';
import { listMembers, memberExtras, MemberListingQuerySchema, memberViews, SyncCountsSchema } from '../http/member-listing';
import { RoleSchema } from '../../policy';
import type { Members } from '../accounts';
import type { AuditLog } from '../audit';
import { isoTime, type Clock } from '../clock';
import { actorOf, principalOf, requireRole, type Authenticators } from '../http/auth';
import { currentOrThrow } from '../http/policy-http';
import { ErrorSchema } from '../http/schemas';
import { invitationView, InvitationViewSchema, memberView, MemberViewSchema } from '../http/views';
import { trySending, type Mailer } from '../mail';
import type { PolicyService, PublishedRevision } from '../policy/policy-service';
import type { MemberStanding } from '../policy/member-standing';
import { machineWords } from '../policy/sign-in-standing';
import type { Store } from '../store/store';
import { EMAIL_MAX_LENGTH } from '../accounts/email-address';

export interface AdminMemberRouteOptions {
	readonly auth: Authenticators;
	readonly members: Pick<Members, 'create' | 'invite' | 'remove' | 'endSignIns' | 'endSignIn' | 'withdrawInvitation' | 'changeRole'>;
	/** Whether single sign-on's rules name the organization's admins (then its sign-ins set roles, not admins by hand). */
	readonly rolesFromSso: (orgId: string) => Promise<boolean>;
	readonly policies: Pick<PolicyService, 'current'>;
	readonly store: Pick<Store, 'listUsers' | 'listInvitations' | 'getOrganization' | 'getUser' | 'tokenKeys' | 'passwordResets'>;
	readonly clock: Clock;
	readonly audit: Pick<AuditLog, 'record'>;
	readonly publicUrl: () => string;
	readonly mailer?: Mailer | undefined;
	/** Each member's served revision and VS Code settings against the policy, read once per listing. */
	readonly standings: (current: PublishedRevision) => Promise<MemberStanding>;
}

const bearer = [{ bearerAuth: [] }];

const NewMemberSchema = z.strictObject({
	email: z
		.string('must be an email address')
		.max(EMAIL_MAX_LENGTH, `must be at most ${EMAIL_MAX_LENGTH} characters`)
		.pipe(z.email('must be an email address')),
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

/**
 * Members and invitations under /api/v1/admin: each change is written to the
 * activity list with the admin who made it.
 */
export const adminMemberRoutes: FastifyPluginAsyncZod<AdminMemberRouteOptions> = async (
	app,
	{ auth, members, policies, store, clock, audit, publicUrl, mailer, standings, rolesFromSso },
) => {
	app.addHook('onRequest', requireRole(auth, 'admin'));

	app.get(
		'/members',
		{
			schema: {
				summary: 'Members with their sync state (all, or those a search and a sync state match, a page at a time), and pending invitations',
				security: bearer,
				querystring: MemberListingQuerySchema,
				response: {
					200: z.object({
						currentRevision: z.number(),
						total: z.number().describe('Every member of the organization'),
						matching: z.number().describe('Members that `q` and `sync` match'),
						counts: SyncCountsSchema.describe('Members that `q` matches, by sync state'),
						members: z.array(MemberViewSchema),
						invitations: z.array(InvitationViewSchema),
					}),
					400: ErrorSchema,
				},
			},
		},
		async (request) => {
			const { user } = principalOf(request);
			const current = await currentOrThrow(policies, user.orgId);
			const [users, invitations, extras, standing] = await Promise.all([
				store.listUsers(user.orgId),
				store.listInvitations(user.orgId),
				memberExtras(store, user.orgId, clock.now()),
				standings(current),
			]);
			return {
				currentRevision: current.revision,
				...listMembers(memberViews(users, standing, extras), standing.groupsOf, request.query),
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
			const principal = principalOf(request);
			const { user } = principal;
			const { email, role, password } = request.body;
			if (password) {
				const created = await members.create(user.orgId, email, role, password);
				await audit.record(user.orgId, actorOf(principal), 'member.added', 'ok', { member: created.email, role });
				const current = await currentOrThrow(policies, user.orgId);
				return reply.code(201).send({ member: memberView(created, current.revision) });
			}
			const invitation = await members.invite(user.orgId, email, role, user.email);
			await audit.record(user.orgId, actorOf(principal), 'member.invited', 'ok', { member: email.trim().toLowerCase(), role });
			const link = `${publicUrl()}/invite/${invitation.token}`;
			const mail =
				mailer &&
				(await trySending(
					async () =>
						mailer.invitation({
							to: email,
							organization: (await store.getOrganization(user.orgId))?.name ?? user.orgId,
							invitedBy: user.email,
							link,
							expiresAt: invitation.expiresAt,
						}),
					// An invitation e-mail that fails leaves the invitation in place: the admin still has the link.
					(reason) => request.log.warn({ reason }, 'could not e-mail an invitation'),
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

	app.patch(
		'/members/:id',
		{
			schema: {
				summary: "Change a member's role (never the last admin's; not where single sign-on's rules name the admins)",
				security: bearer,
				params: z.object({ id: z.string().min(1) }),
				body: z.strictObject({ role: RoleSchema }),
				response: {
					200: z.object({ id: z.string(), email: z.string(), role: RoleSchema }),
					400: ErrorSchema,
					404: ErrorSchema,
					409: ErrorSchema,
				},
			},
		},
		async (request) => {
			const principal = principalOf(request);
			const { user } = principal;
			const { role } = request.body;
			const changed = await members.changeRole(user.orgId, request.params.id, role, await rolesFromSso(user.orgId));
			if (changed.from !== role) {
				await audit.record(user.orgId, actorOf(principal), 'member.role_changed', 'ok', {
					member: changed.user.email,
					from: changed.from,
					to: role,
				});
			}
			return { id: changed.user.id, email: changed.user.email, role: changed.user.role };
		},
	);

	app.delete(
		'/invitations/:email',
		{
			schema: {
				summary: "Withdraw an address's pending invitation: its link opens nothing from now on",
				security: bearer,
				params: z.object({ email: z.string().min(1).max(EMAIL_MAX_LENGTH) }),
				response: { 204: z.null(), 404: ErrorSchema },
			},
		},
		async (request, reply) => {
			const principal = principalOf(request);
			const { user } = principal;
			await members.withdrawInvitation(user.orgId, request.params.email);
			await audit.record(user.orgId, actorOf(principal), 'member.invitation_withdrawn', 'ok', {
				member: request.params.email.trim().toLowerCase(),
			});
			return reply.code(204).send(null);
		},
	);

	app.post(
		'/members/:id/sign-out',
		{
			schema: {
				summary: 'Sign a member out everywhere (every VS Code and console sign-in ends at once); they stay a member and sign in again',
				security: bearer,
				params: z.object({ id: z.string().min(1) }),
				response: { 204: z.null(), 404: ErrorSchema },
			},
		},
		async (request, reply) => {
			const principal = principalOf(request);
			const { user } = principal;
			const member = await members.endSignIns(user.orgId, request.params.id);
			await audit.record(user.orgId, actorOf(principal), 'member.signed_out', 'ok', { member: member.email });
			return reply.code(204).send(null);
		},
	);

	app.post(
		'/members/:id/sign-ins/:signInId/sign-out',
		{
			schema: {
				summary:
					"Sign one of a member's machines out (a lost laptop, a machine put away): that VS Code's sign-in ends at once and it stops counting for their sync state; their other sign-ins go on",
				security: bearer,
				params: z.object({ id: z.string().min(1), signInId: z.string().min(1).describe('A sign-in `id` from the member listing') }),
				response: { 204: z.null(), 404: ErrorSchema },
			},
		},
		async (request, reply) => {
			const principal = principalOf(request);
			const { user } = principal;
			const { user: member, signIn } = await members.endSignIn(user.orgId, request.params.id, request.params.signInId);
			await audit.record(user.orgId, actorOf(principal), 'member.sign_in_ended', 'ok', {
				member: member.email,
				machine: machineWords(signIn),
			});
			return reply.code(204).send(null);
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
			const principal = principalOf(request);
			const { user } = principal;
			const removed = await store.getUser(request.params.id);
			await members.remove(user.orgId, request.params.id);
			await audit.record(user.orgId, actorOf(principal), 'member.removed', 'ok', { member: removed?.email ?? request.params.id });
			return reply.code(204).send(null);
		},
	);
};
