/**
 * The generated suites' check of a failure's kind. A path step "service X fails" runs the real X after
 * `faults.X` broke the world; the harness then goes on with the path's sample error when the real one differs
 * (what a failure says is the service's business). Its kind is not only words: retry policies and the machine's
 * guards match on it (a port taken, `EADDRINUSE`, is retried; a configuration refused, `fatal`, is not), so a
 * service that fails for the right reason with the wrong kind is a bug the suite must see.
 *
 * {@link checkFailureKinds} wraps each promise actor that has a fault: while its fault is armed, the error it throws
 * is recorded, and the fault's undo (which the harness calls once X has failed) throws when that error's kind is
 * not the sample's. Outside the generated suites nothing arms a fault: the wrapped actors behave as the real ones.
 */
import { fromPromise, type AnyActorLogic } from 'xstate';
import type { FaultResult, LifecycleServices } from './types.ts';

/** The kind of an error (its `kind`, else its errno `code`), or undefined. */
function kindOf(error: unknown): string | undefined {
  if (!error || typeof error !== 'object') return undefined;
  const { kind, code } = error as { kind?: unknown; code?: unknown };
  return typeof kind === 'string' ? kind : typeof code === 'string' ? code : undefined;
}

/** A `fromPromise` logic finishes on XState's promise-resolve event; a callback or machine logic does not. */
function isPromiseLogic(logic: AnyActorLogic): boolean {
  try {
    const next = logic.transition({ status: 'active', output: undefined, error: undefined, input: undefined } as never, { type: 'xstate.promise.resolve', data: 0 } as never, {} as never) as { status?: string };
    return next?.status === 'done' && typeof (logic as { config?: unknown }).config === 'function';
  } catch {
    return false;
  }
}

const NOTHING = Symbol('no failure yet');
/** Actors whose fault is armed, with what they threw since (NOTHING until they fail). */
const armed = new Map<string, unknown>();

export function checkFailureKinds<S extends LifecycleServices<any, any>>(services: S): S {
  const { actors, faults } = services;
  if (!actors || !faults) return services;
  const wrappedActors: Record<string, AnyActorLogic> = { ...actors };
  const wrappedFaults: NonNullable<LifecycleServices['faults']> = { ...faults };
  for (const [name, fault] of Object.entries(faults)) {
    const logic = actors[name];
    if (!logic || !isPromiseLogic(logic)) continue;
    const run = (logic as unknown as { config: (args: unknown) => Promise<unknown> }).config;
    wrappedActors[name] = fromPromise(async (args) => {
      try {
        return await run(args);
      } catch (error) {
        if (armed.has(name)) armed.set(name, error);
        throw error;
      }
    });
    wrappedFaults[name] = async (args): Promise<FaultResult> => {
      const result = await fault(args);
      const want = kindOf(args.error);
      if (result === false || want === undefined) return result;
      armed.set(name, NOTHING);
      return async () => {
        const got = armed.get(name);
        armed.delete(name);
        if (typeof result === 'function') await result();
        // Finished instead of failing: the harness says so, in its words.
        if (got === NOTHING || got === undefined) return;
        if (kindOf(got) !== want)
          throw new Error(`the real ${name} failed with kind ${kindOf(got) ?? '(none)'} where the path's failure (made by faults.${name}) is of kind ${want}: ${(got as Error)?.message ?? String(got)}`);
      };
    };
  }
  return { ...services, actors: wrappedActors, faults: wrappedFaults };
}
