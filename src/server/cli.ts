import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import {
	formatFieldError,
	parseWith,
	PolicySettingsSchema,
	SCHEMA_HEADER,
	SCHEMA_VERSION,
	settingsOf,
	type FieldError,
	type PolicyDocument,
} from '../policy';
import { importClineConfig } from './cline-import';
import { exportPolicyFile, formatErrors, planChanges, POLICY_FILE_KIND, readPolicyFile } from './policy-file';

const USAGE = `usage: org-policy [--server URL] [--token TOKEN] <command>

commands:
  plan -f FILE                       what saving FILE (YAML or JSON, kind ${POLICY_FILE_KIND}) would change
                                     exit 0: no change, 2: changes, 3: FILE refused (field errors)
  apply -f FILE [--revision N]       save FILE if it changes anything and nobody saved meanwhile
                                     (since revision N, the one the reviewed plan was made against)
                                     exit 0: no change, 2: saved, 3: refused (field errors)
  export                             print today's policy as such a file (secret header values as
                                     environment variable references; their names on stderr)
  import-cline FILE                  turn a Cline remote configuration's OpenAI Compatible settings into
                                     such a file; what cannot be carried over is named on stderr
  policy get                         print the current settings as JSON (for keeping in git)
  policy set FILE --revision N       save FILE as the next revision, if N is still current
  policy set FILE --force            save FILE whatever the current revision is
  policy history [--limit N]         list revisions: who, when, what changed

The server and an admin API token come from --server/--token or ORG_POLICY_SERVER/ORG_POLICY_TOKEN.`;

class CliError extends Error {}

interface Options {
	server: string;
	token: string;
}

async function call(options: Options, method: string, path: string, init: { body?: unknown; headers?: Record<string, string> } = {}) {
	let response: Response;
	try {
		response = await fetch(`${options.server.replace(/\/+$/, '')}${path}`, {
			method,
			headers: {
				authorization: `Bearer ${options.token}`,
				...(init.body !== undefined ? { 'content-type': 'application/json' } : {}),
				...init.headers,
			},
			...(init.body !== undefined ? { body: JSON.stringify(init.body) } : {}),
		});
	} catch (error) {
		throw new CliError(
			`cannot reach ${options.server}: ${(error as Error & { cause?: Error }).cause?.message ?? (error as Error).message}`,
		);
	}
	const text = await response.text();
	const body = text ? (JSON.parse(text) as Record<string, unknown>) : {};
	if (!response.ok) {
		const fieldErrors = (body.fieldErrors as FieldError[] | undefined)?.map((error) => `\n  ${formatFieldError(error)}`).join('') ?? '';
		throw new CliError(`${response.status} ${String(body.message ?? body.error ?? response.statusText)}${fieldErrors}`);
	}
	return { response, body };
}

/** The newest policy schema: an older one would leave out the settings it has no room for. */
const NEWEST_SCHEMA = { [SCHEMA_HEADER]: String(SCHEMA_VERSION) };

