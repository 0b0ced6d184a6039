import type { FastifyInstance } from 'fastify';

/**
 * Answers of this plugin's routes are someone's private data (members, usage, revisions, tokens):
 * no cache keeps them, the console's cookie-sent calls included (a shared cache may store those,
 * though never one sent with a bearer token). A route that says otherwise keeps its own.
 */
export function answersNotKept(app: FastifyInstance): void {
	app.addHook('onSend', (_request, reply, payload, done) => {
		if (!reply.hasHeader('cache-control')) {
			reply.header('cache-control', 'no-store');
		}
		done(null, payload);
	});
}
