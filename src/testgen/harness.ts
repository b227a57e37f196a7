/**
 * The harness that generated model-based tests import (`lifecycle-kit/testing`). It drives a real actor of the
 * machine along a path: user events are sent as given; every invoked service is replaced (through
 * `machine.provide`) by a controllable actor that resolves or rejects exactly when the path says; `after` timers
 * are advanced with vitest's fake timers. After each step it checks the state value and, where the lifecycle
 * provides them, the per-state invariants against the real system.
 */
import { isDeepStrictEqual } from 'node:util';
import { vi } from 'vitest';
import { type AnyActorLogic, type AnyMachineSnapshot, createActor, type EventObject, fromPromise, type StateValue } from 'xstate';
import { extractGraph } from '../model/extract.ts';
import { loadMachine } from '../model/load.ts';
import { resolveDelay } from '../model/stepper.ts';
import { activeStateIds } from '../paths/coverage.ts';
import { formatStateValue } from '../paths/format.ts';
import type { LifecycleServices } from '../services/types.ts';

/** A step as generated tests write it. */
export interface TestStep {
  /** The event with its payload (`output` of a service's done event, `error` of its error event, ...). */
  event: { type: string; [key: string]: unknown };
  state: StateValue;
}

export interface PathRunnerOptions {
  /** A built-in name or `path/to/file.ts#exportName` (absolute, or relative to the current directory). */
  machine: string;
  /**
   * Invariants to check after every step, by state path; for built-ins, its services' invariants are used when
   * `sandbox` is given. Each runs against `invariantInput`.
   */
  invariants?: LifecycleServices['invariants'];
  invariantInput?: unknown;
}

interface Pending {
  resolve(value: unknown): void;
  reject(error: unknown): void;
}

/**
 * Loads the machine once and returns `run(steps)`, which drives a fresh actor along the steps.
 *
 * @example
 * const run = await createPathRunner({ machine: 'install', input });
 * await run('happy path', [{ event: { type: 'xstate.done.actor.checkPreconditions', output }, state: 'decidingVersion' }]);
 */
export async function createPathRunner(options: PathRunnerOptions) {
  const { machine } = await loadMachine(options.machine);
  const graph = extractGraph(machine);
  const services = new Set<string>(graph.declared.actors);
  for (const s of graph.states) for (const inv of s.invoke) if (inv.src !== 'inline') services.add(inv.src);
  const pathOf = new Map(graph.states.map((s) => [s.id, s.path.join('.')]));

  return async function run(name: string, steps: TestStep[], initial?: StateValue, input?: unknown): Promise<void> {
    const pending = new Map<string, Pending>();
    const controllable = (): AnyActorLogic =>
      fromPromise(({ self }) => new Promise((resolve, reject) => pending.set(self.id, { resolve, reject })));
    const actors = Object.fromEntries([...services].map((s) => [s, controllable()]));
    const provided = machine.provide({ actors } as never);

    vi.useFakeTimers();
    const actor = createActor(provided, { input: input as never });
    const trail: string[] = [];
    const fail = (k: number, what: string): never => {
      throw new Error(`path "${name}", step ${k + 1} of ${steps.length}: ${what}\n  path so far: ${trail.join(' → ') || '(start)'}`);
    };
    const settle = async () => {
      for (let i = 0; i < 3; i++) await vi.advanceTimersByTimeAsync(0);
    };
    const check = async (k: number, expected: StateValue) => {
      const snapshot = actor.getSnapshot() as AnyMachineSnapshot;
      if (snapshot.status === 'error') fail(k, `the machine failed: ${describe(snapshot.error)}`);
      if (!isDeepStrictEqual(snapshot.value, expected)) {
        fail(k, `expected state ${formatStateValue(expected)}, got ${formatStateValue(snapshot.value)}`);
      }
      if (options.invariants) {
        for (const id of activeStateIds(graph.id, snapshot.value)) {
          const check = options.invariants[pathOf.get(id) ?? ''];
          if (!check) continue;
          const violations = await check({ input: options.invariantInput ?? input, context: snapshot.context, value: snapshot.value });
          if (violations.length) fail(k, `invariant of ${pathOf.get(id)} does not hold: ${violations.join('; ')}`);
        }
      }
    };

    try {
      actor.start();
      await settle();
      if (initial !== undefined) await check(-1, initial);
      for (const [k, step] of steps.entries()) {
        const { type } = step.event;
        if (type.startsWith('xstate.done.actor.') || type.startsWith('xstate.error.actor.')) {
          const done = type.startsWith('xstate.done.actor.');
          const id = type.slice(done ? 'xstate.done.actor.'.length : 'xstate.error.actor.'.length);
          const service = pending.get(id);
          if (!service) fail(k, `service ${id} is not running, so it cannot ${done ? 'finish' : 'fail'} (running: ${[...pending.keys()].join(', ') || 'none'})`);
          pending.delete(id);
          if (done) service!.resolve((step.event as { output?: unknown }).output);
          else service!.reject(toError((step.event as { error?: unknown }).error));
        } else if (type.startsWith('xstate.after.')) {
          const delay = resolveDelay(provided, actor.getSnapshot() as AnyMachineSnapshot, type);
          if (delay === undefined) fail(k, `no pending timer ${type}`);
          await vi.advanceTimersByTimeAsync(delay!);
        } else {
          actor.send(step.event as EventObject);
        }
        await settle();
        trail.push(type);
        await check(k, step.state);
      }
    } finally {
      actor.stop();
      vi.useRealTimers();
    }
  };
}

/** Path errors are plain data (`{ message, kind }`); services throw Errors, so the machine sees one. */
function toError(value: unknown): unknown {
  if (value instanceof Error) return value;
  if (value && typeof value === 'object' && typeof (value as { message?: unknown }).message === 'string') {
    return Object.assign(new Error((value as { message: string }).message), value);
  }
  return value;
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : JSON.stringify(error);
}
