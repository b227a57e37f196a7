import type { AnyMachineSnapshot, AnyStateMachine, EventObject, StateValue } from 'xstate';
import type { EventCatalogue } from '../../machines/catalogue.ts';
import { createStepper } from '../model/stepper.ts';
import type { LifecycleGraph } from '../model/types.ts';

/** How two explored snapshots are told apart. */
export type StateIdentity = 'value' | 'full' | { context: string[] };

export interface ExploreOptions {
  catalogue?: EventCatalogue;
  /** Default: the catalogue's `identity` keys, else `value`. */
  identity?: StateIdentity;
  /** Stop exploring new states past this many; reported as `truncated`. Default 100,000. */
  maxStates?: number;
}

/** A state of the explored state space. */
export interface ExploredNode {
  key: string;
  value: StateValue;
  /** BFS distance from the initial state, in steps. */
  depth: number;
  /** Set when the machine is done (top-level final) or in error: nothing leaves it. */
  status: 'active' | 'done' | 'error';
  /** The live snapshot, kept for stepping further (not serialized into paths); absent for the start node. */
  snapshot?: AnyMachineSnapshot;
}

/** One step of the explored state space: sending `event` in `from` leads to `to`, taking `transitions`. */
export interface ExploredEdge {
  from: number;
  to: number;
  event: EventObject;
  transitions: string[];
}

export interface StateSpace {
  nodes: ExploredNode[];
  edges: ExploredEdge[];
  /** Edges leaving each node, by node index. */
  out: number[][];
  /** True when `maxStates` stopped the exploration. */
  truncated: boolean;
  maxStates: number;
  /** States whose transition threw, with the message. */
  errors: { node: number; message: string }[];
  /**
   * Replays a path of edges on real snapshots from its start edge. Nodes merge states that agree on the chosen
   * identity, so an edge found from one context may not hold in another: the replay follows XState and stops at
   * the first step that takes other transitions than the edge did. Returns the steps that held, with the state
   * values XState actually reached.
   */
  replay(edges: number[]): { edge: number; value: StateValue }[];
}

const DEFAULT_ERROR = { message: 'injected failure' };

/** The event of a start edge: the run begins with this input. */
export const START_EVENT = 'lifecycle.start';

/**
 * Explores the reachable state space breadth-first with XState's pure transition function. The alphabet in each
 * state is what its active states handle (user events with the catalogue's payloads, service outcomes, timers);
 * eventless transitions fire on their own. No service runs.
 */
export function exploreStateSpace(machine: AnyStateMachine, graph: LifecycleGraph, options: ExploreOptions = {}): StateSpace {
  const catalogue = options.catalogue ?? {};
  const maxStates = options.maxStates ?? 100_000;
  const identity = options.identity ?? (catalogue.identity?.length ? { context: catalogue.identity } : 'value');
  const keyOf = stateKey(identity);
  const stepper = createStepper(machine);
  const srcOf = new Map<string, string>();
  for (const s of graph.states) for (const inv of s.invoke) srcOf.set(inv.id, inv.src);

  const nodes: ExploredNode[] = [];
  const edges: ExploredEdge[] = [];
  const out: number[][] = [];
  const index = new Map<string, number>();
  const errors: StateSpace['errors'] = [];
  let truncated = false;

  const addNode = (snapshot: AnyMachineSnapshot, depth: number): number | undefined => {
    const key = keyOf(snapshot);
    const known = index.get(key);
    if (known !== undefined) return known;
    if (nodes.length >= maxStates) {
      truncated = true;
      return undefined;
    }
    const status = snapshot.status === 'done' ? 'done' : snapshot.status === 'error' ? 'error' : 'active';
    nodes.push({ key, value: snapshot.value, depth, status, snapshot });
    out.push([]);
    index.set(key, nodes.length - 1);
    return nodes.length - 1;
  };

  // Node 0 is a start node before the machine exists; an edge from it per catalogue input leads to that input's
  // initial state, so several inputs (e.g. with and without `force`) are explored, and paths say which they use.
  nodes.push({ key: '(start)', value: null as unknown as StateValue, depth: 0, status: 'active' });
  out.push([]);
  for (const input of catalogue.inputs ?? [catalogue.input]) {
    let first: ReturnType<typeof stepper.initial>;
    try {
      first = stepper.initial(input);
    } catch (error) {
      throw new Error(`the machine cannot start: ${error instanceof Error ? error.message.replace(/\s*\n\s*/g, ' ') : String(error)}`);
    }
    const to = addNode(first.snapshot, 1);
    if (first.error) errors.push({ node: to ?? 0, message: first.error });
    if (to === undefined) continue;
    edges.push({ from: 0, to, event: { type: START_EVENT, input } as EventObject, transitions: first.taken });
    out[0].push(edges.length - 1);
  }
  for (let i = 1; i < nodes.length; i++) {
    const node = nodes[i];
    if (node.status !== 'active' || !node.snapshot) continue;
    const snapshot = node.snapshot;
    const here = JSON.stringify(snapshot.value);
    let timerFired = false;
    for (const event of alphabet(timersInOrder(stepper, snapshot), catalogue, srcOf)) {
      const isTimer = event.type.startsWith('xstate.after.');
      if (isTimer && timerFired) continue; // an earlier timer already left this state
      let result: ReturnType<typeof stepper.step>;
      try {
        result = stepper.step(snapshot, event);
      } catch (error) {
        // XState throws when a guard or an action's resolution throws: the transition is not coverable here.
        errors.push({ node: i, message: `${event.type}: ${error instanceof Error ? error.message.replace(/\s*\n\s*/g, ' ') : String(error)}` });
        continue;
      }
      if (result.taken.length === 0) continue; // no transition enabled (a guard said no)
      if (isTimer && JSON.stringify(result.snapshot.value) !== here) timerFired = true;
      const to = addNode(result.snapshot, node.depth + 1);
      if (result.error) errors.push({ node: to ?? i, message: result.error });
      if (to === undefined) continue;
      edges.push({ from: i, to, event, transitions: result.taken });
      out[i].push(edges.length - 1);
    }
  }
  const replay = (path: number[]): { edge: number; value: StateValue }[] => {
    const held: { edge: number; value: StateValue }[] = [];
    let snapshot: AnyMachineSnapshot | undefined;
    for (const e of path) {
      const edge = edges[e];
      let result: ReturnType<typeof stepper.step>;
      try {
        result = snapshot ? stepper.step(snapshot, edge.event) : stepper.initial((edge.event as { input?: unknown }).input);
      } catch {
        break;
      }
      if (result.taken.length !== edge.transitions.length || result.taken.some((t, i) => t !== edge.transitions[i])) break;
      snapshot = result.snapshot;
      held.push({ edge: e, value: snapshot.value });
    }
    return held;
  };
  return { nodes, edges, out, truncated, maxStates, errors, replay };
}

