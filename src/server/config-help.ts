import type * as z from 'zod';
import { camel, FLAGS, ServerConfigFields } from './config';

/** What `org-policy-server --help` prints: every flag from the settings' own schema, so none is missed. */
export function serverUsage(): string {
	const fields = ServerConfigFields.shape as Record<string, z.ZodType>;
	const flags = Object.entries(FLAGS).map(([flag, variable]) => {
		const field = fields[camel(flag)]!;
		const fallback = field.def.type === 'default' ? (field.def as unknown as { defaultValue: unknown }).defaultValue : undefined;
		const where = `${variable}${fallback === undefined ? '' : `; default ${String(fallback)}`}`;
		return `  --${flag} VALUE  (${where})\n      ${field.description ?? ''}`;
	});
	return [
		'usage: org-policy-server [--flag VALUE …]       run the policy service',
		'       org-policy-server admin reset-link …    a one-time admin link when every password is lost (admin --help)',
		'       org-policy-server --version             which release this is',
		'',
		'Each flag may be given by its environment variable instead; flags win. A value that is not valid',
		'stops the service with exit code 2 and the flag named.',
		'',
		...flags,
		'',
	].join('\n');
}
