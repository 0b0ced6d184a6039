import { parse as parseYaml, stringify as toYaml } from 'yaml';
import * as z from 'zod';
import { formatFieldError, parseWith, PolicySettingsSchema, type FieldError, type PolicySettings } from '../policy';
import { POLICY_FILE_KIND } from '../policy/json-schema';
import { diffSettings } from './policy/revision-diff';
import { GroupNameSchema } from './groups/groups-service';
import { describeChanges } from './policy/revision-words';
import { EMAIL_MAX_LENGTH } from './accounts/email-address';

/**
 * Policy as code: a YAML or JSON file of the whole state an admin owns, `org-policy plan` and
 * `apply` against the service. A secret header value is never in the file: it names where the value
 * is — `{ fromEnv: NAME }` or `{ fromFile: PATH }` — and is read when the file is.
 */
export { POLICY_FILE_KIND } from '../policy/json-schema';

export interface PolicyFileSources {
	env: NodeJS.ProcessEnv;
	readFile: (path: string) => string;
	/**
	 * A stand-in for a secret that cannot be read here (its variable unset, its file absent), so the
	 * rest of the file is still checked; without it, such a secret is an error. `validate` uses it:
	 * a pull request's check often runs without the organization's secrets.
	 */
	standIn?: (reference: string, path: string) => string;
}

export type DesiredState =
	| { ok: true; settings: PolicySettings; /** Absent: the file does not manage the console's groups. */ groups?: Record<string, string[]> }
	| { ok: false; errors: FieldError[] };

/** The console's groups in a file: each name with its members' e-mail addresses. */
const GroupsSchema = z.record(
	GroupNameSchema,
	z.array(z.email('must be an e-mail address').max(EMAIL_MAX_LENGTH), 'must be a list of e-mail addresses').max(1000),
	'must map each group name to its members',
);

/** What a policy file holds at its top level. */
const FILE_SECTIONS = ['kind', 'policy', 'groups'];

/** Reads a policy file (YAML or JSON: YAML reads both), resolving secret references; every problem names its field. */
export function readPolicyFile(text: string, sources: PolicyFileSources): DesiredState {
	let raw: unknown;
	try {
		raw = parseYaml(text);
	} catch (error) {
		// The parser's first line ends with a colon before the excerpt it quotes on the next lines.
		const said = (error as Error).message.split('\n')[0]!.replace(/:\s*$/, '');
		return { ok: false, errors: [{ path: '', message: `not YAML or JSON: ${said}` }] };
	}
	const file = raw as { kind?: unknown; policy?: unknown; groups?: unknown } | null;
	if (!file || typeof file !== 'object' || file.kind !== POLICY_FILE_KIND) {
		return { ok: false, errors: [{ path: 'kind', message: `must be ${POLICY_FILE_KIND}` }] };
	}
	// A misspelt section (`group:` for `groups:`) would otherwise be skipped without a word, and
	// apply would leave what the admin meant to change as it was.
	const unknown = Object.keys(file).filter((key) => !FILE_SECTIONS.includes(key));
	if (unknown.length) {
		const settingsHere = unknown.some((key) => key in PolicySettingsSchema.shape) && file.policy === undefined;
		return {
			ok: false,
			errors: unknown.map((key) => ({
				path: key,
				message: settingsHere
					? `is not read at the top of the file: the policy's settings go under policy:`
					: `is not a section of a policy file (${FILE_SECTIONS.join(', ')})`,
			})),
		};
	}
	const policy = structuredClone(file.policy) as
		{ provider?: { headers?: Record<string, unknown> }; overlays?: { headers?: Record<string, unknown> }[] } | undefined;
	const errors: FieldError[] = [];
	resolveHeaderReferences(policy?.provider?.headers, 'policy.provider.headers', sources, errors);
	(Array.isArray(policy?.overlays) ? policy.overlays : []).forEach((overlay, index) =>
		resolveHeaderReferences(overlay?.headers, `policy.overlays[${index}].headers`, sources, errors),
	);
	const groups = file.groups === undefined ? undefined : parseWith(GroupsSchema, file.groups);
	if (groups && !groups.ok) {
		errors.push(...groups.errors.map((error) => ({ ...error, path: `groups${error.path ? `.${error.path}` : ''}` })));
	}
	const parsed = parseWith(PolicySettingsSchema, policy);
	if (parsed.ok && groups?.ok !== false && errors.length === 0) {
		return { ok: true, settings: parsed.value, ...(groups ? { groups: groups.value } : {}) };
	}
	// Every mistake in one run: a reference that could not be read is named once, by itself.
	const unread = new Set(errors.map((error) => error.path));
	const schemaErrors = parsed.ok
		? []
		: parsed.errors
				.map((error) => ({ ...error, path: error.path ? `policy.${error.path}` : 'policy' }))
				.filter((error) => !unread.has(error.path));
	return { ok: false, errors: [...errors, ...schemaErrors] };
}

