/**
 * Which events the page may send to the inspected actor now, and the check every command from the page passes
 * before the server acts on it.
 */
import { getNextTransitions, transition, type AnyMachineSnapshot, type EventObject } from 'xstate';
import type { LifecycleGraph } from '../model/types.ts';
import { describeValue } from './graph-view.ts';
import type { AcceptedEvent } from './protocol.ts';

/** Sample events per event type (see `samples.ts`). */
type EventSamples = Record<string, EventObject[]>;

/**
 * The user events the snapshot's active states handle (XState's `getNextTransitions`, keeping only events the
 * graph model lists as user events), each with whether `snapshot.can` holds for the bare event; and whether a
 * wildcard (`*`) transition is active. Internal events (`xstate.*`, eventless) are never offered: services are
 * settled through their own commands, timers fire by themselves. An event with catalogue `samples` lists them, each
 * with whether its guard passes now; the event is enabled when one of them is.
 *
 * @example
 * acceptedEvents(actor.getSnapshot(), graph); // { accepts: [{ type: 'RETRY_NOW', enabled: true }], wildcard: false }
 */
export function acceptedEvents(snapshot: AnyMachineSnapshot, graph: LifecycleGraph, samples: EventSamples = {}): { accepts: AcceptedEvent[]; wildcard: boolean } {
  if (snapshot.status !== 'active') return { accepts: [], wildcard: false };
  const userEvents = new Set(graph.events);
  const types = new Set<string>();
  let wildcard = false;
  for (const t of getNextTransitions(snapshot)) {
    const type = String(t.eventType);
    if (type === '*' || type.endsWith('.*')) wildcard = true;
    else if (userEvents.has(type) && !isInternal(type)) types.add(type);
  }
  const accepts = [...types].sort().map((type): AcceptedEvent => {
    const offered = samples[type]?.filter((e) => Object.keys(e).length > 1) ?? [];
    if (offered.length === 0) return { type, enabled: canSafely(snapshot, { type }) };
    const checked = offered.map((event) => ({ event, enabled: canSafely(snapshot, event) }));
    return { type, enabled: checked.some((c) => c.enabled), samples: checked };
  });
  return { accepts, wildcard };
}

/**
 * Refuses an event the inspected actor must not get: returns the reason as one line, or undefined when it may
 * be sent. Only user events the current state handles pass (any non-internal event when a wildcard is active).
 */
export function refuseEvent(snapshot: AnyMachineSnapshot, graph: LifecycleGraph, event: EventObject): string | undefined {
  if (snapshot.status !== 'active') return `the actor is ${snapshot.status}: it accepts no events`;
  if (isInternal(event.type)) {
    return `'${event.type}' is an internal XState event: settle a fake service with resolve/fail instead`;
  }
  const { accepts, wildcard } = acceptedEvents(snapshot, graph);
  if (!accepts.some((a) => a.type === event.type) && !wildcard) {
    const valid = accepts.map((a) => a.type);
    return `'${event.type}' is not accepted in ${describeValue(snapshot.value)}${valid.length ? `: it accepts ${valid.join(', ')}` : ': it accepts no user events'}`;
  }
  return throwsOn(snapshot, event);
}

/**
 * Whether the event would kill the actor: a guard or an assign that throws on it (a payload it reads is missing,
 * say) takes XState's actor to `error` for good. Tried first with XState's pure `transition`, which evaluates
 * guards and assigns but executes no action and starts no service. Returns the refusal, or undefined.
 */
function throwsOn(snapshot: AnyMachineSnapshot, event: EventObject): string | undefined {
  try {
    transition(snapshot.machine, snapshot, event);
    return undefined;
  } catch (error) {
    const why = (error instanceof Error ? error.message : String(error)).replace(/:?\s*\n\s*/g, ': ');
    return `'${event.type}' was not sent: the machine throws on it (${why.slice(0, 300)}), which would stop the actor; check its payload`;
  }
}

function isInternal(type: string): boolean {
  return type === '' || type.startsWith('xstate.') || type.startsWith('@xstate.');
}

function canSafely(snapshot: AnyMachineSnapshot, event: EventObject): boolean {
  try {
    return snapshot.can(event);
  } catch {
    // A guard that reads the event's payload: let the user try.
    return true;
  }
}
