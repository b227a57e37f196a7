import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { failures, ROOT, runSuites, testgen } from '../testgen/generated-suite.ts';
import { CORPUS } from './index.ts';

// The suite `lifecycle testgen` writes for a third-party machine, with no catalogue, passes against that machine.
// A sample by default (machines whose suites once failed, and one of each kind of feature); every corpus machine
// with LIFECYCLE_CORPUS_SUITES=all.
const SAMPLE = [
  'clerk-elements-signup-verification.ts', // sendParent from the initial state, invokes finishing once, actor refs in input
  'sanity-preview-url.ts', // observable snapshots at start, ids drawn at module load, a delay read from the clock
  'fdietze-tomatic-session.ts', // actor refs whose snapshots are read, spawn with a systemId in an assign
  'clerk-elements-form.ts', // a Map in context
  'ledger-go-to-dashboard.ts', // a child machine's dispatching outputs
  'sanity-comlink-connection.ts', // spawned child machines, parameterized actions
];
const machines = process.env.LIFECYCLE_CORPUS_SUITES === 'all' ? CORPUS : CORPUS.filter((c) => SAMPLE.includes(c.file));
const DIR = join(ROOT, 'test/corpus/machines');
const out = join(ROOT, 'test/.generated', `corpus-suites-${process.pid}`);
afterAll(() => rmSync(out, { recursive: true, force: true }));

describe('generated suites of third-party machines', () => {
  it(`pass against the machines they came from (${machines.length} of ${CORPUS.length}; LIFECYCLE_CORPUS_SUITES=all for every one)`, async () => {
    const files: string[] = [];
    for (const { file, exportName } of machines) {
      await testgen([`${join(DIR, file)}#${exportName}`], out);
      files.push(join(out, `${file.replace(/\.ts$/, '')}.${exportName}.paths.test.ts`));
    }
    const tests = await runSuites(files, out);
    expect(tests.length).toBeGreaterThanOrEqual(machines.length);
    expect(failures(tests)).toEqual([]);
  });
});
