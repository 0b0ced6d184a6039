import type { AddressInfo } from 'node:net';
import { buildApp, type AppOptions, type PolicyApp } from '../../src/server/app';
import type { Clock } from '../../src/server/clock';
import { configFrom, type ServerConfigInput } from '../../src/server/config';
import { createOrganizationWithPolicy } from '../../src/server/policy/policy-service';
import { openPostgresStore } from '../../src/server/store/postgres';
import { deviceSignIn, type TokenSet } from './device-sign-in';
import { freshDatabase } from './postgres';

export { approveDevice, deviceSignIn, form, submitPageForm, type TokenSet } from './device-sign-in';
import { openSqliteStore } from '../../src/server/store/sqlite';
import type { Role, Store } from '../../src/server/store/store';

export class ManualClock implements Clock {
	constructor(public time = Date.parse('2026-11-26T10:00:00Z')) {}
	now(): number {
		return this.time;
	}
	advance(ms: number): void {
		this.time += ms;
	}
}

export const ADMIN = { email: 'admin@acme.example', password: 'correct horse battery' };

export interface RunningService extends PolicyApp {
	url: string;
	store: Store;
	/** A signed-in account's access token, through the real device flow. */
	signIn(email: string, password?: string): Promise<TokenSet>;
	addUser(email: string, role: Role, orgId?: string): Promise<{ id: string; email: string; password: string }>;
	close(): Promise<void>;
}

export async function startService(
	options: Partial<Omit<AppOptions, 'config' | 'store'>> & {
		dataDir?: string;
		databaseUrl?: string;
		heartbeatSeconds?: number;
		port?: number;
		settings?: Partial<ServerConfigInput>;
		wrapStore?: (store: Store) => Store;
	} = {},
): Promise<RunningService> {
	// ORG_POLICY_TEST_STORE=postgres runs a suite's services on PostgreSQL, each on a fresh database.
	const database =
		!options.databaseUrl && !options.dataDir && process.env.ORG_POLICY_TEST_STORE === 'postgres' ? await freshDatabase() : undefined;
	const databaseUrl = options.databaseUrl ?? database?.url;
	const opened: Store = databaseUrl ? await openPostgresStore(databaseUrl) : await openSqliteStore(options.dataDir ?? ':memory:');
	const store = options.wrapStore ? options.wrapStore(opened) : opened;
	const config = configFrom({
		host: '127.0.0.1',
		port: 0,
		orgId: 'acme',
		orgName: 'Acme Corp',
		adminEmail: ADMIN.email,
		adminPassword: ADMIN.password,
		logLevel: 'silent',
		heartbeatSeconds: options.heartbeatSeconds ?? 15,
		...options.settings,
	});
	const { settings: _settings, wrapStore: _wrapStore, ...appOptions } = options;
	let built: PolicyApp;
	try {
		built = await buildApp({ config, store, ...appOptions });
		await built.app.listen({ host: '127.0.0.1', port: options.port ?? 0 });
	} catch (error) {
		// A service that refused to start leaves nothing open behind it.
		await store.close();
		await database?.drop();
		throw error;
	}
	const url = `http://127.0.0.1:${(built.app.server.address() as AddressInfo).port}`;
	// The public URL is only known once listening; the device page links are built from config.
	config.publicUrl = url;

	const service: RunningService = {
		...built,
		url,
		store,
		async addUser(email, role, orgId = 'acme') {
			const password = `pw-${email}-long-enough`;
			const user = await built.accounts.members.create(orgId, email, role, password);
			return { id: user.id, email, password };
		},
		async signIn(email, password = email === ADMIN.email ? ADMIN.password : `pw-${email}-long-enough`) {
			return deviceSignIn(url, email, password);
		},
		async close() {
			await built.app.close();
			await store.close();
			await database?.drop();
		},
	};
	return service;
}

/** A second organization on the same service, with its own admin. */
export async function addOrganization(service: RunningService, id: string, name: string): Promise<void> {
	await createOrganizationWithPolicy(service.store, { id, name }, Date.now());
}

/** A response body as JSON; tests assert on its shape, so it is as loosely typed as JSON.parse. */
export async function jsonOf(response: Response) {
	return JSON.parse(await response.text());
}

export { EventReader } from './event-reader';

export function bearer(token: string, extra: Record<string, string> = {}): Record<string, string> {
	return { authorization: `Bearer ${token}`, ...extra };
}

/** Makes a console group through the admin API; a refusal fails the test with the service's answer. */
export async function createGroup(url: string, token: string, displayName: string, members: string[]): Promise<{ id: string }> {
	const made = await fetch(`${url}/api/v1/admin/groups`, {
		method: 'POST',
		headers: bearer(token, { 'content-type': 'application/json' }),
		body: JSON.stringify({ displayName, members }),
	});
	const text = await made.text();
	if (made.status !== 201) {
		throw new Error(`the group ${displayName} was not made: ${made.status} ${text}`);
	}
	return JSON.parse(text) as { id: string };
}

export async function putPolicy(url: string, token: string, body: unknown, ifMatch?: string): Promise<Response> {
	return fetch(`${url}/api/v1/admin/policy`, {
		method: 'PUT',
		headers: bearer(token, { 'content-type': 'application/json', ...(ifMatch ? { 'if-match': ifMatch } : {}) }),
		body: typeof body === 'string' ? body : JSON.stringify(body),
	});
}
