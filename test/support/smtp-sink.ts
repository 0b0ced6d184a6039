import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';

/** A real SMTP server on loopback (smtp-server, nodemailer's own) that keeps every message it receives. */
export class SmtpSink {
	readonly messages: { from: string; to: string[]; raw: string }[] = [];
	/** When set, every message is refused with this reply (e.g. a mailbox that does not exist). */
	refuse: string | undefined;
	private server!: SMTPServer;
	url = '';

	static async start(): Promise<SmtpSink> {
		const sink = new SmtpSink();
		sink.server = new SMTPServer({
			secure: false,
			disabledCommands: ['STARTTLS', 'AUTH'],
			logger: false,
			onRcptTo(_address, _session, callback) {
				callback(sink.refuse ? Object.assign(new Error(sink.refuse), { responseCode: 550 }) : undefined);
			},
			onData(stream, session, callback) {
				const chunks: Buffer[] = [];
				stream.on('data', (chunk: Buffer) => chunks.push(chunk));
				stream.on('end', () => {
					sink.messages.push({
						from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
						to: session.envelope.rcptTo.map((rcpt) => rcpt.address),
						raw: Buffer.concat(chunks).toString('utf8'),
					});
					callback();
				});
			},
		});
		await new Promise<void>((resolve) => sink.server.listen(0, '127.0.0.1', resolve));
		sink.url = `smtp://127.0.0.1:${(sink.server.server.address() as AddressInfo).port}`;
		return sink;
	}

	async close(): Promise<void> {
		await new Promise<void>((resolve) => this.server.close(() => resolve()));
	}
}
