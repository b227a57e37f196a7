import { describe, expect, it } from 'vitest';
import { assign, createMachine, setup } from 'xstate';
import { BUILTINS } from '../../machines/index.ts';
import { chainMachine } from '../../bench/chain.ts';
import { extractGraph } from '../../src/model/extract.ts';
import { createStepper } from '../../src/model/stepper.ts';
import { exploreStateSpace, generatePaths } from '../../src/paths/index.ts';
import { FIXTURES } from '../fixtures/machines/index.ts';

/** Replays a generated path with XState and returns the transition ids it took and the values it reached. */
function replay(machine: Parameters<typeof createStepper>[0], input: unknown, events: { type: string }[]) {
  const stepper = createStepper(machine);
  let { snapshot, taken } = stepper.initial(input);
  const values = [snapshot.value];
  const all = [...taken];
  for (const e of events) {
    ({ snapshot, taken } = stepper.step(snapshot, e));
    values.push(snapshot.value);
    all.push(...taken);
  }
  return { taken: all, values };
}

describe('transition cover', () => {
  it('covers every transition of the four built-ins with their catalogues, and every path replays as generated', () => {
    for (const b of BUILTINS) {
      const graph = extractGraph(b.machine);
      const result = generatePaths(b.machine, graph, { cover: 'transitions', catalogue: b.catalogue });
      expect(result.coverage.transitions.uncovered, b.name).toEqual([]);
      expect(result.coverage.transitions.covered).toBe(graph.transitions.length);
      const taken = new Set<string>();
      for (const p of result.paths) {
        const r = replay(b.machine, p.input, p.steps.map((s) => s.event));
        expect(r.values, b.name).toEqual([p.initial, ...p.steps.map((s) => s.state)]);
        for (const id of r.taken) taken.add(id);
      }
      expect(taken.size, b.name).toBe(graph.transitions.length);
    }
  });

  it('takes each transition of a chain machine about once (steps / transitions <= 1.3)', () => {
    for (const n of [50, 200]) {
      const machine = chainMachine(n);
      const graph = extractGraph(machine);
      const result = generatePaths(machine, graph, { cover: 'transitions' });
      expect(result.coverage.transitions.covered).toBe(graph.transitions.length);
      expect(result.stats.steps / graph.transitions.length).toBeLessThanOrEqual(1.3);
    }
  });

  it('covers on fixtures what state exploration can reach', () => {
    for (const { name, machine } of FIXTURES) {
      if (name.includes('unresolved')) continue;
      const graph = extractGraph(machine);
      const space = exploreStateSpace(machine, graph);
      const reachable = new Set(space.edges.flatMap((e) => e.transitions));
      const result = generatePaths(machine, graph, { cover: 'transitions' });
      const covered = new Set(graph.transitions.map((t) => t.id).filter((id) => !result.coverage.transitions.uncovered.some((u) => u.id === id)));
      expect([...reachable].filter((id) => !covered.has(id)), name).toEqual([]);
    }
  });
});

describe('coverage accounting', () => {
  it('gives each uncovered transition a reason', () => {
    const m = setup({ guards: { never: ({ context }: { context: { off?: boolean } }) => context.off === true } }).createMachine({
      id: 'm',
      initial: 'a',
      states: { a: { on: { GO: { target: 'b', guard: 'never' }, NEXT: 'c' } }, b: { on: { BACK: 'a' } }, c: { type: 'final' } },
    });
    const result = generatePaths(m, extractGraph(m));
    expect(result.coverage.transitions.uncovered).toEqual([
      {
        id: 'm.a:GO:0',
        source: 'm.a',
        event: 'GO',
        reason: "guard never true with the catalogue's payloads",
        detail: 'guard never is false whenever a gets GO',
        needs: expect.stringMatching(/^events\.GO: a payload that makes never true/),
      },
      { id: 'm.b:BACK:0', source: 'm.b', event: 'BACK', reason: 'unreachable source', detail: 'b is never entered: a --GO [never]--> b is not taken' },
    ]);
  });

  it('names the transitions into a child of a state never entered as what would enter it', () => {
    const m = setup({ guards: { never: ({ context }: { context: { off?: boolean } }) => context.off === true } }).createMachine({
      id: 'm',
      initial: 'a',
      states: { a: { on: { GO: { target: 'x.y', guard: 'never' } } }, x: { on: { BACK: 'a' }, initial: 'z', states: { z: {}, y: {} } } },
    });
    const back = generatePaths(m, extractGraph(m)).coverage.transitions.uncovered.find((u) => u.event === 'BACK');
    expect(back?.detail).toBe('x is never entered: a --GO [never]--> x.y is not taken');
  });

  it('reports the bound instead of exploring forever', () => {
    const counter = createMachine({
      id: 'counter',
      context: { n: 0 },
      initial: 'on',
      states: { on: { on: { INC: { actions: assign({ n: ({ context }) => context.n + 1 }) } } } },
    });
    const result = generatePaths(counter, extractGraph(counter), { identity: 'full', maxStates: 5 });
    expect(result.stats.truncated).toBe(true);
    expect(result.stats.exploredStates).toBe(5);
  });
});

describe('state cover and simple paths', () => {
  it('state cover reaches every reachable state with shortest paths', () => {
    const machine = chainMachine(20);
    const graph = extractGraph(machine);
    const result = generatePaths(machine, graph, { cover: 'states' });
    expect(result.coverage.states.covered).toBe(result.coverage.states.total);
    const longest = Math.max(...result.paths.map((p) => p.steps.length));
    expect(longest).toBe(11); // s20 (done) is 10 SKIPs away; e19 is 10 steps to s19 plus FAIL
  });

  it('simple paths never visit a state twice and respect the bounds', () => {
    const machine = chainMachine(10);
    const result = generatePaths(machine, extractGraph(machine), { cover: 'simple', maxDepth: 6, maxPaths: 50 });
    expect(result.paths.length).toBeLessThanOrEqual(50);
    expect(result.stats.truncated).toBe(true);
    for (const p of result.paths) {
      const seen = p.steps.map((s) => JSON.stringify(s.state));
      expect(new Set([JSON.stringify(p.initial), ...seen]).size).toBe(seen.length + 1);
      expect(p.steps.length).toBeLessThanOrEqual(6);
    }
  });
});
