import { execFile } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { run } from '../../cli/main.ts';

// `testgen --strategy random` end to end: walks written beside the transition suite, checked for freshness, and
// run under vitest, where the shrunk case of a failing walk reproduces the machine's bug.
const exec = promisify(execFile);
const ROOT = new URL('../../', import.meta.url).pathname;
const VITEST = join(ROOT, 'node_modules/vitest/vitest.mjs');
const PAY = join(ROOT, 'test/fixtures/coverage/pay.ts');
const COUNTER = join(ROOT, 'test/testgen/fixtures/counter.ts');
// Generated tests must live under test/ for the repo's vitest config to run them.
const out = join(ROOT, 'test/.generated', `walks-${process.pid}`);
afterAll(() => rmSync(out, { recursive: true, force: true }));

async function lifecycle(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await run(args, { stdout: { write: (s) => (stdout += String(s)) }, stderr: { write: (s) => (stderr += String(s)) } });
  return { code, stdout, stderr };
}

const PAY_WALKS = ['--strategy', 'random', '--seed', '5', '--length', '15', '--walks', '6'];

describe('testgen --strategy random', () => {
  it('writes <stem>.walks.test.ts beside the transition suite; --check tells fresh from stale', async () => {
    expect((await lifecycle(['testgen', PAY, '-o', out])).code).toBe(0);
    const paths = readFileSync(join(out, 'pay.paths.test.ts'), 'utf8');
    const w = await lifecycle(['testgen', PAY, '-o', out, ...PAY_WALKS]);
    expect(w.code, w.stderr).toBe(0);
    expect(w.stdout).toMatch(/^wrote .*pay\.walks\.test\.ts\nrandom walks \(--seed 5 --length 15 --walks 6\): \d+\/8 transitions taken/);
    expect(readFileSync(join(out, 'pay.paths.test.ts'), 'utf8')).toBe(paths);
    const walks = readFileSync(join(out, 'pay.walks.test.ts'), 'utf8');
    expect(walks).toContain('// random walks (--seed 5 --length 15 --walks 6) of pay:');
    expect(walks).toMatch(/it\("walk 5\/1: /);

    const again = await lifecycle(['testgen', PAY, '-o', out, ...PAY_WALKS]);
    expect(readFileSync(join(out, 'pay.walks.test.ts'), 'utf8')).toBe(walks); // same seed, same file
    expect(again.code).toBe(0);
    const fresh = await lifecycle(['testgen', PAY, '-o', out, ...PAY_WALKS, '--check']);
    expect([fresh.code, fresh.stdout]).toEqual([0, 'generated tests for machine are fresh (1 file)\n']);
    const stale = await lifecycle(['testgen', PAY, '-o', out, '--strategy', 'random', '--seed', '6', '--length', '15', '--walks', '6', '--check']);
    expect(stale.code).toBe(1);
    expect(stale.stderr).toContain(`lifecycle: generated tests for machine are stale: run 'npx lifecycle testgen ${PAY} -o ${out} --strategy random --seed 6 --length 15 --walks 6' and commit the result`);
  });

  it('reports a failing walk shrunk to a minimal one and writes it as a case that fails; the rest pass under vitest', async () => {
    const c = await lifecycle(['testgen', COUNTER, '-o', out, '--strategy', 'random', '--seed', '7', '--length', '40']);
    expect(c.code).toBe(1);
    expect(c.stdout).toMatch(/walk 7\/\d+ fails: the machine threw at step \d+: count reached 3\n {2}shrunk to 4 steps: TOGGLE → INC → INC → INC\n {2}reproduce: npx vitest run .*counter\.walks\.test\.ts -t 'walk 7\/\d+,'\n/);
    expect(c.stderr).toMatch(/^lifecycle: \d+ walks? fails? \(walk 7\/\d+: count reached 3\); the case that reproduces it is in .*counter\.walks\.test\.ts\n$/);
    // --check of a fresh file with a failing walk still fails, saying why.
    const check = await lifecycle(['testgen', COUNTER, '-o', out, '--strategy', 'random', '--seed', '7', '--length', '40', '--check']);
    expect(check.code).toBe(1);
    expect(check.stdout).toContain('generated tests for machine are fresh');

    const report = join(out, 'report.json');
    await exec(process.execPath, [VITEST, 'run', join(out, 'pay.walks.test.ts'), join(out, 'counter.walks.test.ts'), '--reporter=json', `--outputFile=${report}`], { cwd: ROOT, env: { ...process.env, LIFECYCLE_COVERAGE: '' } }).catch(() => undefined);
    const results = (JSON.parse(readFileSync(report, 'utf8')) as { testResults: { name: string; assertionResults: { title: string; status: string; failureMessages: string[] }[] }[] }).testResults;
    const tests = results.flatMap((f) => f.assertionResults.map((t) => ({ file: f.name, ...t })));
    const failed = tests.filter((t) => t.status !== 'passed');
    expect(failed.map((t) => t.title)).toEqual([expect.stringMatching(/^walk 7\/\d+, shrunk \(the machine fails: count reached 3\): TOGGLE → INC → INC → INC \(4 steps\)$/)]);
    expect(failed[0].failureMessages[0]).toContain('step 4 of 4: the machine failed: count reached 3');
    expect(tests.filter((t) => t.file.endsWith('pay.walks.test.ts')).length).toBeGreaterThan(1);
    expect(tests.filter((t) => t.file.endsWith('counter.walks.test.ts') && t.status === 'passed').length).toBeGreaterThan(1);
  });

  it('checks its options: one line on stderr, exit 2', async () => {
    const cases: [string[], string][] = [
      [['--strategy', 'bogus'], "lifecycle: option '--strategy <kind>' argument 'bogus' is invalid. Allowed choices are transitions, random.\n"],
      [['--strategy', 'random'], 'lifecycle: --strategy random needs --seed <n> (the same seed writes the same walks), e.g. --seed 1\n'],
      [['--strategy', 'random', '--seed', '-1'], "lifecycle: --seed takes a whole number from 0 to 4294967295, not '-1'\n"],
      [['--strategy', 'random', '--seed', '1.5'], "lifecycle: --seed takes a whole number from 0 to 4294967295, not '1.5'\n"],
      [['--strategy', 'random', '--seed', '1', '--length', '0'], "lifecycle: --length takes a whole number from 1 to 10000, not '0'\n"],
      [['--strategy', 'random', '--seed', '1', '--walks', 'many'], "lifecycle: --walks takes a whole number from 1 to 1000, not 'many'\n"],
      [['--seed', '3'], 'lifecycle: --seed is for --strategy random\n'],
    ];
    for (const [args, stderr] of cases) {
      const r = await lifecycle(['testgen', PAY, '-o', join(out, 'never'), ...args]);
      expect([r.code, r.stderr], args.join(' ')).toEqual([2, stderr]);
    }
    expect(existsSync(join(out, 'never'))).toBe(false);
    const help = await lifecycle(['testgen', '--help']);
    expect(help.stdout).toContain('--strategy random --seed 7 --length 30 --walks 20');
  });
});
