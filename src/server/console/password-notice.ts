import type { FastifyBaseLogger } from 'fastify';
import type { Clock } from '../clock';
import { mailFailure, type Mailer, type PasswordChangedMail } from '../mail';
import type { Store, UserRecord } from '../store/store';

/** Tells a person their password changed; `endedSignIns` whether their VS Code sign-ins ended with it. */
export type PasswordNotice = (user: UserRecord, how: PasswordChangedMail['how'], endedSignIns: boolean) => void;

/**
 * The notice by e-mail when SMTP is set up (nothing otherwise): sent after the answer, so a slow
 * mail server never holds up the person's page, and a send that fails is logged, not shown.
 */
export function passwordNotice(
	mailer: Mailer | undefined,
	{ store, clock, log }: { store: Pick<Store, 'getOrganization'>; clock: Clock; log: FastifyBaseLogger },
): PasswordNotice {
	return (user, how, endedSignIns) => {
		if (!mailer) {
			return;
		}
		const at = clock.now();
		const send = async () => {
			const organization = (await store.getOrganization(user.orgId))?.name ?? user.orgId;
			await mailer.passwordChanged({ to: user.email, organization, how, at, endedSignIns });
		};
		send().catch((error: unknown) => log.warn({ reason: mailFailure(error) }, 'could not e-mail a password change notice'));
	};
}
