import assert from 'node:assert/strict';
import type { MemberView } from '../../src/server/http/views';
import { form } from '../support/device-sign-in';
import { TestBrowser } from '../support/sso-browser';
import { validSettings } from '../support/policy-fixtures';
import { ADMIN, bearer, createGroup, jsonOf, putPolicy, startService, type RunningService } from '../support/service';

type Listed = Pick<MemberView, 'email' | 'sync' | 'policySchema' | 'appliedRevision' | 'signIns'>;

/**
 * Members whose extension is older than the policy: they say which policy schema they understand on
 * every call, and a revision their schema cannot carry (organization tokens need 3) is never given to
 * them. The admin sees who is left behind for that reason, apart from members merely behind.
 */
describe('members whose extension is too old for the policy', function () {
	this.timeout(60_000);
	let service: RunningService;
	let admin: string;

	before(async () => {
		service = await startService();
		admin = (await service.signIn(ADMIN.email)).access_token;
	});
	after(async () => service.close());

	/** A member's extension that understands policy schemas up to `schema`: reads, then reports what it applied. */
	const extension = async (email: string, schema: string) => {
		await service.addUser(email, 'member');
		return machine(email, schema);
	};
	/** The member signs in (again) from VS Code on another machine: a sign-in of its own. */
	const machine = async (email: string, schema: string, userAgent?: string) => {
		const signedIn = await service.signIn(email);
		const token = signedIn.access_token;
		const headers = (extra: Record<string, string> = {}) =>
			bearer(token, { 'org-policy-schema': schema, ...(userAgent ? { 'user-agent': userAgent } : {}), ...extra });
		return {
			async sync(): Promise<number> {
				const read = await jsonOf(await fetch(`${service.url}/api/v1/policy`, { headers: headers() }));
				const revision = read.policy.revision as number;
				if (read.policy.schemaVersion <= Number(schema)) {
					const applied = await fetch(`${service.url}/api/v1/policy/applied`, {
						method: 'POST',
						headers: headers({ 'content-type': 'application/json' }),
						body: JSON.stringify({ revision }),
					});
					assert.equal(applied.status, 204);
				}
				return revision;
			},
			/** Opens the event stream, as the extension does first, and leaves. */
			async connect(): Promise<void> {
				const controller = new AbortController();
				const stream = await fetch(`${service.url}/api/v1/policy/events`, { headers: headers(), signal: controller.signal });
				assert.equal(stream.status, 200);
				controller.abort();
			},
			/** Signs this machine out (RFC 7009, as the extension's *Sign Out* does). */
			async signOut(): Promise<void> {
				assert.equal((await form(`${service.url}/oauth/revoke`, { token: signedIn.refresh_token })).status, 200);
			},
		};
	};

	const members = async (query = '') => {
		const response = await fetch(`${service.url}/api/v1/admin/members${query}`, { headers: bearer(admin) });
		assert.equal(response.status, 200);
		return (await jsonOf(response)) as { counts: Record<string, number>; matching: number; members: Listed[] };
	};
	const standing = async () =>
		Object.fromEntries(
			(await members()).members
				.filter((member) => member.email !== ADMIN.email)
				.map((member) => [member.email, [member.sync, member.policySchema, member.appliedRevision]]),
		);

	it('names members left behind by their extension apart from those merely behind, and only while the policy needs the update', async () => {
		assert.equal((await putPolicy(service.url, admin, validSettings.plainCompatible, '"1"')).status, 200);
		const old = await extension('old@acme.example', '2');
		const current = await extension('current@acme.example', '3');
		assert.equal(await old.sync(), 2);
		assert.equal(await current.sync(), 2);

		// Organization tokens: schema 2 has no room for them, so members on it cannot be given this revision.
		assert.equal((await putPolicy(service.url, admin, validSettings.organizationToken, '"2"')).status, 200);
		assert.equal(await current.sync(), 3);
		const signedInOnOld = await extension('newcomer@acme.example', '2');
		await signedInOnOld.connect();
		assert.deepEqual(await standing(), {
			'old@acme.example': ['extension too old', 2, 2],
			'current@acme.example': ['in sync', 3, 3],
			'newcomer@acme.example': ['extension too old', 2, null],
		});
		const tooOld = await members(`?${new URLSearchParams({ sync: 'extension too old' })}`);
		assert.deepEqual(
			tooOld.members.map((member) => member.email),
			['newcomer@acme.example', 'old@acme.example'],
		);
		assert.equal(tooOld.counts['extension too old'], 2);

		// A revision schema 2 can carry again: they are only behind, and catch up by themselves.
		assert.equal((await putPolicy(service.url, admin, validSettings.plainCompatible, '"3"')).status, 200);
		assert.deepEqual((await standing())['old@acme.example'], ['behind', 2, 2]);
		assert.equal(await old.sync(), 4);
		assert.deepEqual((await standing())['old@acme.example'], ['in sync', 2, 4]);
	});

	it('judges a member on two machines by the one furthest behind, and forgets a machine signed out', async () => {
		await service.addUser('two@acme.example', 'member');
		const laptop = await machine('two@acme.example', '3', 'OrgProviderPolicy/0.3.0 (VS Code 1.117.0)');
		const desktop = await machine('two@acme.example', '2');
		assert.equal(await desktop.sync(), 4);
		assert.equal(await laptop.sync(), 4);
		const listed = async () => (await members(`?q=two%40`)).members[0]!;
		const inSync = await listed();
		assert.equal(inSync.sync, 'in sync');
		assert.deepEqual(
			inSync.signIns?.map((each) => [each.appliedRevision, each.policySchema]),
			[
				[4, 3],
				[4, 2],
			],
			'each machine, the one seen last first',
		);

		// Organization tokens: the laptop takes the revision, the desktop's extension cannot.
		const saved = await putPolicy(service.url, admin, validSettings.organizationToken, '"4"');
		assert.equal(saved.status, 200);
		assert.equal(await laptop.sync(), 5);
		const behindOnOne = await listed();
		assert.deepEqual(
			[behindOnOne.sync, behindOnOne.appliedRevision, behindOnOne.policySchema],
			['extension too old', 4, 2],
			'the laptop applied 5, yet the desktop holds them back at 4',
		);
		assert.deepEqual(
			behindOnOne.signIns?.map((each) => [each.appliedRevision, each.policySchema, each.extensionVersion, each.vscodeVersion]),
			[
				[5, 3, '0.3.0', '1.117.0'],
				[4, 2, null, null],
			],
			'what each machine runs, as its User-Agent says (0.2.0 said nothing)',
		);
		const browser = new TestBrowser();
		await browser.submit(`${service.url}/console/login`, '/console/login', { email: ADMIN.email, password: ADMIN.password });
		const page = await (await browser.open(`${service.url}/console/members?q=two%40`)).response.text();
		assert.match(page, /one of their machines knows schema 2 only: keeps revision 4 until updated/);
		assert.match(
			page,
			/<td>4<\/td>\s*<td><span class="badge extension-too-old">/,
			'the Applied revision column agrees with the sync state',
		);
		assert.match(
			page,
			/signed in on <span class="sign-in-count">2 machines<\/span>:<ul><li>revision 5 \(extension 0\.3\.0, VS Code 1\.117\.0\) <button [^>]*class="sign-out-machine"[^>]*>Sign out<\/button><\/li><li>revision 4 \(extension 0\.2\.0 or older\) <button [^>]*class="sign-out-machine"[^>]*>Sign out<\/button><\/li><\/ul>/,
		);

		// The desktop is signed out (put away, or handed on): the member is as far along as the laptop.
		await desktop.signOut();
		const after = await listed();
		assert.deepEqual([after.sync, after.appliedRevision, after.policySchema, after.signIns?.length], ['in sync', 5, 3, 1]);
		assert.equal(
			(await putPolicy(service.url, admin, validSettings.plainCompatible, '"5"')).status,
			200,
			'back to a revision schema 2 carries',
		);
	});

	it("counts a canary's members whose extension is too old for the revision rolling out to them", async () => {
		await createGroup(service.url, admin, 'Pilots', ['old@acme.example', 'current@acme.example']);
		const canary = await fetch(`${service.url}/api/v1/admin/policy?rollout=group:Pilots`, {
			method: 'PUT',
			headers: bearer(admin, { 'content-type': 'application/json', 'if-match': '"6"' }),
			body: JSON.stringify(validSettings.organizationToken),
		});
		assert.equal(canary.status, 200, await canary.clone().text());
		const status = await jsonOf(await fetch(`${service.url}/api/v1/admin/rollout`, { headers: bearer(admin) }));
		assert.deepEqual(
			[status.canaryMembers.members, status.canaryMembers.extensionTooOld],
			[2, 1],
			'the old extension in the canary can never adopt it',
		);
		assert.equal(status.everyoneElse.extensionTooOld, 0, 'everyone else keeps revision 6, which schema 2 carries');
	});
});
