import { mkdirSync, readFileSync, rmSync, statSync, unlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import * as z from 'zod';

/** The file in the data directory that says which service process serves it. */
export const CLAIM_FILE = 'service.lock';
/** How often the holder says it is still there (the file's modification time). */
const HEARTBEAT_MS = 5_000;
/** A claim not renewed for this long is a service that is gone (killed, its machine lost). */
const STALE_AFTER_MS = 3 * HEARTBEAT_MS;

const ClaimSchema = z.object({ pid: z.number(), host: z.string(), startedAt: z.string() });
type Claim = z.infer<typeof ClaimSchema>;

/** Another running service serves this data directory. */
export class DataDirInUseError extends Error {
	override readonly name = 'DataDirInUseError';
}

/**
 * Claims the embedded database's directory for this service process. Only one may serve it: each
 * keeps the newest revision in memory and streams its own saves, so a second would serve members a
 * policy the first had replaced, and never tell them. (Several instances share PostgreSQL, whose
 * notifications carry every save to all of them.) The admin commands (`backup`, `reset-link`) take
 * no claim: they work beside a running service.
 *
 * A claim left by a process that is gone is taken over: at once on the same machine (its process no
 * longer exists), otherwise once it has not been renewed for 15 s.
 */
export function claimDataDir(dataDir: string, now: () => number = Date.now): { release(): void } {
	const path = join(dataDir, CLAIM_FILE);
	// The first start makes the directory here, as the store would (its mode is checked when the store opens).
	mkdirSync(dataDir, { recursive: true, mode: 0o700 });
	const ours: Claim = { pid: process.pid, host: hostname(), startedAt: new Date(now()).toISOString() };
	for (let attempt = 0; ; attempt++) {
		try {
			// Created only if absent: of two services starting at once, one claims and the other reads its claim.
			writeFileSync(path, `${JSON.stringify(ours)}\n`, { flag: 'wx', mode: 0o600 });
			break;
		} catch (error) {
			if ((error as NodeJS.ErrnoException).code !== 'EEXIST') {
				throw error;
			}
		}
		const holder = heldBy(path, now());
		if (holder || attempt >= 2) {
			const who =
				holder && holder !== 'unreadable' ? `process ${holder.pid} on ${holder.host}, started ${holder.startedAt}` : 'starting now';
			throw new DataDirInUseError(
				`another policy service (${who}) serves ${dataDir}: stop it first. To run several instances, give them one PostgreSQL database (--database-url).`,
			);
		}
		rmSync(path, { force: true });
	}
	const heartbeat = setInterval(() => {
		try {
			const at = new Date(now());
			utimesSync(path, at, at);
		} catch {
			// The directory is gone or read-only now: the service's own writes will say so.
		}
	}, HEARTBEAT_MS);
	heartbeat.unref();
	return {
		release: () => {
			clearInterval(heartbeat);
			try {
				// Only our own claim: a stale takeover may have replaced it while we were stopped.
				const claim = readClaim(path);
				if (claim?.pid === ours.pid && claim.startedAt === ours.startedAt) {
					unlinkSync(path);
				}
			} catch {
				// Already gone.
			}
		},
	};
}

/** Who holds the claim, if they are still there ('unreadable': a claim being written this moment). */
function heldBy(path: string, now: number): Claim | 'unreadable' | undefined {
	let renewedAt: number;
	try {
		renewedAt = statSync(path).mtimeMs;
	} catch {
		return undefined;
	}
	if (now - renewedAt > STALE_AFTER_MS) {
		return undefined;
	}
	const claim = readClaim(path);
	if (!claim) {
		return 'unreadable';
	}
	if (claim.host !== hostname()) {
		return claim;
	}
	return claim.pid !== process.pid && processExists(claim.pid) ? claim : undefined;
}

function readClaim(path: string): Claim | undefined {
	try {
		const parsed = ClaimSchema.safeParse(JSON.parse(readFileSync(path, 'utf8')));
		return parsed.success ? parsed.data : undefined;
	} catch {
		return undefined;
	}
}

function processExists(pid: number): boolean {
	try {
		process.kill(pid, 0);
		return true;
	} catch (error) {
		// EPERM: it exists, as another user's process.
		return (error as NodeJS.ErrnoException).code === 'EPERM';
	}
}
