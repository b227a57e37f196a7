import type { StateValue } from 'xstate';
import type { GraphTransition, LifecycleGraph } from '../model/types.ts';
import { activeStateIds } from './coverage.ts';
import { RESUME_EVENT, type StateSpace } from './explore.ts';

/**
 * Which guarded transitions a step saw with their guard false: the guard was evaluated during the step and said
 * no, and the step's end (its state value) is what the machine did instead — another candidate's target, or
 * nothing (the state is unchanged). It follows XState v5's selection, from the state before the step, the
 * event, the transitions taken and the state after; nothing is re-run:
 *
 * - the event: each active state node offers its candidates for the event (exact descriptor first, then
 *   wildcards, longest first; branches in order) and stops at the first enabled one; a node is asked only when
 *   nothing below it was enabled. So a guarded candidate before the one taken in its node was false, and so was
 *   every guarded candidate of an active node below a node whose transition was taken; when the event took
 *   nothing at all, every guarded candidate was false. With parallel regions a region next to the one that took
 *   the event is not judged: its enabled transition may have been dropped as conflicting, which looks the same;
 * - eventless transitions and internal events (`always`, `done.state`, raised): a branch before the one taken,
 *   of the same state and event, was false; and a step that leaves the machine running ends only once no
 *   eventless transition is enabled, so every guarded `always` of the states active at its end was false (unless
 *   the step took a targetless `always`: XState stops checking after one that changed nothing).
 *
 * The outcome is the whole guard expression of the transition: `and([a, b])` false means at least one of them
 * was (not which), `not(g)` false means `g` was true; sub-conditions are not counted one by one. A transition
 * without a guard has no false outcome (it is the fall-through others' false outcomes lead to), and one after an
 * unguarded branch is never evaluated at all.
 */
export interface ObservedStep {
  /** The state value before the step; absent for the start. */
  before?: StateValue;
  /** The event type sent; absent for the start. */
  event?: string;
  /** Graph transition ids taken, in XState's order. */
  taken: readonly string[];
  after: StateValue;
  /** Whether the machine still runs after the step (a done machine checks no eventless transition). */
  running: boolean;
}

/** The graph read once for {@link falseGuards}: candidates per state and event, parents, `always` lists. */
export interface GuardIndex {
  graph: LifecycleGraph;
  byId: Map<string, GraphTransition>;
  /** Guarded transitions, in graph order: the outcomes to observe. */
  guarded: GraphTransition[];
  candidates(source: string, event: string): GraphTransition[];
  /** The active states of a value that have candidates for an event, with them; and all their ids. */
  offered(value: StateValue, event: string): { offers: { id: string; list: GraphTransition[] }[]; ids: Set<string> };
  /** The guarded `always` transitions of the states active in a value: all false once a step rests there. */
  resting(value: StateValue): string[];
  /** Whether `a` is a proper ancestor of `b`. */
  above(a: string, b: string): boolean;
  /** Whether the machine is done (a top-level final state) in this state value. */
  done(value: StateValue): boolean;
  /** The guarded `always` transitions of a state. */
  eventless(source: string): GraphTransition[];
}

export function guardIndex(graph: LifecycleGraph): GuardIndex {
  const byId = new Map(graph.transitions.map((t) => [t.id, t]));
  const parent = new Map(graph.states.map((s) => [s.id, s.parent]));
  const states = new Map(graph.states.map((s) => [s.id, s]));
  const bySource = new Map<string, Map<string, GraphTransition[]>>();
  for (const t of graph.transitions) {
    const events = bySource.get(t.source) ?? new Map<string, GraphTransition[]>();
    bySource.set(t.source, events);
    const key = t.kind === 'always' ? '' : t.event;
    events.set(key, [...(events.get(key) ?? []), t].sort((a, b) => a.branch - b.branch));
  }
  const cache = new Map<string, GraphTransition[]>();
  const candidates = (source: string, event: string): GraphTransition[] => {
    const key = `${source}\n${event}`;
    let list = cache.get(key);
    if (!list) {
      const events = bySource.get(source);
      // Eventless transitions are their own list; no wildcard stands for "no event".
      const wild = event === '' ? [] : [...(events?.keys() ?? [])].filter((d) => d !== '' && d !== event && matchesDescriptor(event, d)).sort((a, b) => b.length - a.length);
      list = [...(events?.get(event) ?? []), ...wild.flatMap((d) => events!.get(d)!)];
      cache.set(key, list);
    }
    return list;
  };
  const above = (a: string, b: string): boolean => {
    for (let p = parent.get(b); p !== undefined; p = parent.get(p)) if (p === a) return true;
    return false;
  };
  // Done: the root's active child is final; for a parallel state, every region's.
  const finished = (id: string, value: StateValue): boolean => {
    const state = states.get(id);
    if (state?.kind === 'parallel' && typeof value === 'object') return Object.entries(value).every(([k, v]) => finished(`${id}.${k}`, v as StateValue));
    return typeof value === 'string' && states.get(`${id}.${value}`)?.kind === 'final';
  };
  const eventless = (source: string) => (bySource.get(source)?.get('') ?? []).filter((t) => t.guard);
  // Explored steps share few state values and events: what each offers is worked out once, found by the value
  // object itself where it can be (explored nodes hand out the same object), else by its JSON.
  const keys = new WeakMap<object, string>();
  const keyOf = (value: StateValue): string => {
    if (typeof value !== 'object' || value === null) return String(value);
    let key = keys.get(value);
    if (key === undefined) keys.set(value, (key = JSON.stringify(value)));
    return key;
  };
  const offeredMemo = new Map<string, Map<string, ReturnType<GuardIndex['offered']>>>();
  const restingMemo = new Map<string, string[]>();
  return {
    graph,
    byId,
    guarded: graph.transitions.filter((t) => t.guard),
    candidates,
    offered(value, event) {
      const key = keyOf(value);
      let byEvent = offeredMemo.get(key);
      if (!byEvent) offeredMemo.set(key, (byEvent = new Map()));
      let o = byEvent.get(event);
      if (!o) {
        const offers = activeStateIds(graph.id, value)
          .map((id) => ({ id, list: candidates(id, event) }))
          .filter((x) => x.list.length > 0);
        byEvent.set(event, (o = { offers, ids: new Set(offers.flatMap((x) => x.list.map((t) => t.id))) }));
      }
      return o;
    },
    resting(value) {
      const key = keyOf(value);
      let ids = restingMemo.get(key);
      if (!ids) restingMemo.set(key, (ids = activeStateIds(graph.id, value).flatMap((id) => eventless(id).map((t) => t.id))));
      return ids;
    },
    above,
    done: (value) => finished(graph.root, value),
    eventless,
  };
}

