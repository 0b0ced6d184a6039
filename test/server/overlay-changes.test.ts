import assert from 'node:assert/strict';
import { verifySignedPolicy, SCHEMA_HEADER, type PolicySettingsInput } from '../../src/policy';
import { exportPolicyFile, readPolicyFile } from '../../src/server/policy-file';
import { ADMIN, bearer, jsonOf, putPolicy, startService, type RunningService, createGroup } from '../support/service';

/** The organization's endpoint and a secret tenant header; Research adds headers and an endpoint of its own, Contractors a hard budget. */
const CHANGING: PolicySettingsInput = {
	enabled: true,
	provider: {
		id: 'openai-compatible',
		baseUrl: 'https://llm.acme.example/v1',
		headers: { 'X-Tenant': 'acme-tenant-secret', 'X-Team': 'everyone' },
		readableHeaders: ['X-Team'],
		models: { allowed: ['gpt-4o', 'gpt-4o-mini'] },
	},
	usage: { reporting: 'counts', budget: { monthlyTokens: 1_000_000, enforcement: 'soft' } },
	overlaysMayChangeEndpoint: true,
	overlays: [
		{
			group: 'Research',
			headers: { 'x-team': 'research', 'X-Research-Key': 'rk-secret' },
			baseUrl: 'https://research.acme.example/v1',
		},
		{ group: 'Contractors', budget: { monthlyTokens: 50_000, enforcement: 'hard' } },
	],
};

/**
 * What an overlay may change besides the models (#27 item 2): extra headers, the monthly budget
 * and, only where the organization allows it, the endpoint — each refused naming the field when it
 * would leave members an invalid provider, and secret header values never shown back.
 */
