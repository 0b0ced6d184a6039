import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateSigningKeyPair, SCHEMA_HEADER, verifySignedPolicy, type PolicySigningKey } from '../../src/policy';
import { realScheduler } from '../../src/extension/base/scheduler';
import { PolicySync, type SyncState } from '../../src/extension/sync/policy-sync';
import { parseConfig, type ServerConfigInput } from '../../src/server/config';
import { whenChanged } from '../support/eventually';
import { MemoryKeyValueStore, MemorySecretStore } from '../support/memory-storage';
import { validSettings } from '../support/policy-fixtures';
import { freshDatabase } from '../support/postgres';
import { ADMIN, bearer, jsonOf, putPolicy, startService, type RunningService } from '../support/service';

/** A key file as an operator makes one (`openssl genpkey -algorithm ed25519`), mode 0600. */
function keyFile(dir: string, name: string): { path: string; key: PolicySigningKey } {
	const pair = generateSigningKeyPair();
	const path = join(dir, name);
	writeFileSync(path, pair.privateKeyPem, { mode: 0o600 });
	return { path, key: pair.publicKey };
}

/** A member of the current release: a real PolicySync whose storage outlives its restarts. */
class Member {
	readonly state = new MemoryKeyValueStore();
	readonly secrets = new MemorySecretStore();
	private sync: PolicySync | undefined;

	constructor(readonly signedInWith: PolicySigningKey) {}

	async syncWith(url: string, accessToken: string, revision: number): Promise<SyncState> {
		this.sync?.dispose();
		const sync = new PolicySync({ state: this.state, secrets: this.secrets }, realScheduler, { ackSpreadMs: 0 });
		this.sync = sync;
		sync.start({
			connection: { serverUrl: url, fetch: globalThis.fetch },
			trust: { signingKey: this.signedInWith, organizationId: 'acme' },
			accessToken: async () => accessToken,
			refresh: async () => false,
		});
		return whenChanged(
			() => sync.current,
			sync.onDidChangeState,
			(state) => state.policy?.document.revision === revision && state.status === 'in-sync',
			`revision ${revision} applied`,
			10_000,
		);
	}

	pinnedKeyId(): string {
		return JSON.parse(this.secrets.values.get('orgProviderPolicy.pin')!).signingKey.keyId;
	}

	dispose(): void {
		this.sync?.dispose();
	}
}

