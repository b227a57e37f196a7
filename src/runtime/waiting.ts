import type { AnyActorRef, AnyMachineSnapshot, AnyStateMachine } from 'xstate';
import { activeStateNodes, describeValue, nodePath } from './state-paths.ts';

/**
 * What keeps a run going in a state, read from the machine and the live snapshot:
 * - `busy`: a service (an invoked child) is running;
 * - `waiting`: nothing runs, and only an event from outside (or a timer, when `timers`) moves it on;
 * - `stuck`: nothing runs and no event or timer can leave the state: the run would sit there forever (a service
 *   that finished with no `onDone`, a child dropped by a restore, a non-final state without transitions).
 */
export interface WaitInfo {
  kind: 'busy' | 'waiting' | 'stuck';
  /** The state, as leaf paths. */
  state: string;
  /** The user events the state accepts (event types or descriptors such as `reconnect.*`), sorted. */
  events: string[];
  /** Whether an `after` timer of the state may move it on. */
  timers: boolean;
  /** Services the active states invoke that are not running (for `stuck`: why). */
  notRunning: string[];
}

export function waitInfo(machine: AnyStateMachine, snapshot: AnyMachineSnapshot): WaitInfo {
  const nodes = activeStateNodes(machine, snapshot.value);
  const events = new Set<string>();
  let timers = false;
  for (const node of nodes) {
    for (const descriptor of node.ownEvents as string[]) {
      if (!descriptor.startsWith('xstate.')) events.add(descriptor);
    }
    if (node.after.length > 0) timers = true;
  }
  const children = Object.values(snapshot.children as Record<string, AnyActorRef | undefined>);
  const running = children.some((child) => child?.getSnapshot()?.status === 'active');
  const notRunning: string[] = [];
  for (const node of nodes) {
    for (const invoke of node.invoke) {
      const child = (snapshot.children as Record<string, AnyActorRef | undefined>)[invoke.id];
      if (child?.getSnapshot()?.status !== 'active') {
        notRunning.push(`${typeof invoke.src === 'string' ? invoke.src : invoke.id} (of ${nodePath(node) || 'the machine'})`);
      }
    }
  }
  const kind = running ? 'busy' : events.size > 0 || timers ? 'waiting' : 'stuck';
  return { kind, state: describeValue(snapshot.value), events: [...events].sort(), timers, notRunning };
}
