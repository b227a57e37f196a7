import type { AnyMachineSnapshot, AnyStateMachine, EventObject, StateValue } from 'xstate';
import type { EventCatalogue } from '../../machines/catalogue.ts';
import { createStepper, type GuardChoices, GuardThrew, realNow, type Stepper, type StepResult } from '../model/stepper.ts';
import type { LifecycleGraph } from '../model/types.ts';
import { serviceIds } from '../model/query.ts';
import { probePayload, probeValue } from './probe.ts';

/** How two explored snapshots are told apart. */
export type StateIdentity = 'value' | 'full' | { context: string[] };

export interface ExploreOptions {
  catalogue?: EventCatalogue;
  /** Default: the catalogue's `identity` keys, else `value`. */
  identity?: StateIdentity;
  /** Stop exploring new states past this many; reported as `truncated`. Default 100,000. */
  maxStates?: number;
  /** Stop exploring at this time (ms since the epoch); reported as `truncated` with `cut: 'time'`. */
  deadline?: number;
  /** Stop as soon as every one of these transition ids has been taken (the guard search's targets). */
  until?: ReadonlySet<string>;
  /** Explore further only from states for which this says yes (the guard search prunes hopeless ones). */
  expand?: (value: StateValue) => boolean;
  /**
   * Explore from this snapshot instead of the machine's start: node 1 is it, reached from the start node by a
   * `lifecycle.resume` edge (the guard search starts from states the first exploration reached).
   */
  start?: AnyMachineSnapshot;
}

/** Something that threw while exploring: the state, the event, and the message. */
export interface ExploreError {
  node: number;
  /** The event sent (`PLAY`, `xstate.done.actor.0.m.check`), or `lifecycle.start` for the context factory. */
  event: string;
  message: string;
  /** Set when the step was taken but left the machine in error (an action threw while it ran). */
  errored?: boolean;
  /** At the start: what threw, the context factory or an entry action of the initial states. */
  at?: 'context factory' | 'entry actions';
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
  /** Outcomes chosen for guards whose implementation threw (see `GuardThrew`); a test provides the same. */
  guards?: GuardChoices;
}

export interface StateSpace {
  nodes: ExploredNode[];
  edges: ExploredEdge[];
  /** Edges leaving each node, by node index (the state-changing ones: not `stays`). */
  out: number[][];
  /**
   * Edges of steps that took no transition (every candidate's guard was false): `to` is `from`, `transitions` is
   * empty. They are in `edges` so that a path can end with one (a guard-false outcome), but in no `out` list: a
   * walk never needs them to get anywhere.
   */
  stays: number[];
  /** True when `maxStates` or the deadline stopped the exploration. */
  truncated: boolean;
  /** What stopped it: the state bound or the time bound. */
  cut?: 'states' | 'time';
  maxStates: number;
  /** Steps that threw (a guard, an action or the context factory), with the message. */
  errors: ExploreError[];
  /** Named guards whose implementation threw, explored with both outcomes. */
  chosenGuards: string[];
  /** Top-level context keys the guards read while exploring. */
  guardReads: string[];
  /**
   * Replays a path of edges on real snapshots from its start edge. Nodes merge states that agree on the chosen
   * identity, so an edge found from one context may not hold in another: the replay follows XState and stops at
   * the first step that takes other transitions than the edge did. Returns the steps that held, with the state
   * values XState actually reached.
   */
  replay(edges: number[], from?: AnyMachineSnapshot): { edge: number; value: StateValue }[];
  /** The snapshot at the end of a path of edges, when every step holds. */
  replayTo(edges: number[]): AnyMachineSnapshot | undefined;
}

const DEFAULT_ERROR = { message: 'injected failure' };

