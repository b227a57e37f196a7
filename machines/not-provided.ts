import { fromCallback, fromPromise, type EventObject } from 'xstate';

/**
 * The placeholder for a service a machine names but does not implement.
 *
 * Machines stay pure: their real services live in `src/services/<lifecycle>/` and are swapped in with
 * `machine.provide({ actors })`. Until then, invoking the placeholder fails loudly (and so takes the
 * state's `onError` path) instead of silently succeeding.
 *
 * @example
 * setup({ actors: { download: notProvided('download') } })
 */
export function notProvided<TOutput = unknown, TInput = unknown>(name: string) {
  return fromPromise<TOutput, TInput>(async () => {
    const error = new Error(
      `service "${name}" is not provided: pass it with machine.provide({ actors: { ${name}: ... } })`,
    );
    error.name = 'ServiceNotProvidedError';
    throw error;
  });
}

/**
 * The placeholder for a long-lived callback service (a `fromCallback` actor that stays alive while its state is
 * active and sends events to the machine). Starting it throws, so the invoking state's `onError` runs: an
 * unprovided watcher fails loudly instead of silently never reporting anything. `TEvent` is what the callback
 * receives (usually nothing: `EventObject`); what it sends back is the machine's business.
 *
 * @example
 * setup({ actors: { watchHolds: notProvidedCallback<EventObject, { serverId: string }>('watchHolds') } })
 */
export function notProvidedCallback<TEvent extends EventObject = EventObject, TInput = unknown>(name: string) {
  return fromCallback<TEvent, TInput>(() => {
    const error = new Error(
      `service "${name}" is not provided: pass it with machine.provide({ actors: { ${name}: ... } })`,
    );
    error.name = 'ServiceNotProvidedError';
    throw error;
  });
}
