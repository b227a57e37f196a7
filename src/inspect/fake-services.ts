/**
 * Controllable fake services: every service a machine invokes becomes a promise that stays pending until someone
 * (the inspector page) resolves or fails it. Nothing else happens: no I/O, no timers.
 */
import { fromPromise, type AnyActorLogic } from 'xstate';
import type { LifecycleGraph } from '../model/types.ts';
import type { PendingService } from './protocol.ts';

export interface FakeServices {
  /** Fake logic by actor name, for `machine.provide({ actors })`. */
  actors: Record<string, AnyActorLogic>;
  /** Services started and not settled, oldest first. */
  pending(): PendingService[];
  /** Settles a pending service (by its session id) with `output`. Returns false when none is pending by that id. */
  resolve(id: string, output: unknown): boolean;
  /** Fails a pending service with an error carrying `message` (and `kind`, which retry policies read). */
  reject(id: string, error: { message: string; kind?: string }): boolean;
  /** Called whenever the pending set changes. */
  onChange(listener: () => void): () => void;
}

interface Waiting extends PendingService {
  settle: { resolve(output: unknown): void; reject(error: unknown): void };
}

/**
 * Fakes for every actor the graph declares or invokes by name (inline logic is left as it is).
 * `examples` suggests an output per actor name, pre-filled on the page.
 *
 * @example
 * const fakes = createFakeServices(graph, EXAMPLE_OUTPUTS.install);
 * const actor = createActor(machine.provide({ actors: fakes.actors }), { input }).start();
 * fakes.resolve(fakes.pending()[0].id, { manifest, installedVersion: null });
 */
export function createFakeServices(graph: LifecycleGraph, examples: Record<string, unknown> = {}): FakeServices {
  const waiting = new Map<string, Waiting>();
  const listeners = new Set<() => void>();
  const changed = () => {
    for (const l of listeners) l();
  };
  const names = new Set([...graph.declared.actors, ...graph.states.flatMap((s) => s.invoke.map((i) => i.src))]);
  names.delete('inline');

  const fake = (src: string) =>
    fromPromise<unknown, unknown>(
      ({ input, self, signal }) =>
        new Promise((resolve, reject) => {
          const id = self.sessionId;
          waiting.set(id, {
            id,
            invokeId: self.id,
            src,
            input: jsonSafe(input),
            exampleOutput: examples[src] ?? null,
            since: Date.now(),
            settle: { resolve, reject },
          });
          // The invoking state was left: the service is stopped and no longer pending.
          signal.addEventListener('abort', () => {
            if (waiting.delete(id)) changed();
          });
          changed();
        }),
    );

  const settle = (id: string, how: (w: Waiting) => void): boolean => {
    const w = waiting.get(id);
    if (!w) return false;
    waiting.delete(id);
    how(w);
    changed();
    return true;
  };

  return {
    actors: Object.fromEntries([...names].map((name) => [name, fake(name)])),
    pending: () => [...waiting.values()].map(({ settle: _settle, ...rest }) => rest),
    resolve: (id, output) => settle(id, (w) => w.settle.resolve(output)),
    reject: (id, error) =>
      settle(id, (w) => {
        const e = new Error(error.message);
        // Enumerable, so that the message and kind survive the inspection protocol's JSON.
        Object.defineProperty(e, 'message', { value: error.message, enumerable: true });
        if (error.kind) Object.assign(e, { kind: error.kind });
        w.settle.reject(e);
      }),
    onChange(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}

function jsonSafe(value: unknown): unknown {
  try {
    return JSON.parse(JSON.stringify(value ?? null));
  } catch {
    return String(value);
  }
}
