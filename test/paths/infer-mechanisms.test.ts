import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { catalogueSource } from '../../src/model/catalogue-source.ts';
import { extractGraph } from '../../src/model/extract.ts';
import { loadMachine } from '../../src/model/load.ts';
import { resolveSamples } from '../../src/model/samples.ts';
import { generatePaths } from '../../src/paths/index.ts';
import { createMachine, sendParent } from 'xstate';

const FIX = new URL('../fixtures/infer/', import.meta.url).pathname;

async function explore(ref: string, infer = true) {
  const loaded = await loadMachine(ref);
  const graph = extractGraph(loaded.machine);
  const samples = await resolveSamples(loaded, graph, { infer });
  return { samples, result: generatePaths(loaded.machine, graph, { catalogue: samples.catalogue }) };
}

describe('inference mechanisms on machines built the way third-party code builds them', () => {
  it('reads the types of a machine a class method returns, through the factory function it calls', async () => {
    const { samples } = await explore(`${join(FIX, 'factory-child.ts')}#connectorMachine`);
    expect(samples.typed).toBe(true);
    expect(samples.catalogue.inputs).toEqual(expect.arrayContaining([{ mode: 'fast' }, { mode: 'safe' }]));
    expect(samples.catalogue.services?.open?.done).toContainEqual({ handle: 1, state: 'busy' });
  });

  it('runs an invoked child machine for its outputs (not plain data) and snapshots, and covers what they lead to', async () => {
    const { samples, result } = await explore(`${join(FIX, 'factory-child.ts')}#connectorMachine`);
    const done = samples.catalogue.services?.probe?.done ?? [];
    expect(done.some((o) => typeof (o as { match?: unknown })?.match === 'function')).toBe(true);
    expect(samples.catalogue.services?.probe?.snapshot).toContainEqual(expect.objectContaining({ context: { progress: 0 } }));
    expect(samples.origins['services.probe.done']).toMatch(/child machine 'probe'/);
    expect(result.coverage.transitions.covered).toBe(result.coverage.transitions.total);
    const off = await explore(`${join(FIX, 'factory-child.ts')}#connectorMachine`, false);
    expect(off.result.coverage.transitions.covered).toBeLessThan(result.coverage.transitions.total);
  });

  it('leaves samples that hold functions out of the catalogue module it writes, saying so', async () => {
    const { samples } = await explore(`${join(FIX, 'factory-child.ts')}#connectorMachine`);
    const source = catalogueSource(samples.catalogue, samples.origins, { machine: 'factory-child.ts#connectorMachine' });
    expect(source).toMatch(/more made at run time, holding functions, are not data and left out/);
    expect(source).not.toMatch(/match: undefined/);
  });

  it('explores a machine that sends to its parent (one a parent invokes) as far as it goes', () => {
    const child = createMachine({
      id: 'request',
      initial: 'waiting',
      states: {
        waiting: { on: { REPLY: 'done' }, after: { 100: 'failed' } },
        done: { type: 'final', entry: sendParent({ type: 'request.success' }) },
        failed: { type: 'final', entry: sendParent(() => ({ type: 'request.failed' })) },
      },
    });
    const result = generatePaths(child, extractGraph(child));
    expect(result.coverage.transitions.uncovered).toEqual([]);
  });
});
