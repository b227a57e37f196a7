import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BUILTIN_NAMES } from '../../machines/index.ts';
import { extractGraph } from '../../src/model/extract.ts';
import { loadMachine } from '../../src/model/load.ts';
import { resolveSamples } from '../../src/model/samples.ts';
import { generatePaths } from '../../src/paths/index.ts';

const ROOT = new URL('../../', import.meta.url).pathname;

// Its own file, so vitest runs it beside the others: the guard search on the four machines takes a while.
describe('the built-ins without their catalogues', () => {
  it.each(BUILTIN_NAMES)('%s: at least 90 percent of its transitions from inference alone', async (name) => {
    // The machine's own module has no catalogue export: what paths get there is inferred.
    const loaded = await loadMachine(join(ROOT, `machines/${name}.ts#${name}Machine`));
    const graph = extractGraph(loaded.machine);
    const { catalogue } = await resolveSamples(loaded, graph);
    // Bounded by states, not time, so the figure does not depend on how busy the machine is.
    const result = generatePaths(loaded.machine, graph, { catalogue, maxTimeMs: 600_000 });
    const t = result.coverage.transitions;
    expect(t.covered / t.total, t.uncovered.map((u) => u.id).join('\n')).toBeGreaterThanOrEqual(0.9);
    for (const u of t.uncovered) expect(u.detail, u.id).toBeTruthy();
  });
});
