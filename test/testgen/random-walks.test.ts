import { describe, expect, it } from 'vitest';
import { assign, createMachine, type EventObject, fromPromise, setup } from 'xstate';
import { extractGraph } from '../../src/model/extract.ts';
import { randomWalks } from '../../src/testgen/random-walks.ts';
import { seededRandom } from '../../src/testgen/prng.ts';
import { shrinkWalk, type WalkPlan } from '../../src/testgen/shrink.ts';
import { createWalkModel } from '../../src/testgen/walk-model.ts';
import { machine as counter } from './fixtures/counter.ts';

const walks = (machine: Parameters<typeof extractGraph>[0], options: { seed: number; length: number; walks: number }) => randomWalks(machine, extractGraph(machine), options);
const events = (path: { steps: { event: { type: string } }[] }) => path.steps.map((s) => s.event.type);

// No final state: every walk runs its whole length.
const loop = setup({ types: { events: {} as { type: 'A' } | { type: 'B' } | { type: 'C' } } }).createMachine({
  id: 'loop',
  initial: 'x',
  states: { x: { on: { A: 'y', B: 'x', C: 'y' } }, y: { on: { A: 'x', B: 'y' } } },
});

describe('random walks', () => {
  it('are deterministic: the same seed gives the same walks, another seed others', () => {
    const a = walks(counter, { seed: 7, length: 30, walks: 10 });
    const b = walks(counter, { seed: 7, length: 30, walks: 10 });
    expect(JSON.stringify(b.result.paths)).toBe(JSON.stringify(a.result.paths));
    expect(JSON.stringify(b.failures)).toBe(JSON.stringify(a.failures));
    expect(JSON.stringify(walks(counter, { seed: 8, length: 30, walks: 10 }).result.paths)).not.toBe(JSON.stringify(a.result.paths));
    expect(a.summary).toBe('random walks (--seed 7 --length 30 --walks 10)');
  });

  it('walk k of a seed is the same whatever the number of walks, and a shorter length gives its prefix', () => {
    const few = walks(loop, { seed: 3, length: 12, walks: 2 }).result.paths;
    const more = walks(loop, { seed: 3, length: 12, walks: 5 }).result.paths;
    expect(more.slice(0, 2)).toEqual(few);
    const short = walks(loop, { seed: 3, length: 5, walks: 2 }).result.paths;
    short.forEach((p, i) => expect(p.steps).toEqual(few[i].steps.slice(0, 5)));
  });

  it('take at most --length steps, all of them where nothing ends the walk', () => {
    const { result } = walks(loop, { seed: 1, length: 9, walks: 6 });
    expect(result.paths.length).toBeGreaterThan(1);
    for (const p of result.paths) expect(p.steps).toHaveLength(9);
    expect(result.paths.map((p) => p.label)).toContain('walk 1/1');
    expect(result.cover).toBe('random');
    expect(result.coverage.transitions).toMatchObject({ covered: 5, total: 5 });
  });

  it('stop at a final state', () => {
    const { result } = walks(counter, { seed: 2, length: 50, walks: 20 });
    const finished = result.paths.filter((p) => p.steps.at(-1)?.state === 'stopped');
    expect(finished.length).toBeGreaterThan(0);
    for (const p of finished) {
      expect(p.steps.length).toBeLessThan(50);
      expect(p.steps.filter((s) => s.state === 'stopped')).toHaveLength(1);
    }
  });

  it('shrink a walk on which the machine throws to the minimal one, written as the failing case', () => {
    const { result, failures, failing } = walks(counter, { seed: 7, length: 40, walks: 10 });
    expect(failures.length).toBeGreaterThan(0);
    const first = failures[0];
    expect(first).toMatchObject({ kind: 'threw', message: 'count reached 3' });
    expect(first.original).toBeGreaterThan(4);
    // INC is handled in `on` only: the shortest way to a third INC.
    expect(events(first.path)).toEqual(['TOGGLE', 'INC', 'INC', 'INC']);
    expect(first.path.label).toMatch(/^walk 7\/\d+, shrunk \(the machine fails: count reached 3\)$/);
    expect([...failing].map((i) => result.paths[i])).toContainEqual(first.path);
    // Every failure shrinks to the same case; it is written once.
    for (const f of failures.slice(1)) expect(f.sameAs).toBe(first.walk);
  });

  it('deliver a service outcome once per invocation, and a timer only when a test can wait for it alone', () => {
    const m = setup({ actors: { job: fromPromise(async () => 1) } }).createMachine({
      id: 't',
      initial: 'a',
      context: { ticks: 0, done: 0 },
      states: {
        // The tick is targetless: once it fired, the timeout was armed before the clock moved, so a test waiting
        // for it alone would overshoot; neither is offered again until `a` is entered anew.
        a: {
          invoke: { id: 'j', src: 'job', onDone: { actions: assign({ done: ({ context }) => context.done + 1 }) } },
          after: { 1000: { actions: assign({ ticks: ({ context }) => context.ticks + 1 }) }, 5000: 'b' },
          on: { AGAIN: { target: 'a', reenter: true } },
        },
        b: { on: { BACK: 'a' } },
      },
    });
    for (let seed = 0; seed < 4; seed++) {
      for (const p of walks(m, { seed, length: 25, walks: 4 }).result.paths) {
        let since: string[] = [];
        for (const type of events(p)) {
          if (type === 'AGAIN' || type === 'BACK') since = [];
          expect(since).not.toContain(type); // no second done of the same invocation, no timer twice
          if (type.startsWith('xstate.after.5000')) expect(since).not.toContain('xstate.after.1000.t.a');
          since.push(type);
        }
      }
    }
  });

  it('fold a 0 ms timer into the step that arms it, as the test settles it', () => {
    const m = createMachine({ id: 'z', initial: 'a', states: { a: { on: { GO: 'b' } }, b: { after: { 0: 'c' } }, c: { on: { GO: 'a' } } } });
    const { result } = walks(m, { seed: 1, length: 4, walks: 1 });
    expect(result.paths[0].steps.map((s) => [s.event.type, s.state])).toEqual([
      ['GO', 'c'],
      ['GO', 'a'],
      ['GO', 'c'],
      ['GO', 'a'],
    ]);
  });

  it('report a walk that replays elsewhere: the machine does not decide the same way twice', () => {
    let calls = 0; // a guard reading state outside the machine: every evaluation flips it
    const flaky = createMachine({ id: 'flaky', initial: 'a', states: { a: { on: { GO: [{ guard: () => ++calls % 2 === 0, target: 'b' }, { target: 'c' }] } }, b: { on: { GO: 'a' } }, c: { on: { GO: 'a' } } } });
    const { failures, result } = walks(flaky, { seed: 1, length: 6, walks: 3 });
    expect(failures.length).toBeGreaterThan(0);
    expect(failures[0]).toMatchObject({ kind: 'diverged', message: expect.stringMatching(/^step \d+ went to [bc], not [bc]: the machine does not decide the same way twice$/) });
    expect(result.paths.map((p) => p.label)).toContain(`${failures[0].walk}, goes elsewhere when replayed`);
  });

  it('cannot walk a machine that cannot start', () => {
    const broken = createMachine({ id: 'broken', context: () => { throw new Error('no database'); }, initial: 'a', states: { a: { on: { GO: 'a' } } } });
    expect(() => walks(broken, { seed: 1, length: 3, walks: 1 })).toThrow(/no walks for broken: it cannot start: .*no database/);
  });
});