/** The guarded transitions a step saw false (see {@link ObservedStep}), without duplicates. */
export function falseGuards(index: GuardIndex, step: ObservedStep): string[] {
  const { byId } = index;
  const out = new Set<string>();
  let firstMicrostep = 0;
  if (step.event !== undefined && step.before !== undefined) {
    const { offers, ids } = index.offered(step.before, step.event);
    // The event's own microstep comes first in `taken`; what follows is eventless or raised.
    while (firstMicrostep < step.taken.length && ids.has(step.taken[firstMicrostep])) firstMicrostep++;
    const selected = step.taken.slice(0, firstMicrostep).map((id) => byId.get(id)!);
    for (const { id, list } of offers) {
      if (selected.some((t) => index.above(id, t.source))) continue; // enabled below: never asked
      const chosen = selected.find((t) => t.source === id);
      if (chosen) {
        for (const t of list) {
          if (t === chosen) break;
          if (t.guard) out.add(t.id);
        }
      } else if (selected.length === 0 || selected.some((t) => index.above(t.source, id))) {
        for (const t of list) if (t.guard) out.add(t.id);
      }
    }
  }
  for (const id of step.taken.slice(firstMicrostep)) {
    const taken = byId.get(id);
    if (!taken) continue;
    for (const t of index.candidates(taken.source, taken.kind === 'always' ? '' : taken.event)) {
      if (t.branch >= taken.branch || t.event !== taken.event) continue;
      if (t.guard) out.add(t.id);
    }
  }
  // XState stops checking eventless transitions after one that leaves the snapshot as it was (a targetless
  // `always` whose actions change nothing): then the last check found that one enabled, not all false.
  const settled = step.running && !step.taken.some((id) => byId.get(id)?.kind === 'always' && byId.get(id)!.targets.length === 0);
  if (settled) for (const id of index.resting(step.after)) out.add(id);
  return [...out];
}

/** A path as the generator holds it: the start's transitions, then steps with the state each ends in. */
export interface ObservedPath {
  initial: StateValue;
  initialTransitions: readonly string[];
  steps: readonly { event: { type: string }; state: StateValue; transitions: readonly string[] }[];
}

/** What each step of a path saw false: index 0 is the start, index k the k-th step. */
export function pathFalseGuards(index: GuardIndex, path: ObservedPath): string[][] {
  const out = [falseGuards(index, { taken: path.initialTransitions, after: path.initial, running: !index.done(path.initial) })];
  let before = path.initial;
  for (const s of path.steps) {
    out.push(falseGuards(index, { before, event: s.event.type, taken: s.transitions, after: s.state, running: !index.done(s.state) }));
    before = s.state;
  }
  return out;
}

/** XState's event descriptor match: exact, `*`, or `a.*` (matching `a` and `a.b…`). */
function matchesDescriptor(event: string, descriptor: string): boolean {
  if (descriptor === event || descriptor === '*') return true;
  if (!descriptor.endsWith('.*')) return false;
  const want = descriptor.slice(0, -2).split('.');
  const got = event.split('.');
  return want.every((token, i) => token === got[i]);
}

/** What an explored edge (or stay) sees false; a start edge sees what the start does (its eventless transitions). */
export function edgeFalseGuards(index: GuardIndex, space: StateSpace, e: number): string[] {
  const edge = space.edges[e];
  if (edge.event.type === RESUME_EVENT) return [];
  const to = space.nodes[edge.to];
  const running = to.status === 'active';
  if (edge.from === 0) return falseGuards(index, { taken: edge.transitions, after: to.value, running });
  return falseGuards(index, { before: space.nodes[edge.from].value, event: edge.event.type, taken: edge.transitions, after: to.value, running });
}

/**
 * The explored steps (edges and stays) that saw each guarded transition false: the first `keep` of them, which
 * are the shallowest (edges are made breadth-first).
 */
export function observedFalse(index: GuardIndex, space: StateSpace, keep = 1): Map<string, number[]> {
  const seen = new Map<string, number[]>();
  for (let e = 0; e < space.edges.length; e++) {
    for (const id of edgeFalseGuards(index, space, e)) {
      const list = seen.get(id);
      if (!list) seen.set(id, [e]);
      else if (list.length < keep) list.push(e);
    }
  }
  return seen;
}
