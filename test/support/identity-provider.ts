import { createSign, generateKeyPairSync } from 'node:crypto';
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Provider, type Adapter, type AdapterPayload, type Configuration, type KoaContextWithOIDC } from 'oidc-provider';

/**
 * A real OpenID provider for the tests: `oidc-provider` (the certified Node implementation) on
 * loopback, reached as http://localhost:PORT so the service (at 127.0.0.1) is another site, as a
 * real identity provider is. Its sign-in page is this file's own (the library's development page
 * loads web fonts from the internet): type a test person's e-mail, any password.
 */

export interface TestPerson {
	email: string;
	email_verified: boolean;
	groups: string[];
	tid: string;
	name: string;
}

export const ACME_TENANT = '7d3c1a9e-0000-4000-8000-acme00000001';

/** The people the identity provider knows, by the e-mail they type on its sign-in page. */
export const PEOPLE: Readonly<Record<string, TestPerson>> = Object.fromEntries(
	[
		{ email: 'alice@acme.test', email_verified: true, groups: ['ai-admins', 'engineering'], tid: ACME_TENANT, name: 'Alice Admin' },
		{ email: 'bob@acme.test', email_verified: true, groups: ['engineering'], tid: ACME_TENANT, name: 'Bob Builder' },
		{ email: 'carol@acme.test', email_verified: false, groups: ['engineering'], tid: ACME_TENANT, name: 'Carol Unverified' },
		{ email: 'dave@acme.test', email_verified: true, groups: ['sales'], tid: ACME_TENANT, name: 'Dave Outsider' },
		{ email: 'eve@evil.test', email_verified: true, groups: ['engineering'], tid: ACME_TENANT, name: 'Eve Elsewhere' },
		{ email: 'admin@acme.example', email_verified: true, groups: ['ai-admins'], tid: ACME_TENANT, name: 'Bootstrap Admin' },
	].map((person) => [person.email, person]),
);

export const TEST_CLIENT = { id: 'org-provider-policy', secret: 'test-client-secret-0123456789abcdef' };

export interface TestIdentityProvider {
	issuer: string;
	/** Settings for the service that trust this provider (Acme's domain and groups, alice an admin by group). */
	settings(overrides?: Record<string, unknown>): Record<string, unknown>;
	/**
	 * A forged ID token from the token endpoint, to prove the service checks its signature: the
	 * claims swapped for `as`'s under the real signature, or re-signed with a key the provider never published.
	 */
	tamper: { kind: 'swapped-payload' | 'foreign-key'; as: string } | undefined;
	/** Changes the group claim this provider sends for a person from their next sign-in (as a directory change would). */
	setGroups(email: string, groups: string[]): void;
	close(): Promise<void>;
}

const FOREIGN_KEY = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;

/** The ID token with its payload's identity replaced by `person`'s (and, for a foreign key, signed anew with it). */
function forge(idToken: string, tamper: NonNullable<TestIdentityProvider['tamper']>): string {
	const [header = '', payload = '', signature = ''] = idToken.split('.');
	const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Record<string, unknown>;
	const forged = Buffer.from(JSON.stringify({ ...claims, sub: tamper.as, ...PEOPLE[tamper.as] })).toString('base64url');
	if (tamper.kind === 'swapped-payload') {
		return `${header}.${forged}.${signature}`;
	}
	const foreign = createSign('RSA-SHA256').update(`${header}.${forged}`).sign(FOREIGN_KEY).toString('base64url');
	return `${header}.${forged}.${foreign}`;
}

const page = (
	uid: string,
	hint = '',
) => `<!doctype html><html><head><meta charset="utf-8"><title>Test identity provider</title></head><body>
<h1>Test identity provider</h1>
<form method="post" action="/interaction/${uid}">
<label>E-mail <input name="login" id="idp-login" value="${hint}" autocomplete="off"></label>
<label>Password <input name="password" id="idp-password" type="password"></label>
<button type="submit" id="idp-submit">Sign in</button>
</form>
<form method="post" action="/interaction/${uid}/abort"><button type="submit" id="idp-cancel">Cancel</button></form>
</body></html>`;

async function formBody(request: IncomingMessage): Promise<URLSearchParams> {
	const chunks: Buffer[] = [];
	for await (const chunk of request) {
		chunks.push(chunk as Buffer);
	}
	return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}

/** The provider's storage, in memory (the library's own quick-start one says so on every start). */
class MemoryAdapter implements Adapter {
	private static readonly rows = new Map<string, { payload: AdapterPayload; expiresAt: number }>();
	constructor(private readonly model: string) {}
	private key(id: string): string {
		return `${this.model}:${id}`;
	}
	async upsert(id: string, payload: AdapterPayload, expiresIn: number): Promise<void> {
		MemoryAdapter.rows.set(this.key(id), { payload, expiresAt: Date.now() + expiresIn * 1000 });
	}
	async find(id: string): Promise<AdapterPayload | undefined> {
		const row = MemoryAdapter.rows.get(this.key(id));
		return row && row.expiresAt > Date.now() ? row.payload : undefined;
	}
	private async findBy(field: 'userCode' | 'uid', value: string): Promise<AdapterPayload | undefined> {
		return [...MemoryAdapter.rows.values()].find((row) => row.payload[field] === value)?.payload;
	}
	findByUserCode(userCode: string): Promise<AdapterPayload | undefined> {
		return this.findBy('userCode', userCode);
	}
	findByUid(uid: string): Promise<AdapterPayload | undefined> {
		return this.findBy('uid', uid);
	}
	async consume(id: string): Promise<void> {
		const row = MemoryAdapter.rows.get(this.key(id));
		if (row) {
			row.payload.consumed = Math.floor(Date.now() / 1000);
		}
	}
	async destroy(id: string): Promise<void> {
		MemoryAdapter.rows.delete(this.key(id));
	}
	async revokeByGrantId(grantId: string): Promise<void> {
		for (const [key, row] of MemoryAdapter.rows) {
			if (row.payload.grantId === grantId) {
				MemoryAdapter.rows.delete(key);
			}
		}
	}
}