/** `plan`, `apply` and `export`; returns the exit code. */
async function policyAsCode(options: Options, command: string, file: string | undefined, planned?: number): Promise<number> {
	const { body } = await call(options, 'GET', '/api/v1/policy', { headers: NEWEST_SCHEMA });
	const current = body.policy as PolicyDocument;
	if (command === 'export') {
		const exported = exportPolicyFile(settingsOf(current), `${options.server.replace(/\/+$/, '')}/api/v1/schema/policy-file.json`);
		console.log(exported.text.trimEnd());
		for (const variable of Object.keys(exported.variables)) {
			console.error(`set ${variable} to the header's value where plan and apply run (its value is not printed)`);
		}
		return 0;
	}
	if (!file) {
		throw new CliError(`${command} needs -f FILE`);
	}
	let text: string;
	try {
		text = readFileSync(file, 'utf8');
	} catch (error) {
		throw new CliError(`${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
	}
	const desired = readPolicyFile(text, { env: process.env, readFile: (path) => readFileSync(path, 'utf8') });
	if (!desired.ok) {
		console.error(`${file} is refused:${formatErrors(desired.errors)}`);
		return 3;
	}
	const changes = planChanges(settingsOf(current), desired.settings);
	if (changes.length === 0) {
		console.log(`No change: revision ${current.revision} already is ${file}.`);
		return 0;
	}
	console.log(
		`Saving ${file} over revision ${current.revision} (${current.updatedBy}, ${current.updatedAt}) ${command === 'plan' ? 'would change' : 'changes'}:`,
	);
	for (const line of changes) {
		console.log(`  ${line}`);
	}
	if (command === 'plan') {
		return 2;
	}
	// The revision the reviewed plan was made against: the service refuses the save (412) when another
	// was saved since (the console, another job), and nothing is overwritten.
	const basis = planned ?? current.revision;
	try {
		const saved = await call(options, 'PUT', '/api/v1/admin/policy', {
			body: desired.settings,
			headers: { 'if-match': `"${basis}"` },
		});
		console.log(`saved revision ${(saved.body.policy as PolicyDocument).revision}`);
		return 2;
	} catch (error) {
		if (error instanceof CliError && error.message.startsWith('412')) {
			throw new CliError(
				`the plan was made against revision ${basis}, but another revision was saved since (the service answered ${error.message.split('\n')[0]}): nothing was saved; run plan again`,
			);
		}
		if (error instanceof CliError && error.message.startsWith('400')) {
			console.error(`the service refused ${file}: ${error.message}`);
			return 3;
		}
		throw error;
	}
}

/** `import-cline FILE`: needs no service (it only reads the file). */
function importCline(file: string | undefined): void {
	if (!file) {
		throw new CliError('import-cline needs the Cline remote configuration FILE (JSON)');
	}
	let raw: unknown;
	try {
		raw = JSON.parse(readFileSync(file, 'utf8'));
	} catch (error) {
		throw new CliError(`${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
	}
	const imported = importClineConfig(raw);
	if (!imported.ok) {
		throw new CliError(`${file}: ${imported.error}`);
	}
	console.log(imported.value.text.trimEnd());
	for (const variable of imported.value.variables) {
		console.error(`set ${variable} to the value of that header in ${file} where plan and apply run (the file holds no secret)`);
	}
	for (const { field, reason } of imported.value.leftOut) {
		console.error(`not carried over: ${field} — ${reason}`);
	}
}

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
		},
		allowPositionals: true,
	});
	if (positionals[0] === 'import-cline') {
		importCline(positionals[1]);
		return;
	}
	const asCode = ['plan', 'apply', 'export'].includes(positionals[0] ?? '');
	if (values.help || (!asCode && (positionals[0] !== 'policy' || !positionals[1]))) {
		console.log(USAGE);
		if (!values.help) {
			process.exitCode = 2;
		}
		return;
	}
	const options = {
		server: values.server ?? process.env.ORG_POLICY_SERVER ?? 'http://127.0.0.1:8787',
		token: values.token ?? process.env.ORG_POLICY_TOKEN ?? '',
	};
	if (!options.token) {
		throw new CliError(
			'an admin API token is required: --token or ORG_POLICY_TOKEN (create one in the console or with POST /api/v1/admin/tokens)',
		);
	}
	if (asCode) {
		process.exitCode = await policyAsCode(
			options,
			positionals[0]!,
			values.file,
			values.revision === undefined ? undefined : Number(values.revision),
		);
		return;
	}
	switch (positionals[1]) {
		case 'get': {
			const { body } = await call(options, 'GET', '/api/v1/policy', { headers: NEWEST_SCHEMA });
			const document = body.policy as PolicyDocument;
			console.error(`revision ${document.revision}, saved by ${document.updatedBy} at ${document.updatedAt}`);
			console.log(JSON.stringify(settingsOf(document), null, 2));
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
			let settings: unknown;
			try {
				settings = JSON.parse(readFileSync(file, 'utf8'));
			} catch (error) {
				throw new CliError(`${file}: ${(error as Error).message}`);
			}
			const checked = parseWith(PolicySettingsSchema, settings);
			if (!checked.ok) {
				throw new CliError(`${file} is not a valid policy:${checked.errors.map((error) => `\n  ${formatFieldError(error)}`).join('')}`);
			}
			const { body } = await call(options, 'PUT', '/api/v1/admin/policy', {
				body: settings,
				headers: { 'if-match': values.force ? '*' : `"${values.revision}"` },
			});
			console.log(`saved revision ${(body.policy as PolicyDocument).revision}`);
			return;
		}
		case 'history': {
			const { body } = await call(options, 'GET', `/api/v1/admin/policy/revisions?limit=${Number(values.limit ?? 20)}`);
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

run(process.argv.slice(2)).catch((error: unknown) => {
	console.error(`org-policy: ${error instanceof Error ? error.message : String(error)}`);
	process.exitCode = 1;
});
