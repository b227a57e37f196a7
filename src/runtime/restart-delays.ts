import type { AnyActorRef, AnyMachineSnapshot, AnyStateMachine } from 'xstate';
import { activeStateNodes, nodePath } from './state-paths.ts';

/** A delayed transition a resume started again. */
export interface RestartedDelay {
  /** The state whose `after` it is. */
  state: string;
  /** `xstate.after.<delay>.<state id>`. */
  event: string;
  delay: number;
}

/**
 * Starts again the `after` timers of the states active in a restored actor, with their full delay.
 *
 * Why this is needed: XState schedules an `after` timer by an entry action of its state, and keeps pending timers
 * in the actor *system*, not in `getPersistedSnapshot()`. A restored actor does not re-run entry actions, so
 * without this a run resumed in a waiting state (a retry backoff, a grace period) would wait forever.
 *
 * The delay restarts from zero rather than resuming where it was: the snapshot is saved before the timer is
 * scheduled, so when it started is not known. A backoff after a crash is at worst one delay longer.
 *
 * Each timer is scheduled under the same id as XState's own (the event type, from the root actor), so the state's
 * exit cancels it as usual. Call after `actor.start()`.
 */
export function restartDelays(actor: AnyActorRef, machine: AnyStateMachine): RestartedDelay[] {
  const snapshot = actor.getSnapshot() as AnyMachineSnapshot;
  if (snapshot.status !== 'active') return [];
  const pending = actor.system.getSnapshot()._scheduledEvents;
  const restarted: RestartedDelay[] = [];
  for (const node of activeStateNodes(machine, snapshot.value)) {
    for (const transition of node.after) {
      const event = transition.eventType;
      if (`${actor.sessionId}.${event}` in pending || restarted.some((r) => r.event === event)) continue;
      const delay = resolveDelay(machine, transition.delay, snapshot, actor);
      if (delay === null) continue;
      actor.system.scheduler.schedule(actor, actor, { type: event }, delay, event);
      restarted.push({ state: nodePath(node), event, delay });
    }
  }
  return restarted;
}

/** A delay as XState resolves it when the state is entered: a number, or a named delay of `setup({ delays })`. */
function resolveDelay(machine: AnyStateMachine, delay: unknown, snapshot: AnyMachineSnapshot, self: AnyActorRef): number | null {
  const args = { context: snapshot.context, event: { type: 'lifecycle.resume' }, self, system: self.system };
  let resolved: unknown = delay;
  if (typeof delay === 'string') {
    const named = (machine.implementations.delays as Record<string, unknown>)[delay];
    resolved = typeof named === 'function' ? named(args, undefined) : named;
  } else if (typeof delay === 'function') {
    resolved = delay(args, undefined);
  }
  return typeof resolved === 'number' && Number.isFinite(resolved) ? Math.max(0, resolved) : null;
}
