import { parseArgs } from 'node:util';
import { formatFieldError, parseWith, PolicySettingsSchema, settingsOf, type PolicyDocument } from '../policy';
import { call, CliError, readNamedFile } from './cli-http';
import { RELEASE_VERSION } from './release';
import { POLICY_FILE_KIND, withSecretHeaders } from './policy-file';
import { importCline, NEWEST_SCHEMA, policyAsCode, validatePolicyFile } from './policy-as-code-command';

const USAGE = `usage: org-policy [--server URL] [--token TOKEN] <command>   (org-policy --version: this release)

commands:
  validate -f FILE                   check FILE on its own: no service, no token (secrets that
                                     cannot be read here are named as not checked)
                                     exit 0: valid, 3: FILE refused (field errors)
  plan -f FILE                       what saving FILE (YAML or JSON, kind ${POLICY_FILE_KIND}) would change
                                     exit 0: no change, 2: changes, 3: FILE refused (field errors)
  apply -f FILE [--revision N]       save FILE if it changes anything and nobody saved meanwhile
                                     (since revision N, the one the reviewed plan was made against)
                                     exit 0: no change, 2: saved, 3: refused (field errors)
  export                             print today's policy as such a file (secret header values as
                                     environment variable references; their names on stderr)
  import-cline FILE                  turn a Cline remote configuration's OpenAI Compatible settings into
                                     such a file; what cannot be carried over is named on stderr
  policy get                         print the current settings as JSON (for keeping in git: secret
                                     header values left empty, and kept as saved by policy set)
  policy set FILE --revision N       save FILE as the next revision, if N is still current
  policy set FILE --force            save FILE whatever the current revision is
  policy history [--limit N]         list revisions: who, when, what changed

Except for validate and import-cline, the server and an admin API token come from --server/--token or ORG_POLICY_SERVER/ORG_POLICY_TOKEN.`;

