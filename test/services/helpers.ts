/**
 * Runs a lifecycle machine with real services and checks the services' per-state invariants against the real
 * system at every snapshot. Each invoked promise service first waits until the checks of the snapshot it was
 * invoked in have finished, so a check never races with the step that follows it.
 */
import { createActor, fromPromise, toPromise, type AnyActorLogic, type AnyStateMachine, type EventObject, type SnapshotFrom } from 'xstate';
import type { BuiltinServices } from '../../src/services/types.ts';

/** Dot-joined paths of every active state, e.g. `installing`, `installing.kibana_assets`, `installing.kibana_assets.running`. */
export function activePaths(value: unknown, prefix = ''): string[] {
  if (typeof value === 'string') return [prefix + value];
  if (value === null || typeof value !== 'object') return [];
  return Object.entries(value as Record<string, unknown>).flatMap(([k, v]) => [prefix + k, ...activePaths(v, `${prefix}${k}.`)]);
}

export interface CheckedRun<TOutput> {
  output: TOutput;
  snapshot: SnapshotFrom<AnyStateMachine>;
  /** Every state path entered, in order (leaf paths). */
  visited: string[];
  /** Invariant violations, prefixed by the state they were found in. */
  violations: string[];
  /** How many invariant checks ran. */
  checks: number;
  /** Every event the machine received (services' done/error events and the `sendBack`s of callback actors included). */
  events: EventObject[];
}

export interface CheckedRunOptions {
  /** Services not gated (callback actors: they stream events and are checked at their state's next snapshot). */
  ungated?: string[];
  /** Called with the started actor, e.g. to send CANCEL. */
  onStart?: (actor: ReturnType<typeof createActor<AnyStateMachine>>) => void;
}

export async function runChecked<TInput, TContext, TOutput>(
  machine: AnyStateMachine,
  services: BuiltinServices<TInput, TContext>,
  input: TInput,
  options: CheckedRunOptions = {},
): Promise<CheckedRun<TOutput>> {
  let gate: Promise<void> = Promise.resolve();
  const violations: string[] = [];
  const visited: string[] = [];
  let checks = 0;
  const actors: Record<string, AnyActorLogic> = {};
  for (const [name, logic] of Object.entries(services.actors)) {
    actors[name] = options.ungated?.includes(name)
      ? logic
      : fromPromise(async ({ input: childInput, signal }: { input: unknown; signal: AbortSignal }) => {
          await new Promise((resolve) => setImmediate(resolve));
          await gate;
          if (signal.aborted) throw new Error(`${name} was stopped before it started`);
          const child = createActor(logic, { input: childInput });
          signal.addEventListener('abort', () => child.stop());
          const done = toPromise(child);
          child.start();
          return done;
        });
  }
  const events: EventObject[] = [];
  let root: unknown;
  const actor = createActor(machine.provide({ actors: actors as never }), {
    input,
    inspect: (e) => {
      if (e.type === '@xstate.event' && e.actorRef === root) events.push(e.event);
    },
  });
  root = actor;
  actor.subscribe({
    next: (snapshot) => {
      const paths = activePaths(snapshot.value);
      const leaves = paths.filter((p) => !paths.some((q) => q.startsWith(`${p}.`)));
      for (const leaf of leaves) if (visited[visited.length - 1] !== leaf) visited.push(leaf);
      const probe = { input, context: snapshot.context as TContext, value: snapshot.value };
      gate = gate.then(async () => {
        for (const p of paths) {
          const check = services.invariants[p];
          if (!check) continue;
          checks++;
          for (const v of await check(probe)) violations.push(`${p}: ${v}`);
        }
      });
    },
    error: () => undefined,
  });
  const done = toPromise(actor);
  actor.start();
  options.onStart?.(actor as never);
  const output = (await done) as TOutput;
  await gate;
  return { output, snapshot: actor.getSnapshot(), visited, violations, checks, events };
}
