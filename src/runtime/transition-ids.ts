import type { AnyStateMachine, InspectionEvent } from 'xstate';

export { transitionIds } from '../model/stepper.ts';
import { transitionIds } from '../model/stepper.ts';

/**
 * Collects the transitions the root actor takes, from XState's `@xstate.microstep` inspection events (sent during
 * a transition, before it returns). `take()` returns those collected since the last call.
 */
export function createTransitionRecorder(machine: AnyStateMachine) {
  const ids = transitionIds(machine);
  let taken: string[] = [];
  return {
    inspect(event: InspectionEvent) {
      // The machine's own steps: it is the root, or it runs under a stand-in parent (a generated test's).
      if (event.type !== '@xstate.microstep') return;
      if (event.actorRef.sessionId !== event.rootId && (event.actorRef as { logic?: unknown }).logic !== machine) return;
      for (const t of (event as { _transitions?: object[] })._transitions ?? []) {
        const id = ids.get(t);
        if (id) taken.push(id);
      }
    },
    take(): string[] {
      const out = taken;
      taken = [];
      return out;
    },
  };
}
