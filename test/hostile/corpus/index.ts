/**
 * The hostile corpus: every case, a sample of one per class for the default test run, and a pool that runs cases
 * two at a time (the CLI starts a Node process per case; the machine's cores are shared).
 */
import { runCase, type Case, type Verdict } from './case.ts';
import { installCases } from './cases-install.ts';
import { loaderCases, processCases } from './cases-misc.ts';
import { storeCases } from './cases-store.ts';
import { upgradeCases } from './cases-upgrade.ts';
import type { Fixtures } from './fixtures.ts';

export { buildFixtures } from './fixtures.ts';
export type { Case, Verdict } from './case.ts';

export const ALL_CASES: Case[] = [...storeCases, ...installCases, ...upgradeCases, ...loaderCases, ...processCases];

/** The first case of each class that is not a known open failure: what `npm test` runs. */
export function sample(cases: Case[] = ALL_CASES): Case[] {
  const seen = new Set<string>();
  return cases.filter((c) => !c.open && !seen.has(c.cls) && seen.add(c.cls));
}

/** Runs `cases` `concurrency` at a time, reporting each verdict as it comes. */
export async function runCases(cases: Case[], fx: Fixtures, onVerdict: (v: Verdict) => void = () => {}, concurrency = 2): Promise<Verdict[]> {
  const verdicts: Verdict[] = new Array(cases.length);
  let next = 0;
  const worker = async () => {
    while (next < cases.length) {
      const i = next++;
      verdicts[i] = await runCase(cases[i]!, fx);
      onVerdict(verdicts[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, cases.length) }, worker));
  return verdicts;
}
