import { type AnyMachineSnapshot, type AnyStateMachine, type AnyStateNode, createActor, createMachine, type EventObject, getNextTransitions } from 'xstate';
import { actorStandIn } from './actor-stand-in.ts';
import { asideFromSeed } from './seeded-random.ts';
import { asDelivered } from './delivered.ts';
import { serviceIdFor } from './query.ts';
import { withQuickAssert } from './quick-assert.ts';

/**
 * Steps a machine with XState's own (pure) transition logic and tells which transition definitions each step
 * took, as graph-model transition ids. No service runs and no action executes: invoked actors are created but
 * never started, and the action executor is a no-op. `assign` still computes context, as XState resolves it.
 */
export interface Stepper {
  /** The initial snapshot (after eventless transitions) and the transitions taken to get there. */
  initial(input?: unknown, guards?: GuardChoices): StepResult;
  /** The next snapshot for `event` and the transitions taken; `at` is the time the step runs at (default the fixed time). */
  step(snapshot: AnyMachineSnapshot, event: EventObject, guards?: GuardChoices, at?: number): StepResult;
  /** Event descriptors the snapshot's active states handle (`GO`, `xstate.after.…`, `xstate.done.actor.…`, `*`). */
  candidates(snapshot: AnyMachineSnapshot): string[];
  /**
   * Whether `event` can happen in `snapshot`. Only the done or error event of a spawned child can fail to: a child
   * finishes once, so it needs a child its id (or wildcard, `Worker.*`) matches that has not finished on the way here.
   * An invoked service's events are always deliverable (re-entering its state starts it anew).
   */
  deliverable(snapshot: AnyMachineSnapshot, event: EventObject): boolean;
  /** The delay in ms of an `xstate.after.…` event in this snapshot (named delays resolved with its context, the clock at `at`). */
  delayOf(snapshot: AnyMachineSnapshot, afterEvent: string, at?: number): number | undefined;
  /**
   * Top-level context keys that guards read (what can make a guard's outcome differ): those read in the steps so
   * far, and, with `probe`, those every guard of the machine reads when called once on the probe's context (a
   * guard after one that always wins is never evaluated by a step).
   */
  guardReads(probe?: AnyMachineSnapshot): string[];
}

/** Outcomes chosen for named guards whose implementation throws (placeholders left to `provide`). */
export type GuardChoices = Record<string, boolean>;

/**
 * Thrown by a step when a named guard's implementation throws and no outcome was chosen for it: the caller may
 * choose (`true` and `false`) and step again. Machines often declare guards as placeholders
 * (`isReady: () => { throw new Error('not implemented') }`) and provide them where they are used.
 */
export class GuardThrew extends Error {
  constructor(
    readonly guard: string,
    readonly cause: unknown,
  ) {
    super(`guard ${guard} threw: ${cause instanceof Error ? cause.message : String(cause)}`);
  }
}

export interface StepResult {
  snapshot: AnyMachineSnapshot;
  /** Graph transition ids, in the order XState took them (eventless and raised ones included). */
  taken: string[];
  /** Set when the machine threw (a guard or assign that failed): the snapshot is in error. */
  error?: string;
  /** For `initial`'s error: whether the context factory threw, or (it ran) an entry action of the initial states. */
  errorAt?: 'context factory' | 'entry actions';
}

/**
 * Creates a stepper for `machine`. Transition ids follow `extractGraph`'s scheme, so they match the graph's.
 *
 * @example
 * const stepper = createStepper(machine);
 * const { snapshot } = stepper.initial(input);
 * stepper.step(snapshot, { type: 'GO' }).taken; // ['m.idle:GO:0']
 */
