/**
 * The harness that generated model-based tests import (`lifecycle-kit/testing`). It drives a real actor of the
 * machine along a path: user events are sent as given; every invoked service is replaced (through
 * `machine.provide`) by a controllable actor that resolves or rejects exactly when the path says; `after` timers
 * are advanced with vitest's fake timers. After each step it checks the state value and, where the lifecycle
 * provides them, the per-state invariants against the real system. Asked to (`coverage`, `LIFECYCLE_COVERAGE`), it
 * records the transitions the paths take for `lifecycle coverage`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { afterAll, expect, TestRunner, vi } from 'vitest';
import { type AnyActorLogic, type AnyMachineSnapshot, createActor, type EventObject, fromPromise, type StateValue, toPromise } from 'xstate';
import { recordingDir } from '../coverage/file.ts';
import { type CoverageRecorder, createCoverageRecorder } from '../coverage/recorder.ts';
import { extractGraph } from '../model/extract.ts';
import { loadMachine } from '../model/load.ts';
import { resolveDelay, withGuardChoices } from '../model/stepper.ts';
import { activeStateIds } from '../paths/coverage.ts';
import { formatStateValue } from '../paths/format.ts';
import { createTransitionRecorder } from '../runtime/transition-ids.ts';
import { withNamedInlineActors } from './inline-actors.ts';
import type { LifecycleServices } from '../services/types.ts';

/** A step as generated tests write it. */
export interface TestStep {
  /** The event with its payload (`output` of a service's done event, `error` of its error event, ...). */
  event: { type: string; [key: string]: unknown };
  state: StateValue;
  /** Outcomes for guards whose implementation is a placeholder that throws, while this step runs. */
  guards?: Record<string, boolean>;
}

export interface PathRunnerOptions {
  /** A built-in name or `path/to/file.ts#exportName` (absolute, or relative to the current directory). */
  machine: string;
  /**
   * The lifecycle's real services, for paths run against the real system: a `LifecycleServices`, or `true` for a
   * built-in's own (from the services registry).
   */
  // `any`: a user's services are typed with their machine's input and context, which this option cannot know.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  services?: LifecycleServices<any, any> | true;
  /**
   * Record the transitions the paths really take, for `lifecycle coverage`: a directory, `true` for
   * `.lifecycle-coverage/`, `false` for never. Default: only when `LIFECYCLE_COVERAGE=1` or
   * `LIFECYCLE_COVERAGE_DIR=<dir>` is set, so a plain test run writes nothing.
   */
  coverage?: boolean | string;
}

/** How one path is run. */
export interface RunOptions {
  /**
   * Run against the real system in a fresh sandbox (`services.sandboxInput`): each service the path lets finish
   * really runs (a promise service, in lockstep with the path), and after every step the lifecycle's per-state
   * invariants are checked against the real files, processes and ports. From the first step the real system
   * cannot follow (an injected failure, a callback service, a service the path resolves with a sample) on,
   * only the state is checked. The path's string fields (paths, URLs) give way to the sandbox's.
   */
  sandbox?: boolean;
  /** Outcomes for placeholder guards while the machine starts (eventless transitions out of the initial state). */
  guards?: Record<string, boolean>;
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
  const loaded = await loadMachine(options.machine);
  // `lifecycle mutate` runs the suite against one mutant of the machine (loaded only then).
  if (process.env.LIFECYCLE_MUTANT) loaded.machine = (await import('../mutate/apply.ts')).mutantFromEnv(loaded.machine, process.env.LIFECYCLE_MUTANT);
  const graph = extractGraph(loaded.machine);
  const { machine, names: inlineNames } = withNamedInlineActors(loaded.machine);
  const services = new Set<string>(graph.declared.actors);
  for (const s of graph.states) for (const inv of s.invoke) if (inv.src !== 'inline') services.add(inv.src);
  const pathOf = new Map(graph.states.map((s) => [s.id, s.path.join('.')]));
  const real = options.services === true ? await builtinServices(options.machine) : options.services;
  const { recorder, atEnd } = startRecording(options.coverage, graph);

