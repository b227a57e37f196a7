import { type AnyMachineSnapshot, type AnyStateMachine, type AnyStateNode, createActor, type EventObject, getNextTransitions } from 'xstate';

/**
 * Steps a machine with XState's own (pure) transition logic and tells which transition definitions each step
 * took, as graph-model transition ids. No service runs and no action executes: invoked actors are created but
 * never started, and the action executor is a no-op. `assign` still computes context, as XState resolves it.
 */
export interface Stepper {
  /** The initial snapshot (after eventless transitions) and the transitions taken to get there. */
  initial(input?: unknown): StepResult;
  /** The next snapshot for `event` and the transitions taken. */
  step(snapshot: AnyMachineSnapshot, event: EventObject): StepResult;
  /** Event descriptors the snapshot's active states handle (`GO`, `xstate.after.…`, `xstate.done.actor.…`, `*`). */
  candidates(snapshot: AnyMachineSnapshot): string[];
  /** The delay in ms of an `xstate.after.…` event in this snapshot (named delays resolved with its context). */
  delayOf(snapshot: AnyMachineSnapshot, afterEvent: string): number | undefined;
}

export interface StepResult {
  snapshot: AnyMachineSnapshot;
  /** Graph transition ids, in the order XState took them (eventless and raised ones included). */
  taken: string[];
  /** Set when the machine threw (a guard or assign that failed): the snapshot is in error. */
  error?: string;
}

/**
 * Creates a stepper for `machine`. Transition ids follow `extractGraph`'s scheme, so they match the graph's.
 *
 * @example
 * const stepper = createStepper(machine);
 * const { snapshot } = stepper.initial(input);
 * stepper.step(snapshot, { type: 'GO' }).taken; // ['m.idle:GO:0']
 */
export function createStepper(machine: AnyStateMachine): Stepper {
  const ids = transitionIds(machine);
  let sink: string[] = [];
  const capture = (event: { type: string; _transitions?: unknown[] }) => {
    if (event.type === '@xstate.microstep' && event._transitions) {
      for (const t of event._transitions) {
        const id = ids.get(t as object);
        if (id) sink.push(id);
      }
    }
  };
  const makeScope = (input: unknown) => {
    const self = createActor(machine, { input, inspect: capture });
    return { self, defer: () => {}, id: '', logger: () => {}, sessionId: '', stopChild: () => {}, system: self.system, emit: () => {}, actionExecutor: () => {} };
  };
  let scope: ReturnType<typeof makeScope> | undefined;
  // XState's system refuses a second actor with the same systemId, and every explored step re-creates invoked
  // actors: machines that give invokes a systemId get a fresh scope per step (slower, but correct).
  const freshScopePerStep = hasSystemIds(machine.root as AnyStateNode);

  const run = (fn: () => AnyMachineSnapshot): StepResult => {
    sink = [];
    const snapshot = fn();
    const taken = sink;
    sink = [];
    const error = snapshot.status === 'error' ? oneLine(snapshot.error) : undefined;
    return error ? { snapshot, taken, error } : { snapshot, taken };
  };

  return {
    initial(input) {
      scope = makeScope(input);
      sink = [];
      const s = scope;
      return run(() => machine.getInitialSnapshot(s as never, input) as AnyMachineSnapshot);
    },
    step(snapshot, event) {
      const s = freshScopePerStep || !scope ? (scope = makeScope(undefined)) : scope;
      return run(() => machine.transition(snapshot as never, event as never, s as never) as AnyMachineSnapshot);
    },
    candidates(snapshot) {
      return [...new Set(getNextTransitions(snapshot).map((t) => t.eventType as string))];
    },
    delayOf(snapshot, afterEvent) {
      return resolveDelay(machine, snapshot, afterEvent);
    },
  };
}

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