export function createStepper(original: AnyStateMachine, options: { onAction?: (action: { type: string; params?: unknown }) => void } = {}): Stepper {
  let choices: GuardChoices = {};
  const reads = new Set<string>();
  const machine = withGuardChoices(original, () => choices, reads, { explorePlaceholders: true });
  // Snapshots of the original machine (a live actor's, in the inspector) step with the original's state nodes, so
  // both machines' transition objects map to the same ids.
  const ids = machine === original ? transitionIds(original) : new Map([...transitionIds(original), ...transitionIds(machine)]);
  // A machine used as it is has no inline guards to wrap (see withGuardChoices).
  if (machine !== original) recordInlineGuardReads(machine, reads);
  let sink: string[] = [];
  const capture = (event: { type: string; _transitions?: unknown[] }) => {
    if (event.type === '@xstate.microstep' && event._transitions) {
      for (const t of event._transitions) {
        const id = ids.get(t as object);
        if (id) sink.push(id);
      }
    }
  };
  const makeScope = (input: unknown, logic: AnyStateMachine = machine) => {
    // Creating the actor already runs the machine's initial code (its context factory, entry actions, spawns).
    const self = atFixedTime(() => asideFromSeed(() => createActor(logic, { input, inspect: capture })));
    // A machine that sends to its parent (`sendParent`) is one a parent invokes or spawns: XState refuses to resolve
    // the send without one, so exploring it would stop there. A stand-in parent receives nothing (no action runs).
    const actor = self as unknown as { _parent?: unknown };
    if (!actor._parent) actor._parent = PARENT_STAND_IN;
    return { self, defer: () => {}, id: '', logger: () => {}, sessionId: '', stopChild: () => {}, system: self.system, emit: () => {}, actionExecutor: (action: { type: string; params?: unknown }) => options.onAction?.(action) };
  };
  let scope: ReturnType<typeof makeScope> | undefined;
  // XState's system refuses a second actor with the same systemId, and every explored step re-creates invoked
  // actors: machines that give invokes a systemId get a fresh scope per step (slower, but correct).
  // A spawn with a systemId inside an action (`spawn(logic, { systemId })` in an assign) is found only when a step
  // meets the refusal; from then on every step gets a fresh scope too.
  let freshScopePerStep = hasSystemIds(machine.root as AnyStateNode);
  const invokeIds = new Set<string>();
  const collectInvokes = (node: AnyStateNode) => {
    for (const inv of node.invoke) invokeIds.add(inv.id);
    for (const child of Object.values(node.states ?? {})) collectInvokes(child as AnyStateNode);
  };
  collectInvokes(machine.root as AnyStateNode);

  const run = (fn: () => AnyMachineSnapshot, at?: number): StepResult => {
    sink = [];
    const snapshot = atFixedTime(fn, at);
    const taken = sink;
    sink = [];
    const error = snapshot.status === 'error' ? oneLine(snapshot.error) : undefined;
    return error ? { snapshot, taken, error } : { snapshot, taken };
  };

  const withChoices = <T>(guards: GuardChoices | undefined, fn: () => T): T => {
    choices = guards ?? {};
    try {
      return fn();
    } finally {
      choices = {};
    }
  };

  return {
    initial(input, guards) {
      scope = makeScope(input);
      sink = [];
      const s = scope;
      const first = withChoices(guards, () => run(() => machine.getInitialSnapshot(s as never, input) as AnyMachineSnapshot));
      if (first.error && !ALREADY_EXISTS.test(first.error)) return { ...first, errorAt: contextFactoryThrows(input, s.self) ? 'context factory' : 'entry actions' };
      if (!first.error) return first;
      // Creating the scope's actor already started the machine once in its system, spawning its children: one with
      // a systemId (`spawnChild(poller, { systemId: 'polling' })`) refuses a second start there. The initial state
      // is then computed in the system of a scope made from a machine that starts nothing.
      scope = makeScope(undefined, createMachine({ id: machine.id }));
      sink = [];
      const bare = scope;
      return withChoices(guards, () => run(() => machine.getInitialSnapshot(bare as never, input) as AnyMachineSnapshot));
    },
    step(snapshot, event, guards, at) {
      const child = spawnedChildOf(snapshot, event);
      if (child === null) return { snapshot, taken: [] };
      // A service's error as the running machine gets it: an Error (guards may test `instanceof Error`).
      const result = stepOnce(snapshot, asDelivered(event), guards, at);
      const invoked = finishingInvoke(snapshot, event);
      const done = finishedInvokes.get(snapshot);
      // XState hands back the snapshot it was given when nothing is enabled: that one must not be marked, other
      // events are still tried from it.
      if ((invoked || done) && result.snapshot !== snapshot) finishedInvokes.set(result.snapshot, invoked ? new Set([...(done ?? []), invoked]) : done!);
      // The children a path finished stay in `children` (XState keeps a done child until it is stopped).
      const before = finishedChildren.get(snapshot);
      if ((child !== undefined || before) && result.snapshot !== snapshot) finishedChildren.set(result.snapshot, child === undefined ? before! : new Set([...(before ?? []), child]));
      return result;
    },
    deliverable(snapshot, event) {
      return spawnedChildOf(snapshot, event) !== null;
    },
    candidates(snapshot) {
      return [...new Set(getNextTransitions(snapshot).map((t) => t.eventType as string))];
    },
    delayOf(snapshot, afterEvent, at) {
      // A named delay that reads the clock (`expiresAt - Date.now()`) reads the time its timer was armed at.
      return atFixedTime(() => resolveDelay(machine, snapshot, afterEvent), at);
    },
    guardReads(probe) {
      if (probe) probeGuards(machine, probe, reads);
      return [...reads].sort();
    },
  };

  /** Whether the machine's context factory alone throws with `input` (a static context never does). */
  function contextFactoryThrows(input: unknown, self: unknown): boolean {
    const factory = (machine.config as { context?: unknown }).context;
    if (typeof factory !== 'function') return false;
    try {
      atFixedTime(() => factory({ input, self, spawn: () => actorStandIn() }));
      return false;
    } catch {
      return true;
    }
  }

  function stepOnce(snapshot: AnyMachineSnapshot, event: EventObject, guards: GuardChoices | undefined, at: number | undefined): StepResult {
      const s = freshScopePerStep || !scope ? (scope = makeScope(undefined)) : scope;
      // A live actor's snapshot, while it takes an event, is the one it is in: actions that read
      // `self.getSnapshot()` (or `self._snapshot`) see the state being stepped, not the scope's first one.
      (s.self as unknown as { _snapshot: unknown })._snapshot = snapshot;
      try {
        const result = withChoices(guards, () => run(() => machine.transition(snapshot as never, event as never, s as never) as AnyMachineSnapshot, at));
        if (freshScopePerStep || !result.error || !ALREADY_EXISTS.test(result.error)) return result;
      } catch (error) {
        if (freshScopePerStep || !ALREADY_EXISTS.test(String((error as Error)?.message))) throw error;
      }
      freshScopePerStep = true;
      return stepOnce(snapshot, event, guards, at);
  }

  /**
   * For a spawned child's done or error event: the id of the child it finishes, or null when no unfinished child
   * matches (the event cannot happen). Undefined for every other event.
   */
  function spawnedChildOf(snapshot: AnyMachineSnapshot, event: EventObject): string | null | undefined {
    const m = /^xstate\.(?:done|error)\.actor\.(.+)$/.exec(event.type);
    if (!m) return undefined;
    // An invoked service finishes once per time its state is entered: it cannot fail after it has succeeded.
    if (invokeIds.has(m[1]!)) return finishedInvokes.get(snapshot)?.has((snapshot.children as Record<string, object>)?.[m[1]!] ?? {}) ? null : undefined;
    const finished = finishedChildren.get(snapshot);
    const ids = Object.keys(snapshot.children ?? {}).filter((id) => !finished?.has(id));
    return serviceIdFor(m[1]!, ids) ?? null;
  }
}