describe('signing key custody and rotation', function () {
	this.timeout(30_000);
	let dir: string;
	let storage: { dataDir: string } | { databaseUrl: string };
	let dropDatabase: (() => Promise<void>) | undefined;
	let service: RunningService | undefined;
	const members: Member[] = [];

	const start = async (settings: Partial<ServerConfigInput> = {}) => {
		await service?.close();
		service = undefined;
		// A new port each start: a pooled keep-alive socket to the stopped instance must not be reused.
		service = await startService({ ...storage, settings });
		return service;
	};
	const served = async (url: string, token: string, schema?: string) =>
		jsonOf(await fetch(`${url}/api/v1/policy`, { headers: bearer(token, schema ? { [SCHEMA_HEADER]: schema } : {}) }));

	beforeEach(async () => {
		dir = mkdtempSync(join(tmpdir(), 'opp-keys-'));
		if (process.env.ORG_POLICY_TEST_STORE === 'postgres') {
			const database = await freshDatabase();
			storage = { databaseUrl: database.url };
			dropDatabase = database.drop;
		} else {
			storage = { dataDir: join(dir, 'data') };
		}
	});
	afterEach(async () => {
		members.splice(0).forEach((member) => member.dispose());
		// The service owns no database of its own here (storage is passed in): drop it after closing.
		await service?.close();
		service = undefined;
		await dropDatabase?.();
		dropDatabase = undefined;
		rmSync(dir, { recursive: true, force: true });
	});

	it('moves from the database key to a key file: the old key endorses the new one, members follow and re-pin, first-release members keep the old signature during the overlap', async () => {
		let running = await start();
		const admin = await running.signIn(ADMIN.email);
		const databaseKey = admin.policy_signing_key;
		const member = new Member(databaseKey);
		members.push(member);
		await member.syncWith(running.url, admin.access_token, 1);
		assert.equal(member.pinnedKeyId(), databaseKey.keyId);

		const file = keyFile(dir, 'policy-signing.pem');
		running = await start({ signingKeyFile: file.path });
		const after = await running.signIn(ADMIN.email);
		assert.equal(after.policy_signing_key.keyId, file.key.keyId, 'new sign-ins pin the key from the file');

		// Revision 2 re-publishes the policy under the new key, carrying the endorsement.
		const envelope = await served(running.url, admin.access_token, '2');
		assert.equal(envelope.policy.revision, 2);
		assert.equal(envelope.signature.keyId, file.key.keyId);
		assert.deepEqual(
			envelope.keyEndorsements.map((e: { key: { keyId: string }; endorsedBy: string }) => [e.endorsedBy, e.key.keyId]),
			[[databaseKey.keyId, file.key.keyId]],
		);
		assert.equal(verifySignedPolicy(envelope, { signingKey: databaseKey, organizationId: 'acme' }).signingKey.keyId, file.key.keyId);

		// The member pinned to the database key applies it and pins the file's key, keeping its mark.
		await member.syncWith(running.url, admin.access_token, 2);
		assert.equal(member.pinnedKeyId(), file.key.keyId);
		assert.equal((await putPolicy(running.url, admin.access_token, validSettings.plainCompatible, '"2"')).status, 200);
		await member.syncWith(running.url, admin.access_token, 3);

		// A first-release member (schema 1, no room for endorsements) still gets the database key's signature.
		const legacy = await served(running.url, admin.access_token);
		assert.deepEqual(Object.keys(legacy).sort(), ['policy', 'signature'], 'the envelope a first-release member validates strictly');
		assert.equal(legacy.signature.keyId, databaseKey.keyId);
		assert.equal(verifySignedPolicy(legacy, { signingKey: databaseKey, organizationId: 'acme' }).policy.revision, 3);
	});

	it('rotates from one key file to the next: the previous key endorses it, a member pinned to the first key follows the whole chain, the replaced key is refused', async () => {
		let running = await start();
		const admin = await running.signIn(ADMIN.email);
		const first = admin.policy_signing_key;
		const [second, third] = [keyFile(dir, 'second.pem'), keyFile(dir, 'third.pem')];
		await start({ signingKeyFile: second.path });

		await assert.rejects(start({ signingKeyFile: third.path }), (error: Error) => {
			assert.match(error.message, /trust key .* which must endorse the new key/);
			assert.match(error.message, /--previous-signing-key-file \(ORG_POLICY_PREVIOUS_SIGNING_KEY_FILE\)/);
			return true;
		});
		running = await start({ signingKeyFile: third.path, previousSigningKeyFile: second.path });
		const envelope = await served(running.url, admin.access_token, '2');
		assert.equal(envelope.signature.keyId, third.key.keyId);
		assert.deepEqual(
			envelope.keyEndorsements.map((e: { key: { keyId: string } }) => e.key.keyId),
			[second.key.keyId, third.key.keyId],
		);

		// A member who signed in before any rotation and was offline through both.
		const member = new Member(first);
		members.push(member);
		await member.syncWith(running.url, admin.access_token, envelope.policy.revision);
		assert.equal(member.pinnedKeyId(), third.key.keyId);
		// A later start of the extension still names the sign-in's key: the pin stays on the newest.
		await member.syncWith(running.url, admin.access_token, envelope.policy.revision);
		assert.equal(member.pinnedKeyId(), third.key.keyId);

		await assert.rejects(start({ signingKeyFile: second.path }), /key .* was replaced by key .*; members no longer accept it/);
	});

	it('refuses what would let others sign or lock members out, naming the flag', async () => {
		const loose = keyFile(dir, 'loose.pem');
		chmodSync(loose.path, 0o644);
		await assert.rejects(
			start({ signingKeyFile: loose.path }),
			/--signing-key-file \(ORG_POLICY_SIGNING_KEY_FILE\): .* is readable or writable by others \(mode 644\); run `chmod 600/,
		);
		writeFileSync(join(dir, 'not-a-key.pem'), 'hello', { mode: 0o600 });
		await assert.rejects(start({ signingKeyFile: join(dir, 'not-a-key.pem') }), /not an Ed25519 private key in PKCS#8 PEM/);
		assert.throws(
			() => parseConfig(['--previous-signing-key-file', loose.path], {}),
			/--previous-signing-key-file \(ORG_POLICY_PREVIOUS_SIGNING_KEY_FILE\): needs --signing-key-file/,
		);
	});

	it('keeps no private key in the database for an organization created with a key file, and will not start without it', async () => {
		const file = keyFile(dir, 'root.pem');
		const running = await start({ signingKeyFile: file.path });
		assert.equal((await running.signIn(ADMIN.email)).policy_signing_key.keyId, file.key.keyId);
		assert.deepEqual(
			{ ...(await running.store.getSigningKey('acme')), createdAt: 0 },
			{ orgId: 'acme', privateKeyPem: null, publicKey: file.key.publicKey, createdAt: 0 },
		);
		await assert.rejects(
			start(),
			/signs with key .*, whose private key is neither in the database nor given to this instance; start it with --signing-key-file/,
		);
	});

	it('after the overlap, forgets the database copy of the old key and signs first-release envelopes with the new one', async () => {
		await start();
		const file = keyFile(dir, 'new.pem');
		await start({ signingKeyFile: file.path, keyOverlapDays: 0 });
		const running = await start({ signingKeyFile: file.path, keyOverlapDays: 0 });
		assert.equal((await running.store.getSigningKey('acme'))?.privateKeyPem, null);
		const admin = await running.signIn(ADMIN.email);
		assert.equal((await served(running.url, admin.access_token)).signature.keyId, file.key.keyId);
	});
});
