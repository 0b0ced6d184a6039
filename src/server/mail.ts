import type * as Nodemailer from 'nodemailer';

export interface InvitationMail {
	to: string;
	organization: string;
	invitedBy: string;
	link: string;
	/** Milliseconds since the epoch. */
	expiresAt: number;
}

/** Sends invitation e-mails. Off unless an operator configures SMTP; the console then says nothing was sent. */
export interface InvitationMailer {
	send(mail: InvitationMail): Promise<void>;
}

/** The failure of a send, as an admin may read it: the SMTP server's reply, never the URL (it may hold a password). */
export function mailFailure(error: unknown): string {
	const response = (error as { response?: unknown }).response;
	const code = (error as { code?: unknown }).code;
	return typeof response === 'string' ? response.slice(0, 200) : typeof code === 'string' ? code : 'the mail server refused it';
}

/** SMTP through nodemailer; `url` is smtp:// or smtps:// with optional user:password. */
export function smtpMailer(url: string, from: string): InvitationMailer {
	// Required here, not at the top: most services send no mail, and a start need not load an SMTP client.
	// eslint-disable-next-line @typescript-eslint/no-require-imports
	const { createTransport } = require('nodemailer') as typeof Nodemailer;
	const transport = createTransport(url);
	return {
		async send(mail) {
			const until = new Date(mail.expiresAt).toUTCString();
			await transport.sendMail({
				from,
				to: mail.to,
				subject: `${mail.organization}: your invitation to the AI provider policy`,
				text: [
					`${mail.invitedBy} invited you to ${mail.organization}'s AI provider policy.`,
					'',
					`Set your password with this one-time link (valid until ${until}):`,
					mail.link,
					'',
					'The page then connects VS Code for you.',
				].join('\n'),
			});
		},
	};
}
