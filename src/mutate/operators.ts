/**
 * Machine mutation operators: each mutant is the machine with one small bug, made by editing a copy of its config
 * (see config.ts) or, for a named delay, one implementation. They read only XState's config forms, so they apply to
 * any XState v5 machine. `enumerateMutants` lists them in a fixed order (operator, then the graph's document order),
 * so an id names the same mutant in every process that loads the same machine.
 */
import { type AnyStateMachine, type AnyStateNode, not } from 'xstate';
import { extractGraph } from '../model/extract.ts';
import type { GraphState, GraphTransition, LifecycleGraph } from '../model/types.ts';
import { serviceText, stateText, transitionText } from '../paths/transition-text.ts';
import { afterEvent, editState, invokesOf, readList, rebuild, type Slot, slotsOf, type StateConfig, targetFor, toArray, type TransitionConfig, withKey, writeList } from './config.ts';

export const OPERATORS = [
  'drop-transition',
  'retarget-transition',
  'drop-guard',
  'negate-guard',
  'swap-guarded',
  'drop-onerror',
  'retarget-ondone',
  'drop-action',
  'drop-entry',
  'drop-exit',
  'change-delay',
  'change-initial',
] as const;
export type Operator = (typeof OPERATORS)[number];

/** What a mutant touches, for telling whether any run could notice it (see equivalence.ts). */
export interface MutantSite {
  /** Graph transition ids: the mutant changes only what happens when one of them is taken. */
  transitions?: string[];
  /** Graph state ids: the mutant changes only what happens while one of them is active or entered. */
  states?: string[];
  /** Set when the mutant is the machine as loaded here, saying why (a delay set to the 0 it already is). */
  unchanged?: string;
}

export interface Mutant {
  /** `<operator> <location key>`, e.g. `drop-transition install.readingRecord:xstate.done.actor.0.install.readingRecord:0`. */
  id: string;
  operator: Operator;
  /** One line saying what the bug is. */
  description: string;
  /** The state it is in: its path without the machine id, `(root)` for the root. */
  location: string;
  site: MutantSite;
  /** The mutated machine (built on demand: listing the mutants builds none). */
  build(): AnyStateMachine;
}

/** What every operator reads: the machine, its graph and each graph element's place in the config. */
interface Context {
  machine: AnyStateMachine;
  graph: LifecycleGraph;
  nodeOf: Map<string, AnyStateNode>;
  slotOf: Map<string, Slot>;
  /** The transitions of each (source, event), in branch order. */
  lists: Map<string, GraphTransition[]>;
}

/**
 * Every mutant of a machine, in a fixed order: by operator (as `OPERATORS` lists them), then by the graph's order of
 * states and transitions.
 *
 * @example
 * const mutants = enumerateMutants(machine);
 * const broken = mutants.find((m) => m.operator === 'drop-guard')!.build();
 */
export function enumerateMutants(machine: AnyStateMachine, graph: LifecycleGraph = extractGraph(machine)): Mutant[] {
  const ctx = context(machine, graph);
  const seen = new Set<string>();
  const out: Mutant[] = [];
  for (const operator of OPERATORS) {
    for (const m of GENERATORS[operator](ctx)) {
      if (seen.has(m.id)) continue; // two spellings of one config element (e.g. after keys 1000 and 1e3)
      seen.add(m.id);
      out.push({ ...m, operator });
    }
  }
  return out;
}

