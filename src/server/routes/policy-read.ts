import type { IncomingMessage, ServerResponse } from 'node:http';
import { heldRevision, ifNoneMatchHits, negotiateSchemaVersion, SCHEMA_HEADER } from '../../policy';
import { isVsCodeSignIn, type Principal, type Tokens } from '../accounts';
import { bearerTokenOf } from '../http/auth';
import { NO_SNIFF } from '../http/plumbing';
import type { RequestShortcut } from '../http/shortcut-server';
import type { RevisionsHeldAhead } from '../policy/held-ahead';
import type { PolicyService } from '../policy/policy-service';
import { servedFromMemory } from '../policy/served-policy';
import type { MemberPolicy } from '../policy/variants';

/** A member's read of their signed policy, whichever layer sends it: fastify's route or the shortcut. */
export interface PolicyReadAnswer {
	readonly status: 200 | 304;
	readonly headers: Readonly<Record<string, string>>;
	/** The signed envelope as stored (the signature covers these exact bytes' canonical form); none on 304. */
	readonly body?: string;
}

export interface PolicyReadDeps {
	readonly policies: Pick<PolicyService, 'newestInMemory'>;
	/** Members whose reads name a revision newer than any here (the database was restored from a backup). */
	readonly heldAhead: Pick<RevisionsHeldAhead, 'note'>;
}

/** The request headers a read depends on. */
export interface PolicyReadRequest {
	readonly ifNoneMatch: string | undefined;
	readonly schema: string | undefined;
}

/** What `principal` is answered when `served` is what they are served: 304 when their If-None-Match names it. */
export function policyReadAnswer(
	{ policies, heldAhead }: PolicyReadDeps,
	principal: Principal,
	served: MemberPolicy,
	{ ifNoneMatch, schema }: PolicyReadRequest,
): PolicyReadAnswer {
	const version = negotiateSchemaVersion(schema);
	const headers = {
		etag: served.etag(version),
		'cache-control': 'private, no-cache',
		[SCHEMA_HEADER]: String(version),
		vary: SCHEMA_HEADER,
	};
	if (ifNoneMatchHits(ifNoneMatch, served.revision, version, served.applied)) {
		return { status: 304, headers };
	}
	// Measured against the newest revision, not the one served (a rollout's stable one, say). Only
	// what a VS Code holds counts: a script's If-None-Match is not a member's revision.
	const { user } = principal;
	const newest = ifNoneMatch === undefined || !isVsCodeSignIn(principal) ? undefined : policies.newestInMemory(user.orgId);
	if (newest) {
		heldAhead.note(user.orgId, user.id, heldRevision(ifNoneMatch), newest.revision);
	}
	return { status: 200, headers: { ...headers, 'content-type': 'application/json; charset=utf-8' }, body: served.json(version) };
}

export interface PolicyReadShortcutDeps extends PolicyReadDeps {
	readonly tokens: Pick<Tokens, 'resolvedRecently'>;
	/** While the service closes, fastify answers every request (503, connection closed). */
	readonly isClosing: () => boolean;
	/** While requests are logged, fastify answers them all, so each read is logged as every other request is. */
	readonly logsRequests: () => boolean;
}

/**
 * `GET /api/v1/policy` answered before fastify's router when everything it needs is in memory: a
 * bearer token resolved moments ago and the organization's newest revision, served alike to every
 * member (no rollout, no overlays). That is nearly every read, and fastify's request pipeline costs
 * about as much as such a read (bench/NOTES.md, *Policy reads*). Anything else is left to the route
 * (sign-in refusals, a HEAD, a query, rollouts, overlays, a revision not in memory yet),
 * which gives the same answer through {@link policyReadAnswer}.
 */
export function policyReadShortcut(deps: PolicyReadShortcutDeps, path: string): RequestShortcut {
	return (request: IncomingMessage, response: ServerResponse): boolean => {
		// fastify reads no body on a GET either, so one sent along changes nothing here.
		if (request.method !== 'GET' || request.url !== path || deps.isClosing() || deps.logsRequests()) {
			return false;
		}
		const token = bearerTokenOf(request.headers.authorization);
		const principal = token === undefined ? undefined : deps.tokens.resolvedRecently(token);
		const served = principal && servedFromMemory(deps, principal.user);
		if (!principal || !served) {
			return false;
		}
		const answer = policyReadAnswer(deps, principal, served, {
			ifNoneMatch: request.headers['if-none-match'],
			schema: request.headers[SCHEMA_HEADER] as string | undefined,
		});
		response.writeHead(answer.status, {
			[NO_SNIFF.name]: NO_SNIFF.value,
			...answer.headers,
			...(answer.body === undefined ? {} : { 'content-length': Buffer.byteLength(answer.body) }),
		});
		response.end(answer.body);
		return true;
	};
}
