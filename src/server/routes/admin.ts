import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { etagOf, parseIfMatch } from '../../policy';
import type { Accounts } from '../accounts';
import { principalOf, requireRole } from '../auth';
import { HttpError } from '../http-error';
import type { PolicyService, PublishedRevision } from '../policy-service';
import { settingsOfRevision } from '../policy-service';
import { diffSettings } from '../revision-diff';
import { isoTime } from '../clock';
import type { Store, UserRecord } from '../store/store';
import { currentOrThrow } from './policy';

export type SyncState = 'in sync' | 'behind' | 'never synced';

export interface MemberView {
	id: string;
	email: string;
	role: UserRecord['role'];
	createdAt: string;
	lastSeenAt: string | null;
	appliedRevision: number | null;
	appliedAt: string | null;
	sync: SyncState;
}

export function memberView(user: UserRecord, currentRevision: number): MemberView {
	return {
		id: user.id,
		email: user.email,
		role: user.role,
		createdAt: isoTime(user.createdAt),
		lastSeenAt: isoTime(user.lastSeenAt),
		appliedRevision: user.appliedRevision,
		appliedAt: isoTime(user.appliedAt),
		sync: user.appliedRevision === null ? 'never synced' : user.appliedRevision >= currentRevision ? 'in sync' : 'behind',
	};
}

export function revisionView(revision: PublishedRevision, previous: PublishedRevision | undefined) {
	return {
		revision: revision.revision,
		updatedAt: isoTime(revision.createdAt),
		updatedBy: revision.createdBy,
		enabled: revision.signed.policy.enabled,
		changes: diffSettings(previous && settingsOfRevision(previous), settingsOfRevision(revision)),
	};
}

const NewMemberSchema = z.strictObject({
	email: z.email('must be an email address'),
	role: z.enum(['admin', 'member']).default('member'),
	password: z.string().min(12, 'must be at least 12 characters').optional(),
});

const NewTokenSchema = z.strictObject({ label: z.string().min(1).max(100) });

/** Interprets If-Match for a policy write: required, so two admins never overwrite each other silently. */
export function expectedRevision(header: string | undefined): number | 'any' {
	const ifMatch = parseIfMatch(header);
	switch (ifMatch.kind) {
		case 'absent':
			throw new HttpError(428, 'precondition_required', 'send If-Match: "<revision>" with the revision you edited (or * to overwrite whatever is current)');
		case 'invalid':
			throw new HttpError(400, 'invalid_request', 'If-Match: must be a quoted revision such as "12", or *');
		case 'any':
			return 'any';
		case 'revision':
			return ifMatch.revision;
	}
}

export async function savePolicy(policies: PolicyService, orgId: string, body: unknown, expected: number | 'any', author: string): Promise<PublishedRevision> {
	const result = await policies.save(orgId, body, expected, author);
	switch (result.kind) {
		case 'invalid':
			throw new HttpError(400, 'invalid_policy', 'the policy was not saved: fix the fields named', { fieldErrors: result.errors });
		case 'conflict': {
			const current = result.current;
			throw new HttpError(
				412,
				'stale_revision',
				current
					? `the policy changed since you loaded it: revision ${current.revision} by ${current.createdBy} at ${isoTime(current.createdAt)}; reload and apply your change again`
					: 'the policy changed since you loaded it; reload',
				{ details: current ? { revision: current.revision, updatedBy: current.createdBy, updatedAt: isoTime(current.createdAt) } : {} },
			);
		}
		case 'saved':
			return result.revision;
	}
}

export function adminRoutes(app: FastifyInstance, deps: { accounts: Accounts; policies: PolicyService; store: Store; publicUrl: () => string }): void {
	const { accounts, policies, store } = deps;
	const admin = requireRole(accounts, 'admin');

	app.put('/api/v1/admin/policy', { preHandler: admin }, async (request, reply) => {
		const { user } = principalOf(request);
		const expected = expectedRevision(request.headers['if-match']);
		const saved = await savePolicy(policies, user.orgId, request.body, expected, user.email);
		reply.header('etag', etagOf(saved.revision));
		return reply.type('application/json; charset=utf-8').send(saved.json);
	});

	app.get('/api/v1/admin/policy/revisions', { preHandler: admin }, async (request) => {
		const { user } = principalOf(request);
		const limit = Math.min(Math.max(Number((request.query as Record<string, string>).limit ?? 50) || 50, 1), 500);
		const history = await policies.history(user.orgId, limit + 1);
		return { revisions: history.slice(0, limit).map((revision, index) => revisionView(revision, history[index + 1])) };
	});

	app.get('/api/v1/admin/members', { preHandler: admin }, async (request) => {
		const { user } = principalOf(request);
		const current = await currentOrThrow(policies, user.orgId);
		const [users, invitations] = await Promise.all([store.listUsers(user.orgId), store.listInvitations(user.orgId)]);
		return {
			currentRevision: current.revision,
			members: users.map((member) => memberView(member, current.revision)),
			invitations: invitations.map(({ email, role, createdAt, expiresAt, createdBy }) => ({ email, role, createdAt: isoTime(createdAt), expiresAt: isoTime(expiresAt), createdBy })),
		};
	});

	app.post('/api/v1/admin/members', { preHandler: admin }, async (request, reply) => {
		const { user } = principalOf(request);
		const parsed = NewMemberSchema.safeParse(request.body, { reportInput: true });
		if (!parsed.success) {
			throw new HttpError(400, 'invalid_request', parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; '));
		}
		const { email, role, password } = parsed.data;
		if (password) {
			const created = await accounts.createUser(user.orgId, email, role, password);
			const current = await currentOrThrow(policies, user.orgId);
			return reply.code(201).send({ member: memberView(created, current.revision) });
		}
		const invitation = await accounts.invite(user.orgId, email, role, user.email);
		return reply.code(201).send({
			invitation: { email, role, expiresAt: isoTime(invitation.expiresAt), link: `${deps.publicUrl()}/invite/${invitation.token}` },
		});
	});

	app.delete('/api/v1/admin/members/:id', { preHandler: admin }, async (request, reply) => {
		const { user } = principalOf(request);
		await accounts.removeUser(user.orgId, (request.params as { id: string }).id);
		return reply.code(204).send();
	});

	app.post('/api/v1/admin/tokens', { preHandler: admin }, async (request, reply) => {
		const { user } = principalOf(request);
		const parsed = NewTokenSchema.safeParse(request.body);
		if (!parsed.success) {
			throw new HttpError(400, 'invalid_request', 'label: a name of 1–100 characters for the token');
		}
		return reply.code(201).send({ token: await accounts.createAdminApiToken(user, parsed.data.label), label: parsed.data.label });
	});
}
