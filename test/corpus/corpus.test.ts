import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { extractGraph } from '../../src/model/extract.ts';
import { loadMachine } from '../../src/model/load.ts';
import { resolveSamples } from '../../src/model/samples.ts';
import { generatePaths } from '../../src/paths/index.ts';
import { CORPUS } from './index.ts';

const DIR = new URL('./machines/', import.meta.url).pathname;

/**
 * Paths on real third-party machines with no catalogue: samples come from their types alone. The figures are
 * held at what they are (`npm run corpus:coverage` prints the table); a change that loses coverage fails here.
 */
describe('paths on the corpus of third-party machines, without a catalogue', () => {
  const totals = { covered: 0, total: 0 };
  it.each(CORPUS)('$file: loads, explores, and gives every uncovered transition a reason', async ({ file, exportName }) => {
    const loaded = await loadMachine(`${join(DIR, file)}#${exportName}`);
    const graph = extractGraph(loaded.machine);
    const { catalogue } = await resolveSamples(loaded, graph);
    const result = generatePaths(loaded.machine, graph, { catalogue, maxStates: 20_000, maxTimeMs: 600_000 });
    const t = result.coverage.transitions;
    totals.covered += t.covered;
    totals.total += t.total;
    // No machine is left under half covered: what inference cannot find is a few guards, not whole machines.
    expect(t.covered / Math.max(1, t.total), `${t.covered}/${t.total}`).toBeGreaterThanOrEqual(0.5);
    for (const u of t.uncovered) {
      expect(u.detail, u.id).toBeTruthy();
      // A reason names a guard, an action, a state that is never entered, or the sample that is missing.
      expect(u.detail, u.id).toMatch(/guard|action|threw|never entered|earlier branch|cut/);
    }
  });

  it('covers at least 90% of all their transitions', () => {
    expect(totals.total).toBeGreaterThan(500);
    expect(totals.covered / totals.total).toBeGreaterThanOrEqual(0.9);
  });
});