type Draft = Omit<Mutant, 'operator'>;
const GENERATORS: Record<Operator, (ctx: Context) => Draft[]> = {
  'drop-transition': (ctx) =>
    ctx.graph.transitions.flatMap((t) => {
      const slot = ctx.slotOf.get(t.id);
      // A lone onError candidate is drop-onerror's mutant.
      if (!slot || (t.kind === 'error.actor' && slot.list.kind === 'invoke' && ctx.lists.get(listKey(t))!.length === 1)) return [];
      return [draft(ctx, `drop-transition ${t.id}`, t, `drop ${text(ctx, t)}`, (list, i) => list.filter((_, k) => k !== i))];
    }),
  'retarget-transition': (ctx) => retargets(ctx, 'retarget-transition', (t) => t.kind !== 'done.actor' && t.kind !== 'done.state'),
  'drop-guard': (ctx) =>
    guarded(ctx).map((t) =>
      draft(ctx, `drop-guard ${t.id}`, t, `drop the guard [${t.guard!.label}] of ${text(ctx, t)}`, (list, i) => replaceAt(list, i, withKey(list[i]!, 'guard', undefined))),
    ),
  'negate-guard': (ctx) =>
    guarded(ctx).map((t) =>
      draft(ctx, `negate-guard ${t.id}`, t, `negate the guard [${t.guard!.label}] of ${text(ctx, t)}`, (list, i) =>
        replaceAt(list, i, { ...list[i]!, guard: not(list[i]!.guard as never) }),
      ),
    ),
  'swap-guarded': (ctx) =>
    [...ctx.lists.values()].flatMap((list) =>
      list.slice(0, -1).flatMap((a, b) => {
        const c = list[b + 1]!;
        const [sa, sc] = [ctx.slotOf.get(a.id), ctx.slotOf.get(c.id)];
        if (!sa || !sc || !sameList(sa, sc) || (!a.guard && !c.guard)) return [];
        const config = stateConfig(ctx, a.source);
        const items = readList(config, sa.list);
        if (items[sa.index] === items[sc.index] || shallowEqual(items[sa.index]!, items[sc.index]!)) return []; // a swap that changes nothing
        return [
          draft(ctx, `swap-guarded ${a.id}<>${c.branch}`, a, `try ${text(ctx, c)} before ${text(ctx, a)}`, (l, i) => replaceAt(replaceAt(l, i, l[i + 1]!), i + 1, l[i]!), [a.id, c.id]),
        ];
      }),
    ),
  'drop-onerror': (ctx) =>
    ctx.graph.states.flatMap((s) =>
      invokesOf(stateConfig(ctx, s.id)).flatMap((inv, index) => {
        const invokeId = ctx.nodeOf.get(s.id)!.invoke[index]?.id;
        if (!inv.onError || !invokeId) return [];
        const event = `xstate.error.actor.${invokeId}`;
        const handlers = ctx.graph.transitions.filter((t) => t.source === s.id && t.event === event);
        if (!handlers.length) return [];
        return [
          stateDraft(ctx, `drop-onerror ${s.id}:${event}`, s, `drop the onError of ${serviceText(ctx.graph, handlers[0]!)} in ${stateText(ctx.graph, s.id)}`, (config) =>
            writeList(config, { kind: 'invoke', index, field: 'onError' }, []),
          { transitions: handlers.map((t) => t.id) }),
        ];
      }),
    ),
  'retarget-ondone': (ctx) => retargets(ctx, 'retarget-ondone', (t) => t.kind === 'done.actor' || t.kind === 'done.state'),
  'drop-action': (ctx) =>
    ctx.graph.transitions.flatMap((t) => {
      const slot = ctx.slotOf.get(t.id);
      if (!slot) return [];
      const actions = toArray(readList(stateConfig(ctx, t.source), slot.list)[slot.index]!.actions);
      if (actions.length !== t.actions.length) return [];
      return actions.map((_, k) =>
        draft(ctx, `drop-action ${t.id}/${k}`, t, `drop the action ${t.actions[k]} of ${text(ctx, t)}`, (list, i) => {
          const rest = toArray(list[i]!.actions).filter((_, j) => j !== k);
          return replaceAt(list, i, withKey(list[i]!, 'actions', rest.length ? rest : undefined));
        }),
      );
    }),
  'drop-entry': (ctx) => stateActions(ctx, 'entry'),
  'drop-exit': (ctx) => stateActions(ctx, 'exit'),
  'change-delay': (ctx) => [...numericDelays(ctx), ...namedDelays(ctx)],
  'change-initial': (ctx) =>
    ctx.graph.states.flatMap((s) => {
      if (s.kind !== 'compound' || !s.initial?.length) return [];
      const current = s.initial[0]!;
      const next = nextSibling(ctx, current);
      if (!next) return [];
      const key = ctx.nodeOf.get(next)!.key;
      return [
        stateDraft(ctx, `change-initial ${s.id}->${next}`, s, `${stateText(ctx.graph, s.id)} starts in ${key} instead of ${ctx.nodeOf.get(current)!.key}`, (config) => ({
          ...config,
          initial: typeof config.initial === 'object' && config.initial !== null ? { ...(config.initial as object), target: key } : key,
        })),
      ];
    }),
};

