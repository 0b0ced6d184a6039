import { LIST_SCHEMA, MAX_PAGE } from './scim-resource';
import {
	ENTERPRISE_ATTRIBUTES,
	ENTERPRISE_SCHEMA,
	EXTERNAL_ID,
	GROUP_ATTRIBUTES,
	USER_ATTRIBUTES,
	USER_SCHEMA,
	type AttributeDefinition,
} from './scim-schema';

const GROUP_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:Group';
const SCHEMA_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:Schema';
const RESOURCE_TYPE_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:ResourceType';
const SERVICE_PROVIDER_CONFIG_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig';

/**
 * SCIM's discovery documents (RFC 7644 §4, their content RFC 7643 §5–7): what a directory, or a
 * conformance tester, reads before it provisions anyone. Built from the same attribute table the
 * service checks requests against, so the two cannot disagree.
 */
export class ScimDiscovery {
	constructor(private readonly base: () => string) {}

	serviceProviderConfig(documentationUri: string) {
		return {
			schemas: [SERVICE_PROVIDER_CONFIG_SCHEMA],
			documentationUri,
			patch: { supported: true },
			bulk: { supported: false, maxOperations: 0, maxPayloadSize: 0 },
			filter: { supported: true, maxResults: MAX_PAGE },
			changePassword: { supported: false },
			sort: { supported: false },
			etag: { supported: false },
			authenticationSchemes: [
				{
					type: 'oauthbearertoken',
					name: 'OAuth Bearer Token',
					description: 'The SCIM token created in the console under Single sign-on',
					primary: true,
				},
			],
			meta: { resourceType: 'ServiceProviderConfig', location: `${this.base()}/ServiceProviderConfig` },
		};
	}

	resourceTypes() {
		return [
			{
				schemas: [RESOURCE_TYPE_SCHEMA],
				id: 'User',
				name: 'User',
				endpoint: '/Users',
				description: 'A member of the organization',
				schema: USER_SCHEMA,
				schemaExtensions: [{ schema: ENTERPRISE_SCHEMA, required: false }],
				meta: { resourceType: 'ResourceType', location: `${this.base()}/ResourceTypes/User` },
			},
			{
				schemas: [RESOURCE_TYPE_SCHEMA],
				id: 'Group',
				name: 'Group',
				endpoint: '/Groups',
				description: 'A group of members (its overlays and rollouts apply to them)',
				schema: GROUP_SCHEMA,
				meta: { resourceType: 'ResourceType', location: `${this.base()}/ResourceTypes/Group` },
			},
		];
	}

	schemas() {
		return [
			this.schema(USER_SCHEMA, 'User', 'User Account', [...USER_ATTRIBUTES, EXTERNAL_ID]),
			this.schema(ENTERPRISE_SCHEMA, 'EnterpriseUser', 'Enterprise User', ENTERPRISE_ATTRIBUTES),
			this.schema(GROUP_SCHEMA, 'Group', 'Group', GROUP_ATTRIBUTES),
		];
	}

	/** A ListResponse of discovery resources (RFC 7644 §4: no filtering or paging). */
	list<T>(resources: T[]) {
		return { schemas: [LIST_SCHEMA], totalResults: resources.length, startIndex: 1, itemsPerPage: resources.length, Resources: resources };
	}

	private schema(id: string, name: string, description: string, attributes: readonly AttributeDefinition[]) {
		return {
			schemas: [SCHEMA_SCHEMA],
			id,
			name,
			description,
			attributes: attributes.map(describe),
			meta: { resourceType: 'Schema', location: `${this.base()}/Schemas/${id}` },
		};
	}
}

/** An attribute as RFC 7643 §7 describes it. */
function describe(attribute: AttributeDefinition): Record<string, unknown> {
	const { subAttributes, referenceTypes, canonicalValues, ...rest } = attribute;
	return {
		...rest,
		...(attribute.type === 'complex' ? {} : { caseExact: attribute.caseExact }),
		...(subAttributes ? { subAttributes: subAttributes.map(describe) } : {}),
		...(referenceTypes ? { referenceTypes } : {}),
		...(canonicalValues && canonicalValues.length > 0 ? { canonicalValues } : {}),
	};
}
