import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type AnyMachineSnapshot, type AnyStateMachine, assign, type EventObject, fromPromise, initialTransition, setup, transition } from 'xstate';
import { extractGraph } from '../../src/model/extract.ts';
import { loadMachine } from '../../src/model/load.ts';
import type { LifecycleGraph } from '../../src/model/types.ts';
import { enumerateMutants, type Mutant, OPERATORS } from '../../src/mutate/operators.ts';
import { CORPUS } from '../corpus/index.ts';
import { FIXTURES } from '../fixtures/machines/index.ts';
import { machine as turnstile } from './fixtures/turnstile.ts';

/** What a run shows after each event: state, context, status and the actions XState resolved (delays included). */
function trace(machine: AnyStateMachine, events: EventObject[]): string {
  const out: unknown[] = [];
  const note = (snapshot: AnyMachineSnapshot, actions: { type: string; params?: unknown }[]) => {
    const acts = actions.map((a) => {
      const p = (a.params ?? {}) as { delay?: unknown; event?: { type?: string } };
      return [a.type, p.delay, p.event?.type];
    });
    out.push([snapshot.value, snapshot.context, snapshot.status, acts]);
  };
  let [snapshot, actions] = initialTransition(machine);
  note(snapshot, actions as never);
  for (const event of events) {
    if (snapshot.status !== 'active') break;
    try {
      [snapshot, actions] = transition(machine, snapshot, event);
    } catch (error) {
      out.push(['threw', String(error)]);
      break;
    }
    note(snapshot, actions as never);
  }
  return JSON.stringify(out);
}

/** The mutants none of `scenarios` tells from the machine. */
function unseen(machine: AnyStateMachine, scenarios: EventObject[][]): string[] {
  const original = scenarios.map((s) => trace(machine, s));
  return enumerateMutants(machine)
    .filter((m) => {
      const mutant = m.build();
      return scenarios.every((s, i) => trace(mutant, s) === original[i]);
    })
    .map((m) => m.id);
}

const done = (id: string, output?: unknown) => ({ type: `xstate.done.actor.${id}`, output }) as EventObject;
const error = (id: string) => ({ type: `xstate.error.actor.${id}`, error: new Error('no') }) as EventObject;

// Every operator at least once: guarded candidates (named and inline), a side effect, entry and exit actions, a
// named delay that reads context, an eventless transition, a compound state with an initial child and an onDone.
const oven = setup({
  types: { context: {} as { heat: number; beeps: number }, events: {} as { type: 'START' } | { type: 'STOP' } | { type: 'HOT'; level: number } },
  guards: { isHot: ({ event }) => event.type === 'HOT' && event.level > 5 },
  actions: { beep: assign({ beeps: ({ context }) => context.beeps + 1 }) },
  actors: { probe: fromPromise(async () => 'ok') },
  delays: { warmup: ({ context }) => 1000 + context.heat },
}).createMachine({
  id: 'oven',
  context: { heat: 0, beeps: 0 },
  initial: 'off',
  states: {
    off: { on: { START: 'on' } },
    on: {
      initial: 'warming',
      entry: 'beep',
      exit: assign({ heat: 0 }),
      states: {
        warming: {
          after: { warmup: 'baking' },
          on: {
            HOT: [
              { guard: 'isHot', target: 'baking' },
              { guard: ({ event }) => event.level % 3 === 0, target: 'cold' },
            ],
          },
        },
        baking: {
          always: { guard: ({ context }) => context.heat > 100, target: 'done' },
          on: { HOT: { target: 'baking', reenter: true, actions: assign({ heat: ({ event }) => event.level * 50 }) } },
        },
        cold: { invoke: { src: 'probe', onDone: 'warming', onError: { target: 'done', actions: 'beep' } }, after: { 300: 'warming' } },
        done: { type: 'final' },
      },
      onDone: 'off',
      on: { STOP: 'off' },
    },
  },
});
const hot = (level: number) => ({ type: 'HOT', level }) as EventObject;
const OVEN_SCENARIOS: EventObject[][] = [
  [{ type: 'START' }, { type: 'xstate.after.warmup.oven.on.warming' }, hot(3), { type: 'START' }],
  [{ type: 'START' }, hot(9), hot(1), hot(3), { type: 'START' }],
  [{ type: 'START' }, hot(0), { type: 'xstate.after.300.oven.on.cold' }, { type: 'STOP' }],
  [{ type: 'START' }, hot(0), done('0.oven.on.cold'), hot(9)],
  [{ type: 'START' }, hot(0), error('0.oven.on.cold'), { type: 'START' }],
  [{ type: 'START' }, hot(1), { type: 'STOP' }, { type: 'START' }],
];