const SIGNING_KEY = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'jwk' });
const ttl = (seconds: number) => () => seconds;

/** Starts the provider; `redirectUris` are the service callback addresses it accepts. */
export async function startIdentityProvider(redirectUris: string[]): Promise<TestIdentityProvider> {
	const server: Server = createServer();
	server.listen(0, '127.0.0.1');
	await once(server, 'listening');
	const issuer = `http://localhost:${(server.address() as AddressInfo).port}`;
	const groupClaims = new Map<string, string[]>();
	const configuration: Configuration = {
		clients: [
			{
				client_id: TEST_CLIENT.id,
				client_secret: TEST_CLIENT.secret,
				redirect_uris: redirectUris,
				grant_types: ['authorization_code'],
				response_types: ['code'],
				token_endpoint_auth_method: 'client_secret_basic',
			},
		],
		async findAccount(_ctx, id) {
			const person = PEOPLE[id];
			return person
				? { accountId: id, claims: async () => ({ sub: id, ...person, groups: groupClaims.get(id) ?? person.groups }) }
				: undefined;
		},
		claims: { openid: ['sub', 'groups', 'tid'], email: ['email', 'email_verified'], profile: ['name'] },
		// Claims in the ID token itself, as Entra ID, Okta (with a groups claim) and Keycloak send them.
		conformIdTokenClaims: false,
		features: { devInteractions: { enabled: false } },
		adapter: MemoryAdapter,
		jwks: { keys: [{ ...SIGNING_KEY, kid: 'test-idp', alg: 'RS256', use: 'sig' }] },
		ttl: {
			Interaction: ttl(600),
			Grant: ttl(3600),
			Session: ttl(3600),
			AccessToken: ttl(600),
			AuthorizationCode: ttl(60),
			IdToken: ttl(600),
		},
		pkce: { required: () => true },
		cookies: { keys: ['test-cookie-key-0123456789abcdef'] },
		// No consent screen: the organization's own provider has consented for its members.
		async loadExistingGrant(ctx: KoaContextWithOIDC) {
			const accountId = ctx.oidc.session?.accountId;
			const clientId = ctx.oidc.client?.clientId;
			if (!accountId || !clientId) {
				return undefined;
			}
			const grant = new ctx.oidc.provider.Grant({ accountId, clientId });
			grant.addOIDCScope('openid email profile');
			await grant.save();
			return grant;
		},
		renderError(ctx, out) {
			ctx.type = 'html';
			ctx.body = `<!doctype html><p id="idp-error">${String(out.error)}: ${String(out.error_description ?? '')}</p>`;
		},
	};
	const provider = new Provider(issuer, configuration);
	const handle: { tamper: TestIdentityProvider['tamper'] } = { tamper: undefined };
	provider.use(async (ctx, next) => {
		await next();
		const body = ctx.body as { id_token?: string } | undefined;
		if (ctx.path === '/token' && handle.tamper && typeof body?.id_token === 'string') {
			ctx.body = { ...body, id_token: forge(body.id_token, handle.tamper) };
		}
	});
	provider.use(async (ctx, next) => {
		const match = /^\/interaction\/([^/]+)(\/abort)?$/.exec(ctx.path);
		if (!match) {
			return next();
		}
		const details = await provider.interactionDetails(ctx.req, ctx.res);
		if (ctx.method === 'GET') {
			ctx.type = 'html';
			ctx.body = page(details.uid, String(details.params['login_hint'] ?? ''));
			return undefined;
		}
		if (match[2]) {
			return provider.interactionFinished(
				ctx.req,
				ctx.res,
				{ error: 'access_denied', error_description: 'the person cancelled' },
				{ mergeWithLastSubmission: false },
			);
		}
		const login = (await formBody(ctx.req)).get('login') ?? '';
		if (!PEOPLE[login]) {
			ctx.type = 'html';
			ctx.body = page(details.uid, login).replace('<form', '<p id="idp-error">Unknown person.</p><form');
			return undefined;
		}
		return provider.interactionFinished(ctx.req, ctx.res, { login: { accountId: login } }, { mergeWithLastSubmission: false });
	});
	server.on('request', provider.callback());
	return {
		issuer,
		setGroups: (email, groups) => void groupClaims.set(email, groups),
		get tamper() {
			return handle.tamper;
		},
		set tamper(value) {
			handle.tamper = value;
		},
		settings: (overrides = {}) => ({
			enabled: true,
			displayName: 'Acme ID',
			issuer,
			clientId: TEST_CLIENT.id,
			scopes: ['openid', 'email', 'profile'],
			allowedDomains: ['acme.test', 'acme.example'],
			allowedGroups: ['engineering', 'ai-admins'],
			adminGroups: ['ai-admins'],
			passwordSignIn: true,
			...overrides,
		}),
		async close() {
			server.closeAllConnections();
			await new Promise<void>((resolve) => server.close(() => resolve()));
		},
	};
}
