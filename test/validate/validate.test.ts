import { describe, expect, it } from 'vitest';
import { createMachine } from 'xstate';
import { BUILTINS } from '../../machines/index.ts';
import { extractGraph } from '../../src/model/extract.ts';
import { validate } from '../../src/validate/index.ts';
import { FIXTURES } from '../fixtures/machines/index.ts';

const key = (f: { rule: string; state: string }) => `${f.rule} @ ${f.state}`;

describe('validate: lint fixtures report exactly their expected findings', () => {
  for (const fixture of FIXTURES.filter((f) => f.expectedFindings)) {
    it(fixture.name, () => {
      const report = validate(extractGraph(fixture.machine));
      expect(report.findings.map(key).sort()).toEqual(fixture.expectedFindings!.map(key).sort());
      expect(report.ok).toBe(fixture.expectedFindings!.every((f) => f.rule === 'undeclared-implementation'));
    });
  }
});

describe('validate: the built-in lifecycles are clean', () => {
  for (const b of BUILTINS) {
    it(b.name, () => {
      const report = validate(extractGraph(b.machine));
      expect(report.findings).toEqual([]);
    });
  }
});

describe('validate: rules', () => {
  it('names the state and why, and counts errors and warnings', () => {
    const m = createMachine({
      id: 'm',
      initial: 'a',
      states: { a: { on: { GO: 'b', GO2: 'a' } }, b: {}, orphan: { on: { X: 'a' } }, done: { type: 'final' } },
    });
    const report = validate(extractGraph(m));
    expect(report.findings).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ rule: 'unreachable-state', state: 'orphan', severity: 'error' }),
        expect.objectContaining({ rule: 'dead-end', state: 'b', message: expect.stringContaining('no transition leaves it') }),
        expect.objectContaining({ rule: 'no-final-reachable', state: 'a' }),
      ]),
    );
    expect(report.ok).toBe(false);
    expect(report.errors).toBe(report.findings.length);
  });

  it('allows a state tagged as waiting to wait forever', () => {
    const m = createMachine({ id: 'm', initial: 'running', states: { running: { tags: ['waiting'], on: { PING: 'running' } } } });
    expect(validate(extractGraph(m)).findings).toEqual([]);
    expect(validate(extractGraph(m), { waitingTag: 'idle' }).findings.map((f) => f.rule)).toEqual(['no-final-reachable']);
  });

  it('counts a parallel region as able to leave when a sibling region can', () => {
    const m = createMachine({
      id: 'm',
      initial: 'p',
      states: {
        p: { type: 'parallel', states: { r1: { initial: 'x', states: { x: {} } }, r2: { initial: 'y', states: { y: { on: { QUIT: '#m.done' } } } } } },
        done: { type: 'final' },
      },
    });
    expect(validate(extractGraph(m)).findings).toEqual([]);
  });

  it('treats a compound onDone as a way out only from its final children', () => {
    const m = createMachine({
      id: 'm',
      initial: 'c',
      states: { c: { initial: 'x', onDone: 'done', states: { x: { on: { NEXT: 'y' } }, y: { type: 'final' }, z: {} } }, done: { type: 'final' } },
    });
    const rules = validate(extractGraph(m)).findings.map(key);
    expect(rules).toContain('unreachable-state @ c.z');
    expect(rules).not.toContain('dead-end @ c.x');
  });
});