/** XState's refusal of a second actor with one systemId in a system. */
const ALREADY_EXISTS = /Actor with system ID '.*' already exists/;

/** Per explored snapshot, the invoked children (refs: a state entered again invokes anew) the path to it finished. */
const finishedInvokes = new WeakMap<AnyMachineSnapshot, ReadonlySet<object>>();

/** The invoked child a done or error event finishes in `snapshot`, if it is one. */
function finishingInvoke(snapshot: AnyMachineSnapshot, event: EventObject): object | undefined {
  const m = /^xstate\.(?:done|error)\.actor\.(.+)$/.exec(event.type);
  const ref = m ? (snapshot.children as Record<string, unknown> | undefined)?.[m[1]!] : undefined;
  return ref && typeof ref === 'object' ? ref : undefined;
}

/** Per explored snapshot, the spawned children the path to it finished. */
const finishedChildren = new WeakMap<AnyMachineSnapshot, ReadonlySet<string>>();

/** The parent a stepped machine sends to: an actor ref that takes events and drops them. */
const PARENT_STAND_IN = { id: '(parent)', sessionId: '(parent)', send: () => {}, getSnapshot: () => undefined, subscribe: () => ({ unsubscribe: () => {} }) };

/**
 * The machine with every named guard wrapped: a chosen outcome wins; otherwise the implementation runs, and if it
 * throws, `GuardThrew` names the guard; with `explorePlaceholders`, so does one that returns a constant (see
 * `constantPlaceholder`). Guard objects of `and`/`or`/`not`/`stateIn` refer to named guards by name, so wrapping the
 * named ones reaches inside them too.
 */