  return async function run(name: string, steps: TestStep[], initial?: StateValue, pathInput?: unknown, runOptions: RunOptions = {}): Promise<void> {
    const sandboxed = runOptions.sandbox === true && real !== undefined;
    let lockstep = sandboxed;
    let dir: string | undefined;
    let input = pathInput;
    if (sandboxed) {
      dir = mkdtempSync(join(tmpdir(), `lifecycle-${graph.id}-`));
      // Services without a sandbox of their own run on the path's input, with a fresh directory for the run.
      input = real!.sandboxInput ? withSandbox(await real!.sandboxInput(dir), pathInput) : pathInput;
    }
    const pending = new Map<string, Pending & { src: string; input: unknown }>();
    const controllable = (src: string): AnyActorLogic =>
      withEmptyContext(fromPromise(({ self, input: serviceInput }) => new Promise((resolve, reject) => pending.set(self.id, { resolve, reject, src, input: serviceInput }))));
    const actors = Object.fromEntries([...services].map((s) => [inlineNames.get(s) ?? s, controllable(s)]));
    // A step's chosen guard outcomes stand in for guards the machine's module leaves as throwing placeholders.
    let chosen: Record<string, boolean> = runOptions.guards ?? {};
    const provided = withGuardChoices(machine, () => chosen).provide({ actors, actions: skipPlaceholderActions(machine) } as never);

    // Against the real system, services use real timers; the machine's own timers still move only when a step
    // says (a real step may take longer than a backoff, but the machine's timers are advanced explicitly).
    vi.useFakeTimers(sandboxed ? { shouldAdvanceTime: true } : undefined);
    const transitions = recorder && createTransitionRecorder(provided);
    const visited = new Set<string>();
    const actor = createActor(provided, { input: input as never, ...(transitions ? { inspect: transitions.inspect } : {}) });
    const trail: string[] = [];
    const fail = (k: number, what: string): never => {
      throw new Error(`path "${name}", step ${k + 1} of ${steps.length}: ${what}\n  path so far: ${trail.join(' → ') || '(start)'}`);
    };
    const settle = async () => {
      for (let i = 0; i < 3; i++) await vi.advanceTimersByTimeAsync(0);
    };
    const check = async (k: number, expected: StateValue) => {
      const snapshot = actor.getSnapshot() as AnyMachineSnapshot;
      if (recorder) for (const id of activeStateIds(graph.id, snapshot.value)) visited.add(id);
      if (snapshot.status === 'error') fail(k, `the machine failed: ${describe(snapshot.error)}`);
      if (!isDeepStrictEqual(snapshot.value, expected)) {
        fail(k, `expected state ${formatStateValue(expected)}, got ${formatStateValue(snapshot.value)}`);
      }
      if (lockstep && real) {
        for (const id of activeStateIds(graph.id, snapshot.value)) {
          const invariant = real.invariants?.[pathOf.get(id) ?? ''];
          if (!invariant) continue;
          const violations = await invariant({ input, context: snapshot.context, value: snapshot.value });
          if (violations.length) fail(k, `invariant of ${pathOf.get(id)} does not hold in ${dir}: ${violations.join('; ')}`);
        }
      }
    };

    try {
      actor.start();
      await settle();
      if (initial !== undefined) await check(-1, initial);
      for (const [k, step] of steps.entries()) {
        chosen = step.guards ?? {};
        const { type } = step.event;
        if (type.startsWith('xstate.done.actor.') || type.startsWith('xstate.error.actor.')) {
          const done = type.startsWith('xstate.done.actor.');
          const id = type.slice(done ? 'xstate.done.actor.'.length : 'xstate.error.actor.'.length);
          const service = pending.get(id);
          if (!service) fail(k, `service ${id} is not running, so it cannot ${done ? 'finish' : 'fail'} (running: ${[...pending.keys()].join(', ') || 'none'})`);
          pending.delete(id);
          const realLogic = lockstep ? real?.actors?.[service!.src] : undefined;
          if (done && realLogic && isPromiseLogic(realLogic)) {
            // The real service does the step; the machine goes on with what it really returned.
            try {
              service!.resolve(await toPromise(createActor(realLogic, { input: service!.input as never }).start()));
            } catch (error) {
              fail(k, `the real service ${service!.src} failed where the path expects it to finish: ${describe(error)}`);
            }
          } else {
            lockstep = false;
            if (done) service!.resolve((step.event as { output?: unknown }).output);
            else service!.reject(toError((step.event as { error?: unknown }).error));
          }
        } else if (type.startsWith('xstate.after.')) {
          const delay = resolveDelay(provided, actor.getSnapshot() as AnyMachineSnapshot, type);
          if (delay === undefined) fail(k, `no pending timer ${type}`);
          await vi.advanceTimersByTimeAsync(delay!);
        } else {
          // An event with a sample payload stands in for something the real system did not do.
          if (Object.keys(step.event).length > 1) lockstep = false;
          actor.send(step.event as EventObject);
        }
        await settle();
        trail.push(type);
        await check(k, step.state);
      }
    } finally {
      actor.stop();
      // A path that failed still took the transitions up to its failure: they count.
      if (recorder && transitions) recorder.add(transitions.take(), visited);
      if (recorder && !atEnd) recorder.flush();
      vi.useRealTimers();
      if (dir) rmSync(dir, { recursive: true, force: true });
    }
  };
}

