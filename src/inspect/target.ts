/**
 * What the page's commands act on: an actor this process holds (`lifecycle inspect`, `control(actor)`), or a run
 * that only takes events through a callback (`lifecycle run --inspect`: the runtime owns the actor and decides what
 * reaches it). Both are read the same way, so the page's checks are the same for both.
 */
import type { AnyActorRef, AnyMachineSnapshot, AnyStateMachine, EventObject } from 'xstate';
import type { LifecycleGraph } from '../model/types.ts';
import type { FakeServices } from './fake-services.ts';
import type { WireSnapshot } from './protocol.ts';
import type { InspectorSamples } from './samples.ts';
import { describeWireError } from './serialize.ts';

/** An actor of this process: its snapshot is read directly, events are sent to it. */
export interface ActorTarget {
  actor: AnyActorRef;
  graph: LifecycleGraph;
  fakes?: FakeServices;
  /** The catalogue's samples: event payloads offered on the page. */
  samples?: InspectorSamples;
}

/**
 * A run the inspector sees only through inspection events: its state is the newest root actor running `machine`
 * (by its id) that the server's own source reported, read back into a snapshot with `machine`; `send` delivers an event that passed the checks and
 * returns a refusal to show, if any.
 */
export interface RunTarget {
  machine: AnyStateMachine;
  graph: LifecycleGraph;
  send: (event: EventObject) => void | string;
  samples?: InspectorSamples;
}

export type ControlTarget = ActorTarget | RunTarget;

/** The target as the server reads it at one moment. */
export interface TargetNow {
  /** History key of the actor; undefined when a run has not reported one yet. */
  key?: string;
  /** The snapshot the checks run on; undefined when there is none (yet) or it cannot be read back. */
  snapshot?: AnyMachineSnapshot;
  status?: string;
  /** The actor's error, one line, when it failed. */
  error?: string;
}

/** Where the history keeps what a run reported. */
export interface TargetHistory {
  keyOf(source: string, sessionId: string): string;
  latestRoot(source: string, name: string): string | undefined;
  lastSnapshot(key: string): WireSnapshot | undefined;
}

/**
 * Reads a target now. A run's wire snapshot (JSON: no class instances in the context) is resolved with its
 * machine; its status is the one reported, since a resolved snapshot is always active.
 */
export function readTarget(target: ControlTarget, history: TargetHistory, source: string): TargetNow {
  if ('actor' in target) {
    const snapshot = target.actor.getSnapshot() as AnyMachineSnapshot;
    return {
      key: history.keyOf(source, target.actor.sessionId),
      snapshot,
      status: snapshot.status,
      ...(snapshot.status === 'error' ? { error: describeError(snapshot.error) } : {}),
    };
  }
  const key = history.latestRoot(source, target.graph.id);
  const wire = key ? history.lastSnapshot(key) : undefined;
  if (!key || !wire) return key ? { key } : {};
  const status = typeof wire.status === 'string' ? wire.status : 'active';
  const error = status === 'error' ? { error: describeWireError(wire.error) } : {};
  try {
    const resolved = target.machine.resolveState({ value: wire.value as never, context: wire.context as never }) as AnyMachineSnapshot;
    return { key, snapshot: status === 'active' ? resolved : ({ ...resolved, status } as AnyMachineSnapshot), status, ...error };
  } catch {
    return { key, status, ...error }; // a value this machine does not have: nothing can be checked, nothing is sent
  }
}

/** Delivers a checked event. Returns a refusal, or undefined when it was delivered. Never throws. */
export function deliver(target: ControlTarget, event: EventObject): string | undefined {
  try {
    if ('actor' in target) {
      target.actor.send(event);
      return undefined;
    }
    const refused = target.send(event);
    return typeof refused === 'string' && refused !== '' ? refused : undefined;
  } catch (error) {
    return `the run did not take ${event.type}: ${describeError(error)}`;
  }
}

function describeError(error: unknown): string {
  return error instanceof Error ? error.message.replace(/\s*\n\s*/g, ' ') : describeWireError(error);
}
