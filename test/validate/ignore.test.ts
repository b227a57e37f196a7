// A rule switched off for one state with `meta: { lifecycle: { ignore: [...] } }`.
import { describe, expect, it } from 'vitest';
import { createMachine } from 'xstate';
import { run } from '../../cli/main.ts';
import { extractGraph } from '../../src/model/extract.ts';
import { validate } from '../../src/validate/index.ts';

const machine = (ignore: unknown) =>
  createMachine({
    id: 'm',
    initial: 'a',
    states: {
      a: { on: { GO: 'parked', OTHER: 'b', END: 'done' } },
      // Waits for an operator outside the machine: no way out, on purpose.
      parked: { meta: { lifecycle: { ignore } } },
      b: {},
      done: { type: 'final' },
    },
  });

describe('validate: meta.lifecycle.ignore', () => {
  it('silences the named rule for that state only, and reports what it silenced', () => {
    const report = validate(extractGraph(machine(['dead-end'])));
    expect(report.findings.map((f) => `${f.rule} @ ${f.state}`)).toEqual(['dead-end @ b']);
    expect(report.ignored.map((f) => `${f.rule} @ ${f.state}`)).toEqual(['dead-end @ parked']);
    expect(report.errors).toBe(1);
  });

  it('covers the states inside the one that says it', () => {
    const m = createMachine({
      id: 'm',
      initial: 'outer',
      states: { outer: { meta: { lifecycle: { ignore: ['dead-end', 'no-final-reachable'] } }, initial: 'x', states: { x: { on: { N: 'y' } }, y: {} } } },
    });
    const report = validate(extractGraph(m));
    expect(report.findings).toEqual([]);
    expect(report.ok).toBe(true);
    expect(report.ignored.map((f) => `${f.rule} @ ${f.state}`).sort()).toEqual(['dead-end @ outer.y', 'no-final-reachable @ outer.x']);
  });

  it('a name that is no rule is a warning naming it, and silences nothing', () => {
    const report = validate(extractGraph(machine(['dead-ends'])));
    expect(report.findings).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ rule: 'dead-end', state: 'parked' }),
        expect.objectContaining({ rule: 'unknown-ignore', severity: 'warning', state: 'parked', message: expect.stringContaining("'dead-ends', which is no rule") }),
      ]),
    );
  });

  it('validate --help documents the convention', async () => {
    let out = '';
    await run(['validate', '--help'], { stdout: { write: (s) => (out += String(s)) }, stderr: { write: () => true } });
    expect(out).toContain("meta: { lifecycle: { ignore: ['dead-end'");
    expect(out).toContain('Rules: unresolved-target, unreachable-state, dead-end');
  });
});