/**
 * The descriptors to try, timers last and earliest first: a later timer cannot fire once an earlier one has left
 * the state (the caller stops there), so paths stay feasible when a test advances a fake clock. When a delay
 * cannot be computed, the timers keep their order and are all tried.
 */
function timersInOrder(stepper: ReturnType<typeof createStepper>, snapshot: AnyMachineSnapshot): string[] {
  const all = stepper.candidates(snapshot);
  const timers = all.filter((d) => d.startsWith('xstate.after.')).map((d) => ({ d, ms: stepper.delayOf(snapshot, d) }));
  const others = all.filter((d) => !d.startsWith('xstate.after.'));
  if (timers.some((t) => t.ms === undefined)) return [...others, ...timers.map((t) => t.d)];
  return [...others, ...timers.sort((a, b) => a.ms! - b.ms!).map((t) => t.d)];
}

/** The events to try in a state, from the descriptors its active states handle. */
function alphabet(descriptors: string[], catalogue: EventCatalogue, srcOf: Map<string, string>): EventObject[] {
  const events: EventObject[] = [];
  const seen = new Set<string>();
  const push = (e: EventObject) => {
    const k = JSON.stringify(e);
    if (!seen.has(k)) {
      seen.add(k);
      events.push(e);
    }
  };
  for (const d of descriptors) {
    if (d === '' || d.startsWith('xstate.done.state.')) continue; // fire on their own
    if (d.startsWith('xstate.after.')) push({ type: d });
    else if (d.startsWith('xstate.done.actor.')) {
      const src = srcOf.get(d.slice('xstate.done.actor.'.length)) ?? '';
      for (const output of catalogue.services?.[src]?.done ?? [undefined]) push({ type: d, output } as EventObject);
    } else if (d.startsWith('xstate.error.actor.')) {
      const src = srcOf.get(d.slice('xstate.error.actor.'.length)) ?? '';
      for (const error of catalogue.services?.[src]?.error ?? [DEFAULT_ERROR]) push({ type: d, error } as EventObject);
    } else if (d.startsWith('xstate.snapshot.')) {
      const src = srcOf.get(d.slice('xstate.snapshot.'.length)) ?? '';
      for (const snapshot of catalogue.services?.[src]?.snapshot ?? [{}]) push({ type: d, snapshot } as EventObject);
    } else {
      const type = d === '*' ? 'lifecycle.any' : d.endsWith('.*') ? `${d.slice(0, -1)}any` : d;
      for (const payload of catalogue.events?.[d] ?? [{}]) push({ ...payload, type });
    }
  }
  return events;
}

function stateKey(identity: StateIdentity): (s: AnyMachineSnapshot) => string {
  if (identity === 'value') return (s) => `${s.status}|${JSON.stringify(s.value)}`;
  if (identity === 'full') return (s) => `${s.status}|${JSON.stringify(s.value)}|${stableJson(s.context)}`;
  const keys = identity.context;
  return (s) => `${s.status}|${JSON.stringify(s.value)}|${stableJson(keys.map((k) => pick(s.context, k.split('.'))))}`;
}

/** A context value by dotted path; through an array, the path applies to each item (`holds.id` → every hold's id). */
function pick(value: unknown, path: string[]): unknown {
  if (path.length === 0 || value === null || value === undefined) return value;
  if (Array.isArray(value)) return value.map((v) => pick(v, path));
  return pick((value as Record<string, unknown>)[path[0]], path.slice(1));
}

/** JSON with sorted object keys, so equal contexts give equal keys. */
function stableJson(value: unknown): string {
  return JSON.stringify(value, (_k, v) =>
    v && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.keys(v).sort().map((k) => [k, (v as Record<string, unknown>)[k]])) : v,
  );
}
