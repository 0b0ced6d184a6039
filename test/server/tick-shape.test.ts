import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eventually } from '../support/eventually';

const root = join(__dirname, '..', '..');
const FIXTURE = join(root, 'test/fixtures/tick-feedback.cjs');
const V8_FLAGS = ['--allow-natives-syntax', '--expose-gc', '-r', FIXTURE];

/** What V8 printed, and the states of `process.nextTick`'s property definitions in it, after collections in a process started with `args`. */
async function definitionStates(args: string[], ready: (output: string) => boolean): Promise<{ states: string[]; output: string }> {
	// A file, not a pipe: V8 prints through C's stdout, which a pipe's reader can see cut short at exit.
	const directory = mkdtempSync(join(tmpdir(), 'opp-tick-feedback-'));
	const outputFile = join(directory, 'output.txt');
	const fd = openSync(outputFile, 'w');
	const child = spawn(process.execPath, [...V8_FLAGS, ...args], { cwd: root, stdio: ['ignore', fd, fd] });
	closeSync(fd);
	const output = () => readFileSync(outputFile, 'utf8');
	try {
		await eventually(
			'the process to start',
			() => {
				assert.equal(child.exitCode, null, `the process ended before it started:\n${output()}`);
				return ready(output());
			},
			20_000,
		);
		child.kill('SIGUSR2');
		// The fixture exits once it has printed; the exit flushes C's stdout into the file.
		await eventually('the process to print its feedback and exit', () => child.exitCode !== null, 30_000);
		const text = output();
		return { states: [...text.matchAll(/DefineKeyedOwnPropertyInLiteral (\w+)/g)].map((match) => match[1]!), output: text };
	} finally {
		child.kill();
		rmSync(directory, { recursive: true, force: true });
	}
}

describe('the service process and Node’s tick entries', function () {
	this.timeout(60_000);

	it('without a held entry, collections leave nextTick’s property definitions megamorphic (what the service avoids)', async () => {
		const { states, output } = await definitionStates(['-e', 'console.log("ready"); setInterval(() => {}, 1000)'], (out) =>
			out.includes('ready'),
		);
		assert.ok(states.length > 0, `V8 printed no property definitions for nextTick:\n${output}`);
		assert.ok(states.includes('MEGAMORPHIC'), `expected a megamorphic definition, got ${states.join(', ')}`);
	});

	it('keeps them monomorphic in the running service, however many collections pass', async () => {
		const dataDir = mkdtempSync(join(tmpdir(), 'opp-tick-shape-'));
		try {
			const { states, output } = await definitionStates(
				['--import', 'tsx', join(root, 'src/server/main.ts'), '--port', '0', '--data-dir', dataDir, '--log-level', 'warn'],
				(out) => out.includes('listening on'),
			);
			assert.ok(states.length > 0, `V8 printed no property definitions for nextTick:\n${output}`);
			assert.deepEqual(
				states.filter((state) => state !== 'MONOMORPHIC'),
				[],
				`every definition monomorphic, got ${states.join(', ')}`,
			);
		} finally {
			rmSync(dataDir, { recursive: true, force: true });
		}
	});
});
