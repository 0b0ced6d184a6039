/**
 * The User resource this service declares (RFC 7643 §4.1 and the enterprise extension, §4.3): the
 * one table that `/Schemas` publishes, that every attribute a directory sends is checked against,
 * and that PATCH paths must name. What is declared is kept and returned as sent; what is not is
 * refused, so nothing a directory writes is silently dropped.
 */

export const USER_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:User';
export const ENTERPRISE_SCHEMA = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';

export type AttributeType = 'string' | 'boolean' | 'complex' | 'reference' | 'dateTime' | 'integer';

export interface AttributeDefinition {
	readonly name: string;
	readonly type: AttributeType;
	readonly multiValued: boolean;
	readonly description: string;
	readonly required: boolean;
	readonly caseExact: boolean;
	readonly mutability: 'readOnly' | 'readWrite' | 'immutable' | 'writeOnly';
	readonly returned: 'always' | 'never' | 'default' | 'request';
	readonly uniqueness: 'none' | 'server' | 'global';
	readonly subAttributes?: readonly AttributeDefinition[];
	readonly referenceTypes?: readonly string[];
	readonly canonicalValues?: readonly string[];
}

type Options = Partial<Omit<AttributeDefinition, 'name' | 'type' | 'description' | 'subAttributes'>>;

function attribute(name: string, type: AttributeType, description: string, options: Options = {}): AttributeDefinition {
	return {
		name,
		type,
		description,
		multiValued: false,
		required: false,
		caseExact: false,
		mutability: 'readWrite',
		returned: 'default',
		uniqueness: 'none',
		...options,
	};
}

const complex = (name: string, description: string, subAttributes: AttributeDefinition[], options: Options = {}): AttributeDefinition => ({
	...attribute(name, 'complex', description, options),
	subAttributes,
});

/** value, display, type, primary: the shape of emails, phoneNumbers and the like (RFC 7643 §2.4). */
const multiValued = (name: string, description: string, types: string[], extra: AttributeDefinition[] = []) =>
	complex(
		name,
		description,
		[
			attribute('value', 'string', `The ${name} value.`),
			attribute('display', 'string', 'A human-readable name.'),
			attribute('type', 'string', 'A label indicating the function.', { canonicalValues: types }),
			attribute('primary', 'boolean', 'Whether this is the primary value.'),
			...extra,
		],
		{ multiValued: true },
	);

export const USER_ATTRIBUTES: readonly AttributeDefinition[] = [
	attribute('userName', 'string', "The person's e-mail address, which identifies them to this service.", {
		required: true,
		uniqueness: 'server',
	}),
	complex('name', "The components of the person's name.", [
		attribute('formatted', 'string', 'The full name, formatted for display.'),
		attribute('familyName', 'string', 'The family name.'),
		attribute('givenName', 'string', 'The given name.'),
		attribute('middleName', 'string', 'The middle name(s).'),
		attribute('honorificPrefix', 'string', 'The honorific prefix(es).'),
		attribute('honorificSuffix', 'string', 'The honorific suffix(es).'),
	]),
	attribute('displayName', 'string', 'The name shown for the person.'),
	attribute('nickName', 'string', 'The casual name.'),
	attribute('profileUrl', 'reference', "The person's online profile.", { referenceTypes: ['external'] }),
	attribute('title', 'string', "The person's title."),
	attribute('userType', 'string', 'The relationship to the organization.'),
	attribute('preferredLanguage', 'string', 'The preferred written or spoken language.'),
	attribute('locale', 'string', 'The default location for localization.'),
	attribute('timezone', 'string', 'The time zone, in the IANA format.'),
	attribute('active', 'boolean', 'Whether the person may sign in: false revokes every token they hold at once.'),
	attribute('password', 'string', 'Accepted and never kept or returned: people sign in through the identity provider.', {
		mutability: 'writeOnly',
		returned: 'never',
		caseExact: true,
	}),
	multiValued('emails', 'E-mail addresses; without any, the userName is returned as the primary work address.', ['work', 'home', 'other']),
	multiValued('phoneNumbers', 'Phone numbers.', ['work', 'home', 'mobile', 'fax', 'pager', 'other']),
	multiValued('ims', 'Instant messaging addresses.', ['aim', 'gtalk', 'icq', 'xmpp', 'msn', 'skype', 'qq', 'yahoo']),
	multiValued('photos', 'Photo URLs.', ['photo', 'thumbnail']),
	complex(
		'addresses',
		'Physical mailing addresses.',
		[
			attribute('formatted', 'string', 'The full address.'),
			attribute('streetAddress', 'string', 'The street address.'),
			attribute('locality', 'string', 'The city or locality.'),
			attribute('region', 'string', 'The state or region.'),
			attribute('postalCode', 'string', 'The postal code.'),
			attribute('country', 'string', 'The country (ISO 3166-1 alpha-2).'),
			attribute('type', 'string', 'A label indicating the function.', { canonicalValues: ['work', 'home', 'other'] }),
			attribute('primary', 'boolean', 'Whether this is the primary address.'),
		],
		{ multiValued: true },
	),
	multiValued('entitlements', 'Entitlements.', []),
	multiValued('roles', 'Roles in the directory (this service takes admin roles from single sign-on, not from here).', []),
	multiValued('x509Certificates', 'Certificates.', []),
];

export const ENTERPRISE_ATTRIBUTES: readonly AttributeDefinition[] = [
	attribute('employeeNumber', 'string', 'The employee number.'),
	attribute('costCenter', 'string', 'The cost center.'),
	attribute('organization', 'string', 'The organization.'),
	attribute('division', 'string', 'The division.'),
	attribute('department', 'string', 'The department.'),
	complex('manager', "The person's manager.", [
		attribute('value', 'string', "The manager's id."),
		attribute('$ref', 'reference', "The manager's URI.", { referenceTypes: ['User'] }),
		attribute('displayName', 'string', "The manager's display name.", { mutability: 'readOnly' }),
	]),
];

/** Kept in the account itself rather than with the other attributes; the rest are service-assigned. */
export const COLUMN_ATTRIBUTES = new Set(['username', 'active', 'externalid']);
export const READ_ONLY_ATTRIBUTES = new Set(['id', 'meta', 'schemas', 'groups']);
/** The common attribute every resource has (RFC 7643 §3.1), set by the directory. */
export const EXTERNAL_ID = attribute('externalId', 'string', "The directory's own id for the person.", { caseExact: true });

export function findAttribute(list: readonly AttributeDefinition[], name: string): AttributeDefinition | undefined {
	const wanted = name.toLowerCase();
	return list.find((candidate) => candidate.name.toLowerCase() === wanted);
}

/** RFC 7643 §4.2: a Group's attributes as this service keeps them. */
export const GROUP_ATTRIBUTES: readonly AttributeDefinition[] = [
	attribute('displayName', 'string', 'The group’s name, unique in the organization (whatever its case).', {
		required: true,
		uniqueness: 'server',
	}),
	complex(
		'members',
		'The group’s members: Users of this organization, by id.',
		[
			attribute('value', 'string', 'The member’s User id.', { mutability: 'immutable', caseExact: true }),
			attribute('display', 'string', 'The member’s e-mail address.', { mutability: 'readOnly' }),
			attribute('$ref', 'reference', 'The member’s User resource.', { mutability: 'immutable', referenceTypes: ['User'] }),
		],
		{ multiValued: true },
	),
	attribute('externalId', 'string', "The directory's own id for the group.", { caseExact: true }),
];
