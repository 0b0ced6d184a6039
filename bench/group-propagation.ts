/**
 * Propagation with group overlays (#27 item 5): the cost of a save grows with the distinct effective
 * documents, not with the members. One service (in this process, SQLite in a temporary directory)
 * with N members and one raw event stream each, read by worker processes that only note each
 * frame's id. Same run, same members:
 *
 * - baseline: no groups exist and the save has no overlays — every member gets the stored document;
 * - groups: each member is in one to three of 50 groups (a fixed pseudo-random draw) and the save
 *   carries overlays for 10 of them, so members get one of many effective documents.
 *
 * t0 is the moment the admin's PUT is sent; reported: p50 / p99 / max to the frame on every stream,
 * and the effective documents the save signed (the service's own counter).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { UserRecord } from '../src/server/store/store';
import { memberRecord } from '../test/support/records';
import { seededRandom } from '../test/support/random';
import { ADMIN, putPolicy, startService, type RunningService } from '../test/support/service';
import { collect, forkReadersPerToken, ms, percentile, report, smoke, wallClock } from './support/common';
import type { ReaderMessage } from './support/stream-readers';

type Arrived = Extract<ReaderMessage, { type: 'arrived' }>;
const WORKERS = Math.max(1, Math.min(2, cpus().length));
const MEMBERS = Number(process.env.BENCH_MEMBERS ?? (smoke ? 200 : 10_000));
const GROUPS = 50;

const BASE = {
	enabled: true,
	provider: { id: 'openai-compatible', baseUrl: 'https://llm.acme.example/v1', models: { allowed: ['gpt-4o', 'gpt-4o-mini'] } },
};

async function signedSoFar(service: RunningService): Promise<number> {
	const metrics = await (await fetch(`${service.url}/metrics`)).text();
	return Number(/^org_policy_effective_documents_signed_total (\d+)/m.exec(metrics)?.[1] ?? 0);
}

/** Opens one stream per member, saves `settings` as revision `target`, and times the frame's arrival everywhere. */
async function timedSave(service: RunningService, admin: string, tokens: string[], settings: unknown, target: number, dir: string) {
	const workers = forkReadersPerToken(
		{ url: `${service.url}/api/v1/policy/events`, lastEventId: target - 1, target },
		tokens,
		WORKERS,
		dir,
	);
	try {
		await collect(workers, 'ready', 300_000);
		await new Promise((resolve) => setTimeout(resolve, 500));
		const signedBefore = await signedSoFar(service);
		const arrived = collect<Arrived>(workers, 'arrived', 180_000);
		workers.forEach((worker) => worker.send({ type: 'go' }));
		const sent = wallClock();
		const saved = await putPolicy(service.url, admin, settings, `"${target - 1}"`);
		if (saved.status !== 200) {
			throw new Error(`save failed: ${saved.status} ${await saved.text()}`);
		}
		const latencies = (await arrived).flatMap((result) => result.times.map((time) => time - sent));
		return { latencies, signed: (await signedSoFar(service)) - signedBefore };
	} finally {
		workers.forEach((worker) => worker.kill());
	}
}

async function main(): Promise<void> {
	const dir = mkdtempSync(join(tmpdir(), 'opp-bench-groups-'));
	const service = await startService({ dataDir: dir });
	try {
		const admin = (await service.signIn(ADMIN.email)).access_token;
		await putPolicy(service.url, admin, BASE, '"1"');
		const members: UserRecord[] = [];
		const tokens: string[] = [];
		for (let index = 0; index < MEMBERS; index++) {
			const id = `member-${index.toString().padStart(5, '0')}`;
			const user = memberRecord(id);
			await service.store.createUser(user);
			members.push(user);
			tokens.push((await service.accounts.tokens.issue(user, 'vscode')).access_token);
		}

		const baseline = await timedSave(service, admin, tokens, { ...BASE, adminContact: 'baseline@acme.example' }, 3, dir);

		const names = Array.from({ length: GROUPS }, (_, index) => `team-${index.toString().padStart(2, '0')}`);
		const next = seededRandom(42);
		const byGroup = new Map<string, string[]>(names.map((name) => [name, []]));
		for (const member of members) {
			const count = 1 + Math.floor(next() * 3);
			for (const name of new Set(Array.from({ length: count }, () => names[Math.floor(next() * GROUPS)]!))) {
				byGroup.get(name)!.push(member.id);
			}
		}
		for (const [index, name] of names.entries()) {
			await service.store.groups.createGroup(
				{ id: `group-${index}`, orgId: 'acme', displayName: name, externalId: null, source: 'console', createdAt: 0, updatedAt: 0 },
				byGroup.get(name)!,
			);
		}
		const overlays = names.slice(0, 10).map((group, index) => ({ group, models: { allowed: [`model-${index}`, 'gpt-4o'] } }));
		const grouped = await timedSave(service, admin, tokens, { ...BASE, overlays }, 4, dir);
		// The distinct sets of overlays members are in: what the save had to sign, at most.
		const distinct = new Set(
			members.map((member) =>
				names
					.slice(0, 10)
					.filter((name) => byGroup.get(name)!.includes(member.id))
					.join(','),
			),
		).size;

		const row = (label: string, run: { latencies: number[]; signed: number }) =>
			`| ${label} | ${ms(percentile(run.latencies, 50))} | ${ms(percentile(run.latencies, 99))} | ${ms(Math.max(...run.latencies))} | ${run.signed} |`;
		const ratio = percentile(grouped.latencies, 99) / percentile(baseline.latencies, 99);
		report({
			name: 'group-propagation',
			markdown: [
				`${MEMBERS} members, one event stream each (${WORKERS} reader processes); the service in the benchmark's process on SQLite. Each member is in one to three of ${GROUPS} groups; the second save carries overlays for 10 of them, which put members into ${distinct} distinct sets of overlays. Each effective document is signed once, in every schema version, on first use.`,
				'',
				'| save | p50 to every stream | p99 | max | effective documents signed |',
				'| --- | ---: | ---: | ---: | ---: |',
				row('no groups, no overlays (baseline)', baseline),
				row(`${GROUPS} groups, 10 overlays`, grouped),
				'',
				`p99 with overlays: ${ratio.toFixed(2)}× the baseline's. Signatures per save: ${grouped.signed} effective documents for ${MEMBERS} members (${(grouped.signed / MEMBERS).toFixed(3)} per member).`,
			].join('\n'),
			targets: [
				{
					description: `effective documents signed per save ≤ the distinct overlay sets (${distinct}), not one per member (${MEMBERS})`,
					met: grouped.signed <= distinct,
					measured: String(grouped.signed),
				},
				{
					description: 'save-to-every-stream p99 with overlays ≤ 2× the same save without',
					met: ratio <= 2,
					measured: `${ratio.toFixed(2)}×`,
				},
			],
		});
	} finally {
		await service.close();
		rmSync(dir, { recursive: true, force: true });
	}
}

main().catch((error: unknown) => {
	console.error(error);
	process.exit(1);
});
