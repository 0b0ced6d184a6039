import { parse as parseFilter } from 'scim2-parse-filter';
import { hasUnsafeText } from '../text-safety';
import {
	COLUMN_ATTRIBUTES,
	ENTERPRISE_ATTRIBUTES,
	ENTERPRISE_SCHEMA,
	EXTERNAL_ID,
	findAttribute,
	READ_ONLY_ATTRIBUTES,
	USER_ATTRIBUTES,
	USER_SCHEMA,
	type AttributeDefinition,
} from './scim-schema';

/** The declared attributes a User keeps beside its account, by canonical name; the extension's under its URN. */
export type StoredAttributes = Record<string, unknown>;
export type AttributeProblem = { ok: false; kind: 'invalidValue' | 'invalidPath' | 'mutability'; detail: string };

const MAX_TEXT = 2048;
const MAX_VALUES = 50;
/** Everything one User keeps beside its account, as JSON. */
export const MAX_STORED_BYTES = 32 * 1024;

const problem = (kind: AttributeProblem['kind'], detail: string): AttributeProblem => ({ ok: false, kind, detail });
const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);
/** A record without a prototype: whatever names arrive, they are only names here. */
const bare = (): Record<string, unknown> => Object.create(null) as Record<string, unknown>;

/**
 * Reads the declared attributes of a User resource a directory sent (POST, PUT, or a patched
 * resource): checked against the schema, canonically named, without the ones the account itself
 * keeps (userName, active, externalId) or the service assigns (id, meta). Anything undeclared is
 * refused with its name. `password` is accepted and forgotten (write-only, returned never).
 */
export function readStoredAttributes(body: Record<string, unknown>): { ok: true; value: StoredAttributes } | AttributeProblem {
	const core = bare();
	const enterprise = bare();
	for (const [key, value] of Object.entries(body)) {
		const lower = key.toLowerCase();
		if (READ_ONLY_ATTRIBUTES.has(lower) || COLUMN_ATTRIBUTES.has(lower) || lower === 'password' || value === null) {
			continue;
		}
		if (lower === ENTERPRISE_SCHEMA.toLowerCase()) {
			if (!isObject(value)) {
				return problem('invalidValue', `${ENTERPRISE_SCHEMA} must be an object`);
			}
			for (const [name, inner] of Object.entries(value)) {
				const checked = checkNamed(ENTERPRISE_ATTRIBUTES, name, inner, `${ENTERPRISE_SCHEMA}:`);
				if (!checked.ok) {
					return checked;
				}
				setIfAssigned(enterprise, checked.name, checked.value);
			}
			continue;
		}
		const inEnterprise = lower.startsWith(`${ENTERPRISE_SCHEMA.toLowerCase()}:`);
		const name = inEnterprise || lower.startsWith(`${USER_SCHEMA.toLowerCase()}:`) ? key.slice(key.lastIndexOf(':') + 1) : key;
		const checked = checkNamed(
			inEnterprise ? ENTERPRISE_ATTRIBUTES : USER_ATTRIBUTES,
			name,
			value,
			inEnterprise ? `${ENTERPRISE_SCHEMA}:` : '',
		);
		if (!checked.ok) {
			return checked;
		}
		setIfAssigned(inEnterprise ? enterprise : core, checked.name, checked.value);
	}
	const stored: StoredAttributes = { ...core, ...(Object.keys(enterprise).length > 0 ? { [ENTERPRISE_SCHEMA]: { ...enterprise } } : {}) };
	if (Buffer.byteLength(JSON.stringify(stored)) > MAX_STORED_BYTES) {
		return problem('invalidValue', `the User's attributes are over ${MAX_STORED_BYTES / 1024} KB`);
	}
	return { ok: true, value: stored };
}

function setIfAssigned(target: Record<string, unknown>, name: string, value: unknown): void {
	if (value !== undefined) {
		target[name] = value;
	}
}

function checkNamed(
	list: readonly AttributeDefinition[],
	name: string,
	value: unknown,
	prefix: string,
): { ok: true; name: string; value: unknown } | AttributeProblem {
	const definition = findAttribute(list, name);
	if (!definition || definition.name === 'password') {
		return problem('invalidValue', `${prefix}${name} is not an attribute this service declares for Users (see /scim/v2/Schemas)`);
	}
	const checked = checkValue(definition, value, `${prefix}${definition.name}`);
	return checked.ok ? { ok: true, name: definition.name, value: checked.value } : checked;
}

function checkValue(definition: AttributeDefinition, value: unknown, path: string): { ok: true; value: unknown } | AttributeProblem {
	if (value === null) {
		return { ok: true, value: undefined };
	}
	if (!definition.multiValued) {
		return checkSingle(definition, value, path);
	}
	if (!Array.isArray(value)) {
		return problem('invalidValue', `${path} must be a list`);
	}
	if (value.length > MAX_VALUES) {
		return problem('invalidValue', `${path} must have at most ${MAX_VALUES} values`);
	}
	const values: unknown[] = [];
	for (const [index, each] of value.entries()) {
		const checked = checkSingle(definition, each, `${path}[${index}]`);
		if (!checked.ok) {
			return checked;
		}
		values.push(checked.value);
	}
	return { ok: true, value: values };
}