describe('group overlays: headers, budgets and the endpoint', function () {
	this.timeout(30_000);
	let service: RunningService;
	let admin: string;

	beforeEach(async () => {
		service = await startService();
		admin = (await service.signIn(ADMIN.email)).access_token;
	});
	afterEach(async () => service.close());

	const makeGroup = (displayName: string, members: string[]) => createGroup(service.url, admin, displayName, members);
	const fieldErrors = async (response: Response) => {
		assert.equal(response.status, 400);
		return ((await jsonOf(response)).fieldErrors as { path: string; message: string }[]).map(({ path, message }) => `${path}: ${message}`);
	};

	it('refuses an overlay that changes nothing, an endpoint the organization did not allow, a budget without reporting and a header in the credential’s place', async () => {
		const errors = await fieldErrors(
			await putPolicy(service.url, admin, {
				enabled: true,
				provider: { id: 'openai-compatible', baseUrl: 'https://llm.acme.example/v1' },
				overlays: [
					{ group: 'Idle' },
					{ group: 'Research', baseUrl: 'https://research.acme.example/v1' },
					{ group: 'Contractors', budget: { monthlyTokens: 10, enforcement: 'hard' } },
					{ group: 'Sneaky', headers: { authorization: 'Bearer shared-key' } },
				],
			}),
		);
		assert.deepEqual(errors, [
			'overlays[0]: must change something: models, headers, budget, baseUrl',
			'overlays[1].baseUrl: may change the endpoint only where the policy allows it: turn on overlaysMayChangeEndpoint',
			'overlays[2].budget: needs usage reporting ("counts"): a budget is measured from what members report',
			"overlays[3].headers.authorization: authorization would replace the member's own credential; allowed only when apiKeyRequired is false, Azure identity authentication (azure.identityAuth) is off and no organization token is sent in it",
		]);
		const plain = await fieldErrors(
			await putPolicy(service.url, admin, {
				...CHANGING,
				overlays: [{ group: 'Lab', baseUrl: 'http://10.1.2.3:8000/v1' }],
			}),
		);
		assert.equal(plain.length, 1);
		assert.match(plain[0]!, /^overlays\[0\]\.baseUrl: must use https:, or, for an internal endpoint, turn on "Allow plain HTTP"/);
	});

	it('serves each member the overlay’s headers, endpoint and budget; the history and the console’s API never show a secret value', async () => {
		for (const email of ['ada@acme.example', 'cy@acme.example']) {
			await service.addUser(email, 'member');
		}
		await makeGroup('Research', ['ada@acme.example']);
		await makeGroup('Contractors', ['cy@acme.example']);
		assert.equal((await putPolicy(service.url, admin, CHANGING, '*')).status, 200);

		const served = async (email: string) => {
			const member = await service.signIn(email);
			const response = await fetch(`${service.url}/api/v1/policy`, { headers: bearer(member.access_token, { [SCHEMA_HEADER]: '3' }) });
			const { policy } = verifySignedPolicy(await response.json(), { signingKey: member.policy_signing_key, organizationId: 'acme' });
			const standing = await jsonOf(await fetch(`${service.url}/api/v1/usage/standing`, { headers: bearer(member.access_token) }));
			return { policy, standing };
		};
		const ada = await served('ada@acme.example');
		assert.equal(ada.policy.provider?.baseUrl, 'https://research.acme.example/v1');
		assert.deepEqual(
			ada.policy.provider?.headers,
			{ 'X-Tenant': 'acme-tenant-secret', 'x-team': 'research', 'X-Research-Key': 'rk-secret' },
			'added to the organization’s; one of the same name in another case replaced',
		);
		assert.equal(ada.policy.overlaysMayChangeEndpoint, undefined, 'members get the effect, not the organization’s switch');
		assert.deepEqual([ada.standing.allowance, ada.standing.enforcement], [1_000_000, 'soft']);
		const cy = await served('cy@acme.example');
		assert.equal(cy.policy.provider?.baseUrl, 'https://llm.acme.example/v1');
		assert.deepEqual(cy.policy.usage?.budget, { monthlyTokens: 50_000, enforcement: 'hard' });
		assert.deepEqual([cy.standing.allowance, cy.standing.enforcement], [50_000, 'hard'], 'the service measures the overlay’s budget');

		const history = await fetch(`${service.url}/api/v1/admin/policy/revisions?limit=1`, { headers: bearer(admin) });
		const text = await history.text();
		assert.ok(!text.includes('rk-secret') && !text.includes('acme-tenant-secret'), text);
		const changes = JSON.parse(text).revisions[0].changes as { path: string; after?: string }[];
		assert.deepEqual(
			changes.filter((change) => change.path.startsWith('overlays')).map((change) => `${change.path} = ${change.after}`),
			[
				'overlays order = ["Research","Contractors"]',
				'overlaysMayChangeEndpoint = true',
				'overlays[Contractors].budget.enforcement = "hard"',
				'overlays[Contractors].budget.monthlyTokens = 50000',
				'overlays[Research].baseUrl = "https://research.acme.example/v1"',
				'overlays[Research].headers.X-Research-Key = ••••••',
				'overlays[Research].headers.x-team = "research"',
			],
			'an overlay header is readable where the organization marked that name readable',
		);
		const preview = await jsonOf(
			await fetch(`${service.url}/api/v1/admin/policy/effective?member=ada@acme.example`, { headers: bearer(admin) }),
		);
		assert.ok(!JSON.stringify(preview).includes('rk-secret'));
		assert.deepEqual(preview.summary, [
			'Base URL: https://llm.acme.example/v1 → https://research.acme.example/v1',
			'Header X-Research-Key: ••••••',
			'Header X-Team: removed (was everyone)',
			'Header x-team: research',
		]);
	});

	it('keeps an overlay header sent empty (as the console sends a masked one), refuses one with no saved value, and keeps the overlays when the settings page saves', async () => {
		assert.equal((await putPolicy(service.url, admin, CHANGING, '*')).status, 200);
		const putOverlays = (overlays: unknown, revision: string) =>
			fetch(`${service.url}/api/v1/admin/policy/overlays`, {
				method: 'PUT',
				headers: bearer(admin, { 'content-type': 'application/json', 'if-match': revision }),
				body: JSON.stringify({ overlays }),
			});
		const kept = await putOverlays(
			[{ group: 'research', headers: { 'X-Research-Key': '' }, baseUrl: 'https://r2.acme.example/v1' }],
			'"2"',
		);
		assert.equal(kept.status, 200, await kept.clone().text());
		const stored = (await service.policies.current('acme'))!.signed.policy;
		assert.deepEqual(stored.overlays, [
			{ group: 'research', headers: { 'X-Research-Key': 'rk-secret' }, baseUrl: 'https://r2.acme.example/v1' },
		]);
		assert.equal(stored.overlaysMayChangeEndpoint, true, 'the organization’s switch stays as saved');
		assert.deepEqual(await fieldErrors(await putOverlays([{ group: 'Research', headers: { 'X-New': '' } }], '"3"')), [
			'overlays[0].headers.X-New: enter a value (this header has no saved value)',
		]);

		const { overlays: _overlays, overlaysMayChangeEndpoint: _switch, ...rest } = CHANGING;
		const page = await fetch(`${service.url}/api/v1/admin/policy?keepOverlays=true`, {
			method: 'PUT',
			headers: bearer(admin, { 'content-type': 'application/json', 'if-match': '"3"' }),
			body: JSON.stringify({ ...rest, adminContact: 'it@acme.example' }),
		});
		assert.equal(page.status, 200, await page.clone().text());
		const after = (await service.policies.current('acme'))!.signed.policy;
		assert.deepEqual(
			[after.overlays, after.overlaysMayChangeEndpoint, after.organization.adminContact],
			[stored.overlays, true, 'it@acme.example'],
		);
	});

	it('exports an overlay’s secret header as a reference and reads it back from the environment', () => {
		const parsed = readPolicyFile(JSON.stringify({ kind: 'org-provider-policy/v1', policy: CHANGING }), { env: {}, readFile: () => '' });
		assert.ok(parsed.ok);
		const { text, variables } = exportPolicyFile(parsed.settings);
		assert.ok(!text.includes('rk-secret') && !text.includes('acme-tenant-secret'), text);
		assert.deepEqual(variables, {
			ORG_POLICY_HEADER_X_TENANT: 'acme-tenant-secret',
			ORG_POLICY_OVERLAY_RESEARCH_HEADER_X_RESEARCH_KEY: 'rk-secret',
		});
		const back = readPolicyFile(text, { env: variables, readFile: () => '' });
		assert.ok(back.ok);
		assert.deepEqual(back.settings, parsed.settings);
		const missing = readPolicyFile(text, { env: { ORG_POLICY_HEADER_X_TENANT: 't' }, readFile: () => '' });
		assert.deepEqual(!missing.ok && missing.errors, [
			{
				path: 'policy.overlays[0].headers.X-Research-Key',
				message: 'the environment variable ORG_POLICY_OVERLAY_RESEARCH_HEADER_X_RESEARCH_KEY is not set',
			},
		]);
	});
});
