// The member side of the reliability suite (issue #16): a stalled event stream, and a disk that
// tries to unlock the member (tampered, deleted or rolled-back cache, a forged pin).
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { buildPolicyDocument, generateSigningKeyPair, PolicySettingsSchema, signPolicy } from '../../src/policy';
import { ProviderService } from '../../src/extension/provider/provider-service';
import { PolicySync, type SyncState } from '../../src/extension/sync/policy-sync';
import { eventually, whenChanged } from '../support/eventually';
import { ManualScheduler } from '../support/manual-scheduler';
import { cachedPolicy, memberWhoApplied, MemoryKeyValueStore, MemorySecretStore, setCachedPolicy } from '../support/memory-storage';
import { validSettings } from '../support/policy-fixtures';
import { ManualClock } from '../support/service';

/** Resolves when the sync state matches (re-checked on each change, never a sleep), failing after 5 s. */
const stateWhere = (sync: PolicySync, predicate: (state: SyncState) => boolean, what: string): Promise<SyncState> =>
	whenChanged(() => sync.current, sync.onDidChangeState, predicate, what);

const revisionIs =
	(revision: number, status = 'in-sync') =>
	(state: SyncState) =>
		state.status === status && state.policy?.document.revision === revision;

describe('policy sync notices a stalled event stream', () => {
	const keys = generateSigningKeyPair();
	const policy = (revision: number) =>
		signPolicy(
			buildPolicyDocument(PolicySettingsSchema.parse(validSettings.plainCompatible), {
				organization: { id: 'acme', name: 'Acme Corp' },
				revision,
				updatedAt: '2026-11-26T10:00:00Z',
				updatedBy: 'admin@acme.example',
			}),
			keys.privateKeyPem,
		);
	let server: Server;
	let streams = 0;

	beforeEach(async () => {
		streams = 0;
		// A proxy that stalls the stream: headers and the first event, then nothing, never closing.
		server = createServer((request, response) => {
			if (request.url === '/api/v1/policy') {
				response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(policy(1)));
			} else if (request.url === '/api/v1/policy/events') {
				streams++;
				response.writeHead(200, { 'content-type': 'text/event-stream', 'org-policy-heartbeat': '15' });
				response.write(`id: 1\nevent: policy\ndata: ${JSON.stringify(policy(1))}\n\n`);
			} else {
				response.writeHead(204).end();
			}
		});
		await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
	});
	afterEach(async () => {
		server.closeAllConnections();
		await new Promise((resolve) => server.close(resolve));
	});

	it('drops a stream after three missed heartbeats and reconnects, saying why it was stale', async () => {
		const scheduler = new ManualScheduler(new ManualClock(), false);
		const sync = new PolicySync({ state: new MemoryKeyValueStore(), secrets: new MemorySecretStore() }, scheduler, { ackSpreadMs: 0 });
		try {
			sync.start({
				connection: { serverUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, fetch: globalThis.fetch },
				trust: { signingKey: keys.publicKey, organizationId: 'acme' },
				accessToken: async () => 'token',
				refresh: async () => true,
			});
			await stateWhere(sync, revisionIs(1), 'revision 1');
			await eventually('the stream to open', () => streams === 1);
			assert.equal(await scheduler.pendingSleep(), 52_500, 'the watchdog waits three 15 s heartbeats and half an interval of margin');
			scheduler.advance(52_500);
			const stale = await stateWhere(sync, (state) => state.status === 'stale', 'stale');
			assert.match(stale.status === 'stale' ? stale.reason : '', /went silent \(nothing for 52\.5 s\)/);
			scheduler.advance(await scheduler.pendingSleep());
			await eventually('a new stream', () => streams === 2);
			await stateWhere(sync, revisionIs(1), 'in sync again');
		} finally {
			sync.dispose();
		}
	});
});

describe('a member is never unlocked by its own disk', () => {
	const keys = generateSigningKeyPair();
	const attacker = generateSigningKeyPair();
	const signed = (revision: number, settings: unknown = validSettings.plainCompatible, signer = keys) =>
		JSON.parse(
			JSON.stringify(
				signPolicy(
					buildPolicyDocument(PolicySettingsSchema.parse(settings), {
						organization: { id: 'acme', name: 'Acme Corp' },
						revision,
						updatedAt: '2026-11-26T10:00:00Z',
						updatedBy: 'a@acme.example',
					}),
					signer.privateKeyPem,
				),
			),
		);
	let memento: MemoryKeyValueStore;
	let secrets: MemorySecretStore;
	let sync: PolicySync;

	beforeEach(async () => {
		// A member who applied revision 4 under the organization's real key.
		({ memento, secrets } = await memberWhoApplied(4, signed(4), keys.publicKey));
		sync = new PolicySync({ state: memento, secrets }, new ManualScheduler(new ManualClock(), false), { ackSpreadMs: 0 });
	});
	afterEach(() => sync.dispose());

	const restoredStatus = async () => {
		await sync.restoreLastKnown();
		return sync.current;
	};

	it('restores the verified cache when nothing was touched', async () => {
		assert.equal((await restoredStatus()).policy?.document.revision, 4);
	});

	it('stays locked, unable to verify, when the cache is deleted', async () => {
		await setCachedPolicy(secrets, undefined);
		const state = await restoredStatus();
		assert.equal(state.status, 'cannot-verify');
		assert.match(state.status === 'cannot-verify' ? state.message : '', /no AI provider is used until it is verified/);
	});

	it('stays locked when the cache is altered', async () => {
		const cached = await cachedPolicy<{ envelope: { policy: { enabled: boolean } }; receivedAt: number }>(secrets);
		cached.envelope.policy.enabled = false;
		await setCachedPolicy(secrets, cached);
		assert.equal((await restoredStatus()).status, 'cannot-verify');
	});

	it('refuses an older genuine revision put back into the cache (rollback to enabled: false)', async () => {
		await setCachedPolicy(secrets, { envelope: signed(2, validSettings.disabled), receivedAt: 1 });
		assert.equal((await restoredStatus()).status, 'cannot-verify');
	});

	it('ignores a key written into global state: trust lives in secret storage', async () => {
		await memento.update('orgProviderPolicy.trust', { signingKey: attacker.publicKey, organizationId: 'acme' });
		await setCachedPolicy(secrets, { envelope: signed(9, validSettings.disabled, attacker), receivedAt: 1 });
		assert.equal((await restoredStatus()).status, 'cannot-verify');
	});

	it('keeps the lock through sign-out, and the provider uses nothing meanwhile', async () => {
		await setCachedPolicy(secrets, undefined);
		await sync.restoreLastKnown();
		sync.signedOut();
		assert.equal(sync.current.status, 'cannot-verify');
		const provider = new ProviderService(sync, {
			secrets: new MemorySecretStore(),
			state: new MemoryKeyValueStore(),
			memberProvider: () => ({ preset: 'openai', baseUrl: undefined, headers: {} }),
			microsoftToken: async () => undefined,
			showMessage: () => undefined,
			logDetail: () => undefined,
			fetch: () => globalThis.fetch,
			loadChatClient: () => assert.fail('no client may be built'),
			loadEntra: () => assert.fail('no Entra ID either'),
		});
		try {
			assert.equal(provider.current.locked, true);
			assert.equal(provider.current.provider, undefined, "not the member's own provider");
			assert.throws(() => provider.client(), /cannot verify your organization's policy/);
		} finally {
			provider.dispose();
		}
	});
});
