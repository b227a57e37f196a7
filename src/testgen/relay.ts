/**
 * Real callback services in a sandboxed path. A callback service (a download reporting progress, a watcher of
 * holds) talks to its machine by sending events, which a path gives as event steps with sample payloads. While
 * the path follows the real system, the harness runs the real service beside the stand-in the machine invokes,
 * and keeps what it sends here instead of passing it on: an event step then takes the real event of its type, so
 * the machine sees what the real service said, when the path says it happens (events the path does not name,
 * such as progress reports between the ones it does, are left out).
 */
import { type AnyActorLogic, type AnyActorRef, createActor, type EventObject, fromCallback } from 'xstate';

export interface Relay {
  /** The actor name (`setup({ actors })` key) of the real service. */
  src: string;
  /** What the real service sent and no step has taken yet, oldest first. */
  events: EventObject[];
  /** Set when the real service failed or stopped on its own: it will send nothing more. */
  ended?: string;
  /** What it failed with, when it did. */
  error?: unknown;
  stop(): void;
}

/** Starts `logic` with `input`; what it sends back is kept in the relay's `events`. */
export function startRelay(src: string, logic: AnyActorLogic, input: unknown): Relay {
  const relay: Relay = { src, events: [], stop: () => {} };
  // The real service sends to its parent: a parent of our own that keeps each event.
  const parent: AnyActorRef = createActor(
    fromCallback(({ receive }) => {
      receive((event) => relay.events.push(event));
    }),
  ).start();
  const real = createActor(logic, { input: input as never, parent });
  real.subscribe({
    error: (error) => {
      relay.error = error;
      relay.ended = `it failed: ${error instanceof Error ? error.message : JSON.stringify(error)}`;
    },
    complete: () => {
      relay.ended ??= 'it finished';
    },
  });
  real.start();
  relay.stop = () => {
    // An actor with a parent may not be stopped with `stop()` (its parent would); ours is not a real parent, so
    // the real service is stopped the way a parent stops its children.
    (real as unknown as { _stop(): void })._stop();
    parent.stop();
  };
  return relay;
}

/**
 * The first event of `type` any running relay has sent or sends within `ms` of real time (it is taken: a later
 * step of the same type takes the next one). Undefined when none comes, or when every relay ended first.
 */
export async function takeRelayed(relays: ReadonlyMap<string, Relay>, type: string, ms: number): Promise<{ relay: Relay; event: EventObject } | undefined> {
  // performance.now: the harness fakes Date (the model's clock), not the real time this waits in.
  const deadline = performance.now() + ms;
  for (;;) {
    const open = [...relays.values()];
    for (const relay of open) {
      const at = relay.events.findIndex((e) => e.type === type);
      if (at >= 0) {
        const [event] = relay.events.splice(at, 1);
        return { relay, event: event! };
      }
    }
    if (!open.length || open.every((r) => r.ended !== undefined) || performance.now() >= deadline) return undefined;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** Waits up to `ms` of real time for `relay` to end; true when it failed. */
export async function failed(relay: Relay, ms: number): Promise<boolean> {
  const deadline = performance.now() + ms;
  while (relay.ended === undefined && performance.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 5));
  return relay.error !== undefined;
}