async function run(argv: string[]): Promise<void> {
	const { values, positionals } = parseArgs({
		args: argv,
		options: {
			server: { type: 'string' },
			token: { type: 'string' },
			revision: { type: 'string' },
			force: { type: 'boolean' },
			limit: { type: 'string' },
			file: { type: 'string', short: 'f' },
			help: { type: 'boolean', short: 'h' },
			version: { type: 'boolean', short: 'v' },
		},
		allowPositionals: true,
	});
	if (values.version) {
		console.log(`org-policy ${RELEASE_VERSION}`);
		return;
	}
	if (positionals[0] === 'import-cline') {
		importCline(positionals[1]);
		return;
	}
	if (positionals[0] === 'validate') {
		process.exitCode = validatePolicyFile(values.file);
		return;
	}
	const asCode = ['plan', 'apply', 'export'].includes(positionals[0] ?? '');
	if (values.help || (!asCode && (positionals[0] !== 'policy' || !positionals[1]))) {
		if (!values.help && positionals[0] && positionals[0] !== 'policy') {
			console.error(`org-policy: unknown command "${positionals[0]}"\n`);
		}
		console.log(USAGE);
		if (!values.help) {
			process.exitCode = 2;
		}
		return;
	}
	// Checked here, so a mistyped number is named as the flag it is, before anything is asked of the service.
	const revision = wholeNumber('--revision', values.revision);
	const limit = wholeNumber('--limit', values.limit);
	const options = {
		server: values.server ?? process.env.ORG_POLICY_SERVER ?? 'http://127.0.0.1:8787',
		token: values.token ?? process.env.ORG_POLICY_TOKEN ?? '',
	};
	if (!/^https?:\/\/[^\s/]+/.test(options.server) || !URL.canParse(options.server)) {
		throw new CliError(
			`--server (or ORG_POLICY_SERVER) must be the service's http(s) address, e.g. https://policy.acme.example, not "${options.server}"`,
		);
	}
	if (!options.token) {
		throw new CliError(
			"an admin API token is required: --token or ORG_POLICY_TOKEN (an admin makes one on the console's API tokens page, /console/tokens)",
		);
	}
	if (asCode) {
		process.exitCode = await policyAsCode(options, positionals[0]!, values.file, revision);
		return;
	}
	switch (positionals[1]) {
		case 'get': {
			const { body } = await call(options, 'GET', '/api/v1/admin/policy', { headers: NEWEST_SCHEMA });
			const document = body.policy as PolicyDocument;
			// A file meant for git holds no secret: each secret header's value is left empty, and set keeps the saved one.
			const emptied: string[] = [];
			const settings = withSecretHeaders(settingsOf(document), (name, _value, { overlay }) => {
				emptied.push(overlay === undefined ? name : `${name} (group ${overlay})`);
				return '';
			});
			console.error(`revision ${document.revision}, saved by ${document.updatedBy} at ${document.updatedAt}`);
			if (emptied.length) {
				console.error(
					`secret header values are left empty: ${emptied.join(', ')}; policy set keeps the saved value of each one left empty (write a value to change it)`,
				);
			}
			console.log(JSON.stringify(settings, null, 2));
			return;
		}
		case 'set': {
			const file = positionals[2];
			if (!file) {
				throw new CliError('policy set needs a FILE');
			}
			if (!values.force && !values.revision) {
				throw new CliError(
					'pass --revision N (the revision your file was based on, from `policy get`) or --force to overwrite whatever is current',
				);
			}
			const text = readNamedFile(file);
			let settings: unknown;
			try {
				settings = JSON.parse(text);
			} catch (error) {
				throw new CliError(`${file} is not JSON (policy set reads the JSON of policy get): ${(error as Error).message}`);
			}
			const checked = parseWith(PolicySettingsSchema, settings);
			if (!checked.ok) {
				throw new CliError(`${file} is not a valid policy:${checked.errors.map((error) => `\n  ${formatFieldError(error)}`).join('')}`);
			}
			// The headers policy get left empty keep their saved values (a group overlay's do without asking).
			const kept = Object.entries(checked.value.provider?.headers ?? {}).filter(([, value]) => value === '');
			const query = new URLSearchParams(kept.map(([name]): [string, string] => ['keepHeaderValues', name]));
			const { body } = await call(options, 'PUT', `/api/v1/admin/policy${kept.length ? `?${query}` : ''}`, {
				body: settings,
				headers: { 'if-match': values.force ? '*' : `"${revision}"` },
			});
			console.log(`saved revision ${(body.policy as PolicyDocument).revision}`);
			return;
		}
		case 'history': {
			const { body } = await call(options, 'GET', `/api/v1/admin/policy/revisions?limit=${limit ?? 20}`);
			for (const revision of body.revisions as {
				revision: number;
				updatedAt: string;
				updatedBy: string;
				changes: { path: string; before?: string; after?: string }[];
			}[]) {
				console.log(`${revision.revision}\t${revision.updatedAt}\t${revision.updatedBy}`);
				for (const change of revision.changes) {
					console.log(`\t${change.path}: ${change.before ?? '—'} → ${change.after ?? '—'}`);
				}
			}
			return;
		}
		default:
			throw new CliError(`unknown command "policy ${positionals[1]}"\n\n${USAGE}`);
	}
}

/** A flag's value as a whole number of at least 1, or a CliError naming the flag. */
function wholeNumber(flag: string, value: string | undefined): number | undefined {
	if (value === undefined) {
		return undefined;
	}
	if (!/^[1-9]\d*$/.test(value.trim())) {
		throw new CliError(`${flag} must be a whole number of at least 1, not "${value}"`);
	}
	return Number(value);
}

run(process.argv.slice(2)).catch((error: unknown) => {
	console.error(`org-policy: ${error instanceof Error ? error.message : String(error)}`);
	process.exitCode = 1;
});
