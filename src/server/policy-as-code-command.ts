import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { SCHEMA_HEADER, SCHEMA_VERSION, settingsOf, type PolicyDocument } from '../policy';
import { call, CliError, readNamedFile, type Options } from './cli-http';
import { HELD_AHEAD_HEADER } from './policy/held-ahead';
import { importClineConfig } from './cline-import';
import { exportPolicyFile, formatErrors, planChanges, readPolicyFile } from './policy-file';
import { applyGroupSteps, consoleGroups, planGroups, type ListedGroup } from './policy-file-groups';

/** The newest policy schema: an older one would leave out the settings it has no room for. */
export const NEWEST_SCHEMA = { [SCHEMA_HEADER]: String(SCHEMA_VERSION) };

/** `plan`, `apply` and `export`; returns the exit code. */
export async function policyAsCode(options: Options, command: string, file: string | undefined, planned?: number): Promise<number> {
	if (command === 'export') {
		const { body } = await call(options, 'GET', '/api/v1/admin/policy', { headers: NEWEST_SCHEMA });
		const current = body.policy as PolicyDocument;
		const groups = consoleGroups((await call(options, 'GET', '/api/v1/admin/groups')).body.groups as ListedGroup[]);
		const exported = exportPolicyFile(settingsOf(current), `${options.server.replace(/\/+$/, '')}/api/v1/schema/policy-file.json`, groups);
		console.log(exported.text.trimEnd());
		for (const variable of Object.keys(exported.variables)) {
			console.error(`set ${variable} to the header's value where plan and apply run (its value is not printed)`);
		}
		return 0;
	}
	if (!file) {
		throw new CliError(`${command} needs -f FILE`);
	}
	const text = readNamedFile(file);
	const desired = readPolicyFile(text, { env: process.env, readFile: besideFile(file) });
	if (!desired.ok) {
		// Said before the server is asked: a file's own mistakes need no server to be named.
		console.error(`${file} is refused:${formatErrors(desired.errors)}`);
		return 3;
	}
	const { body, response } = await call(options, 'GET', '/api/v1/admin/policy', { headers: NEWEST_SCHEMA });
	const current = body.policy as PolicyDocument;
	const heldAhead = Number(response.headers.get(HELD_AHEAD_HEADER)) || undefined;
	const policyChanges = planChanges(settingsOf(current), desired.settings);
	if (heldAhead && policyChanges.length === 0) {
		// The same settings saved again: members who hold a newer revision than the restored database take it.
		policyChanges.push(
			`saved again as revision ${heldAhead + 1}: members hold revision ${heldAhead}, newer than ${current.revision} (the service's database was restored from a backup)`,
		);
	}
	const groups = desired.groups
		? planGroups((await call(options, 'GET', '/api/v1/admin/groups')).body.groups as ListedGroup[], desired.groups)
		: { lines: [], steps: [], errors: [] };
	if (desired.groups) {
		// Checked before anything is saved: a group naming someone who is not a member would stop half-way.
		const members = new Set(
			((await call(options, 'GET', '/api/v1/admin/members')).body.members as { email: string }[]).map((member) =>
				member.email.toLowerCase(),
			),
		);
		for (const [name, emails] of Object.entries(desired.groups)) {
			emails.forEach(
				(email, index) =>
					!members.has(email.trim().toLowerCase()) &&
					groups.errors.push(`groups.${name}[${index}]: ${email} is not a member of this organization`),
			);
		}
	}
	// The service keeps a group the policy's overlays name; a file that removes one would stop half-way.
	const named = new Set((desired.settings.overlays ?? []).map((overlay) => overlay.group.toLowerCase()));
	for (const step of groups.steps) {
		if (step.kind === 'delete' && named.has(step.displayName.toLowerCase())) {
			groups.errors.push(`groups: ${step.displayName} is left out, but policy.overlays name it: keep the group, or drop its overlay too`);
		}
	}
	if (groups.errors.length) {
		console.error(`${file} is refused:${groups.errors.map((error) => `\n  ${error}`).join('')}`);
		return 3;
	}
	const changes = [...policyChanges, ...groups.lines];
	if (changes.length === 0) {
		console.log(`No change: revision ${current.revision} already is ${file}.`);
		return 0;
	}
	console.log(
		`Saving ${file} over revision ${current.revision} (saved by ${current.updatedBy} at ${current.updatedAt}) ${command === 'plan' ? 'would change' : 'changes'}:`,
	);
	for (const line of changes) {
		console.log(`  ${line}`);
	}
	if (command === 'plan') {
		const rollout = policyChanges.length ? await rolloutUnderWay(options) : undefined;
		if (rollout) {
			// Said at plan time: a pipeline that plans on a pull request and applies on merge would otherwise learn it at apply.
			console.error(
				`note: revision ${rollout.revision} is still rolling out to its canary (${canaryWords(rollout.canary)}): apply is refused until it is promoted or rolled back (the console's Revisions page)`,
			);
		}
		return 2;
	}
	// The revision the reviewed plan was made against: the service refuses the save (412) when another
	// was saved since (the console, another job), and nothing is overwritten.
	const basis = planned ?? current.revision;
	try {
		if (policyChanges.length) {
			const saved = await call(options, 'PUT', '/api/v1/admin/policy', {
				body: desired.settings,
				headers: { 'if-match': `"${basis}"` },
			});
			console.log(`saved revision ${(saved.body.policy as PolicyDocument).revision}`);
		}
		await applyGroupSteps((method, path, body) => call(options, method, path, body === undefined ? {} : { body }), groups.steps);
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

/**
 * Reads a `fromFile` secret: a relative path is taken from the policy file's own folder, as Compose
 * and kustomize do, so `apply -f infra/policy.yaml` reads the same secret from wherever it runs.
 */
const besideFile = (policyFile: string) => (path: string) => readFileSync(resolve(dirname(policyFile), path), 'utf8');

interface RolloutUnderWay {
	revision: number;
	canary: { group?: string; percent?: number };
}

/** The rollout under way, or undefined when there is none (the service answers 404). */
async function rolloutUnderWay(options: Options): Promise<RolloutUnderWay | undefined> {
	try {
		return (await call(options, 'GET', '/api/v1/admin/rollout')).body as unknown as RolloutUnderWay;
	} catch (error) {
		if (error instanceof CliError && error.message.startsWith('404')) {
			return undefined;
		}
		throw error;
	}
}

const canaryWords = ({ group, percent }: RolloutUnderWay['canary']) =>
	group !== undefined ? `the group ${group}` : `${percent}% of members`;

/**
 * `validate -f FILE`: the file's own checks, with neither the service nor a token (a pre-commit hook,
 * or a pull request's check that runs without the organization's secrets). A secret that cannot be
 * read here is named as not checked; what only the service knows (who is a member, what would
 * change) is left to `plan`. Returns the exit code: 0 valid, 3 refused.
 */
export function validatePolicyFile(file: string | undefined): number {
	if (!file) {
		throw new CliError('validate needs -f FILE');
	}
	const unchecked: string[] = [];
	const desired = readPolicyFile(readNamedFile(file), {
		env: process.env,
		readFile: besideFile(file),
		standIn: (reference, path) => {
			unchecked.push(`${path}: ${reference} cannot be read here, so its value was not checked`);
			return 'stand-in';
		},
	});
	if (!desired.ok) {
		console.error(`${file} is refused:${formatErrors(desired.errors)}`);
		return 3;
	}
	for (const line of unchecked) {
		console.error(line);
	}
	const count = Object.keys(desired.groups ?? {}).length;
	const groups = desired.groups ? `, with ${count} group${count === 1 ? '' : 's'} whose members plan checks with the service` : '';
	console.log(`${file} is a valid policy file${groups}.`);
	return 0;
}

/** `import-cline FILE`: needs no service (it only reads the file). */
export function importCline(file: string | undefined): void {
	if (!file) {
		throw new CliError('import-cline needs the Cline remote configuration FILE (JSON)');
	}
	const text = readNamedFile(file);
	let raw: unknown;
	try {
		raw = JSON.parse(text);
	} catch (error) {
		throw new CliError(`${file} is not JSON: ${(error as Error).message}`);
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