const TURNSTILE_SCENARIOS: EventObject[][] = [
  [{ type: 'PUSH' }, { type: 'COIN' }, done('0.turnstile.unlocking'), { type: 'xstate.after.5000.turnstile.open' }, { type: 'PUSH' }],
  [{ type: 'COIN' }, error('0.turnstile.unlocking'), { type: 'PUSH' }, { type: 'xstate.after.5000.turnstile.open' }],
];

describe('mutation operators', () => {
  it('make every kind of mutant of a small machine, each with a stable id, a description and a location', () => {
    const mutants = enumerateMutants(turnstile);
    expect(mutants.map((m) => m.id)).toEqual([
      'drop-transition turnstile.locked:COIN:0',
      'drop-transition turnstile.locked:PUSH:0',
      'drop-transition turnstile.locked:PUSH:1',
      'drop-transition turnstile.unlocking:xstate.done.actor.0.turnstile.unlocking:0',
      'drop-transition turnstile.open:xstate.after.5000.turnstile.open:0',
      'retarget-transition turnstile.locked:COIN:0->turnstile.open',
      'retarget-transition turnstile.locked:PUSH:0->turnstile.broken',
      'retarget-transition turnstile.unlocking:xstate.error.actor.0.turnstile.unlocking:0->turnstile.unlocking',
      'retarget-transition turnstile.open:xstate.after.5000.turnstile.open:0->turnstile.unlocking',
      'drop-guard turnstile.locked:PUSH:0',
      'negate-guard turnstile.locked:PUSH:0',
      'swap-guarded turnstile.locked:PUSH:0<>1',
      'drop-onerror turnstile.unlocking:xstate.error.actor.0.turnstile.unlocking',
      'retarget-ondone turnstile.unlocking:xstate.done.actor.0.turnstile.unlocking:0->turnstile.broken',
      'drop-action turnstile.locked:COIN:0/0',
      'drop-action turnstile.locked:PUSH:1/0',
      'drop-entry turnstile.broken/0',
      'change-delay turnstile.open:5000*10',
      'change-delay turnstile.open:5000=0',
      'change-initial turnstile->turnstile.unlocking',
    ]);
    const byId = new Map(mutants.map((m) => [m.id, m]));
    expect(byId.get('negate-guard turnstile.locked:PUSH:0')).toMatchObject({ location: 'locked', description: 'negate the guard [paid] of locked --PUSH [paid]--> open' });
    expect(byId.get('change-initial turnstile->turnstile.unlocking')).toMatchObject({ location: '(root)', description: '(root) starts in unlocking instead of locked' });
    // Listing builds nothing, and the same machine lists the same mutants.
    expect(enumerateMutants(turnstile).map((m) => m.id)).toEqual(mutants.map((m) => m.id));
  });

  it('each mutant of the small machines behaves differently from the machine', () => {
    // Side effects are seen as the actions XState resolves; the unreachable state's mutant only by entering it.
    expect(unseen(turnstile, TURNSTILE_SCENARIOS)).toEqual(['drop-entry turnstile.broken/0']);
    const operators = new Set(enumerateMutants(oven).map((m) => m.operator));
    expect([...operators].sort()).toEqual([...OPERATORS].sort());
    expect(unseen(oven, OVEN_SCENARIOS)).toEqual([]);
  });

  it('keep inline functions and the implementations: an inline guard, an inline assign and a named delay still work in a mutant', () => {
    const m = enumerateMutants(oven).find((x) => x.id === 'drop-entry oven.on/0')!.build();
    expect(m.implementations.delays.warmup).toBe(oven.implementations.delays.warmup);
    const events = OVEN_SCENARIOS[1]!;
    // Without the beep, the mutant's contexts differ only in beeps: the inline assign and the inline always still run.
    const strip = (t: string) => JSON.parse(t).map((step: unknown[]) => [step[0], { ...(step[1] as object), beeps: 0 }]);
    expect(strip(trace(m, events))).toEqual(strip(trace(oven, events)));
  });

  it('a named delay is changed through the implementations, for every state that waits on it', () => {
    const mutants = enumerateMutants(oven).filter((m) => m.operator === 'change-delay');
    expect(mutants.map((m) => m.id)).toEqual([
      'change-delay oven.on.cold:300*10',
      'change-delay oven.on.cold:300=0',
      'change-delay @warmup*10',
      'change-delay @warmup=0',
    ]);
    const longer = mutants[2]!.build().implementations.delays.warmup as (a: unknown) => number;
    expect(longer({ context: { heat: 5 } })).toBe(10_050);
  });
});

