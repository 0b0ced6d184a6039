import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';

/** Where the kernel's own port choices start (Linux's default range is 32768–60999). */
function ephemeralFloor(): number {
	try {
		const [low] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/).map(Number);
		return low && low > 0 ? low : 32768;
	} catch {
		return 32768;
	}
}

const canListen = (port: number) =>
	new Promise<boolean>((resolve) => {
		const server = createServer();
		server.once('error', () => resolve(false));
		server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
	});

/**
 * A loopback port free right now, for a process that must be told its port before it starts.
 * Chosen below the kernel's ephemeral range: a port the kernel handed out (`listen(0)`, the local
 * end of any outgoing connection) could be handed out again to another socket in the moment before
 * its process binds it, which made tests fail with EADDRINUSE now and then; below the range only an
 * explicit bind takes a port, and the choice is random so parallel callers do not meet.
 */
export async function freePort(): Promise<number> {
	const ceiling = ephemeralFloor();
	const floor = Math.min(10_000, Math.floor(ceiling / 2));
	for (let attempt = 0; attempt < 100; attempt++) {
		const port = floor + Math.floor(Math.random() * (ceiling - floor));
		if (await canListen(port)) {
			return port;
		}
	}
	throw new Error(`no free loopback port between ${floor} and ${ceiling}`);
}
