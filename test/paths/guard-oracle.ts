import { and, type AnyMachineSnapshot, type AnyStateMachine, type EventObject, initialTransition, transition } from 'xstate';
import { transitionIds, withGuardChoices } from '../../src/model/stepper.ts';
import type { LifecyclePath } from '../../src/paths/index.ts';

/**
 * An independent witness for guard outcomes: a copy of the machine whose every guarded transition records, when
 * XState evaluates its guard, whether it was false. `run` steps a path with XState's pure `transition` and returns,
 * per step (index 0 the start), the transition ids whose guard was evaluated false, and the values reached.
 */
export function guardOracle(machine: AnyStateMachine) {
  let chosen: Record<string, boolean> = {};
  let seen = new Set<string>();
  // withGuardChoices copies a machine with guards (and stands in chosen outcomes for placeholders); the copy's
  // transition objects are then ours to wrap.
  const copy = withGuardChoices(machine.provide({}), () => chosen);
  for (const [t, id] of transitionIds(copy)) {
    const guard = (t as { guard?: unknown }).guard;
    if (guard === undefined) continue;
    const inner = and([guard as never]) as unknown as { check: (s: unknown, a: unknown, self: unknown) => boolean };
    const wrapped = Object.assign(() => false, {
      check: (snapshot: unknown, args: unknown) => {
        const ok = inner.check(snapshot, args, inner);
        if (!ok) seen.add(id);
        return ok;
      },
    });
    (t as { guard?: unknown }).guard = wrapped;
  }
  return (path: LifecyclePath): { falses: string[][]; values: unknown[] } => {
    const falses: string[][] = [];
    const values: unknown[] = [];
    seen = new Set();
    chosen = path.initialGuards ?? {};
    let [snapshot] = initialTransition(copy, path.input) as [AnyMachineSnapshot, unknown];
    falses.push([...seen]);
    values.push(snapshot.value);
    for (const step of path.steps) {
      seen = new Set();
      chosen = step.guards ?? {};
      [snapshot] = transition(copy, snapshot, step.event as EventObject) as [AnyMachineSnapshot, unknown];
      falses.push([...seen]);
      values.push(snapshot.value);
    }
    return { falses, values };
  };
}