export function withGuardChoices(machine: AnyStateMachine, current: () => GuardChoices, reads?: Set<string>, options: { explorePlaceholders?: boolean } = {}): AnyStateMachine {
  const guards = (machine.implementations.guards ?? {}) as Record<string, unknown>;
  const wrapped: Record<string, unknown> = {};
  for (const [name, impl] of Object.entries(guards)) {
    if (typeof impl !== 'function' || 'check' in impl) continue;
    // Exploration takes both outcomes of a constant placeholder; a test runs the constant where its step chose none.
    const placeholder = options.explorePlaceholders ? constantPlaceholder(impl) : undefined;
    wrapped[name] = (args: { context?: unknown }, params: unknown) => {
      const chosen = current()[name];
      if (chosen !== undefined) return chosen;
      if (placeholder) throw new GuardThrew(name, new Error(placeholder));
      try {
        return (impl as (a: unknown, p: unknown) => boolean)(reads ? recording(args, reads) : args, params);
      } catch (error) {
        // A guard that trips over a missing field (a TypeError: the event lacks the payload it reads) is the
        // machine's own behaviour, as a real run meets it: the step fails. Only an explicit throw is a placeholder
        // left to `provide`, whose outcome may be chosen.
        if (error instanceof TypeError || error instanceof ReferenceError || error instanceof RangeError) throw error;
        throw new GuardThrew(name, error);
      }
    };
  }
  // provide() makes state nodes of our own, so the inline guards can be wrapped below without touching the user's;
  // a machine without guards is used as it is (copying a large machine costs as much as exploring it).
  if (Object.keys(wrapped).length === 0 && !hasInlineGuards(machine.root as AnyStateNode)) return machine;
  return machine.provide({ guards: wrapped } as never);
}

/**
 * Why a named guard is a placeholder although it does not throw: it takes nothing and returns a constant
 * (`isSessionExpired: () => false`), the way apps declare a guard in `setup` that they `provide` where the machine
 * runs. Like a throwing placeholder, both of its outcomes are explored (and a generated test provides the one a
 * step needs); a guard that reads anything is the machine's own.
 */
function constantPlaceholder(impl: Function): string | undefined {
  if (impl.length !== 0) return undefined;
  const m = /^(?:function\s*)?[\w$]*\s*\(\s*\)\s*(?:=>\s*)?(?:\{\s*return\s+(true|false)\s*;?\s*\}|(true|false))$/.exec(Function.prototype.toString.call(impl).trim());
  return m ? `a placeholder that always returns ${m[1] ?? m[2]} (provided where the machine runs)` : undefined;
}

