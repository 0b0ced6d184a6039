// Endpoint planning is part of the contract (src/policy/endpoint.ts): the console shows admins
// the same request URL members' clients will call.
export { azureOpenAiStylePath, looksLikeAzureHost, planEndpoint, requestUrl, type EndpointPlan } from '../policy/endpoint';
