import assert from 'node:assert/strict';
import { createAccounts, DEFAULT_TIMINGS, type Members } from '../../src/server/accounts';
import { AuditLog } from '../../src/server/audit';
import { createOrganizationWithPolicy, PolicyEvents } from '../../src/server/policy/policy-service';
import { PasswordSignIn } from '../../src/server/sso/password-sign-in';
import { openSqliteStore } from '../../src/server/store/sqlite';
import type { Store, UserRecord } from '../../src/server/store/store';
import { ManualClock } from '../support/service';

/** The organization's single sign-on settings as the password rules read them, held in memory. */
class SsoSettingsDouble {
	enabled = false;
	passwordSignIn = true;
	async offer(): Promise<{ displayName: string; passwordSignIn: boolean } | undefined> {
		return this.enabled ? { displayName: 'Acme ID', passwordSignIn: this.passwordSignIn } : undefined;
	}
	async passwordAllowed(user: UserRecord): Promise<boolean> {
		return !this.enabled || this.passwordSignIn || (user.breakGlass && user.role === 'admin');
	}
}

const PASSWORD = 'a long enough passphrase for tests';

describe('password sign-in (the domain service)', () => {
	let store: Store;
	let clock: ManualClock;
	let members: Members;
	let sso: SsoSettingsDouble;
	let audit: AuditLog;
	let passwords: PasswordSignIn;
	const lines: object[] = [];

	beforeEach(async () => {
		store = await openSqliteStore(':memory:');
		clock = new ManualClock();
		await createOrganizationWithPolicy(store, { id: 'acme', name: 'Acme Corp' }, clock.now());
		const accounts = createAccounts(store, new PolicyEvents(), clock, DEFAULT_TIMINGS, async () => undefined);
		members = accounts.members;
		await members.create('acme', 'admin@acme.example', 'admin', PASSWORD);
		await members.create('acme', 'dev@acme.example', 'member', PASSWORD);
		await members.create('acme', 'glass@acme.example', 'admin', PASSWORD, { breakGlass: true });
		sso = new SsoSettingsDouble();
		lines.length = 0;
		audit = new AuditLog(store.audit, clock, { info: (line) => lines.push(line), warn: (line) => lines.push(line) });
		passwords = new PasswordSignIn(members, sso, audit, 'acme');
	});

	afterEach(() => store.close());

	const activity = async () =>
		(await audit.list('acme', { limit: 50 })).map(({ actor, action, outcome, detail }) => ({ actor, action, outcome, detail }));

	it('lets an admin into the console and records the sign-in', async () => {
		const outcome = await passwords.signIn(' Admin@Acme.example ', PASSWORD, 'console');
		assert.equal(outcome.kind, 'ok');
		assert.deepEqual(await activity(), [
			{ actor: 'admin@acme.example', action: 'sign_in.password', outcome: 'ok', detail: { purpose: 'console' } },
		]);
	});

	it('refuses a wrong password, naming the address that was tried', async () => {
		assert.deepEqual(await passwords.signIn('Nobody@acme.example', 'guess', 'console'), { kind: 'refused', reason: 'wrong_password' });
		assert.deepEqual(await activity(), [
			{
				actor: 'nobody@acme.example',
				action: 'sign_in.password',
				outcome: 'refused',
				detail: { purpose: 'console', reason: 'wrong_password' },
			},
		]);
	});

	it('refuses a member at the console, but lets them approve a device', async () => {
		assert.deepEqual(await passwords.signIn('dev@acme.example', PASSWORD, 'console'), { kind: 'refused', reason: 'not_admin' });
		const device = await passwords.signIn('dev@acme.example', PASSWORD, 'device');
		assert.equal(device.kind, 'ok');
		// The device approval records itself (device.approved); the sign-in adds no line of its own.
		assert.deepEqual(
			(await activity()).map(({ action, outcome, detail }) => [action, outcome, detail['reason']]),
			[['sign_in.password', 'refused', 'not_admin']],
		);
	});

	it('throttles an account after repeated failures and says when to try again', async () => {
		for (let attempt = 0; attempt < 5; attempt++) {
			assert.equal((await passwords.signIn('dev@acme.example', 'wrong', 'device')).kind, 'refused');
		}
		const throttled = await passwords.signIn('dev@acme.example', PASSWORD, 'device');
		assert.deepEqual(throttled, { kind: 'refused', reason: 'throttled', retryAfterSeconds: 1 });
		clock.advance(1000);
		assert.equal((await passwords.signIn('dev@acme.example', PASSWORD, 'device')).kind, 'ok');
		const reasons = (await activity()).map(({ detail }) => detail['reason']);
		assert.deepEqual(reasons.filter((reason) => reason === 'throttled').length, 1);
	});

	it('with passwords off, refuses everyone but the operator’s break-glass admins, and marks their sign-in', async () => {
		sso.enabled = true;
		sso.passwordSignIn = false;
		assert.deepEqual(await passwords.signIn('admin@acme.example', PASSWORD, 'console'), {
			kind: 'refused',
			reason: 'password_sign_in_off',
		});
		assert.deepEqual(await passwords.signIn('dev@acme.example', PASSWORD, 'device'), {
			kind: 'refused',
			reason: 'password_sign_in_off',
		});
		assert.equal((await passwords.signIn('glass@acme.example', PASSWORD, 'console')).kind, 'ok');
		assert.deepEqual(
			(await activity())
				.map(({ actor, action, outcome, detail }) => [actor, action, outcome, detail['reason'] ?? detail['purpose']])
				.sort(),
			[
				['admin@acme.example', 'sign_in.password', 'refused', 'password_sign_in_off'],
				['dev@acme.example', 'sign_in.password', 'refused', 'password_sign_in_off'],
				['glass@acme.example', 'sign_in.break_glass', 'ok', 'console'],
			],
		);
	});
});
