/**
 * The hostile corpus (issue 12) through the real binary: by default one case of each class and 20 synchronised lock
 * races of 4 processes, so that `npm test` stays short; `LIFECYCLE_HOSTILE=all` runs every case. The whole corpus with its figures
 * and 200 races: `npx tsx test/hostile/run-corpus.ts`. Known open failures (a fix outside the services) are listed as
 * todos. Every case runs in its own temp directory on loopback, bounded in time.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ALL_CASES, buildFixtures, sample } from './corpus/index.ts';
import { runCase } from './corpus/case.ts';
import type { Fixtures } from './corpus/fixtures.ts';
import { raceMany } from './corpus/races.ts';

const all = process.env.LIFECYCLE_HOSTILE === 'all';
const cases = all ? ALL_CASES.filter((c) => !c.open) : sample();

let fx: Fixtures;
beforeAll(async () => {
  fx = await buildFixtures();
});
afterAll(() => fx?.dispose());

describe(`the hostile corpus (${all ? 'every case' : 'one case per class; LIFECYCLE_HOSTILE=all for all'})`, () => {
  for (const c of cases) {
    it(`${c.cls}: ${c.id}`, { timeout: 60_000 }, async () => {
      const verdict = await runCase(c, fx);
      if (verdict.skipped) return;
      expect(verdict.problems).toEqual([]);
    });
  }
  for (const c of ALL_CASES.filter((k) => k.open)) it.todo(`${c.cls}: ${c.id} (open: ${c.open})`);
});

describe('the store lock', () => {
  // 200 races of 8 (run-corpus.ts) take ~12 min on two cores: the default run samples 20 races of 4.
  const [races, racers] = all ? [200, 8] : [20, 4];
  it(`${races} synchronised races of ${racers} processes: one holder each time`, { timeout: all ? 1_800_000 : 180_000 }, async () => {
    expect(await raceMany(races, racers)).toEqual({ races, doubles: 0, none: 0, lost: 0, errors: [] });
  });
});
