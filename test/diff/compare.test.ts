// diffGraphs on small machines: what each kind of change reads like, renames of compound states, stable order.
import { describe, expect, it } from 'vitest';
import { type AnyStateMachine, createMachine, fromPromise, setup } from 'xstate';
import { diffGraphs } from '../../src/diff/compare.ts';
import { changeLine, formatDiff } from '../../src/diff/format.ts';
import { extractGraph } from '../../src/model/extract.ts';

const lines = (a: AnyStateMachine, b: AnyStateMachine) => diffGraphs(extractGraph(a), extractGraph(b)).changes.map(changeLine);

describe('diffGraphs', () => {
  it('kinds, tags, initial states, machine id and invokes added or removed', () => {
    const actors = { fetch: fromPromise(async () => {}), store: fromPromise(async () => {}) };
    const v1 = setup({ actors }).createMachine({
      id: 'job',
      initial: 'a',
      states: { a: { tags: ['busy'], invoke: { src: 'fetch' }, on: { GO: 'b' } }, b: { on: { DONE: 'c' } }, c: {} },
    });
    const v2 = setup({ actors }).createMachine({
      id: 'job2',
      initial: 'b',
      states: { a: { tags: ['waiting'], on: { GO: 'b' } }, b: { invoke: { src: 'store' }, on: { DONE: 'c' } }, c: { type: 'final' } },
    });
    expect(lines(v1, v2)).toEqual([
      '~ machine id job2 (was job)',
      '~ state c is final (was atomic)',
      '~ initial of (root): b (was a)',
      '~ tags of a: +waiting -busy',
      '+ b invokes store',
      '- a invokes fetch',
    ]);
  });

  it('a renamed compound state: its children are compared under the new name, its leaves cannot resume', () => {
    const child = { initial: 'x', states: { x: { on: { NEXT: 'y' } }, y: { on: { BACK: 'x' } } } } as const;
    const v1 = createMachine({ id: 'm', initial: 'outer', states: { outer: { ...child, on: { STOP: 'done' } }, done: { type: 'final' } } });
    const v2 = createMachine({ id: 'm', initial: 'wrapper', states: { wrapper: { ...child, on: { STOP: 'done' } }, done: { type: 'final' } } });
    const diff = diffGraphs(extractGraph(v1), extractGraph(v2));
    expect(diff.changes.map(changeLine)).toEqual(['- state outer (renamed? → wrapper)', '+ state wrapper (renamed? ← outer)']);
    expect(diff.cannotResume.map((b) => b.state)).toEqual(['outer.x', 'outer.y']);
  });

  it('no rename guessed when two removed states look alike', () => {
    const v1 = createMachine({ id: 'm', initial: 'a', states: { a: {}, b: {}, c: {} } });
    const v2 = createMachine({ id: 'm', initial: 'c', states: { c: {}, d: {} } });
    expect(lines(v1, v2)).toEqual(['- state a', '- state b', '+ state d', '~ initial of (root): c (was a)']);
  });

  it('a changed guard, an added branch and changed actions', () => {
    const v1 = createMachine({ id: 'm', initial: 'a', states: { a: { on: { GO: [{ guard: 'ok', target: 'b' }, { target: 'c' }] } }, b: {}, c: {} } });
    const v2 = createMachine({
      id: 'm',
      initial: 'a',
      states: { a: { on: { GO: [{ guard: 'fine', target: 'b' }, { guard: 'late', target: 'b' }, { target: 'c', actions: 'log' }] } }, b: {}, c: {} },
    });
    expect(lines(v1, v2)).toEqual([
      '+ a: GO [late] → b',
      '~ a: GO [fine] → b (guard was [ok])',
      '~ a: GO → c (actions were none)',
    ]);
  });

  it('equal machines: no changes, and the text says so', () => {
    const m = createMachine({ id: 'm', initial: 'a', states: { a: { after: { 1000: 'b' } }, b: {} } });
    const diff = diffGraphs(extractGraph(m), extractGraph(m));
    expect(diff.equal).toBe(true);
    expect(formatDiff(diff, { old: 'x', new: 'y' })).toBe('--- x\n+++ y\nno changes\n');
  });
});
