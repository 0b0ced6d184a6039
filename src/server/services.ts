import type { FastifyBaseLogger } from 'fastify';
import { createAccounts, DEFAULT_TIMINGS, PasswordResets, type AccountTimings } from './accounts';
import { AuditLog } from './audit';
import { DAY_MS, type Clock } from './clock';
import type { ServerConfig } from './config';
import { GroupsService } from './groups/groups-service';
import { regroupStreams } from './groups/regroup';
import { ScimGroups } from './groups/scim-groups';
import { ServiceMetrics } from './metrics';
import { createOrganizationTokens } from './org-tokens';
import { memberDocuments } from './policy/member-document';
import { memberStandings } from './policy/member-standing';
import { PolicyEvents, PolicyService } from './policy/policy-service';
import { groupNamedByPolicy, Rollouts } from './policy/rollouts';
import { StreamHub } from './policy/stream-hub';
import { RevisionsHeldAhead } from './policy/held-ahead';
import { PolicyVariants } from './policy/variants';
import { Keyring, type KeyCustodyOptions } from './signing/keyring';
import { readSigningKeyFile } from './signing/signer';
import { SsoAdministration } from './sso/administration';
import { OpenIdRelyingParty, type RelyingParty } from './sso/oidc';
import { ScimUsers } from './sso/scim-users';
import { SingleSignOn } from './sso/single-sign-on';
import type { Store } from './store/store';
import { UsageService } from './usage/usage-service';
import { RELEASE_VERSION } from './release';

/** What the service's parts are built from; the HTTP side (logger, rate limits, mail) is the app's. */
export interface ServiceOptions {
	config: ServerConfig;
	store: Store;
	clock: Clock;
	log: FastifyBaseLogger;
	timings?: Partial<AccountTimings>;
	/**
	 * A signer kept outside the database for the configured organization (a KMS, for embedders);
	 * without it, `--signing-key-file` is read, and without that the key stays in the database.
	 */
	externalSigner?: KeyCustodyOptions['external'];
	/** The OpenID Connect relying party (`openid-client`); embedders may wrap it. */
	relyingParty?: RelyingParty;
}

/**
 * The domain half of the composition root: every service, built once, wired to the others it tells
 * (a save to the streams, a group change to the members' documents, a rollout's end to its
 * canary's outsiders). The app hands each route plugin what it uses.
 */
export async function buildServices({
	config,
	store,
	clock,
	log,
	timings,
	externalSigner,
	relyingParty: givenRelyingParty,
}: ServiceOptions) {
	const events = new PolicyEvents();
	const metrics = new ServiceMetrics();
	const keyring = new Keyring(store, clock, {
		external: externalSigner ?? externalSignerOf(config),
		overlapMs: config.keyOverlapDays * DAY_MS,
	});
	const policies = new PolicyService(store, events, clock, keyring);
	const audit = new AuditLog(store.audit, clock, log);
	const accountTimings = { ...DEFAULT_TIMINGS, ...timings };
	const accounts = createAccounts(store, events, clock, accountTimings, (orgId) => policies.signingKey(orgId), audit);
	const otlp = config.otlpMetricsUrl
		? (await import('./usage/otlp-metrics')).otlpUsageMetrics(config.otlpMetricsUrl, config.otlpMetricsIntervalSeconds, RELEASE_VERSION)
		: undefined;
	const rollouts = new Rollouts(store, policies, clock, audit);
	const documentFor = memberDocuments({ policies, rollouts });
	const usage = new UsageService(store, policies, documentFor, clock, (counts) => {
		metrics.recordUsage(counts);
		otlp?.record(counts);
	});
	const groupNames = async (userId: string) => (await store.groups.groupsOf(userId)).map((group) => group.displayName);
	const variants = new PolicyVariants({
		keysFor: (orgId) => keyring.keysFor(orgId),
		groupsOf: groupNames,
		onSigned: () => metrics.effectiveDocumentsSigned.inc(),
	});
	const hub = new StreamHub(events, metrics, config.heartbeatSeconds * 1000, variants);
	const heldAhead = new RevisionsHeldAhead(store, clock, log);
	// A rollout ended (here, or on another instance): promoted, the streams outside its canary get it.
	const rolloutEnded = async (orgId: string) => {
		rollouts.forget(orgId);
		const current = await policies.current(orgId);
		if (current?.rollout && (await store.rolloutOutcome(orgId, current.revision))?.outcome === 'promoted') {
			await hub.promote(current);
		}
	};
	const publicUrl = () => config.publicUrl;
	const organizationTokens = createOrganizationTokens({
		store,
		clock,
		orgId: config.orgId,
		documentFor,
		tokens: accounts.tokens,
		publicUrl,
	});
	const relyingParty = givenRelyingParty ?? new OpenIdRelyingParty(clock);
	const sso = new SingleSignOn({
		identity: store.identity,
		users: store,
		members: accounts.members,
		relyingParty,
		clock,
		audit,
		redirectUri: () => `${config.publicUrl}/console/sso/callback`,
		groups: store.groups,
		// A claim that changed a member's groups changes what their open streams are served.
		groupsChanged: (orgId) => regroup(orgId),
	});
	const passwordResets = new PasswordResets(store, accounts.members, (user) => sso.passwordAllowed(user), clock, accountTimings);
	const administration = new SsoAdministration(sso, store.identity, clock, audit, relyingParty);
	// Members whose groups changed get the document their new groups make, on their open streams.
	const regroup = (orgId: string) =>
		void regroupStreams(orgId, { policies, groups, hub, rollouts }).catch((error: unknown) =>
			log.warn({ err: error }, 'could not regroup streams'),
		);
	const groups: GroupsService = new GroupsService(store.groups, store, clock, audit, regroup, (orgId, name) =>
		groupNamedByPolicy(orgId, name, { policies, rollouts }),
	);
	const standings = memberStandings({ rollouts, groups, store, clock });
	const scimGroups = new ScimGroups(store.groups, store, clock, audit, (kind, id) => `${config.publicUrl}/scim/v2/${kind}/${id}`, regroup);
	const scimUsers = new ScimUsers(store, store.identity, accounts.members, clock, audit, (id) => `${config.publicUrl}/scim/v2/Users/${id}`);
	return {
		events,
		metrics,
		keyring,
		policies,
		audit,
		accounts,
		passwordResets,
		otlp,
		usage,
		groupNames,
		variants,
		hub,
		heldAhead,
		rollouts,
		rolloutEnded,
		organizationTokens,
		sso,
		administration,
		regroup,
		groups,
		standings,
		scimGroups,
		scimUsers,
	};
}

function externalSignerOf(config: ServerConfig): KeyCustodyOptions['external'] {
	if (!config.signingKeyFile) {
		return undefined;
	}
	return {
		orgId: config.orgId,
		signer: readSigningKeyFile(config.signingKeyFile, '--signing-key-file (ORG_POLICY_SIGNING_KEY_FILE)'),
		previous: config.previousSigningKeyFile
			? readSigningKeyFile(config.previousSigningKeyFile, '--previous-signing-key-file (ORG_POLICY_PREVIOUS_SIGNING_KEY_FILE)')
			: undefined,
	};
}
