/**
 * What a path should do besides reaching its states, computed from the model when the suite is generated and
 * written into it: the context after every step (as the top-level fields the step changes), the input of every
 * service a step starts, the delay of every `after` step, and the output at a final state. The generated test
 * compares the running machine with these values, so a machine that drops an `assign`, passes a service the wrong
 * input or waits ten times longer fails its suite although it still goes to the same states.
 */
import type { AnyMachineSnapshot, AnyStateMachine, EventObject } from 'xstate';
import { createStepper, EXPLORATION_TIME, type StepResult } from '../model/stepper.ts';
import type { LifecyclePath } from '../paths/types.ts';
import { type Comparable, comparable, contextChange, equal } from './comparable.ts';
import { seedRandom } from '../model/seeded-random.ts';

/** What one step is expected to do, beyond its target state. */
export interface StepExpectation {
  /** Top-level context fields this step sets (to the value given). */
  context?: Record<string, Comparable>;
  /** Top-level context fields this step removes. */
  unset?: string[];
  /** The whole context, where it is not an object. */
  wholeContext?: Comparable | null;
  /** The input of each service the step starts, by its invoke id. */
  inputs?: Record<string, Comparable | null>;
  /** For an `after` step: its delay in ms. */
  delay?: number;
  /** At a final state: the machine's output. */
  output?: Comparable | null;
}

export interface PathExpectation {
  /** The context once the machine has started. */
  context?: Comparable | null;
  /** Services the start invokes, with their inputs. */
  inputs?: Record<string, Comparable | null>;
  output?: Comparable | null;
  steps: StepExpectation[];
}

export interface ExpectationOptions {
  /** Context paths never compared (timestamps, ids made at run time): the catalogue's `unchecked`. */
  unchecked?: readonly string[];
  /**
   * Ids of the machine's invokes (the graph's `invoke[].id`): their inputs are recorded. Actors spawned into context
   * are not services the harness stands in for.
   */
  invokeIds: ReadonlySet<string>;
  /** Ids of the invokes that have an `onSnapshot` (the graph's `snapshot` transitions). */
  snapshotInvokes?: ReadonlySet<string>;
}

/**
 * The expectations of `path`, stepping `machine` with XState's own transition logic at the fixed exploration time
 * (the harness fixes the clock to it too). Undefined when the model cannot follow the path (it errs, or its
 * context cannot be compared): the test then checks states only, as before.
 */
export function expectationsOf(machine: AnyStateMachine, path: LifecyclePath, options: ExpectationOptions): PathExpectation | undefined {
  const restore = seedRandom();
  try {
    return follow(machine, path, options);
  } finally {
    restore();
  }
}

