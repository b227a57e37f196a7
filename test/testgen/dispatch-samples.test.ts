import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { run } from '../../cli/main.ts';
import { redispatched } from '../../src/model/dispatch-probe.ts';
import { dispatchCallsOf, hydrateDispatch } from '../../src/model/infer/samples.ts';
import { sampleCode } from '../../src/testgen/sample-code.ts';
import { failures, ROOT, runSuites, testgen } from './generated-suite.ts';

// Samples that are objects with methods (an `Either` whose `caseOf` the machine calls): JSON would drop the methods
// and the machine would throw in the generated suite. They are written as code that makes them again.
const EITHER = join(ROOT, 'test/testgen/fixtures/either.ts');
// Generated tests must live under test/ for the repo's vitest config to run them.
const out = join(ROOT, 'test/.generated', `dispatch-${process.pid}`);
afterAll(() => rmSync(out, { recursive: true, force: true }));

describe('dispatching samples in generated suites', () => {
  it('writes a child machine’s Either and a typed Result as code, and the suite passes against the machine', async () => {
    await testgen([EITHER], out);
    const source = readFileSync(join(out, 'either.paths.test.ts'), 'utf8');
    expect(source).toContain('caseOf: (h: { Left(value: unknown): unknown }) => h.Left({');
    expect(source).toContain('caseOf: (h: { Right(value: unknown): unknown }) => h.Right({');
    expect(source).toContain('match: (h: (value: unknown) => unknown) => h(1)');
    expect(source).toContain('match: (_0: unknown, h: (value: unknown) => unknown) => h("sample")');

    const tests = await runSuites([join(out, 'either.paths.test.ts')], out);
    expect(tests.length).toBeGreaterThanOrEqual(3);
    expect(failures(tests)).toEqual([]);
  });

  it('takes the dispatching samples of a catalogue module written by `lifecycle catalogue` back into the suite as code', async () => {
    const io = { stdout: { write: () => true }, stderr: { write: () => true } };
    const file = join(out, 'either.catalogue.ts');
    expect(await run(['catalogue', EITHER, '-o', file], io)).toBe(0);
    expect(readFileSync(file, 'utf8')).toContain('caseOf: (h: { Left(value: unknown): unknown }) => h.Left({ reason: "not found" })');
    const dir = join(out, 'from-catalogue');
    expect(await run(['testgen', EITHER, '-o', dir, '--no-infer', '--catalogue', `${file}#catalogue`], io)).toBe(0);
    const source = readFileSync(join(dir, 'either.paths.test.ts'), 'utf8');
    expect(source).toContain('caseOf: (h: { Left(value: unknown): unknown }) => h.Left({');
    expect(source).not.toContain('"output": {}');
  });

  it('makes a machine’s own dispatching object again as ours; one with any other method is left as it is', () => {
    const right = { tag: 'R', caseOf: (p: { Left: (l: unknown) => unknown; Right: (r: unknown) => unknown }) => p.Right({ n: 1 }) };
    const again = redispatched(right) as typeof right;
    expect(dispatchCallsOf(again)).toEqual([{ method: 'caseOf', index: 0, key: 'Right', value: { n: 1 } }]);
    expect(again.tag).toBe('R');
    expect(again.caseOf({ Left: () => 'left', Right: (r) => r })).toEqual({ n: 1 });
    // `map` makes a new result rather than returning its handler's: no dispatch, so the object is the child's own.
    const mapping = { caseOf: right.caseOf, map: (f: (v: unknown) => unknown) => ({ value: f(1) }) };
    expect(redispatched(mapping)).toBe(mapping);
    const plain = { a: [1, { b: 'x' }] };
    expect(redispatched(plain)).toBe(plain);
  });

  it('writes plain samples as JSON, exactly as before; a nested dispatching one at its place', () => {
    const plain = { type: 'x', output: { list: Array.from({ length: 12 }, (_, i) => ({ id: `item-${i}` })) } };
    expect(sampleCode(plain, 6)).toBe(JSON.stringify(plain, null, 2).replace(/\n/g, `\n${' '.repeat(6)}`));
    expect(sampleCode({ type: 'y' }, 6)).toBe('{"type":"y"}');
    const nested = hydrateDispatch({ ok: true, $dispatch: [{ method: 'fold', index: 1, value: hydrateDispatch({ $dispatch: [{ method: 'caseOf', index: 0, key: 'my-key', value: undefined }] }) }] });
    expect(sampleCode({ type: 'z', output: nested }, 0)).toBe(
      [
        '{',
        '  "type": "z",',
        '  "output": {',
        '    "ok": true,',
        '    fold: (_0: unknown, h: (value: unknown) => unknown) => h({',
        '      caseOf: (h: { "my-key"(value: unknown): unknown }) => h["my-key"](undefined)',
        '    })',
        '  }',
        '}',
      ].join('\n'),
    );
  });
});
