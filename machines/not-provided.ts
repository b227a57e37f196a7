import { fromPromise } from 'xstate';

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
