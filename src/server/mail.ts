import type * as Nodemailer from 'nodemailer';

export interface InvitationMail {
	to: string;
	organization: string;
	invitedBy: string;
	link: string;
	/** Milliseconds since the epoch. */
	expiresAt: number;
}

export interface PasswordResetMail {
	to: string;
	organization: string;
	/** The admin who made the link. */
	sentBy: string;
	link: string;
	/** Milliseconds since the epoch. */
	expiresAt: number;
}

/** Tells a person their password changed, so one they did not change is noticed (NIST SP 800-63B §6.1.2.3). */
export interface PasswordChangedMail {
	to: string;
	organization: string;
	/** `changed`: with the current password; `reset`: with a one-time link an admin (or the operator) made. */
	how: 'changed' | 'reset';
	/** Milliseconds since the epoch. */
	at: number;
	endedSignIns: boolean;
}

/** Sends the service's e-mails. Off unless an operator configures SMTP; the console then says nothing was sent. */
export interface Mailer {
	invitation(mail: InvitationMail): Promise<void>;
	passwordReset(mail: PasswordResetMail): Promise<void>;
	passwordChanged(mail: PasswordChangedMail): Promise<void>;
}

/**
 * How long a send may take, in milliseconds. nodemailer's own defaults wait two minutes for a
 * connection and ten for a silent server; an admin's click waits on the invitation's mail.
 */
export interface SmtpTimeouts {
	connectionTimeout: number;
	greetingTimeout: number;
	socketTimeout: number;
}

export const DEFAULT_SMTP_TIMEOUTS: SmtpTimeouts = { connectionTimeout: 10_000, greetingTimeout: 10_000, socketTimeout: 30_000 };

/** The failure of a send, as an admin may read it: the SMTP server's reply, never the URL (it may hold a password). */
export function mailFailure(error: unknown): string {
	const response = (error as { response?: unknown }).response;
	const code = (error as { code?: unknown }).code;
	return typeof response === 'string' ? response.slice(0, 200) : typeof code === 'string' ? code : 'the mail server refused it';
}

/**
 * Sends, and says how it went: a mail that fails leaves its link in place (the admin still has it
 * to pass on), so the failure is an answer, not an error.
 */
export async function trySending(send: () => Promise<void>, warn: (reason: string) => void): Promise<{ sent: boolean; error?: string }> {
	try {
		await send();
		return { sent: true };
	} catch (error) {
		const reason = mailFailure(error);
		warn(reason);
		return { sent: false, error: reason };
	}
}

/** SMTP through nodemailer; `url` is smtp:// or smtps:// with optional user:password. */
export function smtpMailer(url: string, from: string, timeouts: SmtpTimeouts = DEFAULT_SMTP_TIMEOUTS): Mailer {
	// Required here, not at the top: most services send no mail, and a start need not load an SMTP client.
	// eslint-disable-next-line @typescript-eslint/no-require-imports
	const { createTransport } = require('nodemailer') as typeof Nodemailer;
	const transport = createTransport({ url, ...timeouts });
	const until = (expiresAt: number) => new Date(expiresAt).toUTCString();
	/** Plain text, one paragraph per line given. */
	const send = async (to: string, subject: string, lines: string[]) => {
		await transport.sendMail({ from, to, subject, text: lines.join('\n') });
	};
	return {
		async invitation(mail) {
			await send(mail.to, `${mail.organization}: your invitation to the AI provider policy`, [
				`${mail.invitedBy} invited you to ${mail.organization}'s AI provider policy.`,
				'',
				`Set your password with this one-time link (valid until ${until(mail.expiresAt)}):`,
				mail.link,
				'',
				'The page then connects VS Code for you.',
			]);
		},
		async passwordReset(mail) {
			await send(mail.to, `${mail.organization}: set a new password`, [
				`${mail.sentBy} sent you a link to set a new password for ${mail.organization}'s AI provider policy.`,
				'',
				`Choose your new password with this one-time link (valid until ${until(mail.expiresAt)}):`,
				mail.link,
				'',
				'Your VS Code sign-ins end when you do: sign in again with the new password.',
				'If you did not ask for this, tell your admin.',
			]);
		},
		async passwordChanged(mail) {
			const how = mail.how === 'reset' ? 'set with a one-time reset link' : 'changed with the current one';
			await send(mail.to, `${mail.organization}: your password was changed`, [
				`The password of ${mail.to} for ${mail.organization}'s AI provider policy was ${how} on ${new Date(mail.at).toUTCString()}.`,
				...(mail.endedSignIns ? ['', 'Your VS Code sign-ins ended: sign in again with the new password.'] : []),
				'',
				'If this was not you, tell your admin at once.',
			]);
		},
	};
}
