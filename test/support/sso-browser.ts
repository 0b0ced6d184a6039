/**
 * A minimal browser for HTTP-level single sign-on tests: cookies kept per host (as browsers do,
 * whatever the port), redirects followed one by one, forms posted with their CSRF token. The
 * Chromium tests drive the same pages with a real browser.
 */
const ENTITIES: Record<string, string> = { '&amp;': '&', '&lt;': '<', '&gt;': '>', '&quot;': '"', '&#39;': "'" };
const unescapeHtml = (value: string) => value.replace(/&(amp|lt|gt|quot|#39);/g, (entity) => ENTITIES[entity]!);

export class TestBrowser {
	private readonly jar = new Map<string, Map<string, string>>();
	/** Each origin's session storage (the console script keeps the single sign-on binding there). */
	private readonly sessionStorage = new Map<string, Map<string, string>>();
	/** Every address visited, in order (to assert where the browser went). */
	readonly visited: string[] = [];

	/** Drops every cookie of a site (signing out of the identity provider, say). */
	forgetSite(url: string): void {
		this.jar.delete(new URL(url).hostname);
	}

	/** Sets a cookie for a host as another origin of it (another port) can. */
	plant(url: string, name: string, value: string): void {
		const host = new URL(url).hostname;
		this.jar.set(host, new Map([...(this.jar.get(host) ?? new Map<string, string>()), [name, value]]));
	}

	cookie(url: string, name: string): string | undefined {
		return this.jar.get(new URL(url).hostname)?.get(name);
	}

	private remember(url: string, response: Response): void {
		const host = new URL(url).hostname;
		const cookies = this.jar.get(host) ?? new Map<string, string>();
		for (const header of response.headers.getSetCookie()) {
			const [pair = '', ...attributes] = header.split(';');
			const name = pair.slice(0, pair.indexOf('='));
			const value = pair.slice(pair.indexOf('=') + 1);
			const expired =
				attributes.some((attribute) => /^\s*max-age=0\s*$/i.test(attribute)) ||
				attributes.some((attribute) => /^\s*expires=/i.test(attribute) && Date.parse(attribute.split('=')[1]!) < Date.now());
			if (expired || value === '') {
				cookies.delete(name);
			} else {
				cookies.set(name, value);
			}
		}
		this.jar.set(host, cookies);
	}

	async request(url: string, init: RequestInit = {}): Promise<Response> {
		this.visited.push(url);
		const cookies = [...(this.jar.get(new URL(url).hostname) ?? new Map<string, string>())]
			.map(([name, value]) => `${name}=${value}`)
			.join('; ');
		const response = await fetch(url, {
			...init,
			redirect: 'manual',
			headers: { ...(init.headers as Record<string, string>), ...(cookies ? { cookie: cookies } : {}) },
		});
		this.remember(url, response);
		return response;
	}

	/** Follows redirects from `response` (which came from `url`) to the first page that is not one. */
	async follow(url: string, response: Response): Promise<{ url: string; response: Response }> {
		let current = { url, response };
		for (let hops = 0; current.response.status >= 300 && current.response.status < 400; hops++) {
			if (hops > 20) {
				throw new Error(`too many redirects from ${url}`);
			}
			const next = new URL(current.response.headers.get('location')!, current.url).href;
			current = { url: next, response: await this.request(next) };
		}
		return current;
	}

	async open(url: string): Promise<{ url: string; response: Response }> {
		return this.follow(url, await this.request(url));
	}

	/** Posts a form as the page at `pageUrl` would: with its CSRF token, then follows redirects. */
	async submit(pageUrl: string, action: string, fields: Record<string, string>): Promise<{ url: string; response: Response }> {
		const html = await (await this.request(pageUrl)).text();
		// The token of the form that posts to `action` (the page's sign-out form carries another).
		const escaped = action.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
		const formHtml = new RegExp(`<form[^>]*action="${escaped}"[^>]*>([\\s\\S]*?)</form>`).exec(html)?.[1] ?? html;
		// Sent as a browser sends them: the form's hidden fields (its CSRF token among them), then what was typed.
		const hidden = [...formHtml.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)].map(
			([, name, value]) => [name!, unescapeHtml(value!)] as const,
		);
		const target = new URL(action, pageUrl).href;
		const response = await this.request(target, {
			method: 'POST',
			headers: { 'content-type': 'application/x-www-form-urlencoded' },
			body: new URLSearchParams({ ...Object.fromEntries(hidden), ...fields }),
		});
		return this.follow(target, response);
	}

	/**
	 * Single sign-on from one of the service's pages: press "Sign in with …" (`purpose`), sign in
	 * at the identity provider as `person`, and come back. Returns the service's answer. A console
	 * sign-in starts from `loginPage` (default: the plain sign-in page).
	 */
	async signInWithSso(
		serviceUrl: string,
		person: string,
		options: { purpose?: 'console' | 'device' | 'test'; userCode?: string; loginPage?: string } = {},
	): Promise<{ url: string; status: number; text: string }> {
		const purpose = options.purpose ?? 'console';
		const pageUrl =
			purpose === 'device'
				? `${serviceUrl}/device?user_code=${options.userCode ?? ''}`
				: purpose === 'test'
					? `${serviceUrl}/console/sso`
					: (options.loginPage ?? `${serviceUrl}/console/login`);
		let at = await this.runConsoleScript(
			await this.submit(pageUrl, '/console/sso/start', { purpose, ...(options.userCode ? { user_code: options.userCode } : {}) }),
		);
		if (new URL(at.url).pathname.startsWith('/interaction/')) {
			const target = at.url;
			at = await this.follow(
				target,
				await this.request(target, {
					method: 'POST',
					headers: { 'content-type': 'application/x-www-form-urlencoded' },
					body: new URLSearchParams({ login: person, password: 'anything' }),
				}),
			);
		}
		at = await this.runConsoleScript(at);
		return { url: at.url, status: at.response.status, text: await at.response.text() };
	}

	/**
	 * What the console script does on the single sign-on pages (src/server/console/browser/sso-binding.ts):
	 * leaving, keep the binding in this origin's session storage and go on; back, post the provider's
	 * answer with it. Any other page is returned as it is.
	 */
	async runConsoleScript(at: { url: string; response: Response }): Promise<{ url: string; response: Response }> {
		const html = await at.response.clone().text();
		const origin = new URL(at.url).origin;
		const storage = this.sessionStorage.get(origin) ?? new Map<string, string>();
		this.sessionStorage.set(origin, storage);
		const unescape = (value: string) =>
			value
				.replace(/&amp;/g, '&')
				.replace(/&quot;/g, '"')
				.replace(/&#39;/g, "'");
		const leaving = /id="sso-leaving" data-target="([^"]+)" data-binding="([^"]*)"/.exec(html);
		if (leaving) {
			storage.set('opp-sso-binding', unescape(leaving[2]!));
			return this.open(new URL(unescape(leaving[1]!), at.url).href);
		}
		const finish = /<form method="post" action="([^"]+)" id="sso-finish">([\s\S]*?)<\/form>/.exec(html);
		if (!finish) {
			return at;
		}
		const fields = new URLSearchParams();
		for (const input of finish[2]!.matchAll(/<input type="hidden" name="([^"]+)"[^>]*value="([^"]*)">/g)) {
			fields.set(unescape(input[1]!), unescape(input[2]!));
		}
		fields.set('binding', storage.get('opp-sso-binding') ?? '');
		storage.delete('opp-sso-binding');
		const target = new URL(unescape(finish[1]!), at.url).href;
		return this.follow(
			target,
			await this.request(target, {
				method: 'POST',
				headers: { 'content-type': 'application/x-www-form-urlencoded', origin },
				body: fields,
			}),
		);
	}
}
