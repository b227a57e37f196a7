/**
 * The event that reproduces a journal line: a service's done or error event, a timer, an outside event. What the
 * line does not record is an `unrecorded` stand-in, so that a machine reading it is caught, not misled.
 */
import type { AnyMachineSnapshot, AnyStateMachine, AnyStateNode, EventObject } from 'xstate';
import type { ReplayLine } from './journal.ts';
import { unrecorded } from './unrecorded.ts';

const DONE = 'xstate.done.actor.';
const ERROR = 'xstate.error.actor.';
const AFTER = 'xstate.after.';

/** `step` is the line's number (1-based), for messages. */
export function eventFor(line: ReplayLine, step: number, machine: AnyMachineSnapshot['machine'], snapshot: AnyMachineSnapshot): EventObject {
  const type = line.event;
  if (type.startsWith(DONE)) {
    const id = type.slice(DONE.length);
    return { type, output: 'output' in line ? line.output : unrecorded(`the output of ${id} (step ${step})`) } as EventObject;
  }
  if (type.startsWith(ERROR)) {
    // The journal keeps the error's message and kind (what retry policies decide on), not the thrown object.
    const recorded = line.error;
    const id = type.slice(ERROR.length);
    const error = recorded ? Object.assign(new Error(recorded.message), recorded.kind ? { kind: recorded.kind } : {}) : unrecorded(`the error of ${id} (step ${step})`);
    return { type, error } as EventObject;
  }
  if (type.startsWith(AFTER)) return { type: timerEvent(type, machine as AnyStateMachine, snapshot) };
  if (line.payload && typeof line.payload === 'object') return { ...line.payload, type };
  return unrecorded(`the payload of ${type} (step ${step})`, { type });
}

/**
 * `xstate.after.<delay>.<state id>` as the current machine names it: a delay that changed (`1000` → `2000`) is the
 * same timer of the same state, which fires, later; what the replay checks is where it leads.
 */
function timerEvent(type: string, machine: AnyStateMachine, snapshot: AnyMachineSnapshot): string {
  const rest = type.slice(AFTER.length);
  const stateId = rest.slice(rest.indexOf('.') + 1);
  const node = (snapshot as unknown as { _nodes?: AnyStateNode[] })._nodes?.find((n) => n.id === stateId) ?? nodeById(machine, stateId);
  if (!node || node.after.some((a) => a.eventType === type)) return type;
  const timers = [...new Set(node.after.map((a) => a.eventType as string))];
  return timers.length === 1 ? timers[0]! : type;
}

function nodeById(machine: AnyStateMachine, id: string): AnyStateNode | undefined {
  try {
    return machine.getStateNodeById(id) as AnyStateNode;
  } catch {
    return undefined;
  }
}
