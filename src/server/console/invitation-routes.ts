import type { FastifyReply } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import * as z from 'zod';
import { DomainError, OPERATOR, type Members } from '../accounts';
import type { AuditLog } from '../audit';
import type { ServerConfig } from '../config';
import { domainStatus } from '../http/errors';
import type { SingleSignOn } from '../sso/single-sign-on';
import type { InvitationRecord, Store, UserRecord } from '../store/store';
import type { ConsoleKit } from './kit';
import { signInPages, VSCODE_EXTENSION_ID } from './sign-in-pages';

export interface InvitationRouteOptions {
	readonly kit: ConsoleKit;
	readonly members: Pick<Members, 'acceptInvitation' | 'checkInvitation'>;
	readonly sso: Pick<SingleSignOn, 'offer'>;
	readonly store: Pick<Store, 'getOrganization'>;
	readonly config: Pick<ServerConfig, 'publicUrl' | 'extensionInstallUrl'>;
	readonly audit: Pick<AuditLog, 'record'>;
	readonly loginLimit: { rateLimit: { max: number; timeWindow: string } };
}

const InviteParams = z.object({ token: z.string() });

/** The page that connects VS Code once a member's password is set (after an invitation or a reset) or they joined through SSO. */
export async function connectVsCodePage(
	{ store, config }: { store: Pick<Store, 'getOrganization'>; config: Pick<ServerConfig, 'publicUrl' | 'extensionInstallUrl'> },
	user: UserRecord,
	how: { sso?: string | undefined; afterReset?: boolean },
): Promise<string> {
	const organization = await store.getOrganization(user.orgId);
	return signInPages.welcome({
		serverUrl: config.publicUrl,
		organizationId: user.orgId,
		organizationName: organization?.name ?? user.orgId,
		installUrl: config.extensionInstallUrl ?? `vscode:extension/${VSCODE_EXTENSION_ID}`,
		...how,
	});
}

/**
 * The one-time invitation link: the invited person sets a password — or, where the organization
 * signs in with single sign-on only, just joins (no password that could not be used). The
 * operator's own admin links (first start, `admin reset-link`) always set a password: break-glass.
 */
export const invitationRoutes: FastifyPluginAsyncZod<InvitationRouteOptions> = async (
	app,
	{ kit, members, sso, store, config, audit, loginLimit },
) => {
	const { sendPage, guard, guarded, formOf } = kit;
	/** Who the invitation is for, and the identity provider's name when it joins without a password. */
	const accountOf = async (invitation: InvitationRecord): Promise<{ email: string; ssoOnly?: string | undefined }> => {
		const offer = invitation.createdBy !== OPERATOR ? await sso.offer(invitation.orgId) : undefined;
		return { email: invitation.email, ssoOnly: offer && !offer.passwordSignIn ? offer.displayName : undefined };
	};
	const sendRefusal = (reply: FastifyReply, refused: DomainError) =>
		sendPage(reply, signInPages.invitationRefused(invitationRefusal(refused)), domainStatus(refused));

	app.get('/invite/:token', { schema: { params: InviteParams } }, async (request, reply) => {
		const { token } = request.params;
		const checked = await members.checkInvitation(token);
		if ('refused' in checked) {
			return sendRefusal(reply, checked.refused);
		}
		return sendPage(reply, signInPages.invitation(token, guard.tokenFor(request, reply), undefined, await accountOf(checked.invitation)));
	});

	app.post('/invite/:token', { config: loginLimit, schema: { params: InviteParams } }, async (request, reply) => {
		const { token } = request.params;
		const checked = await members.checkInvitation(token);
		if ('refused' in checked) {
			// Withdrawn, used or expired while the page was open.
			return sendRefusal(reply, checked.refused);
		}
		const account = await accountOf(checked.invitation);
		const provider = account.ssoOnly;
		const again = (error: string, status: number) =>
			sendPage(reply, signInPages.invitation(token, guard.tokenFor(request, reply), error, account), status);
		return guarded(
			request,
			reply,
			(formToken, error) => signInPages.invitation(token, formToken, error, account),
			async () => {
				const password = formOf(request).password ?? '';
				if (!provider && password.length < 12) {
					return again('The password must be at least 12 characters.', 400);
				}
				try {
					const user = await members.acceptInvitation(token, provider ? null : password);
					await audit.record(user.orgId, user.email, 'invitation.accepted', 'ok', { role: user.role, breakGlass: user.breakGlass });
					if (user.role === 'admin' && !provider) {
						await kit.signIn(reply, user);
						return reply.redirect('/console/settings', 303);
					}
					return sendPage(reply, await connectVsCodePage({ store, config }, user, { sso: provider }));
				} catch (error) {
					if (error instanceof DomainError) {
						// Only a password the rules refuse is typed again; a link that stopped working just now says so.
						return error.code === 'weak_password' ? again(error.message, domainStatus(error)) : sendRefusal(reply, error);
					}
					throw error;
				}
			},
		);
	});
};

/** Why an invitation link opens nothing, in the words the person needs. */
function invitationRefusal(error: DomainError): string {
	switch (error.code) {
		case 'invalid_invitation':
			return 'This invitation link is not valid: it was used, withdrawn or replaced by a newer one. Ask your admin for a new one.';
		case 'expired_invitation':
			return 'This invitation link has expired. Ask your admin for a new one.';
		default:
			return `${error.message}.`;
	}
}
