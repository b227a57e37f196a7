import type { AnyActorScope, AnyMachineSnapshot, AnyStateMachine, EventObject } from 'xstate';

/** What the runtime does at each step of a machine, before the step's side effects can start. */
export interface TransitionHooks {
  /** The first snapshot of a fresh run (after its initial microsteps) or the restored one of a resume. */
  onStart(snapshot: AnyMachineSnapshot): void;
  /** A transition that changed the snapshot (one macrostep: the event and the eventless transitions it led to). */
  onTransition(previous: AnyMachineSnapshot, next: AnyMachineSnapshot, event: EventObject): void;
}

/**
 * Returns `machine` with `hooks` called inside its transition function, so that they run *before* the transition's
 * side effects.
 *
 * Why not `actor.subscribe`: XState computes a transition, then `Actor.update` first runs the deferred effects —
 * it starts the invoked actors (a `fromPromise` body runs at once up to its first `await`) and schedules `after`
 * timers — and only then notifies subscribers. A snapshot saved from a subscriber is therefore saved after the
 * next step's side effect has begun; a crash in between would leave an effect whose state was never saved. The
 * transition function returns before any of that, so a hook here that saves synchronously closes the window.
 *
 * What remains: a *custom action* (not `assign`) runs during the transition, before the hook; keep side effects in
 * invoked actors, as the built-ins do. And a step that finished its work but whose done event was not processed
 * yet is still "in flight" in the saved snapshot: a resume runs it again, which is why services are idempotent.
 *
 * The wrapper is a prototype-linked copy of the machine (`Object.create`), so every other method and property is
 * the machine's own; `machine.provide(...)` first, then wrap.
 */
export function withTransitionHooks<T extends AnyStateMachine>(machine: T, hooks: TransitionHooks): T {
  const hooked = Object.create(machine) as T;
  Object.defineProperties(hooked, {
    transition: {
      value(snapshot: AnyMachineSnapshot, event: EventObject, scope: AnyActorScope) {
        const next = machine.transition.call(hooked, snapshot, event, scope) as AnyMachineSnapshot;
        // Stopping the actor is not a step of the lifecycle (a signal, the end of a run): never saved. Nor is an
        // unchanged snapshot (an event nothing handles), nor one in `error` (the last good snapshot stays).
        if (event.type !== 'xstate.stop' && next !== snapshot && next.status !== 'error') hooks.onTransition(snapshot, next, event);
        return next;
      },
    },
    start: {
      value(snapshot: AnyMachineSnapshot) {
        if (snapshot.status !== 'error') hooks.onStart(snapshot);
        return machine.start.call(hooked, snapshot);
      },
    },
  });
  return hooked;
}
