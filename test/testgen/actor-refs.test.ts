import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { actorStandIn } from '../../src/model/actor-stand-in.ts';
import { extractGraph } from '../../src/model/extract.ts';
import { loadMachine } from '../../src/model/load.ts';
import { resolveSamples } from '../../src/model/samples.ts';
import { generatePaths } from '../../src/paths/index.ts';
import { failures, ROOT, runSuites, testgen } from './generated-suite.ts';

// A machine given actor refs typed with the machine they run (`ActorRefFrom<typeof settingsMachine>`), whose code
// reads their snapshots, and that spawns with a systemId inside an assign.
const FIXTURE = join(ROOT, 'test/fixtures/infer/actor-refs.ts');
const out = join(ROOT, 'test/.generated', `actor-refs-${process.pid}`);
afterAll(() => rmSync(out, { recursive: true, force: true }));

describe('actor refs whose snapshots a machine reads', () => {
  it('a stand-in given a context holds it in its snapshot and takes every event', () => {
    const ref = actorStandIn({ apiKey: 'id-1' });
    ref.send({ type: 'ANYTHING' });
    expect(ref.getSnapshot().context).toEqual({ apiKey: 'id-1' });
    expect(actorStandIn().getSnapshot().status).toBe('active');
  });

  it('samples the context of the machine a ref is typed with, and covers every transition (a systemId spawn from two events of one state)', async () => {
    const loaded = await loadMachine(`${FIXTURE}#machine`);
    const graph = extractGraph(loaded.machine);
    const samples = await resolveSamples(loaded, graph);
    const settings = (samples.catalogue.inputs?.[0] as { settings: { getSnapshot(): { context: unknown } } }).settings;
    expect(settings.getSnapshot().context).toEqual({ apiKey: expect.any(String), model: 'small' });
    const result = generatePaths(loaded.machine, graph, { catalogue: samples.catalogue });
    expect(result.coverage.transitions.uncovered).toEqual([]);
  });

  it('writes the stand-in with its context into the suite, which passes against the machine', async () => {
    await testgen([`${FIXTURE}#machine`], out);
    const source = readFileSync(join(out, 'actor-refs.paths.test.ts'), 'utf8');
    expect(source).toMatch(/actorStandIn\(\{ ?"apiKey": ?"[^"]*", ?"model": ?"small" ?\}\)/);
    const tests = await runSuites([join(out, 'actor-refs.paths.test.ts')], out);
    expect(tests.length).toBeGreaterThan(0);
    expect(failures(tests)).toEqual([]);
  });
});