/** The event of a start edge: the run begins with this input. */
export const START_EVENT = 'lifecycle.start';
/** The event of the edge to a given start snapshot (see `ExploreOptions.start`). */
export const RESUME_EVENT = 'lifecycle.resume';

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
  const stepper = stepperOf(machine);
  const srcOf = serviceIds(graph);

  const nodes: ExploredNode[] = [];
  const edges: ExploredEdge[] = [];
  const out: number[][] = [];
  const index = new Map<string, number>();
  // Per edge: whether the step gave a snapshot interchangeable with its target node's (always so for the edge that
  // made the node). A replay standing on an edge's source snapshot then reuses the target's instead of stepping again.
  const exact: boolean[] = [];
  const edgeTo = (to: number, reached: AnyMachineSnapshot) => {
    const held = nodes[to].snapshot!;
    exact.push(held === reached || interchangeable(held, reached));
  };
  const errors: StateSpace['errors'] = [];
  const stays: number[] = [];
  let truncated = false;
  let cut: StateSpace['cut'];
  const deadline = options.deadline ?? Number.POSITIVE_INFINITY;
  const until = options.until;
  const takenTargets = new Set<string>();
  const chosenGuards = new Set<string>();
  const note = (taken: string[]) => {
    if (until) for (const t of taken) if (until.has(t)) takenTargets.add(t);
  };

  // Shared by every exploration of the machine (the guard search explores again and again from reached states).
  let probed = probedPayloads.get(stepper);
  if (!probed) probedPayloads.set(stepper, (probed = new Map()));
  const learntFor = probed;
  const unsampledTypes = new Map<string, boolean>(); // see unsampled()
  const addNode = (snapshot: AnyMachineSnapshot, depth: number): number | undefined => {
    const key = keyOf(snapshot);
    const known = index.get(key);
    if (known !== undefined) return known;
    if (nodes.length >= maxStates) {
      truncated = true;
      cut ??= 'states';
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
  // Without a given input, try none, then an empty object: a context factory reading `input.x` needs one. When
  // every given input fails to start the machine, the same fallback is tried before giving up.
  const given = catalogue.inputs ?? (catalogue.input === undefined ? undefined : [catalogue.input]);
  const start = (input: unknown): boolean => {
    let ok = false;
    for (const outcome of choosing((guards) => stepper.initial(input, guards))) {
      if ('message' in outcome) {
        errors.push({ node: 0, event: START_EVENT, message: outcome.message });
        continue;
      }
      const { result: first, guards } = outcome;
      if (first.error) {
        // The context factory (or an entry action) threw with this input: the machine cannot start from it.
        errors.push({ node: 0, event: START_EVENT, message: first.error, errored: true, ...(first.errorAt ? { at: first.errorAt } : {}) });
        continue;
      }
      if (guards) for (const g of Object.keys(guards)) chosenGuards.add(g);
      const to = addNode(first.snapshot, 1);
      if (to === undefined) continue;
      note(first.taken);
      edges.push({ from: 0, to, event: { type: START_EVENT, input } as EventObject, transitions: first.taken, ...(guards ? { guards } : {}) });
      edgeTo(to, first.snapshot);
      out[0].push(edges.length - 1);
      ok = true;
    }
    return ok;
  };
  if (options.start) {
    const to = addNode(options.start, 1);
    if (to !== undefined) {
      edges.push({ from: 0, to, event: { type: RESUME_EVENT }, transitions: [] });
      exact.push(false);
      out[0].push(edges.length - 1);
    }
  } else {
    let started = 0;
    for (const input of given ?? []) if (start(input)) started++;
    if (started === 0) for (const input of [undefined, {}]) if (start(input)) started++;
    // The context factory read more of the input than any sample has (a machine with no input type, a field typed
    // as a class): learn the fields it reads from one probing start.
    if (started === 0) {
      const learnt = probeValue((input) => stepper.initial(input), given?.[0]);
      if (learnt !== undefined) start(learnt);
    }
  }
  for (let i = 1; i < nodes.length; i++) {
    if (until && takenTargets.size === until.size) break;
    if ((i & 15) === 0 && realNow() > deadline) {
      truncated = true;
      cut ??= 'time';
      break;
    }
    const node = nodes[i];
    if (node.status !== 'active' || !node.snapshot) continue;
    if (options.expand && !options.expand(node.value)) continue;
    const snapshot = node.snapshot;
    const here = JSON.stringify(snapshot.value);
    let timerFired = false;
    const events = alphabet(timersInOrder(stepper, snapshot), catalogue, srcOf);
    // Payloads learnt in other states for events the catalogue says nothing of (see probePayload).
    for (const e of [...events]) {
      const learnt = learntFor.get(eventKey(e));
      if (learnt) events.push(learnt);
    }
    for (let k = 0; k < events.length; k++) {
      const event = events[k];
      const isTimer = event.type.startsWith('xstate.after.');
      if (isTimer && timerFired) continue; // an earlier timer already left this state
      if (!stepper.deliverable(snapshot, event)) continue; // a spawned child that already finished
      const tryProbe = (message: string | undefined) => {
        // A guard or action read a field the sample does not have (an untyped event, a service with no output type,
        // a type that is `unknown` here): learn the fields from one probing step, and send that payload too. An
        // event nothing gives a payload (not in the machine's event types, no catalogue entry) is probed even when
        // its step went through: a field it lacks may just have been copied as undefined (`value: event['value']`).
        const key = eventKey(event);
        if (learntFor.has(key) || learntFor.size >= MAX_PROBES || (message === undefined ? !unsampled(event) : !READ_OF_MISSING.test(message))) return;
        const learnt = probePayload((e) => stepper.step(snapshot, e), event);
        learntFor.set(key, learnt);
        if (learnt && !events.some((e) => eventKey(e) === eventKey(learnt))) events.push(learnt);
      };
      tryProbe(undefined);
      for (const outcome of stepChoosing(stepper, snapshot, event)) {
        if ('message' in outcome) {
          // XState throws when a guard or an action's resolution throws: the transition is not coverable here.
          errors.push({ node: i, event: event.type, message: outcome.message });
          tryProbe(outcome.message);
          continue;
        }
        const { result, guards } = outcome;
        if (result.taken.length === 0) {
          // No transition enabled (a guard said no): kept as a stay, the outcome "nothing happens" (no transition, so
          // no action: the same state). An error event nobody handles puts the machine in error instead: no stay.
          // A replay steps a stay again rather than compare snapshots here, for every stay explored.
          if (!result.error) {
            edges.push({ from: i, to: i, event, transitions: [], ...(guards ? { guards } : {}) });
            exact.push(false);
            stays.push(edges.length - 1);
          }
          continue;
        }
        if (result.error) {
          // The step ran into an action that threw: a real actor would stop in error, so no test can take it.
          errors.push({ node: i, event: event.type, message: result.error, errored: true });
          tryProbe(result.error);
          continue;
        }
        if (guards) for (const g of Object.keys(guards)) chosenGuards.add(g);
        if (isTimer && JSON.stringify(result.snapshot.value) !== here) timerFired = true;
        const to = addNode(result.snapshot, node.depth + 1);
        if (to === undefined) continue;
        note(result.taken);
        edges.push({ from: i, to, event, transitions: result.taken, ...(guards ? { guards } : {}) });
        edgeTo(to, result.snapshot);
        out[i].push(edges.length - 1);
      }
    }
  }
  /** A plain event the catalogue has no payloads for, sent bare (by type: asked for every event of every state). */
  function unsampled(event: EventObject): boolean {
    if (event.type.startsWith('xstate.') || Object.keys(event).length > 1) return false;
    let known = unsampledTypes.get(event.type);
    if (known === undefined) {
      const d = graph.transitions.find((t) => t.event === event.type || (t.kind === 'wildcard' && (t.event === '*' || event.type.startsWith(t.event.slice(0, -1)))))?.event;
      unsampledTypes.set(event.type, (known = d !== undefined && !catalogue.events?.[d]?.length));
    }
    return known;
  }
  const replayFrom = (path: number[], from?: AnyMachineSnapshot): { held: { edge: number; value: StateValue }[]; snapshot?: AnyMachineSnapshot } => {
    const held: { edge: number; value: StateValue }[] = [];
    let snapshot: AnyMachineSnapshot | undefined = from;
    for (const e of path) {
      const edge = edges[e];
      if (edge.event.type === RESUME_EVENT) {
        snapshot = options.start;
        if (!snapshot) break;
        held.push({ edge: e, value: snapshot.value });
        continue;
      }
      // XState's transition is pure: stepping the very snapshot an edge was explored from (or one interchangeable
      // with it), with the edge's event and guard choices, gives what exploration got, so that is reused.
      const at = nodes[edge.from].snapshot;
      if (snapshot !== at && snapshot && at && interchangeable(snapshot, at)) snapshot = at;
      if (snapshot === at && exact[e]) {
        snapshot = nodes[edge.to].snapshot!;
        held.push({ edge: e, value: snapshot.value });
        continue;
      }
      let result: ReturnType<typeof stepper.step>;
      try {
        result = snapshot ? stepper.step(snapshot, edge.event, edge.guards) : stepper.initial((edge.event as { input?: unknown }).input, edge.guards);
      } catch {
        break;
      }
      if (result.taken.length !== edge.transitions.length || result.taken.some((t, i) => t !== edge.transitions[i])) break;
      snapshot = result.snapshot;
      held.push({ edge: e, value: snapshot.value });
    }
    return { held, snapshot };
  };
  const replay = (path: number[], from?: AnyMachineSnapshot) => replayFrom(path, from).held;
  const replayTo = (path: number[]) => {
    const { held, snapshot } = replayFrom(path);
    return held.length === path.length ? snapshot : undefined;
  };
  return { nodes, edges, out, stays, truncated, ...(cut ? { cut } : {}), maxStates, errors, chosenGuards: [...chosenGuards].sort(), guardReads: stepper.guardReads(nodes[1]?.snapshot), replay, replayTo };
}

const MAX_CHOSEN_GUARDS = 3;
/** Payloads learnt by probing, per machine (its stepper), by the event they were learnt for (undefined: nothing to learn). */
const probedPayloads = new WeakMap<Stepper, Map<string, EventObject | undefined>>();
/** Most probing steps for one machine (each sample is probed once, where it first fails). */
const MAX_PROBES = 64;
/** What a step throws when it reads a field of a payload that has none. */
const READ_OF_MISSING = /Cannot read propert(y|ies) of (undefined|null)|undefined is not an object|Cannot convert undefined or null to object|is not iterable|is not a function/;

function eventKey(event: EventObject): string {
  try {
    return JSON.stringify(event) ?? event.type;
  } catch {
    return event.type;
  }
}

/**
 * Whether stepping `a` is stepping `b`: the same machine, status, active state nodes, history and children (the
 * same actor refs), and equal data (context, output, error: plain objects and arrays compared by content, anything
 * else by identity). Any other field must be the same value.
 */
function interchangeable(a: AnyMachineSnapshot, b: AnyMachineSnapshot): boolean {
  const x = a as unknown as Record<string, unknown>;
  const y = b as unknown as Record<string, unknown>;
  const keys = Object.keys(x);
  if (keys.length !== Object.keys(y).length) return false;
  for (const k of keys) {
    const u = x[k];
    const v = y[k];
    if (u === v) continue;
    if (!(k in y)) return false;
    if (k === '_nodes' || k === 'children' || k === 'historyValue') {
      if (!sameMembers(u, v, k === 'historyValue')) return false;
    } else if (k === 'tags') {
      if (!(u instanceof Set && v instanceof Set && u.size === v.size && [...u].every((t) => v.has(t)))) return false;
    } else if (!equalData(u, v, 0)) return false;
  }
  return true;
}

/** Arrays with the same items, or objects with the same keys and values (`deep`: arrays of the same items). */
function sameMembers(u: unknown, v: unknown, deep: boolean): boolean {
  if (!u || !v || typeof u !== 'object' || typeof v !== 'object' || Array.isArray(u) !== Array.isArray(v)) return false;
  const a = u as Record<string, unknown>;
  const b = v as Record<string, unknown>;
  const keys = Object.keys(a);
  if (keys.length !== Object.keys(b).length) return false;
  return keys.every((k) => a[k] === b[k] || (deep && k in b && sameMembers(a[k], b[k], false)));
}

function isPlain(value: object): boolean {
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null || Array.isArray(value);
}

/** Plain objects and arrays by content; anything else by identity (`Object.is`). */
function equalData(u: unknown, v: unknown, depth: number): boolean {
  if (Object.is(u, v)) return true;
  if (!u || !v || typeof u !== 'object' || typeof v !== 'object' || depth > 64) return false;
  if (!isPlain(u) || !isPlain(v) || Array.isArray(u) !== Array.isArray(v)) return false;
  if (Array.isArray(u) && u.length !== (v as unknown[]).length) return false;
  const a = u as Record<string, unknown>;
  const b = v as Record<string, unknown>;
  const keys = Object.keys(a);
  if (keys.length !== Object.keys(b).length) return false;
  for (const k of keys) if (!(k in b) || !equalData(a[k], b[k], depth + 1)) return false;
  return Object.getOwnPropertySymbols(a).length === 0 && Object.getOwnPropertySymbols(b).length === 0;
}

/**
 * One stepper per machine: a snapshot carries the state nodes of the stepper's own copy of the machine, so the guard
 * search, which explores from snapshots the first exploration made, must step them with the same copy.
 */
const steppers = new WeakMap<AnyStateMachine, Stepper>();
function stepperOf(machine: AnyStateMachine): Stepper {
  let stepper = steppers.get(machine);
  if (!stepper) steppers.set(machine, (stepper = createStepper(machine)));
  return stepper;
}

/**
 * Steps, and where a named guard's implementation throws (a placeholder the app provides later), steps again with
 * each outcome chosen for it, up to three such guards in one step. Each outcome says which choices it needed.
 */
function stepChoosing(
  stepper: Stepper,
  snapshot: AnyMachineSnapshot,
  event: EventObject,
): ({ result: StepResult; guards?: GuardChoices } | { message: string })[] {
  return choosing((guards) => stepper.step(snapshot, event, guards));
}

export function choosing(step: (guards?: GuardChoices) => StepResult, guards?: GuardChoices): ({ result: StepResult; guards?: GuardChoices } | { message: string; guards?: GuardChoices })[] {
  try {
    return [{ result: step(guards), ...(guards ? { guards } : {}) }];
  } catch (error) {
    const guard = thrownGuard(error);
    if (guard === undefined || guard in (guards ?? {}) || Object.keys(guards ?? {}).length >= MAX_CHOSEN_GUARDS) return [{ message: oneLine(error), ...(guards ? { guards } : {}) }];
    return [true, false].flatMap((value) => choosing(step, { ...guards, [guard]: value }));
  }
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

/** The events to try in a state, from the descriptors its active states handle (random walks draw from them too). */
export function alphabet(descriptors: string[], catalogue: EventCatalogue, srcOf: Map<string, string>): EventObject[] {
  const events: EventObject[] = [];
  const seen = new Set<string>();
  const push = (e: EventObject) => {
    const k = sampleKey(e);
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
      const wildcard = d === '*' || d.endsWith('.*');
      const type = d === '*' ? 'lifecycle.any' : wildcard ? `${d.slice(0, -1)}any` : d;
      // A wildcard's samples may name the concrete event they stand for (`{ type: 'reconnect.retry' }`).
      const own = (p: Record<string, unknown>) => (wildcard && typeof p.type === 'string' && (d === '*' || p.type.startsWith(d.slice(0, -1))) ? p.type : type);
      for (const payload of catalogue.events?.[d] ?? [{}]) push({ ...payload, type: own(payload) });
    }
  }
  return events;
}

/** Functions in samples (a child machine's `Either`, a dispatching output) by identity: two closures are two samples. */
const functionIds = new WeakMap<object, number>();
let nextFunctionId = 0;

/** A key telling samples apart: JSON, with each function standing for itself. */
function sampleKey(event: EventObject): string {
  return JSON.stringify(event, (_k, v: unknown) => {
    if (v instanceof Error) return errorFields(v);
    if (typeof v !== 'function') return v;
    let id = functionIds.get(v);
    if (id === undefined) functionIds.set(v, (id = nextFunctionId++));
    return `fn#${id}`;
  });
}

/** The guard a step's error came from: a `GuardThrew`, or XState's "Unable to evaluate guard" wrapping of one. */
function thrownGuard(error: unknown): string | undefined {
  if (error instanceof GuardThrew) return error.guard;
  const m = error instanceof Error ? /\bguard (\S+) threw: /.exec(error.message) : null;
  return m?.[1];
}

function oneLine(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).replace(/\s*\n\s*/g, ' ');
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
  return JSON.stringify(value, (_k, v) => {
    const o = v instanceof Error ? errorFields(v) : v;
    return o && typeof o === 'object' && !Array.isArray(o) ? Object.fromEntries(Object.keys(o).sort().map((k) => [k, (o as Record<string, unknown>)[k]])) : o;
  });
}

/** An Error as JSON would not show it (`{}`): its name and message, and its own fields (`kind`, `code`). */
function errorFields(e: Error): Record<string, unknown> {
  return { name: e.name, message: e.message, ...Object.fromEntries(Object.entries(e).filter(([k]) => k !== 'stack')) };
}