function checkSingle(definition: AttributeDefinition, value: unknown, path: string): { ok: true; value: unknown } | AttributeProblem {
	switch (definition.type) {
		case 'complex': {
			const values = definition.subAttributes?.some((sub) => sub.name === 'value');
			if (typeof value === 'string' && values && !definition.multiValued) {
				// Entra ID sends the enterprise manager as its id alone: that is its value.
				return checkSingle(definition, { value }, path);
			}
			if (!isObject(value)) {
				return problem('invalidValue', `${path} must be an object`);
			}
			const result = bare();
			for (const [name, inner] of Object.entries(value)) {
				const checked = checkNamed(definition.subAttributes ?? [], name, inner, `${path}.`);
				if (!checked.ok) {
					return checked;
				}
				setIfAssigned(result, checked.name, checked.value);
			}
			return { ok: true, value: { ...result } };
		}
		case 'boolean':
			// Entra ID sends some booleans as "True"/"False".
			if (typeof value === 'string' && /^(true|false)$/i.test(value)) {
				return { ok: true, value: value.toLowerCase() === 'true' };
			}
			return typeof value === 'boolean' ? { ok: true, value } : problem('invalidValue', `${path} must be true or false`);
		case 'integer':
			return Number.isSafeInteger(value) ? { ok: true, value } : problem('invalidValue', `${path} must be a whole number`);
		default:
			if (typeof value !== 'string') {
				return problem('invalidValue', `${path} must be a string`);
			}
			if (value.length > MAX_TEXT) {
				return problem('invalidValue', `${path} must be at most ${MAX_TEXT} characters`);
			}
			return hasUnsafeText(value)
				? problem('invalidValue', `${path} must not contain control or bidirectional-override characters`)
				: { ok: true, value };
	}
}

const ATTRIBUTE_PATH = /^([A-Za-z$][\w$-]*)(?:\[(.+)\])?(?:\.([A-Za-z$][\w$-]*))?$/s;

/**
 * Checks a PATCH path (RFC 7644 §3.5.2) before any library sees it: it must name a declared
 * attribute (and sub-attribute), optionally behind the User or enterprise schema URN, with a filter
 * that parses. Anything else — `__proto__.x`, `constructor.prototype.x` included — is `invalidPath`.
 */
export function checkPatchPath(path: string): AttributeProblem | undefined {
	let rest = path.trim();
	let list = USER_ATTRIBUTES;
	const lower = rest.toLowerCase();
	if (lower === ENTERPRISE_SCHEMA.toLowerCase()) {
		return undefined;
	}
	if (lower.startsWith(`${ENTERPRISE_SCHEMA.toLowerCase()}:`)) {
		rest = rest.slice(ENTERPRISE_SCHEMA.length + 1);
		list = ENTERPRISE_ATTRIBUTES;
	} else if (lower.startsWith(`${USER_SCHEMA.toLowerCase()}:`)) {
		rest = rest.slice(USER_SCHEMA.length + 1);
	}
	const match = ATTRIBUTE_PATH.exec(rest);
	if (!match) {
		return problem('invalidPath', `the path ${JSON.stringify(path)} is not an attribute path (RFC 7644 §3.5.2)`);
	}
	const [, name = '', filter, sub] = match;
	if (READ_ONLY_ATTRIBUTES.has(name.toLowerCase())) {
		return problem('mutability', `${name} is set by the service and cannot be changed`);
	}
	const definition = list === USER_ATTRIBUTES && name.toLowerCase() === 'externalid' ? EXTERNAL_ID : findAttribute(list, name);
	if (!definition) {
		return problem('invalidPath', `${name} is not an attribute this service declares for Users (see /scim/v2/Schemas)`);
	}
	if (sub !== undefined && !findAttribute(definition.subAttributes ?? [], sub)) {
		return problem('invalidPath', `${definition.name}.${sub} is not a sub-attribute this service declares`);
	}
	if (filter !== undefined) {
		try {
			parseFilter(filter);
		} catch {
			return problem('invalidPath', `the filter in ${JSON.stringify(path)} could not be parsed`);
		}
	}
	return undefined;
}

/** A PATCH value without a path names attributes by its keys: each must be a path of its own. */
export function checkPatchValueKeys(value: unknown): AttributeProblem | undefined {
	if (!isObject(value)) {
		return problem('invalidValue', 'an operation without a path takes an object of attributes as its value');
	}
	for (const key of Object.keys(value)) {
		const found = checkPatchPath(key);
		if (found) {
			return found;
		}
	}
	return undefined;
}
