import type { AnyStateMachine, AnyStateNode, InspectionEvent } from 'xstate';

/**
 * Maps a machine's transition definition objects to graph-model transition ids — `<state id>:<event>:<index>`, and
 * `<state id>:always:<index>` for eventless ones — the scheme of `extractGraph` (src/model), so that a journal's
 * transitions line up with the graph that `lifecycle coverage --journal` draws. Build it from the machine that
 * runs (after `provide`, which creates new state nodes).
 */
export function transitionIds(machine: AnyStateMachine): Map<object, string> {
  const ids = new Map<object, string>();
  const walk = (node: AnyStateNode, id: string) => {
    for (const [event, list] of node.transitions) list.forEach((t, i) => ids.set(t, `${id}:${event}:${i}`));
    (node.always ?? []).forEach((t, i) => ids.set(t, `${id}:always:${i}`));
    for (const [key, child] of Object.entries(node.states as Record<string, AnyStateNode>)) walk(child, `${id}.${key}`);
  };
  walk(machine.root, machine.id);
  return ids;
}

/**
 * Collects the transitions the root actor takes, from XState's `@xstate.microstep` inspection events (sent during
 * a transition, before it returns). `take()` returns those collected since the last call.
 */
export function createTransitionRecorder(machine: AnyStateMachine) {
  const ids = transitionIds(machine);
  let taken: string[] = [];
  return {
    inspect(event: InspectionEvent) {
      if (event.type !== '@xstate.microstep' || event.actorRef.sessionId !== event.rootId) return;
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
