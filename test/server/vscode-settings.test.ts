import assert from 'node:assert/strict';
import { ADMIN, bearer, createGroup, jsonOf, putPolicy, startService, type RunningService } from '../support/service';
import { form } from '../support/device-sign-in';
import { adminConsole } from '../support/sso-setup';

const WITH_UTILITY = {
	enabled: true,
	provider: {
		id: 'openai-compatible',
		baseUrl: 'https://llm.acme.example/v1',
		models: { allowed: ['gpt-4o', 'gpt-4o-mini'], utilityModel: 'gpt-4o-mini', utilitySmallModel: 'gpt-4o-mini' },
	},
};

/**
 * What members' VS Code reports of the utility-model settings the policy points it at (#24 item 4):
 * the Members API says whose VS Code holds something else, and whose VS Code has no such setting.
 */
describe('VS Code utility-model settings reported by members', function () {
	this.timeout(30_000);
	let service: RunningService;
	let admin: string;

	beforeEach(async () => {
		service = await startService();
		admin = (await service.signIn(ADMIN.email)).access_token;
		assert.equal((await putPolicy(service.url, admin, WITH_UTILITY, '"1"')).status, 200);
	});
	afterEach(async () => service.close());

	const report = async (token: string, body: unknown) =>
		fetch(`${service.url}/api/v1/policy/vscode-settings`, {
			method: 'POST',
			headers: bearer(token, { 'content-type': 'application/json' }),
			body: JSON.stringify(body),
		});
	const chatOf = async (email: string) => {
		const { members } = await jsonOf(await fetch(`${service.url}/api/v1/admin/members`, { headers: bearer(admin) }));
		return (members as { email: string; vscodeChat?: Record<string, unknown> }[]).find((member) => member.email === email)?.vscodeChat;
	};

	it('shows a member whose VS Code holds another utility model as drifted, one that holds the policy’s as not, and an old VS Code as unsupported', async () => {
		const people = {
			kept: await service.addUser('kept@acme.example', 'member'),
			changed: await service.addUser('changed@acme.example', 'member'),
			old: await service.addUser('old@acme.example', 'member'),
		};
		const token = async (email: string) => (await service.signIn(email)).access_token;
		const ours = 'org-provider-policy/gpt-4o-mini';
		assert.equal(
			(await report(await token(people.kept.email), { supported: true, utilityModel: ours, utilitySmallModel: ours })).status,
			204,
		);
		assert.equal(
			(await report(await token(people.changed.email), { supported: true, utilityModel: 'copilot/gpt-4.1', utilitySmallModel: ours }))
				.status,
			204,
		);
		assert.equal(
			(await report(await token(people.old.email), { supported: false, utilityModel: null, utilitySmallModel: null })).status,
			204,
		);

		const expected = { utilityModel: ours, utilitySmallModel: ours };
		const kept = await chatOf(people.kept.email);
		assert.deepEqual([kept?.expected, kept?.drifted], [expected, false]);
		const changed = await chatOf(people.changed.email);
		assert.deepEqual([changed?.drifted, (changed?.reported as { utilityModel: string }).utilityModel], [true, 'copilot/gpt-4.1']);
		const old = await chatOf(people.old.email);
		assert.deepEqual([old?.drifted, (old?.reported as { supported: boolean }).supported], [false, false]);
		assert.deepEqual(await chatOf(ADMIN.email), { expected, drifted: false }, 'no report yet: nothing to say of drift');

		// The console's Members page says it in words.
		const browser = await adminConsole(service);
		const page = await (await browser.request(`${service.url}/console/members`)).text();
		assert.match(page, /VS Code utility models changed on this computer: copilot\/gpt-4\.1 \/ org-provider-policy\/gpt-4o-mini/);
		assert.match(page, /the VS Code on this computer has no utility-model settings/);

		// A policy without utility models: nothing to compare.
		const { utilityModel: _u, utilitySmallModel: _s, ...models } = WITH_UTILITY.provider.models;
		assert.equal(
			(await putPolicy(service.url, admin, { ...WITH_UTILITY, provider: { ...WITH_UTILITY.provider, models } }, '"2"')).status,
			200,
		);
		assert.equal(await chatOf(people.changed.email), undefined);
	});

	it('judges a member on every machine: the one that changed them shows, whichever reported last, until it is signed out', async () => {
		const person = await service.addUser('two@acme.example', 'member');
		const ours = 'org-provider-policy/gpt-4o-mini';
		const laptop = await service.signIn(person.email);
		const desktop = await service.signIn(person.email);
		assert.equal(
			(await report(laptop.access_token, { supported: true, utilityModel: 'copilot/gpt-4.1', utilitySmallModel: ours })).status,
			204,
		);
		assert.equal((await report(desktop.access_token, { supported: true, utilityModel: ours, utilitySmallModel: ours })).status, 204);

		const both = await chatOf(person.email);
		assert.deepEqual(
			[both?.drifted, (both?.reported as { utilityModel: string }).utilityModel],
			[true, 'copilot/gpt-4.1'],
			'the desktop reported last, in line with the policy; the laptop still holds another model',
		);
		const browser = await adminConsole(service);
		const page = await (await browser.request(`${service.url}/console/members?q=two%40`)).text();
		assert.match(page, /VS Code utility models changed on one of their computers: copilot\/gpt-4\.1/);

		// The laptop is signed out (RFC 7009, as the extension's Sign Out does): only the desktop counts.
		assert.equal((await form(`${service.url}/oauth/revoke`, { token: laptop.refresh_token })).status, 200);
		const after = await chatOf(person.email);
		assert.deepEqual([after?.drifted, (after?.reported as { utilityModel: string }).utilityModel], [false, ours]);
	});

	it('compares each member with the revision they are served while another one rolls out to a canary', async () => {
		const [pilot, other] = [await service.addUser('pilot@acme.example', 'member'), await service.addUser('other@acme.example', 'member')];
		await createGroup(service.url, admin, 'Pilots', [pilot.email]);
		const mini = 'org-provider-policy/gpt-4o-mini';
		const full = 'org-provider-policy/gpt-4o';
		for (const person of [pilot, other]) {
			const reported = await report((await service.signIn(person.email)).access_token, {
				supported: true,
				utilityModel: mini,
				utilitySmallModel: mini,
			});
			assert.equal(reported.status, 204);
		}
		const canary = await fetch(`${service.url}/api/v1/admin/policy?rollout=group:Pilots`, {
			method: 'PUT',
			headers: bearer(admin, { 'content-type': 'application/json', 'if-match': '"2"' }),
			body: JSON.stringify({
				...WITH_UTILITY,
				provider: { ...WITH_UTILITY.provider, models: { ...WITH_UTILITY.provider.models, utilityModel: 'gpt-4o' } },
			}),
		});
		assert.equal(canary.status, 200, await canary.clone().text());
		const pilotChat = await chatOf(pilot.email);
		assert.deepEqual([pilotChat?.expected, pilotChat?.drifted], [{ utilityModel: full, utilitySmallModel: mini }, true], 'not there yet');
		const otherChat = await chatOf(other.email);
		assert.deepEqual(
			[otherChat?.expected, otherChat?.drifted],
			[{ utilityModel: mini, utilitySmallModel: mini }, false],
			'outside the canary, revision 2 still names gpt-4o-mini: nothing changed on their computer',
		);
	});

	it('refuses a report without a member token or with a malformed body, naming the field', async () => {
		const anonymous = await fetch(`${service.url}/api/v1/policy/vscode-settings`, {
			method: 'POST',
			headers: { 'content-type': 'application/json' },
			body: JSON.stringify({ supported: true, utilityModel: null, utilitySmallModel: null }),
		});
		assert.equal(anonymous.status, 401);
		const bad = await report(admin, { supported: 'yes', utilityModel: 'x'.repeat(401), utilitySmallModel: null });
		assert.equal(bad.status, 400);
		const paths = ((await jsonOf(bad)).fieldErrors as { path: string }[]).map((error) => error.path);
		assert.deepEqual(paths, ['supported', 'utilityModel']);
	});
});