function context(machine: AnyStateMachine, graph: LifecycleGraph): Context {
  const nodeOf = new Map<string, AnyStateNode>();
  const walk = (node: AnyStateNode, id: string) => {
    nodeOf.set(id, node);
    for (const [key, child] of Object.entries(node.states as Record<string, AnyStateNode>)) walk(child, `${id}.${key}`);
  };
  walk(machine.root as AnyStateNode, graph.id);
  const lists = new Map<string, GraphTransition[]>();
  for (const t of graph.transitions) {
    const list = lists.get(listKey(t)) ?? [];
    list.push(t);
    lists.set(listKey(t), list);
  }
  const slotOf = new Map<string, Slot>();
  for (const s of graph.states) {
    const slots = slotsOf(nodeOf.get(s.id)!);
    for (const [event, list] of slots) {
      const transitions = lists.get(`${s.id}\u0000${event}`) ?? [];
      // Lists the config and the graph disagree on (XState's own `xstate.route`) are left alone.
      if (transitions.length !== list.length) continue;
      transitions.forEach((t, b) => slotOf.set(t.id, list[b]!));
    }
  }
  return { machine, graph, nodeOf, slotOf, lists };
}

function listKey(t: GraphTransition): string {
  return `${t.source}\u0000${t.event}`;
}

function stateConfig(ctx: Context, stateId: string): StateConfig {
  return ctx.nodeOf.get(stateId)!.config as StateConfig;
}

function pathOf(ctx: Context, stateId: string): string[] {
  return [...ctx.nodeOf.get(stateId)!.path];
}

function text(ctx: Context, t: GraphTransition): string {
  return transitionText(ctx.graph, t);
}

/** A mutant that edits the candidate list of `t` (`edit` gets the list and `t`'s index in it). */
function draft(ctx: Context, id: string, t: GraphTransition, description: string, edit: (list: TransitionConfig[], index: number) => TransitionConfig[], transitions = [t.id]): Draft {
  const slot = ctx.slotOf.get(t.id)!;
  return {
    id,
    description,
    location: stateText(ctx.graph, t.source),
    site: { transitions },
    build: () => rebuild(ctx.machine, editState(ctx.machine.config as StateConfig, pathOf(ctx, t.source), (config) => writeList(config, slot.list, edit(readList(config, slot.list), slot.index)))),
  };
}

/** A mutant that edits the config of state `s`. */
function stateDraft(ctx: Context, id: string, s: GraphState, description: string, edit: (config: StateConfig) => StateConfig, site: MutantSite = { states: [s.id] }): Draft {
  return {
    id,
    description,
    location: stateText(ctx.graph, s.id),
    site,
    build: () => rebuild(ctx.machine, editState(ctx.machine.config as StateConfig, pathOf(ctx, s.id), edit)),
  };
}

function guarded(ctx: Context): GraphTransition[] {
  return ctx.graph.transitions.filter((t) => t.guard && ctx.slotOf.has(t.id));
}

/** Each single-target transition `which` accepts, sent to its target's next sibling instead. */
function retargets(ctx: Context, operator: 'retarget-transition' | 'retarget-ondone', which: (t: GraphTransition) => boolean): Draft[] {
  return ctx.graph.transitions.flatMap((t) => {
    if (!which(t) || t.targets.length !== 1 || !ctx.slotOf.has(t.id)) return [];
    const next = nextSibling(ctx, t.targets[0]!);
    const target = next && targetFor(ctx.machine, ctx.nodeOf.get(t.source)!, ctx.nodeOf.get(next)!);
    if (!next || target === undefined) return [];
    return [
      draft(ctx, `${operator} ${t.id}->${next}`, t, `send ${text(ctx, t)} to ${stateText(ctx.graph, next)} instead`, (list, i) =>
        replaceAt(list, i, { ...list[i]!, target }),
      ),
    ];
  });
}

/** The sibling after `id` in document order (wrapping around), history pseudo-states left out. */
function nextSibling(ctx: Context, id: string): string | undefined {
  const state = ctx.graph.states.find((s) => s.id === id);
  const parent = state?.parent && ctx.graph.states.find((s) => s.id === state.parent);
  if (!parent) return undefined;
  const real = parent.children.filter((c) => c === id || ctx.graph.states.find((s) => s.id === c)!.kind !== 'history');
  const next = real[(real.indexOf(id) + 1) % real.length];
  return next === id ? undefined : next;
}

