import { parseArgs } from 'node:util';
import * as z from 'zod';
import { fieldErrorsOf, formatFieldError } from '../policy';
import { couldBeAddress } from './accounts/email-address';

/**
 * The service's settings: each field is a flag and an environment variable of the same name
 * (`orgId` is `--org-id` and `ORG_POLICY_ORG_ID`). Flags win over the environment, which wins over
 * the defaults.
 */
export const ServerConfigFields = z.strictObject({
	host: z.string().min(1).default('127.0.0.1').describe('address to listen on'),
	port: z.coerce
		.number('must be a number')
		.int('must be a whole number')
		.min(0)
		.max(65535, 'must be at most 65535')
		.default(8787)
		.describe('port to listen on (0: any free port)'),
	publicUrl: z
		.url({ protocol: /^https?$/, error: 'must be an absolute http(s) URL' })
		// The console's links, forms and redirects and the API's paths start at the root of the address:
		// behind a proxy that maps a path (https://tools.acme.example/policy) the console would break.
		.refine((value) => {
			// An address that is no URL has been named already by the check above.
			const url = URL.canParse(value) ? new URL(value) : undefined;
			return !url || (url.pathname === '/' && !url.search && !url.hash);
		}, 'must be the address alone, with no path, query or fragment (https://policy.acme.example): the service answers at the root of its address, so a proxy gives it a host name of its own')
		.optional()
		.describe('URL members and admins reach (behind a proxy: its https URL; default http://HOST:PORT)'),
	dataDir: z.string().min(1).default('.data').describe('folder of the SQLite database'),
	databaseUrl: z
		.string()
		.regex(/^postgres(ql)?:\/\//, 'must be a postgres:// URL')
		.optional()
		.describe('postgres://… : PostgreSQL instead of SQLite (several instances may share it)'),
	orgId: z
		.string()
		.regex(/^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$/, 'must be 1–64 lowercase letters, digits or hyphens')
		.default('default')
		.describe('the organization created on the first start (lowercase letters, digits, hyphens)'),
	orgName: z.string().min(1).max(200).default('My Organization').describe('its name, shown to members and admins'),
	// Any local@domain, so the project's own default admin@localhost passes too.
	adminEmail: z
		.string()
		.trim()
		.refine(couldBeAddress, 'must be an email address')
		.optional()
		.describe('the bootstrap admin (default admin@localhost); used while no admin has a password'),
	adminPassword: z
		.string()
		.min(12, 'must be at least 12 characters')
		.optional()
		.describe("that admin's password (12+ characters) instead of a printed one-time link"),
	logLevel: z
		.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
		.default('info')
		.describe('fatal, error, warn, info, debug, trace or silent'),
	// JSON lines for production log shippers; `pretty` for a person at a terminal (`./dev start` there).
	logFormat: z
		.enum(['json', 'pretty'], 'must be json or pretty')
		.default('json')
		.describe('json (one object per line) or pretty (for a person at a terminal)'),
	heartbeatSeconds: z.coerce.number().positive().default(15).describe("seconds between heartbeats on members' event streams"),
	// On SIGTERM, how long requests in flight may take to finish before their connections are ended.
	shutdownGraceSeconds: z.coerce
		.number('must be a number')
		.min(0, 'must be 0 or more')
		.max(300, 'must be at most 300')
		.default(10)
		.describe('on SIGTERM, seconds requests in flight may take before their connections end'),
	// Policy event streams one member may hold open on one instance (one per VS Code window); 0: no limit.
	// Each stream is an open file of the service's, so without a limit one member could use them all.
	maxStreamsPerMember: z.coerce
		.number('must be a number')
		.int('must be a whole number')
		.min(0, 'must be 0 or more')
		.default(50)
		.describe('event streams one member may hold open on one instance (0: no limit)'),
	trustProxy: z.stringbool().default(false).describe('true: trust X-Forwarded-* (behind a reverse proxy, for the sign-in limits)'),
	deviceAuthorizationsPerMinute: z.coerce
		.number('must be a number')
		.int('must be a whole number')
		.min(1, 'must be at least 1')
		.default(30)
		.describe('device-flow starts one client address may make a minute'),
	// Where members install the extension from (the invitation page links to it): a private
	// marketplace's page or a download of the .vsix; default, VS Code's Extensions view for its id.
	extensionInstallUrl: z
		.url({ protocol: /^(https?|vscode|vscode-insiders)$/, error: 'must be an https:// or vscode: URL' })
		.optional()
		.describe("where invitations send members to install the extension (default VS Code's Extensions view)"),
	// Usage members' extensions report: kept this many days, and at most this many reports per member a minute.
	usageRetentionDays: z.coerce
		.number('must be a number')
		.int('must be a whole number')
		.min(1, 'must be at least 1')
		.max(3650)
		.default(400)
		.describe('days usage is kept'),
	usageReportsPerMinute: z.coerce
		.number('must be a number')
		.int('must be a whole number')
		.min(1, 'must be at least 1')
		.default(30)
		.describe('usage reports one member may send a minute'),
	// Usage totals also sent to an OpenTelemetry collector (OTLP/HTTP), e.g. http://collector:4318/v1/metrics.
	otlpMetricsUrl: z
		.url({ protocol: /^https?$/, error: 'must be an http(s) URL, e.g. http://collector:4318/v1/metrics' })
		.optional()
		.describe('also export usage totals to this OpenTelemetry collector (OTLP/HTTP)'),
	otlpMetricsIntervalSeconds: z.coerce
		.number('must be a number')
		.min(1, 'must be at least 1')
		.max(3600)
		.default(60)
		.describe('seconds between those exports'),
	metricsToken: z
		.string()
		.min(16, 'must be at least 16 characters')
		.optional()
		.describe('/metrics answers only Authorization: Bearer <this> (16+ characters)'),
	signingKeyFile: z
		.string()
		.min(1)
		.optional()
		.describe('Ed25519 PKCS#8 PEM key (mode 0600) that signs the policy; the database then keeps only public keys'),
	previousSigningKeyFile: z
		.string()
		.min(1)
		.optional()
		.describe('during a key rotation: the key members trust now, which endorses the new one'),
	keyOverlapDays: z.coerce
		.number('must be a number')
		.min(0, 'must be 0 or more')
		.max(365, 'must be at most 365')
		.default(30)
		.describe("after a rotation, days first-release members still get the old key's signature"),
	smtpUrl: z
		.string()
		.regex(/^smtps?:\/\//, 'must be an smtp:// or smtps:// URL')
		.optional()
		.describe('smtp:// or smtps:// server that invitations and password links are e-mailed through'),
	smtpFrom: z
		.string()
		.trim()
		.regex(
			/^[^\s@<>]+@[^\s@<>]+$|^[^<>]*<[^\s@<>]+@[^\s@<>]+>$/,
			'must be an e-mail address, optionally with a name: Acme AI <ai@acme.example>',
		)
		.optional()
		.describe('the address they come from, e.g. Acme AI <ai@acme.example>'),
	// Single sign-on for the organization's first start; after that the console owns the settings.
	ssoIssuer: z.string().optional().describe("single sign-on's OpenID provider, for the first start (then the console owns the settings)"),
	ssoClientId: z.string().optional().describe('its client id'),
	ssoClientSecret: z.string().optional().describe('its client secret (prefer the variable: flags show in process lists)'),
	ssoDisplayName: z.string().optional().describe("the sign-in button's label (default: single sign-on)"),
	ssoScopes: z.string().optional().describe('scopes asked for (default: openid email profile)'),
	ssoEmailClaim: z.string().optional().describe('claim holding the address (default: email)'),
	ssoEmailVerifiedClaim: z.string().optional().describe('claim saying the address is verified (default: email_verified)'),
	ssoGroupsClaim: z.string().optional().describe('claim holding the groups (default: groups)'),
	ssoAllowedDomains: z.string().optional().describe('only addresses of these domains may sign in (comma-separated)'),
	ssoTenantIds: z.string().optional().describe('only these Entra ID tenants (comma-separated)'),
	ssoAllowedGroups: z.string().optional().describe('only members of these groups (comma-separated)'),
	ssoAdminGroups: z.string().optional().describe('members of these groups are admins (comma-separated)'),
	ssoAdminEmails: z.string().optional().describe('these addresses are admins (comma-separated)'),
});

const ServerConfigSchema = ServerConfigFields.refine((config) => !config.ssoIssuer || config.ssoClientId, {
	path: ['ssoClientId'],
	message: 'is required with --sso-issuer',
})
	.refine((config) => !config.ssoIssuer || config.ssoClientSecret, {
		path: ['ssoClientSecret'],
		message: 'is required with --sso-issuer (prefer the environment variable: flags show in process lists)',
	})
	.refine((config) => !config.smtpUrl || config.smtpFrom, {
		path: ['smtpFrom'],
		message: 'is required with --smtp-url: the address invitations come from',
	})
	.refine((config) => !config.previousSigningKeyFile || config.signingKeyFile, {
		path: ['previousSigningKeyFile'],
		message: 'needs --signing-key-file: the previous key endorses the one in that file',
	})
	.transform((config) => ({ ...config, publicUrl: (config.publicUrl ?? `http://${config.host}:${config.port}`).replace(/\/+$/, '') }));

export type ServerConfig = z.infer<typeof ServerConfigSchema>;
export type ServerConfigInput = z.input<typeof ServerConfigSchema>;

const kebab = (field: string) => field.replace(/[A-Z]/g, (letter) => `-${letter.toLowerCase()}`);

/** The command line's flags and their environment variables, from the schema's fields. */
export const FLAGS: Readonly<Record<string, string>> = Object.fromEntries(
	Object.keys(ServerConfigFields.shape).map((field) => [kebab(field), `ORG_POLICY_${kebab(field).replace(/-/g, '_').toUpperCase()}`]),
);

export class ConfigError extends Error {
	override readonly name = 'ConfigError';
}

/** A flag's settings field: `--org-id` is `orgId`. */
export const camel = (flag: string) => flag.replace(/-([a-z])/g, (_, letter: string) => letter.toUpperCase());

export function parseConfig(argv: readonly string[], env: NodeJS.ProcessEnv): ServerConfig {
	let values: Record<string, string | boolean | undefined>;
	try {
		({ values } = parseArgs({
			args: [...argv],
			options: Object.fromEntries(Object.keys(FLAGS).map((flag) => [flag, { type: 'string' as const }])),
			strict: true,
			allowPositionals: false,
		}));
	} catch (error) {
		throw new ConfigError((error as Error).message);
	}
	const input: Record<string, unknown> = {};
	for (const [flag, variable] of Object.entries(FLAGS)) {
		const value = values[flag] ?? env[variable];
		if (value !== undefined && value !== '') {
			input[camel(flag)] = value;
		}
	}
	const result = ServerConfigSchema.safeParse(input, { reportInput: true });
	if (!result.success) {
		const lines = fieldErrorsOf(result.error).map((error) => {
			const flag = Object.keys(FLAGS).find((candidate) => camel(candidate) === error.path);
			return flag ? `--${flag} (${FLAGS[flag]}): ${error.message}` : formatFieldError(error);
		});
		throw new ConfigError(`invalid configuration:\n  ${lines.join('\n  ')}`);
	}
	return result.data;
}

/** Config for tests and embedding, with the same validation as the command line. */
export function configFrom(input: ServerConfigInput): ServerConfig {
	return ServerConfigSchema.parse(input);
}
