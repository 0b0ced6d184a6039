import { parseArgs } from 'node:util';
import * as z from 'zod';
import { fieldErrorsOf, formatFieldError } from '../policy';
import { couldBeAddress } from './accounts/email-address';

/**
 * The service's settings: each field is a flag and an environment variable of the same name
 * (`orgId` is `--org-id` and `ORG_POLICY_ORG_ID`). Flags win over the environment, which wins over
 * the defaults.
 */
const ServerConfigFields = z.strictObject({
	host: z.string().min(1).default('127.0.0.1'),
	port: z.coerce.number('must be a number').int('must be a whole number').min(0).max(65535, 'must be at most 65535').default(8787),
	publicUrl: z.url({ protocol: /^https?$/, error: 'must be an absolute http(s) URL' }).optional(),
	dataDir: z.string().min(1).default('.data'),
	databaseUrl: z
		.string()
		.regex(/^postgres(ql)?:\/\//, 'must be a postgres:// URL')
		.optional(),
	orgId: z
		.string()
		.regex(/^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$/, 'must be 1–64 lowercase letters, digits or hyphens')
		.default('default'),
	orgName: z.string().min(1).max(200).default('My Organization'),
	// Any local@domain, so the project's own default admin@localhost passes too.
	adminEmail: z.string().trim().refine(couldBeAddress, 'must be an email address').optional(),
	adminPassword: z.string().min(12, 'must be at least 12 characters').optional(),
	logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
	// JSON lines for production log shippers; `pretty` for a person at a terminal (`./dev start` there).
	logFormat: z.enum(['json', 'pretty'], 'must be json or pretty').default('json'),
	heartbeatSeconds: z.coerce.number().positive().default(15),
	// On SIGTERM, how long requests in flight may take to finish before their connections are ended.
	shutdownGraceSeconds: z.coerce.number('must be a number').min(0, 'must be 0 or more').max(300, 'must be at most 300').default(10),
	// Policy event streams one member may hold open on one instance (one per VS Code window); 0: no limit.
	// Each stream is an open file of the service's, so without a limit one member could use them all.
	maxStreamsPerMember: z.coerce.number('must be a number').int('must be a whole number').min(0, 'must be 0 or more').default(50),
	trustProxy: z.stringbool().default(false),
	deviceAuthorizationsPerMinute: z.coerce.number('must be a number').int('must be a whole number').min(1, 'must be at least 1').default(30),
	// Where members install the extension from (the invitation page links to it): a private
	// marketplace's page or a download of the .vsix; default, VS Code's Extensions view for its id.
	extensionInstallUrl: z.url({ protocol: /^(https?|vscode|vscode-insiders)$/, error: 'must be an https:// or vscode: URL' }).optional(),
	// Usage members' extensions report: kept this many days, and at most this many reports per member a minute.
	usageRetentionDays: z.coerce.number('must be a number').int('must be a whole number').min(1, 'must be at least 1').max(3650).default(400),
	usageReportsPerMinute: z.coerce.number('must be a number').int('must be a whole number').min(1, 'must be at least 1').default(30),
	// Usage totals also sent to an OpenTelemetry collector (OTLP/HTTP), e.g. http://collector:4318/v1/metrics.
	otlpMetricsUrl: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL, e.g. http://collector:4318/v1/metrics' }).optional(),
	otlpMetricsIntervalSeconds: z.coerce.number('must be a number').min(1, 'must be at least 1').max(3600).default(60),
	metricsToken: z.string().min(16, 'must be at least 16 characters').optional(),
	signingKeyFile: z.string().min(1).optional(),
	previousSigningKeyFile: z.string().min(1).optional(),
	keyOverlapDays: z.coerce.number('must be a number').min(0, 'must be 0 or more').max(365, 'must be at most 365').default(30),
	smtpUrl: z
		.string()
		.regex(/^smtps?:\/\//, 'must be an smtp:// or smtps:// URL')
		.optional(),
	smtpFrom: z
		.string()
		.trim()
		.regex(
			/^[^\s@<>]+@[^\s@<>]+$|^[^<>]*<[^\s@<>]+@[^\s@<>]+>$/,
			'must be an e-mail address, optionally with a name: Acme AI <ai@acme.example>',
		)
		.optional(),
	// Single sign-on for the organization's first start; after that the console owns the settings.
	ssoIssuer: z.string().optional(),
	ssoClientId: z.string().optional(),
	ssoClientSecret: z.string().optional(),
	ssoDisplayName: z.string().optional(),
	ssoScopes: z.string().optional(),
	ssoEmailClaim: z.string().optional(),
	ssoEmailVerifiedClaim: z.string().optional(),
	ssoGroupsClaim: z.string().optional(),
	ssoAllowedDomains: z.string().optional(),
	ssoTenantIds: z.string().optional(),
	ssoAllowedGroups: z.string().optional(),
	ssoAdminGroups: z.string().optional(),
	ssoAdminEmails: z.string().optional(),
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
const FLAGS: Readonly<Record<string, string>> = Object.fromEntries(
	Object.keys(ServerConfigFields.shape).map((field) => [kebab(field), `ORG_POLICY_${kebab(field).replace(/-/g, '_').toUpperCase()}`]),
);

export class ConfigError extends Error {
	override readonly name = 'ConfigError';
}

const camel = (flag: string) => flag.replace(/-([a-z])/g, (_, letter: string) => letter.toUpperCase());

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