describe('mutants of real machines', () => {
  const DIR = new URL('../corpus/machines/', import.meta.url).pathname;
  const machines: [string, () => Promise<AnyStateMachine>][] = [
    ...CORPUS.map(({ file, exportName }) => [file, async () => (await loadMachine(`${join(DIR, file)}#${exportName}`)).machine] as [string, () => Promise<AnyStateMachine>]),
    ...FIXTURES.filter((f) => f.name !== '97-lint-unresolved-target').map((f) => [f.name, async () => f.machine] as [string, () => Promise<AnyStateMachine>]),
    ...['install', 'operator'].map((name) => [name, async () => (await loadMachine(name)).machine] as [string, () => Promise<AnyStateMachine>]),
  ];

  it.each(machines)('%s: every mutant builds and changes what its id says', async (_name, load) => {
    const machine = await load();
    const graph = extractGraph(machine);
    const mutants = enumerateMutants(machine, graph);
    expect(new Set(mutants.map((m) => m.id)).size).toBe(mutants.length);
    for (const m of mutants) expect(effectHolds(m, graph, machine), m.id).toBe(true);
  });

  it('a corpus machine lists the same mutants, per operator, as before', async () => {
    const { machine } = await loadMachine(`${join(DIR, 'kittycad-file.ts')}#fileMachine`);
    const count: Record<string, number> = {};
    for (const m of enumerateMutants(machine)) count[m.operator] = (count[m.operator] ?? 0) + 1;
    expect(count).toEqual({
      'drop-transition': 18,
      'retarget-transition': 15,
      'drop-guard': 4,
      'negate-guard': 4,
      'swap-guarded': 4,
      'drop-onerror': 5,
      'retarget-ondone': 8,
      'drop-action': 15,
      'drop-entry': 2,
      'drop-exit': 1,
      'change-initial': 1,
    });
  });
});

/** Whether the mutant's graph (or, for a named delay, its implementation) differs from the machine's as its id says. */
function effectHolds(m: Mutant, graph: LifecycleGraph, machine: AnyStateMachine): boolean {
  const built = m.build();
  const after = extractGraph(built);
  const key = m.id.slice(m.operator.length + 1);
  const t = (g: LifecycleGraph, id: string) => g.transitions.find((x) => x.id === id);
  const same = (g: LifecycleGraph, id: string) => {
    const x = t(graph, id)!;
    return g.transitions.filter((y) => y.source === x.source && y.event === x.event);
  };
  const state = (g: LifecycleGraph, id: string) => g.states.find((s) => s.id === id)!;
  switch (m.operator) {
    case 'drop-transition':
      return same(after, key).length === same(graph, key).length - 1;
    case 'retarget-transition':
    case 'retarget-ondone': {
      const [, id, target] = /^(.*:\d+)->(.*)$/.exec(key)!;
      return JSON.stringify(t(after, id!)?.targets) === JSON.stringify([target]) && JSON.stringify(t(graph, id!)!.targets) !== JSON.stringify([target]);
    }
    case 'drop-guard':
      return t(graph, key)!.guard !== undefined && t(after, key)!.guard === undefined;
    case 'negate-guard': {
      const label = t(graph, key)!.guard!.label;
      return [`!${label}`, `!(${label})`].includes(t(after, key)!.guard!.label);
    }
    case 'swap-guarded': {
      const [a, b] = key.split('<>');
      const second = a!.replace(/:\d+$/, `:${b}`);
      const show = (x: LifecycleGraph['transitions'][number] | undefined) => JSON.stringify([x?.guard?.label, x?.targets, x?.actions]);
      return show(t(after, a!)) === show(t(graph, second)) && show(t(after, second)) === show(t(graph, a!));
    }
    case 'drop-onerror': {
      const [source, event] = [key.slice(0, key.indexOf(':xstate.error.actor.')), key.slice(key.indexOf(':') + 1)];
      return graph.transitions.some((x) => x.source === source && x.event === event) && !after.transitions.some((x) => x.source === source && x.event === event);
    }
    case 'drop-action': {
      const id = key.slice(0, key.lastIndexOf('/'));
      return t(after, id)!.actions.length === t(graph, id)!.actions.length - 1;
    }
    case 'drop-entry':
    case 'drop-exit': {
      const id = key.slice(0, key.lastIndexOf('/'));
      const field = m.operator === 'drop-entry' ? 'entry' : 'exit';
      return state(after, id)[field].length === state(graph, id)[field].length - 1;
    }
    case 'change-delay': {
      if (key.startsWith('@')) {
        const name = key.slice(1).replace(/(\*10|=0)$/, '');
        return m.site.unchanged !== undefined || built.implementations.delays[name] !== machine.implementations.delays[name];
      }
      const source = key.slice(0, key.lastIndexOf(':'));
      const delays = (g: LifecycleGraph) => JSON.stringify(g.transitions.filter((x) => x.source === source && x.kind === 'after').map((x) => x.delay));
      return delays(after) !== delays(graph);
    }
    case 'change-initial': {
      const [id, child] = key.split('->');
      return JSON.stringify(state(after, id!).initial) === JSON.stringify([child]);
    }
  }
}
