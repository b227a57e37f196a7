/**
 * Controllable fake services: every service a machine invokes becomes a promise that stays pending until someone
 * (the inspector page) resolves or fails it. Nothing else happens: no I/O, no timers.
 */
import { fromPromise, type AnyActorLogic } from 'xstate';
import type { LifecycleGraph } from '../model/types.ts';
import type { PendingService } from './protocol.ts';
import type { InspectorSamples } from './samples.ts';

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
 * `examples` suggests an output per actor name; `samples` adds the catalogue's outputs and errors. The page offers
 * them all and pre-fills the first; a service with none suggests `{}` (a `null` output crashes any machine that
 * reads a field of it).
 *
 * @example
 * const fakes = createFakeServices(graph, EXAMPLE_OUTPUTS.install, inspectorSamples(installCatalogue));
 * const actor = createActor(machine.provide({ actors: fakes.actors }), { input }).start();
 * fakes.resolve(fakes.pending()[0].id, { manifest, installedVersion: null });
 */
export function createFakeServices(
  graph: LifecycleGraph,
  examples: Record<string, unknown> = {},
  samples: Pick<InspectorSamples, 'outputs' | 'errors'> = { outputs: {}, errors: {} },
): FakeServices {
  const waiting = new Map<string, Waiting>();
  const listeners = new Set<() => void>();
  const changed = () => {
    for (const l of listeners) l();
  };
  const names = new Set([...graph.declared.actors, ...graph.states.flatMap((s) => s.invoke.map((i) => i.src))]);
  names.delete('inline');

  // As JSON text, '' for "no output": JSON has no `undefined`, and a void service must not get `null`.
  const suggestions = (src: string) => {
    const given = [...(src in examples ? [examples[src]] : []), ...(samples.outputs[src] ?? [])];
    const texts = [...new Set(given.map((o) => (o === undefined ? '' : JSON.stringify(jsonSafe(o), null, 2))))];
    return {
      outputs: texts.length ? texts : ['{}'],
      errors: samples.errors[src]?.length ? samples.errors[src] : [{ message: `${src} failed` }],
    };
  };

  const fake = (src: string) =>
    fromPromise<unknown, unknown>(
      ({ input, self, signal }) =>
        new Promise((resolve, reject) => {
          const id = self.sessionId;
          const { outputs, errors } = suggestions(src);
          waiting.set(id, {
            id,
            invokeId: self.id,
            src,
            input: jsonSafe(input) ?? null,
            exampleOutput: outputs[0] === '' ? undefined : JSON.parse(outputs[0]!),
            outputs,
            errors,
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

/** A JSON copy; `undefined` (a service without output) stays undefined. */
function jsonSafe(value: unknown): unknown {
  if (value === undefined) return undefined;
  try {
    return JSON.parse(JSON.stringify(value));
  } catch {
    return String(value);
  }
}