function stateActions(ctx: Context, field: 'entry' | 'exit'): Draft[] {
  return ctx.graph.states.flatMap((s) => {
    const actions = toArray(stateConfig(ctx, s.id)[field]);
    // The graph's list is the config's (XState appends its own `after` timer actions, which the graph leaves out).
    if (actions.length !== s[field].length) return [];
    return actions.map((_, k) =>
      stateDraft(ctx, `drop-${field} ${s.id}/${k}`, s, `drop the ${field} action ${s[field][k]} of ${stateText(ctx.graph, s.id)}`, (config) => {
        const rest = toArray(config[field]).filter((_, j) => j !== k);
        return withKey(config, field, rest.length ? rest : undefined);
      }),
    );
  });
}

/** `after: { 1000: … }` becomes 10000 and 0 (0 becomes 1000): the key is the delay. */
function numericDelays(ctx: Context): Draft[] {
  return ctx.graph.states.flatMap((s) => {
    const after = stateConfig(ctx, s.id).after as StateConfig | undefined;
    const node = ctx.nodeOf.get(s.id)!;
    return Object.keys(after ?? {}).flatMap((key) => {
      const ms = +key;
      if (Number.isNaN(ms)) return [];
      const event = afterEvent(key, node.id);
      const transitions = ctx.graph.transitions.filter((t) => t.source === s.id && t.event === event).map((t) => t.id);
      const variants: [string, number][] = ms === 0 ? [['=1000', 1000]] : [['*10', ms * 10], ['=0', 0]];
      return variants.flatMap(([suffix, value]) => {
        // Another key of the same state already waits that long: renaming onto it would merge two timers.
        if (Object.keys(after!).some((k) => k !== key && +k === value)) return [];
        return [
          stateDraft(ctx, `change-delay ${s.id}:${key}${suffix}`, s, `after ${ms} ms in ${stateText(ctx.graph, s.id)} becomes after ${value} ms`, (config) => ({
            ...config,
            after: Object.fromEntries(Object.entries(config.after as StateConfig).map(([k, v]) => [k === key ? String(value) : k, v])),
          }), { transitions }),
        ];
      });
    });
  });
}

/** A named delay (`setup({ delays })`) ten times longer, and 0; it changes every state that waits on it. */
function namedDelays(ctx: Context): Draft[] {
  const delays = (ctx.machine.implementations.delays ?? {}) as Record<string, unknown>;
  const users = new Map<string, GraphTransition[]>();
  for (const t of ctx.graph.transitions) {
    if (t.kind === 'after' && typeof t.delay === 'string' && delays[t.delay] !== undefined) users.set(t.delay, [...(users.get(t.delay) ?? []), t]);
  }
  return [...users].flatMap(([name, transitions]) => {
    const where = [...new Set(transitions.map((t) => stateText(ctx.graph, t.source)))];
    const original = delays[name];
    // The same two whatever the value: a delay may be computed from the environment, and an id must name the same
    // mutant in the test process (NODE_ENV=test) as in the one that listed it.
    const variants: [string, string, (ms: number) => number][] = [
      ['*10', 'ten times longer (0 becomes 1000 ms)', (ms) => (ms === 0 ? 1000 : ms * 10)],
      ['=0', '0', () => 0],
    ];
    return variants.map(([suffix, what, change]) => ({
      id: `change-delay @${name}${suffix}`,
      description: `the delay ${name} becomes ${what} (in ${where.join(', ')})`,
      location: where[0]!,
      site: { transitions: transitions.map((t) => t.id), ...(suffix === '=0' && original === 0 ? { unchanged: `the delay ${name} is 0 already` } : {}) },
      build: () => {
        const changed =
          typeof original === 'function'
            ? (...args: unknown[]) => {
                const ms = (original as (...a: unknown[]) => unknown)(...args);
                return typeof ms === 'number' ? change(ms) : ms;
              }
            : typeof original === 'number'
              ? change(original)
              : original;
        return rebuild(ctx.machine, ctx.machine.config as StateConfig, { ...ctx.machine.implementations, delays: { ...delays, [name]: changed } } as never);
      },
    }));
  });
}

function replaceAt<T>(list: T[], index: number, value: T): T[] {
  const out = [...list];
  out[index] = value;
  return out;
}

function sameList(a: Slot, b: Slot): boolean {
  return JSON.stringify(a.list) === JSON.stringify(b.list);
}

function shallowEqual(a: TransitionConfig, b: TransitionConfig): boolean {
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((k) => Object.is(a[k], b[k]));
}