function hasInlineGuards(node: AnyStateNode): boolean {
  for (const list of node.transitions.values()) if (list.some((t) => typeof (t as { guard?: unknown }).guard === 'function')) return true;
  if ((node.always ?? []).some((t) => typeof (t as { guard?: unknown }).guard === 'function')) return true;
  return Object.values(node.states as Record<string, AnyStateNode>).some(hasInlineGuards);
}

/** Wraps the inline guard functions of the (private) machine's transitions so that their context reads are seen. */
function recordInlineGuardReads(machine: AnyStateMachine, reads: Set<string>): void {
  const wrap = (t: { guard?: unknown }) => {
    const g = t.guard;
    if (typeof g !== 'function' || 'check' in g) return;
    t.guard = (args: { context?: unknown }, params: unknown) => (g as (a: unknown, p: unknown) => boolean)(recording(args, reads), params);
  };
  const walk = (node: AnyStateNode) => {
    for (const list of node.transitions.values()) for (const t of list) wrap(t as { guard?: unknown });
    for (const t of node.always ?? []) wrap(t as { guard?: unknown });
    for (const child of Object.values(node.states as Record<string, AnyStateNode>)) walk(child);
  };
  walk(machine.root as AnyStateNode);
}

/**
 * Calls every guard of the machine once on the probe's context, with a recording context, to learn what it reads.
 * Guards are pure by XState's contract; what they return or throw is ignored.
 */
function probeGuards(machine: AnyStateMachine, probe: AnyMachineSnapshot, reads: Set<string>): void {
  const impls = (machine.implementations.guards ?? {}) as Record<string, unknown>;
  const call = (guard: unknown, event: EventObject, depth: number): void => {
    if (depth > 6 || guard === undefined) return;
    if (typeof guard === 'string') return call(impls[guard], event, depth + 1);
    if (typeof guard === 'function' && 'guards' in guard) {
      for (const g of (guard as { guards: unknown[] }).guards ?? []) call(g, event, depth + 1);
      return;
    }
    if (typeof guard === 'object' && guard !== null && 'type' in guard) {
      const g = guard as { type: string; params?: unknown };
      const impl = impls[g.type];
      if (typeof impl === 'function' && !('check' in impl)) {
        try {
          (impl as (a: unknown, p: unknown) => unknown)(recording({ context: probe.context, event } as never, reads), typeof g.params === 'function' ? undefined : g.params);
        } catch {
          // a guard that needs a real event or context: what it read before throwing is recorded
        }
      } else call(impl, event, depth + 1);
      return;
    }
    if (typeof guard === 'function' && !('check' in guard)) {
      try {
        (guard as (a: unknown, p: unknown) => unknown)(recording({ context: probe.context, event } as never, reads), undefined);
      } catch {
        // as above
      }
    }
  };
  const walk = (node: AnyStateNode) => {
    for (const [type, list] of node.transitions) for (const t of list) call((t as { guard?: unknown }).guard, { type }, 0);
    for (const t of node.always ?? []) call((t as { guard?: unknown }).guard, { type: '' }, 0);
    for (const child of Object.values(node.states as Record<string, AnyStateNode>)) walk(child);
  };
  walk(machine.root as AnyStateNode);
}

/** Guard arguments whose context records the top-level keys read. */
function recording(args: { context?: unknown }, reads: Set<string>): unknown {
  const context = args?.context;
  if (!context || typeof context !== 'object') return args;
  const proxy = new Proxy(context as object, {
    get(target, key, receiver) {
      if (typeof key === 'string') reads.add(key);
      return Reflect.get(target, key, receiver);
    },
  });
  return { ...args, context: proxy };
}

/** The time every explored step runs at: an assign that stamps `Date.now()` gives the same context every time. */
export const EXPLORATION_TIME = Date.UTC(2026, 0, 1);

