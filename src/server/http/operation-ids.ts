/**
 * An OpenAPI `operationId` for each route, made from its method and path, so that a client
 * generated from `/api/v1/openapi.json` (openapi-generator, Kiota, openapi-typescript) gets method
 * names a person can read instead of ones it invents per tool: `PUT /api/v1/admin/policy` is
 * `putAdminPolicy`, `DELETE /api/v1/admin/members/:id` is `deleteAdminMembersById`. The `/api/v1`
 * prefix every API route shares is left out; method and path are unique, and so is the name.
 */
export function operationIdOf(method: string, url: string): string {
	const words = url
		.replace(/^\/api\/v1(?=\/|$)/, '')
		.split('/')
		.filter(Boolean)
		.flatMap((segment) => (segment.startsWith(':') ? ['by', segment.slice(1)] : segment.split(/[^A-Za-z0-9]+/)))
		.filter(Boolean);
	return [method.toLowerCase(), ...words.map((word) => word.charAt(0).toUpperCase() + word.slice(1))].join('');
}
