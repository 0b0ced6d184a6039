import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { adminRoutes, type AdminRouteOptions } from './admin';
import { adminEffectiveRoutes } from './admin-effective';
import { adminGroupRoutes, type AdminGroupRouteOptions } from './admin-groups';
import { adminMemberRoutes, type AdminMemberRouteOptions } from './admin-members';
import { adminTokenRoutes } from './admin-tokens';
import { adminActivityRoutes } from './admin-activity';
import { adminPasswordResetRoutes } from './admin-password-resets';
import type { AdminApiTokens, PasswordResets } from '../accounts';
import type { AuditLog } from '../audit';
import { adminTokenKeyRoutes } from './organization-token-routes';
import type { OrganizationTokenKeys } from '../org-tokens/token-keys';
import type { Store } from '../store/store';
import type { Rollouts } from '../policy/rollouts';
import type { UsageService } from '../usage/usage-service';
import { adminRolloutRoutes } from './admin-rollout';
import { answersNotKept } from '../http/private-answers';
import { TOKEN_EXPIRES_HEADER } from '../accounts/admin-api-tokens';
import { isoTime } from '../clock';

export type AdminApiOptions = Omit<AdminRouteOptions, 'canaryGroups'> &
	Omit<AdminMemberRouteOptions, 'policies'> &
	Pick<AdminGroupRouteOptions, 'groups'> & {
		readonly store: Store;
		readonly tokenKeys: OrganizationTokenKeys;
		readonly rollouts: Rollouts;
		readonly usage: UsageService;
		readonly rolloutEnded: (orgId: string) => Promise<void>;
		readonly adminTokens: AdminApiTokens;
		readonly passwordResets: Pick<PasswordResets, 'issue' | 'withdraw'>;
		/** The activity list: written by every admin route, read by `GET /activity`. */
		readonly audit: Pick<AuditLog, 'record' | 'list'>;
	};

/** The admin API under /api/v1/admin: the policy and its effective form per member, members, groups, API tokens, token keys. */
export const adminApi: FastifyPluginAsyncZod<AdminApiOptions> = async (app, options) => {
	const {
		auth,
		policies,
		store,
		groups,
		members,
		adminTokens,
		passwordResets,
		clock,
		audit,
		publicUrl,
		mailer,
		tokenKeys,
		rollouts,
		usage,
		rolloutEnded,
		standings,
		rolesFromSso,
	} = options;
	answersNotKept(app);
	app.addHook('onSend', (request, reply, payload, done) => {
		// Automation learns its token's end from every answer (the CLI warns a week before).
		const token = request.principal?.token;
		if (token?.kind === 'admin_api' && token.expiresAt !== null) {
			reply.header(TOKEN_EXPIRES_HEADER, isoTime(token.expiresAt));
		}
		done(null, payload);
	});
	await app.register(adminRoutes, { auth, policies, audit, canaryGroups: store.groups });
	await app.register(adminRolloutRoutes, { auth, policies, rollouts, store, groups, usage, clock, ended: rolloutEnded });
	await app.register(adminEffectiveRoutes, { auth, policies, store, rollouts });
	await app.register(adminGroupRoutes, { auth, groups });
	await app.register(adminMemberRoutes, {
		auth,
		members,
		policies,
		store,
		clock,
		audit,
		publicUrl,
		mailer,
		standings,
		rolesFromSso,
	});
	await app.register(adminPasswordResetRoutes, { auth, passwordResets, store, audit, publicUrl, mailer });
	await app.register(adminTokenRoutes, { auth, adminTokens });
	await app.register(adminActivityRoutes, { auth, audit });
	await app.register(adminTokenKeyRoutes, { auth, keys: tokenKeys, audit, publicUrl });
};