describe('shrinking', () => {
  it('drops every step the failure does not need (1-minimal), keeping pairs that only go together', () => {
    // Fails once it has seen X twice and a Y; a Y must come right after an S (like a service's done after its start).
    const model = createWalkModel(loop, extractGraph(loop));
    expect(model.starts().starts).toHaveLength(1);
    const plan: WalkPlan = { start: 0, steps: ['A', 'X', 'B', 'S', 'Y', 'X', 'A', 'C', 'X'].map((type) => ({ event: { type } })) };
    const failsSame = (p: WalkPlan): WalkPlan | undefined => {
      let x = 0;
      let y = false;
      for (const [i, s] of p.steps.entries()) {
        if (s.event.type === 'Y' && p.steps[i - 1]?.event.type !== 'S') return undefined; // cannot be followed
        if (s.event.type === 'X') x++;
        if (s.event.type === 'Y') y = true;
        if (x >= 2 && y) return { ...p, steps: p.steps.slice(0, i + 1) };
      }
      return undefined;
    };
    const { plan: best, exhausted } = shrinkWalk(plan, failsSame);
    expect(exhausted).toBe(false);
    expect(best.steps.map((s) => s.event.type).sort()).toEqual(['S', 'X', 'X', 'Y']);
    expect(failsSame(best)).toEqual(best);
    for (let i = 0; i < best.steps.length; i++) expect(failsSame({ ...best, steps: best.steps.filter((_, k) => k !== i) })).toBeUndefined();
  });

  it('prefers an earlier sample and an earlier start', () => {
    const p = (n: number) => ({ type: 'P', n }) as EventObject;
    const plan: WalkPlan = { start: 2, steps: [{ event: p(3), simpler: [p(1), p(2)] }] };
    const { plan: best } = shrinkWalk(plan, (c) => (((c.steps[0]?.event as { n?: number } | undefined)?.n ?? 0) >= 2 && c.start >= 1 ? c : undefined));
    expect(best).toEqual({ start: 1, steps: [{ event: p(2) }] });
  });
});

describe('seeded generator', () => {
  it('gives the same numbers for the same keys, in range', () => {
    const a = seededRandom(7, 1);
    const b = seededRandom(7, 1);
    const xs = Array.from({ length: 100 }, () => a.below(6));
    expect(Array.from({ length: 100 }, () => b.below(6))).toEqual(xs);
    expect(new Set(xs).size).toBe(6);
    expect(xs.every((x) => Number.isInteger(x) && x >= 0 && x < 6)).toBe(true);
    expect(seededRandom(7, 2).next()).not.toBe(seededRandom(7, 1).next());
    // Pinned: a change here changes every committed walk file.
    expect(seededRandom(7, 1).next()).toBe(0.023317280923947692);
  });
});