/**
 * Runs `fn` with the clock stopped at {@link EXPLORATION_TIME}, so that two steps to the same state give equal
 * contexts (a timestamp in context would make every explored state new). Steps are synchronous, so the real
 * clock is back before anything else runs. `assert.ok` is made cheap meanwhile (see `withQuickAssert`).
 */
export function atFixedTime<T>(fn: () => T, at: number = EXPLORATION_TIME): T {
  // Nested calls restore what the outer one set (`real` is then FixedDate already).
  const real = globalThis.Date;
  const before = fixedAt;
  fixedAt = at;
  globalThis.Date = FixedDate;
  try {
    return withQuickAssert(fn);
  } finally {
    globalThis.Date = real;
    fixedAt = before;
  }
}

/**
 * Awaits `fn` (a module's import) with `Date` showing {@link EXPLORATION_TIME}: a machine module that reads the
 * clock when it loads (`const TODAY = new Date()`) gives the model and its generated tests the same machine, on
 * any day. Only for loads the model explores: nothing else should run meanwhile (the clock is the process's).
 */
export async function loadingAtModelTime<T>(fn: () => Promise<T>): Promise<T> {
  const real = globalThis.Date;
  const before = fixedAt;
  fixedAt = EXPLORATION_TIME;
  globalThis.Date = FixedDate;
  try {
    return await fn();
  } finally {
    globalThis.Date = real;
    fixedAt = before;
  }
}

/** The time the stopped clock shows (EXPLORATION_TIME, or later for a step that waited out a delay). */
let fixedAt = EXPLORATION_TIME;

const RealDate = globalThis.Date;

/** The real time, also while the clock is stopped for exploration (deadlines and timings need it). */
export function realNow(): number {
  return RealDate.now();
}
const FixedDate = class extends RealDate {
  constructor(...args: unknown[]) {
    if (args.length === 0) super(fixedAt);
    else super(...(args as [string]));
  }
  static override now(): number {
    return fixedAt;
  }
} as DateConstructor;

/** Resolves an `after` delay the way XState does: a number, or a named delay (number or function of context). */
export function resolveDelay(machine: AnyStateMachine, snapshot: AnyMachineSnapshot, afterEvent: string): number | undefined {
  const nodes = (snapshot as unknown as { _nodes: AnyStateNode[] })._nodes ?? [];
  for (const node of nodes) {
    const def = node.after.find((a) => a.eventType === afterEvent);
    if (!def) continue;
    if (typeof def.delay === 'number') return def.delay;
    const impl = (machine.implementations.delays as Record<string, unknown>)[def.delay as string];
    if (typeof impl === 'number') return impl;
    if (typeof impl === 'function') {
      try {
        const value = impl({ context: snapshot.context, event: { type: afterEvent } }, undefined);
        return typeof value === 'number' ? value : undefined;
      } catch {
        return undefined;
      }
    }
  }
  return undefined;
}

function hasSystemIds(node: AnyStateNode): boolean {
  return node.invoke.some((i) => i.systemId) || Object.values(node.states as Record<string, AnyStateNode>).some(hasSystemIds);
}

/**
 * Maps XState's transition definition objects to graph transition ids (same scheme as `extractGraph`). Build it
 * from the machine that runs (after `provide`, which creates new state nodes).
 */
export function transitionIds(machine: AnyStateMachine): Map<object, string> {
  const ids = new Map<object, string>();
  const walk = (node: AnyStateNode, id: string) => {
    for (const [event, list] of node.transitions) list.forEach((t, i) => ids.set(t, `${id}:${event}:${i}`));
    (node.always ?? []).forEach((t, i) => ids.set(t, `${id}:always:${i}`));
    for (const [key, child] of Object.entries(node.states as Record<string, AnyStateNode>)) walk(child, `${id}.${key}`);
  };
  walk(machine.root as AnyStateNode, machine.id);
  return ids;
}

function oneLine(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).replace(/\s*\n\s*/g, ' ');
}
