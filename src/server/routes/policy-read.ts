import type { IncomingMessage, ServerResponse } from 'node:http';
import { heldRevision, ifNoneMatchHits, negotiateSchemaVersion, SCHEMA_HEADER, type SchemaVersion } from '../../policy';
import { isVsCodeSignIn, type Principal, type Tokens } from '../accounts';
import { ConnectionBearers } from '../http/connection-bearer';
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
	/**
	 * Every header of the answer as the shortcut hands them to Node: `nosniff` and `Content-Length`
	 * included, as the flat name, value list `writeHead` takes.
	 */
	readonly wireHeaders: readonly string[];
}

/** The two answers a read of one served policy in one schema version can get. */
interface PreparedReads {
	readonly ok: PolicyReadAnswer;
	readonly notModified: PolicyReadAnswer;
}

/**
 * Each served policy's answers, made on its first read in a schema version: a read then builds no
 * header object and measures no body. Building them on every read (two objects with computed keys,
 * spread into a third) cost about 1 µs of a 30 µs read (bench/NOTES.md, session 38). Kept against
 * the served object, which lives as long as its revision is the newest (`baseVariant`,
 * `PolicyVariants`).
 */
const preparedByServed = new WeakMap<MemberPolicy, Map<SchemaVersion, PreparedReads>>();

/** The last answers looked up: nearly every read is of the same organization's newest revision. */
let lastPrepared: { readonly served: MemberPolicy; readonly version: SchemaVersion; readonly reads: PreparedReads } | undefined;

function preparedReads(served: MemberPolicy, version: SchemaVersion): PreparedReads {
	if (lastPrepared?.served === served && lastPrepared.version === version) {
		return lastPrepared.reads;
	}
	let byVersion = preparedByServed.get(served);
	if (!byVersion) {
		byVersion = new Map();
		preparedByServed.set(served, byVersion);
	}
	let prepared = byVersion.get(version);
	if (!prepared) {
		prepared = prepareReads(served, version);
		byVersion.set(version, prepared);
	}
	lastPrepared = { served, version, reads: prepared };
	return prepared;
}

function prepareReads(served: MemberPolicy, version: SchemaVersion): PreparedReads {
	const headers = {
		etag: served.etag(version),
		'cache-control': 'private, no-cache',
		[SCHEMA_HEADER]: String(version),
		vary: SCHEMA_HEADER,
	};
	const body = served.json(version);
	return {
		ok: preparedAnswer(200, { ...headers, 'content-type': 'application/json; charset=utf-8' }, body),
		notModified: preparedAnswer(304, headers),
	};
}

function preparedAnswer(status: 200 | 304, headers: Record<string, string>, body?: string): PolicyReadAnswer {
	const wireHeaders = [NO_SNIFF.name, NO_SNIFF.value, ...Object.entries(headers).flat()];
	if (body !== undefined) {
		wireHeaders.push('content-length', String(Buffer.byteLength(body)));
	}
	return { status, headers, body, wireHeaders };
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
	const prepared = preparedReads(served, version);
	if (ifNoneMatchHits(ifNoneMatch, served.revision, version, served.applied)) {
		return prepared.notModified;
	}
	// Measured against the newest revision, not the one served (a rollout's stable one, say). Only
	// what a VS Code holds counts: a script's If-None-Match is not a member's revision.
	const { user } = principal;
	const newest = ifNoneMatch === undefined || !isVsCodeSignIn(principal) ? undefined : policies.newestInMemory(user.orgId);
	if (newest) {
		heldAhead.note(user.orgId, user.id, heldRevision(ifNoneMatch), newest.revision);
	}
	return prepared.ok;
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
	const bearers = new ConnectionBearers();
	return (request: IncomingMessage, response: ServerResponse): boolean => {
		// fastify reads no body on a GET either, so one sent along changes nothing here.
		if (request.method !== 'GET' || request.url !== path || deps.isClosing() || deps.logsRequests()) {
			return false;
		}
		const tokenHash = bearers.tokenHashOf(request);
		const principal = tokenHash === undefined ? undefined : deps.tokens.resolvedRecently(tokenHash);
		const served = principal && servedFromMemory(deps, principal.user);
		if (!principal || !served) {
			return false;
		}
		const answer = policyReadAnswer(deps, principal, served, {
			ifNoneMatch: request.headers['if-none-match'],
			schema: request.headers[SCHEMA_HEADER] as string | undefined,
		});
		// Node's writeHead takes the list as it is (it copies nothing when no header was set before).
		// The body is written before end(), as fastify does: Node sends it with the head in one
		// write, where end(body) would cork the socket and send it with an empty second chunk.
		response.writeHead(answer.status, answer.wireHeaders as string[]);
		if (answer.body !== undefined) {
			response.write(answer.body);
		}
		response.end();
		return true;
	};
}