/**
 * A recorder for this test file when recording is asked for. It writes once, after the file's last test, where
 * the runner is created at the top of a test file (as generated suites do); created elsewhere, after every path.
 */
function startRecording(option: boolean | string | undefined, graph: ReturnType<typeof extractGraph>): { recorder?: CoverageRecorder; atEnd: boolean } {
  const dir = recordingDir(option);
  if (!dir) return { atEnd: false };
  const testPath = (expect.getState() as { testPath?: string }).testPath;
  const testFile = testPath ? relative(process.cwd(), testPath) : `unknown-${Date.now()}`;
  // While a file is collected its task has no result yet; a hook registered later (in a test, in beforeAll) would
  // never run. One write per file: an atomic write fsyncs, ~10 ms, which per path would slow a suite measurably.
  const recorder = createCoverageRecorder(graph, dir, testFile);
  const atEnd = isCollecting();
  if (atEnd) afterAll(() => recorder.flush());
  return { recorder, atEnd };
}

function isCollecting(): boolean {
  try {
    const file = (TestRunner.getCurrentSuite() as { file?: { result?: unknown } }).file;
    return file !== undefined && file.result === undefined;
  } catch {
    return false; // not under vitest's runner
  }
}

/**
 * The stand-in's snapshots carry an empty `context`, like a child machine's: an `onSnapshot` handler written for a
 * child machine (`event.snapshot.context.x`) reads undefined instead of throwing on the stand-in's snapshots.
 */
function withEmptyContext(logic: AnyActorLogic): AnyActorLogic {
  const add = <T>(snapshot: T): T => (snapshot && typeof snapshot === 'object' && !('context' in snapshot) ? { ...snapshot, context: {} } : snapshot);
  return {
    ...logic,
    getInitialSnapshot: (...args: Parameters<AnyActorLogic['getInitialSnapshot']>) => add(logic.getInitialSnapshot(...args)),
    transition: (...args: Parameters<AnyActorLogic['transition']>) => add(logic.transition(...args)),
  } as AnyActorLogic;
}

/**
 * Named custom actions (side effects: not `assign`, `raise` and XState's other built-ins) run as in the app, but
 * one that throws does not stop the test: path generation never runs them (it follows what the machine decides,
 * not what its side effects do), and they may throw on sample data (a function missing from a sample object) or
 * be placeholders the app provides with `machine.provide` ("not implemented"). A throw is reported once per action
 * on the console, placeholders silently; the state checks go on.
 */
function skipPlaceholderActions(machine: { implementations: { actions?: unknown } }): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const reported = new Set<string>();
  for (const [name, impl] of Object.entries((machine.implementations.actions ?? {}) as Record<string, unknown>)) {
    if (typeof impl !== 'function' || 'resolve' in impl || 'type' in impl) continue;
    out[name] = (args: unknown, params: unknown) => {
      try {
        return (impl as (a: unknown, p: unknown) => unknown)(args, params);
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        if (/not (yet )?(implemented|provided)/i.test(message) || reported.has(name)) return undefined;
        reported.add(name);
        console.warn(`lifecycle-kit: action ${name} threw (${message}); the path goes on, as path generation does not run custom actions`);
        return undefined;
      }
    };
  }
  return out;
}

async function builtinServices(machine: string): Promise<LifecycleServices | undefined> {
  const { SERVICES } = await import('../services/index.ts');
  const load = (SERVICES as Record<string, (() => Promise<LifecycleServices>) | undefined>)[machine];
  return load ? load() : undefined;
}

/** The sandbox's input with the path's settings: string fields (paths, URLs, versions) come from the sandbox. */
function withSandbox(sandbox: unknown, pathInput: unknown): unknown {
  if (!pathInput || typeof pathInput !== 'object' || !sandbox || typeof sandbox !== 'object') return sandbox;
  const settings = Object.entries(pathInput).filter(([, v]) => typeof v !== 'string');
  return { ...(sandbox as object), ...Object.fromEntries(settings) };
}

/** A `fromPromise` logic finishes on XState's promise-resolve event; a callback or machine logic does not. */
function isPromiseLogic(logic: AnyActorLogic): boolean {
  try {
    const next = logic.transition({ status: 'active', output: undefined, error: undefined, input: undefined } as never, { type: 'xstate.promise.resolve', data: 0 } as never, {} as never) as { status?: string };
    return next?.status === 'done';
  } catch {
    return false;
  }
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
