import type { AnyStateMachine, ContextFrom, InputFrom } from 'xstate';
import type { LifecycleServices } from './types.ts';

/**
 * Types a lifecycle's services from its machine: the invariants, notes and progress selector see the machine's
 * own input and context. Returns what it is given; export it from the machine's module as `services` (or
 * `<machineExport>Services`), or from a file of its own given with `--services file.ts#export`, and `run`,
 * `resume`, `inspect` and the generated suites use it.
 *
 * @example
 * export const services = defineServices(deployMachine, {
 *   actors: { build: fromPromise(async ({ input }) => buildApp(input.dir)) },
 *   invariants: { released: ({ input }) => (existsSync(`${input.dir}/published`) ? [] : ['nothing published']) },
 * });
 */
export function defineServices<M extends AnyStateMachine>(machine: M, services: LifecycleServices<InputFrom<M>, ContextFrom<M>>): LifecycleServices<InputFrom<M>, ContextFrom<M>>;
export function defineServices<TInput = unknown, TContext = unknown>(services: LifecycleServices<TInput, TContext>): LifecycleServices<TInput, TContext>;
export function defineServices(first: unknown, second?: unknown): LifecycleServices {
  return (second ?? first) as LifecycleServices;
}
