import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { failures, ROOT, runSuites, testgen } from './generated-suite.ts';

// A module that reads the clock as it loads gives the model and the generated tests the same machine: both load it
// at the model's time, so the suite passes on a later day too (here: 1000 days later, by a preloaded clock).
const TODAY = join(ROOT, 'test/testgen/fixtures/today/today.ts');
const out = join(ROOT, 'test/.generated', `model-time-${process.pid}`);
afterAll(() => rmSync(out, { recursive: true, force: true }));
const LATER = `data:text/javascript,${encodeURIComponent('const R = Date; const later = () => R.now() + 1000 * 864e5; globalThis.Date = class extends R { constructor(...a) { a.length ? super(...a) : super(later()); } static now() { return later(); } };')}`;

describe('machines that read the clock as they load', () => {
  it('are modelled at the model’s time, and their suite passes on another day', async () => {
    await testgen([TODAY], out);
    const source = readFileSync(join(out, 'today.paths.test.ts'), 'utf8');
    expect(source).toContain('"today":"2026-01-01"');
    expect(source).toContain("vi.hoisted(() => vi.useFakeTimers({ toFake: ['Date'], now: new Date(\"2026-01-01T00:00:00.000Z\") }));");
    const tests = await runSuites([join(out, 'today.paths.test.ts')], out, { NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --import=${LATER}` });
    expect(tests.length).toBeGreaterThanOrEqual(1);
    expect(failures(tests)).toEqual([]);
  });
});