function follow(machine: AnyStateMachine, path: LifecyclePath, options: ExpectationOptions): PathExpectation | undefined {
  // When each `after` timer was armed: its step waits out what is left of it, as the running machine's clock does
  // (a state's 90 s timer still has 60 s to go once its 30 s one has fired).
  let now = EXPLORATION_TIME;
  const armedAt = new Map<string, number>();
  const stepper = createStepper(machine, {
    onAction(action) {
      const params = action.params as { delay?: unknown; event?: { type?: unknown } } | undefined;
      const type = params?.event?.type;
      if (action.type === 'xstate.raise' && typeof params?.delay === 'number' && typeof type === 'string' && type.startsWith('xstate.after.')) armedAt.set(type, now);
    },
  });
  // A started child with an `onSnapshot` sends its parent its first snapshot (XState relays active snapshots of such
  // invokes); the harness's stand-in does too, with the child machine's initial context. The model delivers the same event.
  const relayStart = (prev: AnyMachineSnapshot | undefined, result: StepResult, at: number): StepResult => {
    let out = result;
    for (const id of newChildren(prev, result.snapshot)) {
      if (!options.snapshotInvokes?.has(id) || out.error) continue;
      const child = (result.snapshot.children as Record<string, { options?: { input?: unknown }; getSnapshot?: () => { context?: unknown } | undefined }>)[id];
      const input = child?.options?.input;
      // A child machine's first snapshot holds its initial context, an observable's what it has emitted (nothing
      // yet), any other child's an empty one (the harness's stand-in sends the same).
      let context: unknown = {};
      try {
        const first = child?.getSnapshot?.();
        if (first && typeof first === 'object' && 'context' in first) context = first.context === undefined && !isObservableSnapshot(first) ? {} : first.context;
      } catch {
        // a child that cannot start on this input: an empty context, as the stand-in's
      }
      const event = { type: `xstate.snapshot.${id}`, snapshot: { status: 'active', output: undefined, error: undefined, input, context } };
      const next = stepper.step(out.snapshot, event, undefined, at);
      out = { ...next, taken: [...out.taken, ...next.taken] };
    }
    return out;
  };
  const unchecked = options.unchecked ?? [];
  const start = relayStart(undefined, stepper.initial(path.input, path.initialGuards), EXPLORATION_TIME);
  if (start.error) return undefined;
  let snapshot = start.snapshot;
  let context = comparable(snapshot.context, unchecked);
  const result: PathExpectation = { context: context ?? null, steps: [] };
  // A machine done in its first macrostep (an initial `always` into a final state) starts none of its services:
  // XState skips starting the children of an actor that is done before it starts.
  const startInputs = snapshot.status === 'done' ? undefined : inputsStarted(undefined, snapshot, options.invokeIds);
  if (startInputs) result.inputs = startInputs;
  if (snapshot.status === 'done') result.output = comparable(snapshot.output) ?? null;
  // The test's clock moves only when a step waits out a delay; the model's moves with it.
  for (const step of path.steps) {
    const expectation: StepExpectation = {};
    if (step.event.type.startsWith('xstate.after.')) {
      const delay = stepper.delayOf(snapshot, step.event.type, armedAt.get(step.event.type) ?? now);
      if (delay !== undefined) {
        expectation.delay = delay;
        now = Math.max(now, (armedAt.get(step.event.type) ?? now) + delay);
      }
    }
    const next = relayStart(snapshot, stepper.step(snapshot, step.event, step.guards, now), now);
    if (next.error) return undefined;
    const nextContext = comparable(next.snapshot.context, unchecked);
    const change = contextChange(context, nextContext);
    if ('whole' in change) {
      if (!equal(context, nextContext)) expectation.wholeContext = change.whole;
    } else {
      if (Object.keys(change.set).length) expectation.context = change.set;
      if (change.unset.length) expectation.unset = change.unset;
    }
    const inputs = inputsStarted(snapshot, next.snapshot, options.invokeIds);
    if (inputs) expectation.inputs = inputs;
    if (next.snapshot.status === 'done') expectation.output = comparable(next.snapshot.output) ?? null;
    result.steps.push(expectation);
    snapshot = next.snapshot;
    context = nextContext;
  }
  return result;
}

/** Invoked children that are new in `next` (started by the step), with their inputs. */
function inputsStarted(prev: AnyMachineSnapshot | undefined, next: AnyMachineSnapshot, invokeIds: ReadonlySet<string>): Record<string, Comparable | null> | undefined {
  const out: Record<string, Comparable | null> = {};
  const children = (next.children ?? {}) as Record<string, { options?: { input?: unknown } } | undefined>;
  for (const id of newChildren(prev, next)) if (invokeIds.has(id)) out[id] = comparable(children[id]?.options?.input) ?? null;
  return Object.keys(out).length ? out : undefined;
}

/** Ids of the children `next` has that `prev` did not (a re-entered state's invoke is a new child). */
function newChildren(prev: AnyMachineSnapshot | undefined, next: AnyMachineSnapshot): string[] {
  const before = (prev?.children ?? {}) as Record<string, unknown>;
  return Object.entries((next.children ?? {}) as Record<string, unknown>).flatMap(([id, child]) => (child && before[id] !== child ? [id] : []));
}

/** An observable actor's snapshot (XState keeps its subscription there): its context is undefined until it emits. */
function isObservableSnapshot(snapshot: object): boolean {
  return '_subscription' in snapshot;
}
