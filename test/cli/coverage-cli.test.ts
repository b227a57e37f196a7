import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { run } from '../../cli/main.ts';

// `coverage` measures: a generated suite run under vitest records what it took, and `coverage` reads that.
const exec = promisify(execFile);
const ROOT = new URL('../../', import.meta.url).pathname;
const BIN = join(ROOT, 'bin/lifecycle.js');
const VITEST = join(ROOT, 'node_modules/vitest/vitest.mjs');
const PAY = join(ROOT, 'test/fixtures/coverage/pay.ts');
const FIX = join(ROOT, 'test/fixtures/coverage');
const temp = mkdtempSync(join(tmpdir(), 'lk-coverage-'));
// Generated tests must live under test/ for the repo's vitest config to run them.
const suites = join(ROOT, 'test/.generated', `coverage-${process.pid}`);
afterAll(() => {
  rmSync(temp, { recursive: true, force: true });
  rmSync(suites, { recursive: true, force: true });
});

type Result = { code: number; stdout: string; stderr: string };
async function node(args: string[], options: { cwd?: string; env?: Record<string, string> } = {}): Promise<Result> {
  const env = { ...process.env, LIFECYCLE_COVERAGE: '', LIFECYCLE_COVERAGE_DIR: '', ...options.env };
  try {
    const { stdout, stderr } = await exec(process.execPath, args, { cwd: options.cwd ?? ROOT, env, maxBuffer: 64 << 20 });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as Result;
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}
/** The CLI in this process (a child process costs seconds on a busy machine); in a child where the cwd matters. */
async function lifecycle(args: string[], options?: { cwd?: string }): Promise<Result> {
  if (options?.cwd) return node([BIN, ...args], options);
  let stdout = '';
  let stderr = '';
  const code = await run(args, { stdout: { write: (s) => (stdout += String(s)) }, stderr: { write: (s) => (stderr += String(s)) } });
  return { code, stdout, stderr };
}

/**
 * Writes pay's generated suite into `suites/<name>` (once; split into files of at most `maxSteps` steps) and runs
 * it (only the paths matching `only`, if given).
 */
async function runSuite(name: string, env: Record<string, string>, only?: string, maxSteps = 400): Promise<void> {
  const out = join(suites, name);
  if (!existsSync(out)) {
    const w = await lifecycle(['testgen', PAY, '-o', out, '--max-steps-per-file', String(maxSteps)]);
    expect(w.code, w.stderr).toBe(0);
  }
  const run = await node([VITEST, 'run', out, '--maxWorkers', '3', ...(only ? ['-t', only] : [])], { env });
  expect(run.code, run.stdout + run.stderr).toBe(0);
}

describe('a generated suite records the transitions it takes', () => {
  const full = join(temp, 'full');

  it('only when asked; then coverage reads the measured figure', async () => {
    const before = existsSync(join(ROOT, '.lifecycle-coverage'));
    await runSuite('split', {}, undefined, 3);
    expect(existsSync(join(ROOT, '.lifecycle-coverage')), 'a plain run records nothing').toBe(before);

    await runSuite('full', { LIFECYCLE_COVERAGE_DIR: full });
    const files = readdirSync(full);
    expect(files).toHaveLength(1);
    expect(files[0]).toMatch(new RegExp(`^pay\\.[0-9a-f]{10}\\.\\d+\\.json$`));
    const recorded = JSON.parse(readFileSync(join(full, files[0]), 'utf8'));
    expect(recorded).toMatchObject({ format: 'lifecycle-kit coverage 1', machine: { id: 'pay', fingerprint: expect.stringMatching(/^[0-9a-f]{16}$/) }, runs: 4 });
    expect(recorded.transitions).toHaveLength(8);

    const r = await lifecycle(['coverage', PAY, '--from', full]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe(`pay (measured: 1 coverage file in ${full}): transitions 8/8 taken (100%)\n`);
    // The default folder, in the current directory.
    const cwd = join(temp, 'project');
    mkdirSync(join(cwd, '.lifecycle-coverage'), { recursive: true });
    writeFileSync(join(cwd, '.lifecycle-coverage', files[0]), readFileSync(join(full, files[0])));
    expect((await lifecycle(['coverage', PAY], { cwd })).stdout).toMatch(/^pay \(measured: 1 coverage file in \.lifecycle-coverage\): transitions 8\/8 taken/);
  });

  it('a suite split into files that parallel workers run: one recording per file, none clobbered', async () => {
    const dir = join(temp, 'split');
    await runSuite('split', { LIFECYCLE_COVERAGE_DIR: dir }, undefined, 3);
    const tests = readdirSync(join(suites, 'split'));
    expect(tests.length).toBeGreaterThan(2);
    const recorded = readdirSync(dir);
    expect(recorded).toHaveLength(tests.length);
    const files = recorded.map((f) => JSON.parse(readFileSync(join(dir, f), 'utf8')) as { testFile: string; runs: number });
    expect(files.map((f) => f.testFile.split('/').pop()).sort()).toEqual(tests.sort());
    expect(files.reduce((n, f) => n + f.runs, 0)).toBe(4);
    expect((await lifecycle(['coverage', PAY, '--from', dir])).stdout).toBe(`pay (measured: ${tests.length} coverage files in ${dir}): transitions 8/8 taken (100%)\n`);
  });

  it('a partial run of the same file replaces its recording and gives less than 100%, with the untaken transitions readable; --min-coverage fails below target', async () => {
    await runSuite('full', { LIFECYCLE_COVERAGE_DIR: full }, 'CANCEL');
    expect(readdirSync(full)).toHaveLength(1);
    const partial = full;
    const r = await lifecycle(['coverage', PAY, '--from', partial, '--min-coverage', '50']);
    expect(r.stdout).toMatch(/^pay \(measured: 1 coverage file in .*\): transitions 1\/8 taken \(12\.5%\)$/m);
    expect(r.stdout).toContain('untaken: idle --APPROVE [small]--> pay\n');
    expect(r.stdout).toContain('untaken: pay.waiting --after backoff--> pay.reserving\n');
    expect(r.stdout).not.toContain('xstate.');
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('lifecycle: measured transition coverage 12.5% (1/8) is below --min-coverage 50%\n');
    const json = JSON.parse((await lifecycle(['coverage', PAY, '--from', partial, '-f', 'json'])).stdout);
    expect(json).toMatchObject({ machine: 'pay', source: 'measured', transitions: { taken: 1, total: 8, percent: 12.5 } });
    expect(json.transitions.untaken[0]).toEqual({ id: 'pay.idle:APPROVE:0', transition: 'idle --APPROVE [small]--> pay' });
    expect((await lifecycle(['coverage', PAY, '--from', partial, '--min-coverage', '10'])).code).toBe(0);
  });
});

describe('coverage refuses what it cannot measure', () => {
  it('without recorded data: one line saying how to produce it, exit 1; --planned is labelled as not measured', async () => {
    const cwd = join(temp, 'empty-project');
    mkdirSync(cwd, { recursive: true });
    const r = await lifecycle(['coverage', PAY], { cwd });
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr.split('\n')).toHaveLength(2);
    expect(r.stderr).toMatch(/^lifecycle: no recorded coverage of pay in \.lifecycle-coverage: run its generated tests with LIFECYCLE_COVERAGE=1 .*--journal.*--planned\n$/);
    const planned = await lifecycle(['coverage', PAY, '--planned'], { cwd });
    expect(planned.stdout).toBe('pay (planned: the generated paths, not measured): transitions 8/8 would be taken (100%)\n');
    expect((await lifecycle(['coverage', PAY, '--planned', '--from', cwd])).code).toBe(2);
  });

  it("another machine's journal or coverage file, a text file, a stale recording: refused, naming the file", async () => {
    const dir = join(temp, 'refuse');
    mkdirSync(dir, { recursive: true });
    const installJournal = join(dir, 'journal.jsonl');
    writeFileSync(installJournal, `${JSON.stringify({ event: 'xstate.init', from: null, to: 'checkingPreconditions', transitions: [] })}\n${JSON.stringify({ event: 'xstate.done.actor.0.install.checkingPreconditions', from: 'checkingPreconditions', to: 'decidingVersion', transitions: ['install.checkingPreconditions:xstate.done.actor.0.install.checkingPreconditions:0'] })}\n`);
    const other = await lifecycle(['coverage', PAY, '--journal', installJournal]);
    expect(other.code).toBe(1);
    expect(other.stderr).toMatch(new RegExp(`^lifecycle: journal ${installJournal} is not of machine 'pay': .*e\\.g\\. state checkingPreconditions`));
    // A store folder holding it reads the same.
    expect((await lifecycle(['coverage', PAY, '--journal', dir])).stderr).toMatch(/is not of machine 'pay'/);

    const text = join(dir, 'notes.txt');
    writeFileSync(text, 'hello\nworld\n');
    const t = await lifecycle(['coverage', PAY, '--journal', text]);
    expect(t.code).toBe(1);
    expect(t.stderr).toBe(`lifecycle: ${text} is not a run journal: line 1 is not JSON (a journal is the journal.jsonl of 'lifecycle run')\n`);
    const json = join(dir, 'other.jsonl');
    writeFileSync(json, '{"name":"x"}\n');
    expect((await lifecycle(['coverage', PAY, '--journal', json])).stderr).toMatch(/is not a run journal: line 1 has no event and state/);

    const recorded = { format: 'lifecycle-kit coverage 1', testFile: 'test/x.test.ts', pid: 1, recordedAt: new Date().toISOString(), runs: 1, transitions: ['pay.idle:CANCEL:0'], states: ['pay', 'pay.cancelled'] };
    const covDir = join(dir, 'cov');
    mkdirSync(covDir);
    writeFileSync(join(covDir, 'shop.json'), JSON.stringify({ ...recorded, machine: { id: 'shop', fingerprint: '0000' } }));
    const only = await lifecycle(['coverage', PAY, '--from', covDir]);
    expect(only.stderr).toMatch(new RegExp(`^lifecycle: no recorded coverage of pay in ${covDir} \\(only of shop\\): run its generated tests`));
    const named = await lifecycle(['coverage', PAY, '--from', join(covDir, 'shop.json')]);
    expect(named.stderr).toBe(`lifecycle: coverage file ${join(covDir, 'shop.json')} is of machine 'shop', not 'pay': give this machine's coverage\n`);
    writeFileSync(join(covDir, 'stale.json'), JSON.stringify({ ...recorded, machine: { id: 'pay', fingerprint: 'ffffffffffffffff' } }));
    const stale = await lifecycle(['coverage', PAY, '--from', covDir]);
    expect(stale.code).toBe(1);
    expect(stale.stderr).toMatch(new RegExp(`^lifecycle: coverage file ${covDir}/stale\\.json was recorded on another version of machine 'pay'`));
    writeFileSync(join(covDir, 'stale.json'), 'not json');
    expect((await lifecycle(['coverage', PAY, '--from', covDir])).stderr).toMatch(/stale\.json is not a lifecycle-kit coverage file/);
  });

  it("a journal of this machine's run is measured, and adds to recorded coverage", async () => {
    const journal = join(temp, 'pay.jsonl');
    writeFileSync(journal, `${JSON.stringify({ event: 'xstate.init', from: null, to: 'idle', transitions: [] })}\n${JSON.stringify({ event: 'CANCEL', from: 'idle', to: 'cancelled', transitions: ['pay.idle:CANCEL:0'] })}\n{"torn`);
    const r = await lifecycle(['coverage', PAY, '--journal', journal]);
    expect(r.stdout).toMatch(new RegExp(`^pay \\(measured: journal ${journal}\\): transitions 1/8 taken \\(12\\.5%\\)$`, 'm'));
    const both = await lifecycle(['coverage', PAY, '--journal', journal, '--from', join(temp, 'full')]);
    expect(both.stdout).toMatch(/^pay \(measured: journal .*, 1 coverage file in .*\): transitions 1\/8 taken/m);
  });
});

describe('--min-coverage on paths and testgen; testgen writes no empty suite', () => {
  const inline = join(FIX, 'inline.ts');

  it('paths: the figure and the target when below, exit 1; readable uncovered transitions', async () => {
    const r = await lifecycle(['paths', inline, '--min-coverage', '90']);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('uncovered: pay.charging --done: <inline actor of pay.charging> [never]--> paid (guard never true');
    expect(r.stdout).toContain('gets done: <inline actor of pay.charging>)');
    expect(r.stdout).toContain('    1. BUY');
    expect(r.stderr).toBe('lifecycle: transition coverage of the paths 66.6% (2/3) is below --min-coverage 90%\n');
    expect((await lifecycle(['paths', inline, '--min-coverage', '66.6'])).code).toBe(0);
    expect((await lifecycle(['paths', inline, '--min-coverage', '101'])).code).toBe(2);
    const threw = await lifecycle(['paths', join(FIX, 'inline-throws.ts'), '--no-infer']);
    expect(threw.stdout).toMatch(/^uncovered: a --done: <inline actor of a>--> b \(threw: action assign threw in a on done: <inline actor of a>: /m);
  });

  it('testgen: below target or no paths, nothing is written', async () => {
    const out = join(temp, 'gen');
    const below = await lifecycle(['testgen', inline, '-o', out, '--min-coverage', '80']);
    expect(below.code).toBe(1);
    expect(below.stderr).toBe('lifecycle: transition coverage of the paths 66.6% (2/3) is below --min-coverage 80%: nothing written\n');
    expect(existsSync(out)).toBe(false);
    const empty = await lifecycle(['testgen', join(FIX, 'empty.ts'), '-o', out]);
    expect(empty.code).toBe(1);
    expect(empty.stderr).toBe('lifecycle: no test paths for empty: it has no transitions to take; nothing written\n');
    const broken = await lifecycle(['testgen', join(FIX, 'broken.ts'), '-o', out]);
    expect(broken.code).toBe(1);
    expect(broken.stderr).toMatch(/^lifecycle: no test paths for broken: none of its 2 transitions can be taken \(first: a --GO--> b: threw: the machine never started: the context factory threw: no database\); nothing written/);
    expect(existsSync(out)).toBe(false);
    const ok = await lifecycle(['testgen', inline, '-o', out]);
    expect(ok.stdout).toContain('uncovered: pay.charging --done: <inline actor of pay.charging> [never]--> paid');
    expect(readFileSync(join(out, 'inline.paths.test.ts'), 'utf8')).toContain('it("BUY → error: <inline actor of pay.charging> (2 steps)"');
  });
});
