import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { run } from '../../cli/main.ts';
import { formatReport, type MutationReport, REPORT_FORMAT } from '../../src/mutate/report.ts';
import { findVitest, runSuite } from '../../src/mutate/vitest.ts';

// End to end on a small machine: its generated suite, written into a folder under test/ (where the repo's vitest
// config finds tests), scored against a sample of its mutants.
const ROOT = new URL('../../', import.meta.url).pathname;
const FIXTURE = relative(ROOT, new URL('./fixtures/turnstile.ts', import.meta.url).pathname);
const DIR = join(ROOT, 'test/.generated', `mutate-${process.pid}`);
const SUITE = relative(ROOT, join(DIR, 'suite'));
afterAll(() => rmSync(DIR, { recursive: true, force: true }));

async function lifecycle(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await run(args, { stdout: { write: (s) => (stdout += String(s)) }, stderr: { write: (s) => (stderr += String(s)) } });
  return { code, stdout, stderr };
}

describe('lifecycle mutate', () => {
  it('scores a generated suite: killed, survived, and survived but provably equivalent', async () => {
    const gen = await lifecycle(['testgen', FIXTURE, '-o', SUITE]);
    expect(gen.code, gen.stderr).toBe(0);
    // Seed 86 picks a dropped onDone and a dropped onError (what any suite that takes every transition sees), a
    // dropped side effect that does nothing (no state or context shows it), and the entry of a state nothing enters.
    const r = await lifecycle(['mutate', FIXTURE, '--suite', SUITE, '--max', '4', '--seed', '86', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout) as MutationReport;
    expect(report).toMatchObject({ format: REPORT_FORMAT, machine: { id: 'turnstile' }, suite: [SUITE], selection: { total: 20, selected: 4, max: 4, seed: 86 } });
    expect(report.results.map((m) => [m.id, m.status, m.equivalent])).toEqual([
      ['drop-transition turnstile.unlocking:xstate.done.actor.0.turnstile.unlocking:0', 'killed', undefined],
      ['drop-onerror turnstile.unlocking:xstate.error.actor.0.turnstile.unlocking', 'killed', undefined],
      ['drop-action turnstile.locked:PUSH:1/0', 'survived', undefined],
      ['drop-entry turnstile.broken/0', 'survived', 'broken is unreachable'],
    ]);
    expect(report.results[0]!.detail).toMatch(/^turnstile .*: Error: path ".*", step \d+ of \d+: /);
    const text = formatReport(report);
    expect(text).toContain('score: 2/4 killed (50%); 1 survivor is equivalent: 2/3 (66.6%) of the others\n');
    expect(text).toContain('  locked: drop the action ring of locked --PUSH--> (no target)\n    drop-action turnstile.locked:PUSH:1/0\n');
  });

  it('refuses a suite that fails unmutated, saying which test fails', async () => {
    mkdirSync(join(DIR, 'failing'), { recursive: true });
    writeFileSync(join(DIR, 'failing', 'red.test.ts'), "import { it, expect } from 'vitest';\nit('is red', () => expect(1).toBe(2));\n");
    const r = await lifecycle(['mutate', FIXTURE, '--suite', relative(ROOT, join(DIR, 'failing'))]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^lifecycle: the suite fails without any mutant, so it cannot score one: is red: AssertionError: expected 1 to be 2 .*; fix it first \(npx vitest run test\/\.generated\/.*\)\n$/);
  });

  it('stops a run that outlives its limit', async () => {
    mkdirSync(join(DIR, 'loop'), { recursive: true });
    writeFileSync(join(DIR, 'loop', 'loop.test.ts'), "import { it } from 'vitest';\nit('loops', () => { for (;;) {} });\n");
    const outcome = await runSuite(findVitest(ROOT), [relative(ROOT, join(DIR, 'loop'))], { cwd: ROOT, env: process.env, timeoutMs: 4000, reportFile: join(DIR, 'loop.json') });
    expect(outcome).toMatchObject({ outcome: 'timeout', failure: 'still running after 4000 ms' });
  });

  it('lists the mutants, and merges the --json reports of shards', async () => {
    const list = await lifecycle(['mutate', FIXTURE, '--list']);
    expect(list.code).toBe(0);
    expect(list.stdout.split('\n')[0]).toBe('drop-transition turnstile.locked:COIN:0');
    expect(list.stdout.split('\n')[1]).toBe('    locked: drop locked --COIN--> unlocking');
    // What a shard of a sample would run, as the run itself picks it.
    const part = await lifecycle(['mutate', FIXTURE, '--list', '--json', '--max', '4', '--seed', '86', '--shard', '2/2']);
    expect((JSON.parse(part.stdout) as { id: string }[]).map((m) => m.id)).toEqual(['drop-onerror turnstile.unlocking:xstate.error.actor.0.turnstile.unlocking', 'drop-entry turnstile.broken/0']);

    const shard = (index: number, status: 'killed' | 'survived'): MutationReport => ({
      format: REPORT_FORMAT,
      machine: { ref: FIXTURE, id: 'turnstile', fingerprint: 'f' },
      suite: [SUITE],
      selection: { total: 20, selected: 20 },
      shards: { count: 2, included: [index] },
      baselineMs: 1000,
      timeoutMs: 10_000,
      results: [{ id: `drop-guard x${index}`, index, operator: 'drop-guard', location: 'locked', description: `bug ${index}`, status, ms: 1 }],
    });
    mkdirSync(DIR, { recursive: true });
    writeFileSync(join(DIR, 'a.json'), JSON.stringify(shard(1, 'killed')));
    writeFileSync(join(DIR, 'b.json'), JSON.stringify(shard(2, 'survived')));
    const merged = await lifecycle(['mutate', '--merge', join(DIR, 'b.json'), join(DIR, 'a.json')]);
    expect(merged.code, merged.stderr).toBe(0);
    expect(merged.stdout).toContain('mutate turnstile: 2 mutants, shards 1, 2 of 2,');
    expect(merged.stdout).toContain('score: 1/2 killed (50%)\n');
    const below = await lifecycle(['mutate', '--merge', join(DIR, 'a.json'), join(DIR, 'b.json'), '--min-score', '60']);
    expect(below.code).toBe(1);
    expect(below.stderr).toBe('lifecycle: mutation score 50% (1/2) is below --min-score 60%\n');
  });

  it('says what is wrong in one line: usage errors exit 2, the others 1', async () => {
    const cases: [string[], number, string][] = [
      [['mutate'], 2, "lifecycle: name a machine (lifecycle mutate <machine>), or combine shards' reports with --merge\n"],
      [['mutate', FIXTURE, '--shard', '3/2'], 2, "lifecycle: --shard takes i/n with 1 <= i <= n (e.g. 2/4), not '3/2'\n"],
      [['mutate', FIXTURE, '--max', '0'], 2, "lifecycle: --max takes a whole number of at least 1, not '0'\n"],
      [['mutate', 'install', '--merge', 'a.json'], 2, "lifecycle: --merge combines reports: it takes no machine ('install')\n"],
      [['mutate', '--merge', 'nowhere.json'], 1, 'lifecycle: report not found: nowhere.json\n'],
      [['mutate', FIXTURE, '--suite', 'test/nowhere'], 1, 'lifecycle: suite file not found: test/nowhere\n'],
      [['mutate', FIXTURE], 1, `lifecycle: no generated suite of turnstile in test/model or test/lifecycles (turnstile.paths*.test.ts): write it with 'lifecycle testgen ${FIXTURE}#machine', or name your tests with --suite\n`],
    ];
    for (const [args, code, stderr] of cases) {
      const r = await lifecycle(args);
      expect([r.code, r.stderr], args.join(' ')).toEqual([code, stderr]);
    }
  });
});
