import { createServer, Socket as NetSocket, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';

/**
 * An HTTP proxy on loopback (CONNECT tunnels for https, forwarding for plain http) that maps real host names (e.g. acme.openai.azure.com:443) to
 * local servers, so a client sends the real Host header and TLS server name while no byte leaves
 * the machine. A host it has no mapping for is refused with 502, as a proxy that cannot reach it.
 */
export class ConnectProxy {
	/** Every CONNECT target asked for, as `host:port`. */
	readonly tunnels: string[] = [];
	/** Answer every CONNECT with this status instead (e.g. 407). */
	refuseWith: number | undefined;
	private server!: Server;
	private readonly sockets = new Set<Socket>();
	url = '';
	host = '';

	private constructor(private readonly routes: ReadonlyMap<string, number>) {}

	/** `routes`: host name → local port (on 127.0.0.1) that answers for it. */
	static async start(routes: ReadonlyMap<string, number>): Promise<ConnectProxy> {
		const proxy = new ConnectProxy(routes);
		proxy.server = createServer((client) => proxy.accept(client));
		await new Promise<void>((resolve) => proxy.server.listen(0, '127.0.0.1', resolve));
		const { port } = proxy.server.address() as AddressInfo;
		proxy.host = `127.0.0.1:${port}`;
		proxy.url = `http://${proxy.host}`;
		return proxy;
	}

	async close(): Promise<void> {
		this.sockets.forEach((socket) => socket.destroy());
		await new Promise<void>((resolve) => this.server.close(() => resolve()));
	}

	/**
	 * Plain HTTP through a proxy is not tunnelled: the request names the absolute URL. It goes to the
	 * local server mapped to that host with the request line rewritten to its path (one request per
	 * connection, as `Connection: close` asks).
	 */
	private forward(client: Socket, url: URL, head: string, body: Buffer): void {
		this.tunnels.push(`${url.hostname}:${url.port || 80}`);
		const port = this.routes.get(url.hostname);
		if (this.refuseWith !== undefined || port === undefined) {
			this.refuse(client, this.refuseWith ?? 502);
			return;
		}
		const lines = head.split('\r\n');
		const [method, , version] = lines[0]!.split(' ');
		const headers = lines.slice(1).filter((line) => line && !/^(proxy-connection|connection):/i.test(line));
		const upstream = new NetSocket();
		this.sockets.add(upstream);
		upstream.on('close', () => this.sockets.delete(upstream));
		upstream.on('error', () => client.destroy());
		upstream.connect(port, '127.0.0.1', () => {
			upstream.write(`${method} ${url.pathname}${url.search} ${version}\r\n${headers.join('\r\n')}\r\nConnection: close\r\n\r\n`, 'latin1');
			if (body.length) {
				upstream.write(body);
			}
			client.pipe(upstream).pipe(client);
		});
	}

	/** A proxy's own answer: 407 asks for credentials; 502 is an HTML page, as squid and nginx send. */
	private refuse(client: Socket, status: number): void {
		const body = status === 407 ? '' : '<html><body><h1>502 Bad Gateway</h1></body></html>';
		const challenge = status === 407 ? 'Proxy-Authenticate: Basic realm="corp"\r\n' : 'Content-Type: text/html\r\n';
		const reason = status === 407 ? 'Proxy Authentication Required' : 'Bad Gateway';
		client.end(`HTTP/1.1 ${status} ${reason}\r\n${challenge}Content-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`);
	}

	private accept(client: Socket): void {
		this.sockets.add(client);
		client.on('close', () => this.sockets.delete(client));
		client.on('error', () => undefined);
		let head = '';
		const onData = (chunk: Buffer) => {
			head += chunk.toString('latin1');
			const end = head.indexOf('\r\n\r\n');
			if (end < 0) {
				return;
			}
			client.off('data', onData);
			const [method, target] = head.slice(0, head.indexOf('\r\n')).split(' ');
			const rest = Buffer.from(head.slice(end + 4), 'latin1');
			if (method !== 'CONNECT' && target?.startsWith('http://')) {
				this.forward(client, new URL(target), head.slice(0, end + 4), rest);
				return;
			}
			if (method !== 'CONNECT' || !target) {
				client.end('HTTP/1.1 405 Method Not Allowed\r\n\r\n');
				return;
			}
			this.tunnels.push(target);
			const host = target.replace(/:\d+$/, '');
			const port = this.routes.get(host);
			if (this.refuseWith !== undefined || port === undefined) {
				this.refuse(client, this.refuseWith ?? 502);
				return;
			}
			const upstream = new NetSocket();
			this.sockets.add(upstream);
			upstream.on('close', () => this.sockets.delete(upstream));
			upstream.on('error', () => client.destroy());
			upstream.connect(port, '127.0.0.1', () => {
				client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
				if (rest.length) {
					upstream.write(rest);
				}
				client.pipe(upstream).pipe(client);
			});
		};
		client.on('data', onData);
	}
}
