import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { actorStandIn } from '../../src/model/actor-stand-in.ts';
import { extractGraph } from '../../src/model/extract.ts';
import { loadMachine } from '../../src/model/load.ts';
import { resolveSamples } from '../../src/model/samples.ts';
import { generatePaths } from '../../src/paths/index.ts';
import { failures, ROOT, runSuites, testgen } from './generated-suite.ts';

// Samples that are objects JSON cannot write: actor refs typed with the machine they run
// (`ActorRefFrom<typeof settingsMachine>`), whose snapshots the machine reads, and built-ins (Map, Set, URL, Date)
// read through their methods.
const FIXTURE = join(ROOT, 'test/fixtures/infer/actor-refs.ts');
const BUILTINS = join(ROOT, 'test/fixtures/infer/builtin-values.ts');
// And a machine done at its start (no service of it starts), whose suite must expect none.
const DONE_AT_START = join(ROOT, 'test/fixtures/infer/done-at-start.ts');
const out = join(ROOT, 'test/.generated', `sample-objects-${process.pid}`);
afterAll(() => rmSync(out, { recursive: true, force: true }));

describe('samples JSON cannot write: actor refs whose snapshots a machine reads, and built-in instances', () => {
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

  it('samples a Map, a Set, a URL and a Date as the real built-ins, and covers what their methods decide', async () => {
    const loaded = await loadMachine(`${BUILTINS}#machine`);
    const graph = extractGraph(loaded.machine);
    const samples = await resolveSamples(loaded, graph);
    const input = samples.catalogue.inputs?.[0] as { fields: unknown; tags: unknown };
    expect(input.fields).toBeInstanceOf(Map);
    expect(input.tags).toBeInstanceOf(Set);
    const open = samples.catalogue.events?.OPEN as { url: unknown; at: unknown }[];
    expect(open.map((e) => String(e.url))).toEqual(expect.arrayContaining(['https://example.com/', 'https://other.example/']));
    expect(open[0]!.at).toBeInstanceOf(Date);
    expect(generatePaths(loaded.machine, graph, { catalogue: samples.catalogue }).coverage.transitions.uncovered).toEqual([]);
  });

  it('writes the stand-in with its context, and the built-ins as `new` calls, into suites that pass against their machines', async () => {
    await testgen([`${FIXTURE}#machine`], out);
    await testgen([`${BUILTINS}#machine`], out);
    await testgen([`${DONE_AT_START}#machine`], out);
    const source = readFileSync(join(out, 'actor-refs.paths.test.ts'), 'utf8');
    expect(source).toMatch(/actorStandIn\(\{ ?"apiKey": ?"[^"]*", ?"model": ?"small" ?\}\)/);
    const builtins = readFileSync(join(out, 'builtin-values.paths.test.ts'), 'utf8');
    expect(builtins).toContain('new Map([["sample",{"value":"sample","valid":true}]])');
    expect(builtins).toContain('new URL("https://other.example/")');
    expect(builtins).toContain('new Date("2026-01-01T00:00:00.000Z")');
    const tests = await runSuites([join(out, 'actor-refs.paths.test.ts'), join(out, 'builtin-values.paths.test.ts'), join(out, 'done-at-start.paths.test.ts')], out);
    expect(tests.length).toBeGreaterThan(0);
    expect(failures(tests)).toEqual([]);
  });
});
