// Runs every benchmark and writes bench/results.md (or, with --smoke, a tiny run that proves they
// still work, into bench/results-smoke.md). Each figure is a ratio against a baseline measured in
// the same run; targets are read from the results, never asserted as timings in tests.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { assertSupportedNode } from '../scripts/node-version.mjs';

assertSupportedNode();
const root = new URL('..', import.meta.url).pathname;
const smoke = process.argv.includes('--smoke');
const only = process.argv.slice(2).filter((arg) => !arg.startsWith('--'));
const benches = [
	['propagation', 'Propagation: admin save → members applied'],
	['fan-out-in-process', 'Fan-out past the open-file limit: 50,000 streams over in-process connections'],
	['group-propagation', 'Propagation with group overlays: members in 50 groups'],
	['instances', 'Several instances on one PostgreSQL database'],
	['policy-reads', 'Policy reads'],
	['client-overhead', 'Client overhead'],
	['activation', 'Extension start'],
	['lm-provider', 'Language Model provider'],
	['responses', 'Language Model provider on a Responses-API model'],
	['soak', 'Soak: event streams and reads for a minute'],
	['writes', 'Writes: start, restart and save latency'],
	['ingest', 'Usage ingest: every member reporting once a minute'],
	['token-issuance', 'Organization tokens: issuance per second'],
].filter(([name]) => only.length === 0 || only.includes(name));

const build = spawnSync(process.execPath, [join(root, 'esbuild.config.mjs'), '--production'], { cwd: root, stdio: 'inherit' });
if (build.status !== 0) {
	process.exit(build.status ?? 1);
}

const versions = Object.fromEntries(
	['openai', 'undici', 'fastify', 'better-sqlite3', 'zod', 'autocannon'].map((name) => [
		name,
		JSON.parse(readFileSync(join(root, 'node_modules', name, 'package.json'), 'utf8')).version,
	]),
);
const dir = mkdtempSync(join(tmpdir(), 'opp-bench-'));
const sections = [];
const failures = [];
let passed = 0;
for (const [name, title] of benches) {
	const out = join(dir, `${name}.json`);
	console.log(`\n» bench ${name}${smoke ? ' (smoke)' : ''}`);
	const started = Date.now();
	const run = spawnSync(
		process.execPath,
		['--import', 'tsx', join(root, 'bench', `${name}.ts`), ...(smoke ? ['--smoke'] : []), '--out', out],
		{ cwd: root, stdio: 'inherit', timeout: 30 * 60_000 },
	);
	if (run.status !== 0 || !existsSync(out)) {
		failures.push(name);
		sections.push(`## ${title}\n\nThe benchmark failed (exit ${run.status ?? run.signal}).\n`);
		continue;
	}
	passed++;
	const result = JSON.parse(readFileSync(out, 'utf8'));
	const targets = result.targets.map((target) => `| ${target.description} | ${target.measured} | ${target.met ? 'met' : '**missed**'} |`);
	sections.push(
		`## ${title}\n\n${result.markdown}\n\n| target | measured | |\n| --- | --- | --- |\n${targets.join('\n')}\n\n_${((Date.now() - started) / 1000).toFixed(0)} s_\n`,
	);
	console.log(result.markdown);
}
rmSync(dir, { recursive: true, force: true });

const header = [
	`# Benchmark results${smoke ? ' (smoke run: sizes and durations too small to judge targets)' : ''}`,
	'',
	`- Date: ${new Date().toISOString()}`,
	`- Machine: ${cpus().length} × ${cpus()[0]?.model ?? 'unknown CPU'}, ${(totalmem() / 1024 ** 3).toFixed(0)} GiB`,
	`- Node ${process.versions.node}; ${Object.entries(versions)
		.map(([name, version]) => `${name} ${version}`)
		.join(', ')}`,
	'',
	'Every figure is compared with a baseline measured in the same run on the same machine; absolute times on shared machines are noise.',
	'',
].join('\n');
const file = join(root, 'bench', smoke ? 'results-smoke.md' : 'results.md');
const notes = existsSync(join(root, 'bench', 'NOTES.md')) && !smoke ? `\n${readFileSync(join(root, 'bench', 'NOTES.md'), 'utf8')}` : '';
writeFileSync(file, `${header}\n${sections.join('\n')}${notes}`);
console.log(`\nwrote ${file}`);
if (process.env.TEST_STATS_FILE) {
	writeFileSync(process.env.TEST_STATS_FILE, JSON.stringify({ passed, failed: failures.length, skipped: 0 }));
}
console.log(`${passed} passed, ${failures.length} failed`);
process.exit(failures.length > 0 ? 1 : 0);
