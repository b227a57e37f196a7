import type { AnyActorLogic, AnyActorRef, EventObject } from 'xstate';

/** The event a guarded service sends itself when its time is up. */
const TIMEOUT_EVENT = 'lifecycle.timeout';

/** What a guarded service asks the runtime when it starts. */
export interface ServiceGuard {
  /** The time this instance may take, in ms, or null for no limit. */
  timeoutFor(self: AnyActorRef): number | null;
  /** A promise to wait for before the service starts (a `--verify` check of the state it runs in), or null. */
  gate(): Promise<unknown> | null;
}

/** The error a service that ran out of time fails with; retry policies match its `kind`. */
export class ServiceTimeoutError extends Error {
  readonly kind = 'timeout';
  constructor(service: string, ms: number) {
    super(`service "${service}" timed out after ${ms} ms`);
    this.name = 'ServiceTimeoutError';
  }
}

interface Instance {
  started: boolean;
  stopped: boolean;
  pending: EventObject[];
  timer?: ReturnType<typeof setTimeout>;
  ms: number | null;
}

/**
 * Wraps any actor logic (`fromPromise`, `fromCallback`, a child machine) with the runtime's two guards:
 *
 * - a timeout: when the instance is still active after `timeoutFor(self)` ms, it is stopped (a promise's abort
 *   signal fires, a callback's cleanup runs) and fails with a {@link ServiceTimeoutError} (kind `timeout`), which
 *   the invoking state's `onError` handles like any failure — so a hung step is retried by the machine's policy;
 * - a gate: the real start waits for `gate()`. Events that reach the instance meanwhile are kept and replayed once
 *   it starts; a stop before then means it never starts.
 *
 * Done as a delegate (`Object.create(logic)`), not by re-implementing `fromPromise`, so that any logic works.
 */
export function guardService<T extends AnyActorLogic>(name: string, logic: T, guard: ServiceGuard): T {
  const instances = new WeakMap<AnyActorRef, Instance>();
  const guarded = Object.create(logic) as T;
  Object.defineProperties(guarded, {
    start: {
      value(state: { status: string }, scope: { self: AnyActorRef }) {
        const instance: Instance = { started: false, stopped: false, pending: [], ms: null };
        instances.set(scope.self, instance);
        const begin = () => {
          if (instance.stopped) return;
          instance.started = true;
          instance.ms = guard.timeoutFor(scope.self);
          if (instance.ms !== null && instance.ms > 0) {
            instance.timer = setTimeout(() => scope.self.send({ type: TIMEOUT_EVENT }), instance.ms);
          }
          logic.start?.(state as never, scope as never);
          for (const event of instance.pending.splice(0)) scope.self.send(event);
        };
        const gate = guard.gate();
        if (gate) gate.then(begin, () => (instance.stopped = true));
        else begin();
      },
    },
    transition: {
      value(state: { status: string }, event: EventObject, scope: { self: AnyActorRef }) {
        const instance = instances.get(scope.self);
        if (instance && !instance.started) {
          if (event.type === 'xstate.stop') {
            instance.stopped = true;
            return { ...state, status: 'stopped' };
          }
          instance.pending.push(event);
          return state;
        }
        if (event.type === TIMEOUT_EVENT) {
          if (state.status !== 'active') return state;
          const stopped = logic.transition(state as never, { type: 'xstate.stop' } as never, scope as never) as object;
          return { ...stopped, status: 'error', error: new ServiceTimeoutError(name, instance?.ms ?? 0) };
        }
        const next = logic.transition(state as never, event as never, scope as never) as { status: string };
        if (next.status !== 'active' && instance?.timer) clearTimeout(instance.timer);
        return next;
      },
    },
  });
  return guarded;
}