/**
 * `${NAME}` anywhere in a value, or a value that is only `$NAME`: the way a shell, Compose or a CI
 * file names a variable. A policy file expands nothing, so saving it would send those characters to
 * the endpoint as the header's value (a gateway key that fails for every member) — refused instead.
 */
const SHELL_VARIABLE = /\$\{([A-Za-z_][A-Za-z0-9_]*)\}|^\$([A-Za-z_][A-Za-z0-9_]*)$/;

/** Names only the variable: the rest of the value may be a secret's part. */
function unexpandedMessage(match: RegExpExecArray): string {
	const variable = match[1] ?? match[2]!;
	const written = match[1] ? `\${${variable}}` : `$${variable}`;
	return match.input === written
		? `${written} is not expanded in a policy file: write { fromEnv: ${variable} } to read the value from that environment variable`
		: `${written} is not expanded in a policy file: put the whole value in an environment variable and write { fromEnv: NAME }`;
}

/** Puts each header's value where the file says it is read from (in place), naming each one that cannot be read. */
function resolveHeaderReferences(
	headers: Record<string, unknown> | undefined,
	at: string,
	sources: PolicyFileSources,
	errors: FieldError[],
): void {
	for (const [name, value] of Object.entries(headers && typeof headers === 'object' ? headers : {})) {
		const path = `${at}.${name}`;
		if (typeof value === 'string') {
			const shellVariable = SHELL_VARIABLE.exec(value);
			if (shellVariable) {
				errors.push({ path, message: unexpandedMessage(shellVariable) });
			}
			continue;
		}
		if (!value || typeof value !== 'object') {
			continue;
		}
		const reference = value as { fromEnv?: unknown; fromFile?: unknown };
		if (typeof reference.fromEnv === 'string') {
			const found = sources.env[reference.fromEnv] ?? sources.standIn?.(`the environment variable ${reference.fromEnv}`, path);
			if (found === undefined) {
				errors.push({ path, message: `the environment variable ${reference.fromEnv} is not set` });
			}
			headers![name] = found;
		} else if (typeof reference.fromFile === 'string') {
			try {
				headers![name] = sources.readFile(reference.fromFile).trim();
			} catch (error) {
				if (sources.standIn) {
					headers![name] = sources.standIn(`the file ${reference.fromFile}`, path);
					continue;
				}
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

/** What saving `desired` over `current` would change, in the console's words (secret header values masked). */
export function planChanges(current: PolicySettings, desired: PolicySettings): string[] {
	return describeChanges(diffSettings(current, desired));
}

/** Where a secret header sits: the organization's provider, or a group's overlay. */
export type HeaderPlace = { overlay?: undefined } | { overlay: string };

/**
 * The settings with each secret header's value (every header not in readableHeaders, the provider's
 * and each overlay's) replaced by what `replace` makes of it: what leaves the service for a file.
 */
export function withSecretHeaders(
	settings: PolicySettings,
	replace: (name: string, value: string, place: HeaderPlace) => unknown,
): Omit<PolicySettings, 'provider' | 'overlays'> & { provider?: unknown; overlays?: unknown[] } {
	const readable = new Set((settings.provider?.readableHeaders ?? []).map((name) => name.toLowerCase()));
	const replaced = (headers: Record<string, string>, place: HeaderPlace) =>
		Object.fromEntries(
			Object.entries(headers).map(([name, value]) => [name, readable.has(name.toLowerCase()) ? value : replace(name, value, place)]),
		);
	return {
		...settings,
		...(settings.provider ? { provider: { ...settings.provider, headers: replaced(settings.provider.headers, {}) } } : {}),
		...(settings.overlays
			? {
					overlays: settings.overlays.map((overlay) =>
						overlay.headers ? { ...overlay, headers: replaced(overlay.headers, { overlay: overlay.group }) } : overlay,
					),
				}
			: {}),
	};
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
	const variables: Record<string, string> = {};
	const policy = withSecretHeaders(settings, (name, value, { overlay }) => {
		const parts = overlay === undefined ? ['ORG_POLICY_HEADER', name] : [`ORG_POLICY_OVERLAY_${overlay}_HEADER`, name];
		const variable = parts
			.join('_')
			.toUpperCase()
			.replace(/[^A-Z0-9]+/g, '_');
		variables[variable] = value;
		return { fromEnv: variable };
	});
	const header = `${schemaUrl ? `# yaml-language-server: $schema=${schemaUrl}\n` : ''}# The organization's provider policy, for org-policy plan -f / apply -f. Secret header values are read\n# from the environment variables named here; the file holds none.\n`;
	return { text: header + toYaml({ kind: POLICY_FILE_KIND, policy, ...(groups ? { groups } : {}) }), variables };
}

export const formatErrors = (errors: readonly FieldError[]) => errors.map((error) => `\n  ${formatFieldError(error)}`).join('');
