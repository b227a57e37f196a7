import { execFile } from 'node:child_process';
import { mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import ts from '../../src/model/infer/ts.ts';
import { comparedLiterals } from '../../src/model/infer/literals.ts';
import { sampleValues } from '../../src/model/infer/samples.ts';
import type { Shape } from '../../src/model/infer/shape.ts';
import { catalogueSource } from '../../src/model/catalogue-source.ts';
import { extractGraph } from '../../src/model/extract.ts';
import { loadMachine } from '../../src/model/load.ts';
import { mergeCatalogues, resolveSamples } from '../../src/model/samples.ts';
import { generatePaths } from '../../src/paths/index.ts';

const ROOT = new URL('../../', import.meta.url).pathname;
const FIX = join(ROOT, 'test/fixtures/infer');
const exec = promisify(execFile);

const lit = (value: string | number | boolean | null): Shape => ({ kind: 'literal', value });
const union = (...options: Shape[]): Shape => ({ kind: 'union', options });
const obj = (fields: Record<string, Shape>, optional: string[] = []): Shape => ({
  kind: 'object',
  fields: Object.entries(fields).map(([name, shape]) => ({ name, shape, optional: optional.includes(name) })),
});

async function coverage(ref: string, infer: boolean) {
  const loaded = await loadMachine(ref);
  const graph = extractGraph(loaded.machine);
  const samples = await resolveSamples(loaded, graph, { infer });
  return { result: generatePaths(loaded.machine, graph, { catalogue: samples.catalogue }), samples };
}

describe('sample values from a shape', () => {
  it('every member of a literal union, both booleans, optional fields present first and then absent', () => {
    expect(sampleValues(union(lit('SUCCEEDED'), lit('FAILED')))).toEqual(['SUCCEEDED', 'FAILED']);
    expect(sampleValues({ kind: 'boolean' })).toEqual([true, false]);
    const values = sampleValues(obj({ mode: union(lit('a'), lit('b')), force: { kind: 'boolean' } }, ['force']));
    expect(values[0]).toEqual({ mode: 'a', force: true });
    expect(values).toContainEqual({ mode: 'b', force: true });
    expect(values).toContainEqual({ mode: 'a', force: false });
    expect(values).toContainEqual({ mode: 'a' });
  });

  it('numbers and strings the source compares a field with, arrays empty, with one item and with one of each', () => {
    const hints = { byField: new Map<string, (string | number | boolean | null)[]>([['value', [8]], ['status', ['DONE']]]) };
    expect(sampleValues({ kind: 'number' }, hints, { max: 16 }, 'value')).toEqual(expect.arrayContaining([7, 8, 9, 0, 1, -1]));
    expect(sampleValues({ kind: 'string' }, hints, { max: 16 }, 'status')[0]).toBe('DONE');
    expect(sampleValues({ kind: 'string' }, hints, { max: 16 }, 'version')).toEqual(expect.arrayContaining(['1.0.0', '2.0.0']));
    const items = sampleValues({ kind: 'array', item: union(obj({ kind: lit('a') }), obj({ kind: lit('b') })) });
    expect(items).toEqual(expect.arrayContaining([[{ kind: 'a' }], [], [{ kind: 'a' }, { kind: 'b' }], [{ kind: 'b' }]]));
  });

  it('a list as long as a guard asks holds distinct items: naming fields (ids, names, emails) renamed, literals kept', () => {
    const player = obj({ id: { kind: 'string' }, email: { kind: 'string' }, seat: { kind: 'number' }, role: union(lit('spy'), lit('civilian')) });
    const hints = { byField: new Map<string, (string | number | boolean | null)[]>([['players#length', [4]]]) };
    const lists = sampleValues({ kind: 'array', item: player }, hints, { max: 16 }, 'players') as { id: string; email: string; role: string }[][];
    const five = lists.find((l) => l.length === 5)!;
    expect(five).toBeDefined();
    expect(new Set(five.map((p) => p.id)).size).toBe(5);
    expect(new Set(five.map((p) => p.email)).size).toBe(5);
    expect(five.filter((p) => p.email.includes('@')).length).toBeGreaterThan(1);
    expect(five.every((p) => !p.email.includes('@') || p.email.endsWith('@example.com'))).toBe(true);
    expect(five.every((p) => p.role === 'spy' || p.role === 'civilian')).toBe(true);
  });

  it('a list of a closed set also holds every member at once, so each includes() is true in one sample', () => {
    const fields = union(...['email_address', 'phone_number', 'username', 'web3_wallet', 'passkey', 'totp'].map(lit));
    const lists = sampleValues({ kind: 'array', item: fields }) as string[][];
    expect(lists).toContainEqual(['email_address', 'phone_number', 'username', 'web3_wallet', 'passkey', 'totp']);
    expect(lists).toContainEqual([]);
  });

  it('stays within the bound, and every field of a wide object varies before any varies twice', () => {
    const wide = obj(Object.fromEntries(Array.from({ length: 10 }, (_, i) => [`f${i}`, union(lit('x'), lit('y'), lit('z'))])));
    const values = sampleValues(wide, undefined, { max: 12 }) as Record<string, string>[];
    expect(values).toHaveLength(12);
    for (let i = 0; i < 10; i++) expect(values.some((v) => v[`f${i}`] === 'y'), `f${i}`).toBe(true);
  });
});

describe('literals compared in the source', () => {
  it('finds comparisons, switch cases, includes() of literal arrays and of arrays assigned elsewhere', () => {
    const source = ts.createSourceFile(
      'm.ts',
      `const a = context.jobStatus === 'SUCCEEDED'; const b = 8 < event.value; switch (event.kind) { case 'x': break; }
       const c = ['p', 'q'].includes(ctx.mode); const d = { nonRetryable: ['fatal'] }; const e = ctx.nonRetryable.includes(err.kind ?? '');`,
      ts.ScriptTarget.ES2022,
    );
    const found = comparedLiterals([source]);
    expect(found.get('jobStatus')).toEqual(['SUCCEEDED']);
    expect(found.get('value')).toEqual([8]);
    expect(found.get('mode')).toEqual(['p', 'q']);
    expect(found.get('kind')).toEqual(['x', 'fatal']);
  });
});

describe('inference on a typed machine without a catalogue', () => {
  it('takes every transition: input, outputs read by actions, literal guards, a wildcard, a placeholder guard, error kinds', async () => {
    const off = await coverage(`${FIX}/jobs.ts#jobMachine`, false);
    const on = await coverage(`${FIX}/jobs.ts#jobMachine`, true);
    expect(off.result.coverage.transitions.covered).toBeLessThan(4);
    expect(on.result.coverage.transitions).toMatchObject({ covered: 14, total: 14, uncovered: [] });
    expect(on.samples.typed).toBe(true);
    expect(on.result.chosenGuards).toEqual(['isAllowed']);
    expect(on.samples.origins['services.checkJob.done']).toMatch(/output type of actor 'checkJob'/);
  });

  it('a plain JavaScript machine gets structural defaults: an input object and an output object', async () => {
    const on = await coverage(`${FIX}/untyped.js`, true);
    expect(on.result.coverage.transitions).toMatchObject({ covered: 4, total: 4 });
  });

  it('without samples, each uncovered transition names what threw and the catalogue entry that would fix it', async () => {
    // The output's fields are learnt from what the onDone action reads (untyped.js is covered without samples), but
    // no payload of plain data has the method untyped-method.js calls.
    const probed = await coverage(`${FIX}/untyped.js`, false);
    expect(probed.result.coverage.transitions.uncovered).toEqual([]);
    const off = await coverage(`${FIX}/untyped-method.js`, false);
    const done = off.result.coverage.transitions.uncovered.find((u) => u.event.startsWith('xstate.done.actor'));
    expect(done).toMatchObject({ reason: 'threw', needs: expect.stringMatching(/^services\.load\.done: /) });
    expect(done!.detail).toMatch(/action assign threw in loading on done: load: Cannot read properties of undefined \(reading 'value'\)/);
    for (const u of off.result.coverage.transitions.uncovered) expect(u.detail, u.id).toBeTruthy();
    expect(off.result.diagnostics[0]).toMatchObject({ state: 'loading', culprit: 'action assign', count: expect.any(Number) });
  });

  it('an action that reads an undefined global needs no sample but a definition, and says so', async () => {
    const { result } = await coverage(`${FIX}/undefined-global.js`, true);
    const [u] = result.coverage.transitions.uncovered;
    expect(u).toMatchObject({ reason: 'threw', needs: expect.stringMatching(/^no sample: action assign reads 'window', which is not defined where the machine runs/) });
  });

  it('a machine that cannot start blames the entry action that threw, not a context factory that did not', async () => {
    const { result } = await coverage(`${FIX}/entry-throws.mjs`, true);
    expect(result.coverage.transitions.uncovered[0]!.detail).toMatch(/^the machine never started: an entry action of the initial state threw: Cannot read properties of null \(reading 'toJSON'\)/);
    expect(result.diagnostics[0]).toMatchObject({ event: 'start', culprit: 'an entry action of the initial state' });
  });

  it('hand-written entries win, entry by entry', () => {
    const { catalogue, origins } = mergeCatalogues([
      { catalogue: { services: { a: { done: [1] } }, events: { GO: [{ x: 1 }] } }, origin: () => 'hand-written' },
      { catalogue: { services: { a: { done: [2], error: ['e'] }, b: { done: [3] } }, events: { GO: [{ x: 2 }], STOP: [{}] }, inputs: [{}] }, origin: () => 'inferred' },
    ]);
    expect(catalogue).toEqual({ services: { a: { done: [1], error: ['e'] }, b: { done: [3] } }, events: { GO: [{ x: 1 }], STOP: [{}] }, inputs: [{}] });
    expect(origins).toMatchObject({ 'services.a.done': 'hand-written', 'services.a.error': 'inferred', 'events.GO': 'hand-written' });
  });

  it('writes the merged catalogue as a module that type-checks against EventCatalogue', async () => {
    const loaded = await loadMachine(`${FIX}/jobs.ts#jobMachine`);
    const { catalogue, origins } = await resolveSamples(loaded, extractGraph(loaded.machine));
    const source = catalogueSource(catalogue, origins, { machine: 'jobs.ts#jobMachine', typesFrom: '../../../machines/catalogue.ts' });
    expect(source).toContain('} satisfies EventCatalogue;');
    expect(source).toMatch(/\/\/ inferred from the output type of actor 'checkJob'/);
    const program = ts.createProgram({
      rootNames: [join(FIX, 'jobs.catalogue.generated.ts')],
      options: { strict: true, noEmit: true, allowImportingTsExtensions: true, module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext, target: ts.ScriptTarget.ES2022, skipLibCheck: true, types: [] },
      host: Object.assign(ts.createCompilerHost({}), {
        getSourceFile: (name: string, lang: number) =>
          name.endsWith('jobs.catalogue.generated.ts') ? ts.createSourceFile(name, source, lang) : ts.createCompilerHost({}).getSourceFile(name, lang),
      }),
    });
    const errors = ts.getPreEmitDiagnostics(program).filter((d) => d.file?.fileName.endsWith('jobs.catalogue.generated.ts'));
    expect(errors.map((d) => ts.flattenDiagnosticMessageText(d.messageText, ' '))).toEqual([]);
  });

  it("the generated suite passes against the machine, placeholder guard included", async () => {
    const out = join(ROOT, 'test/.generated', `infer-${process.pid}`);
    rmSync(out, { recursive: true, force: true });
    mkdirSync(out, { recursive: true });
    try {
      const bin = join(ROOT, 'bin/lifecycle.js');
      await exec(process.execPath, [bin, 'testgen', `${FIX}/jobs.ts#jobMachine`, '-o', out], { cwd: ROOT });
      expect(readdirSync(out)).toEqual(['jobs.jobMachine.paths.test.ts']);
      const vitest = join(ROOT, 'node_modules/vitest/vitest.mjs');
      const run = await exec(process.execPath, [vitest, 'run', out], { cwd: ROOT }).catch((e) => e as { code: number; stdout: string });
      expect((run as { code?: number }).code ?? 0, (run as { stdout: string }).stdout).toBe(0);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });
});

