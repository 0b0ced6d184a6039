import { parse as parseYaml, stringify as toYaml } from 'yaml';
import { z } from 'zod';
import { formatFieldError, parseWith, PolicySettingsSchema, type FieldError, type PolicySettings } from '../policy';
import { POLICY_FILE_KIND } from '../policy/json-schema';
import { diffSettings } from './policy/revision-diff';
import { GroupNameSchema } from './groups/groups-service';
import { describeChanges } from './policy/revision-words';

/**
 * Policy as code: a YAML or JSON file of the whole state an admin owns, `org-policy plan` and
 * `apply` against the service. A secret header value is never in the file: it names where the value
 * is — `{ fromEnv: NAME }` or `{ fromFile: PATH }` — and is read when the file is.
 */
export { POLICY_FILE_KIND } from '../policy/json-schema';

export interface PolicyFileSources {
	env: NodeJS.ProcessEnv;
	readFile: (path: string) => string;
}

export type DesiredState =
	| { ok: true; settings: PolicySettings; /** Absent: the file does not manage the console's groups. */ groups?: Record<string, string[]> }
	| { ok: false; errors: FieldError[] };

/** The console's groups in a file: each name with its members' e-mail addresses. */
const GroupsSchema = z.record(
	GroupNameSchema,
	z.array(z.email('must be an e-mail address').max(320), 'must be a list of e-mail addresses').max(1000),
	'must map each group name to its members',
);

/** Reads a policy file (YAML or JSON: YAML reads both), resolving secret references; every problem names its field. */
export function readPolicyFile(text: string, sources: PolicyFileSources): DesiredState {
	let raw: unknown;
	try {
		raw = parseYaml(text);
	} catch (error) {
		return { ok: false, errors: [{ path: '', message: `not YAML or JSON: ${(error as Error).message.split('\n')[0]}` }] };
	}
	const file = raw as { kind?: unknown; policy?: unknown; groups?: unknown } | null;
	if (!file || typeof file !== 'object' || file.kind !== POLICY_FILE_KIND) {
		return { ok: false, errors: [{ path: 'kind', message: `must be ${POLICY_FILE_KIND}` }] };
	}
	const policy = structuredClone(file.policy) as { provider?: { headers?: Record<string, unknown> } } | undefined;
	const errors: FieldError[] = [];
	for (const [name, value] of Object.entries(policy?.provider?.headers ?? {})) {
		if (value && typeof value === 'object') {
			const reference = value as { fromEnv?: unknown; fromFile?: unknown };
			const path = `policy.provider.headers.${name}`;
			if (typeof reference.fromEnv === 'string') {
				const found = sources.env[reference.fromEnv];
				if (found === undefined) {
					errors.push({ path, message: `the environment variable ${reference.fromEnv} is not set` });
				}
				policy!.provider!.headers![name] = found;
			} else if (typeof reference.fromFile === 'string') {
				try {
					policy!.provider!.headers![name] = sources.readFile(reference.fromFile).trim();
				} catch (error) {
					errors.push({
						path,
						message: `cannot read ${reference.fromFile}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
					});
				}
			} else {
				errors.push({ path, message: 'must be a string, { fromEnv: NAME } or { fromFile: PATH }' });
			}
		}
	}
	if (errors.length) {
		return { ok: false, errors };
	}
	const groups = file.groups === undefined ? undefined : parseWith(GroupsSchema, file.groups);
	if (groups && !groups.ok) {
		return { ok: false, errors: groups.errors.map((error) => ({ ...error, path: `groups${error.path ? `.${error.path}` : ''}` })) };
	}
	const parsed = parseWith(PolicySettingsSchema, policy);
	return parsed.ok
		? { ok: true, settings: parsed.value, ...(groups ? { groups: groups.value } : {}) }
		: { ok: false, errors: parsed.errors.map((error) => ({ ...error, path: error.path ? `policy.${error.path}` : 'policy' })) };
}

/** What saving `desired` over `current` would change, in the console's words (secret header values masked). */
export function planChanges(current: PolicySettings, desired: PolicySettings): string[] {
	return describeChanges(diffSettings(current, desired));
}

/**
 * Today's settings as a policy file: each secret header's value becomes a reference to an
 * environment variable named after it (set it where `plan` and `apply` run), so the file holds none.
 */
export function exportPolicyFile(
	settings: PolicySettings,
	schemaUrl?: string,
	groups?: Record<string, string[]>,
): { text: string; variables: Record<string, string> } {
	const readable = new Set((settings.provider?.readableHeaders ?? []).map((name) => name.toLowerCase()));
	const variables: Record<string, string> = {};
	const policy = structuredClone(settings) as Omit<PolicySettings, 'provider'> & { provider?: { headers: Record<string, unknown> } };
	for (const [name, value] of Object.entries(settings.provider?.headers ?? {})) {
		if (!readable.has(name.toLowerCase())) {
			const variable = `ORG_POLICY_HEADER_${name.toUpperCase().replace(/[^A-Z0-9]+/g, '_')}`;
			variables[variable] = value;
			policy.provider!.headers[name] = { fromEnv: variable };
		}
	}
	const header = `${schemaUrl ? `# yaml-language-server: $schema=${schemaUrl}\n` : ''}# The organization's provider policy, for org-policy plan -f / apply -f. Secret header values are read\n# from the environment variables named here; the file holds none.\n`;
	return { text: header + toYaml({ kind: POLICY_FILE_KIND, policy, ...(groups ? { groups } : {}) }), variables };
}

export const formatErrors = (errors: readonly FieldError[]) => errors.map((error) => `\n  ${formatFieldError(error)}`).join('');
