/**
 * The harness that generated model-based tests import (`lifecycle-kit/testing`). It drives a real actor of the
 * machine along a path: user events are sent as given; every invoked service is replaced (through
 * `machine.provide`) by a controllable actor that resolves or rejects exactly when the path says; the machine's
 * timers run on a simulated clock that a step advances by the delay the model gave it, and `Date` shows that
 * clock. After each step it checks the state value, the context, the inputs of the services the step started and,
 * at a final state, the output, against what the model computed when the suite was generated (written into the
 * test), and, where the lifecycle provides them, the per-state invariants against the real system. Asked to
 * (`coverage`, `LIFECYCLE_COVERAGE`), it records the transitions the paths take for `lifecycle coverage`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, isAbsolute, join, relative } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { afterAll, expect, TestRunner, vi } from 'vitest';
import { type AnyActorLogic, type AnyMachineSnapshot, type AnyStateMachine, createActor, type EventObject, fromCallback, fromPromise, SimulatedClock, type StateValue, toPromise } from 'xstate';
import { recordingDir } from '../coverage/file.ts';
import { type CoverageRecorder, createCoverageRecorder } from '../coverage/recorder.ts';
import { extractGraph } from '../model/extract.ts';
import { loadMachine } from '../model/load.ts';
import { serviceIdFor } from '../model/query.ts';
export { actorStandIn } from '../model/actor-stand-in.ts';
import { EXPLORATION_TIME, resolveDelay, withGuardChoices } from '../model/stepper.ts';
import { activeStateIds } from '../paths/coverage.ts';
import { formatStateValue } from '../paths/format.ts';
import { createTransitionRecorder } from '../runtime/transition-ids.ts';
import { type Comparable, comparable, differences, equal, without } from './comparable.ts';
import type { StepExpectation } from './expectations.ts';
import { toError } from '../model/delivered.ts';
import { withNamedInlineActors } from './inline-actors.ts';
import { failed, type Relay, startRelay, takeRelayed } from './relay.ts';
import { seedRandom } from '../model/seeded-random.ts';
import type { LifecycleServices } from '../services/types.ts';

/**
 * A step as generated tests write it: the event, the state it leads to, and what the model says the step does
 * besides (computed when the suite was generated; see `expectationsOf`).
 */
export interface TestStep extends StepExpectation {
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
  /** Context paths not compared (the catalogue's `unchecked`: values a run makes anew each time). */
  unchecked?: string[];
}

/** How one path is run. */
export interface RunOptions {
  /**
   * Run against the real system in a fresh sandbox (`services.sandboxInput`): each service step runs the real
   * service (a promise service, in lockstep with the path): one the path lets finish after the services'
   * `scenarios` set-up for it, if any; one the path fails with the services' `faults` injected. After every step
   * the lifecycle's per-state invariants are checked against the real files, processes and ports. From the first
   * step the real system cannot follow (a failure no fault makes, a callback service, a sample no scenario makes,
   * an event with a sample payload) on, only the model's expectations are checked. The path's string fields
   * (paths, URLs) give way to the sandbox's. A number: how many first steps a fresh sandbox follows by convention
   * (the catalogue's first samples: a real output unlike them there is a warning); `true`: all of them.
   */
  sandbox?: boolean | number;
  /** Outcomes for placeholder guards while the machine starts (eventless transitions out of the initial state). */
  guards?: Record<string, boolean>;
  /** The context once the machine has started; each step's `context`/`unset` then says what it changes. */
  context?: Comparable | null;
  /** Services the start invokes, by invoke id, with their inputs. */
  inputs?: Record<string, Comparable | null>;
  /** The output, for a machine that is done as soon as it starts. */
  output?: Comparable | null;
}

/**
 * Where the sandboxes of sandboxed paths are made: `LIFECYCLE_SANDBOX_DIR` when set (the repo's own vitest config
 * points it at a RAM disk: the real services fsync every write and a path removes its sandbox, which on a disk other
 * processes also write to took longer than the rest of the path), else the OS's temporary directory.
 */
const sandboxRoot = (): string => process.env.LIFECYCLE_SANDBOX_DIR || tmpdir();

/** How long an event step waits for a real callback service to send its event. */
const relayWaitMs = (): number => Number(process.env.LIFECYCLE_RELAY_WAIT_MS) || 2000;

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
  const loaded = await loadMachine(options.machine, undefined, { atModelTime: true });
  // `lifecycle mutate` runs the suite against one mutant of the machine (loaded only then).
  if (process.env.LIFECYCLE_MUTANT) loaded.machine = (await import('../mutate/apply.ts')).mutantFromEnv(loaded.machine, process.env.LIFECYCLE_MUTANT);
  const graph = extractGraph(loaded.machine);
  const { machine, names: inlineNames } = withNamedInlineActors(loaded.machine);
  const services = new Set<string>(graph.declared.actors);
  for (const s of graph.states) for (const inv of s.invoke) if (inv.src !== 'inline') services.add(inv.src);
  const pathOf = new Map(graph.states.map((s) => [s.id, s.path.join('.')]));
  const invokeIds = new Set(graph.states.flatMap((s) => s.invoke.map((i) => i.id)));
  const unchecked = options.unchecked ?? [];
  const real = options.services === true ? await builtinServices(options.machine) : options.services;
  const realActor = (src: string): AnyActorLogic | undefined => real?.actors?.[src];
  const warned = new Set<string>();
  const { recorder, atEnd } = startRecording(options.coverage, graph);

  return async function run(name: string, steps: TestStep[], initial?: StateValue, pathInput?: unknown, runOptions: RunOptions = {}): Promise<void> {
    const sandboxed = runOptions.sandbox !== undefined && runOptions.sandbox !== false && real !== undefined;
    // The first steps a fresh sandbox follows by convention (the default scenario's).
    const followed = runOptions.sandbox === true ? steps.length : typeof runOptions.sandbox === 'number' ? runOptions.sandbox : 0;
    let lockstep = sandboxed;
    // Steps run against the real system, and why the path left it (for `lifecycle coverage`).
    let realSteps = 0;
    let stopped: string | undefined;
    const stop = (why: string) => {
      if (lockstep) stopped = why;
      lockstep = false;
    };
    const callsOf = new Map<string, number>();
    let dir: string | undefined;
    let input = pathInput;
    if (sandboxed) {
      dir = mkdtempSync(join(sandboxRoot(), `lifecycle-${graph.id}-`));
      // Services without a sandbox of their own run on the path's input, with a fresh directory for the run.
      input = real!.sandboxInput ? withSandbox(await real!.sandboxInput(dir), pathInput) : pathInput;
    }
    const pending = new Map<string, Pending & { src: string; input: unknown }>();
    // The services a step started, with their inputs (compared with the step's `inputs`).
    let started = new Map<string, unknown>();
    // Real callback services running beside their stand-ins (by invoke id), and their set-ups still under way.
    const relays = new Map<string, Relay>();
    const starting: Promise<void>[] = [];
    let current = -1; // the step being taken (-1: the start)
    const controllable = (src: string): AnyActorLogic =>
      withChildContext(
        declaredLogicOf(machine, inlineNames.get(src) ?? src),
        fromPromise(({ self, input: serviceInput, signal }) => {
          started.set(self.id, serviceInput);
          const logic = lockstep ? realActor(src) : undefined;
          if (logic && !isPromiseLogic(logic)) starting.push(relayFor(self.id, src, logic, serviceInput, signal));
          return new Promise((resolve, reject) => pending.set(self.id, { resolve, reject, src, input: serviceInput }));
        }),
      );
    // Runs the real callback service `src`, after the fault its next event in the path (a failure the services can
    // make, `faults[<event type>]`) needs; stopped with its stand-in.
    const relayFor = async (id: string, src: string, logic: AnyActorLogic, serviceInput: unknown, signal: AbortSignal) => {
      // The next step the service takes part in: an event it may send, or its own failure (`faults[src]`).
      const next = steps.slice(current + 1).find((s) => !s.event.type.startsWith('xstate.') || s.event.type === `xstate.error.actor.${id}`);
      const key = next && (next.event.type.startsWith('xstate.') ? src : next.event.type);
      const fault = key && real?.faults?.[key];
      const calls = callsOf.get(src) ?? 0;
      callsOf.set(src, calls + 1);
      const error = next?.event.type.startsWith('xstate.') ? (next.event as { error?: unknown }).error : next?.event;
      const arranged = fault ? await fault({ input: serviceInput, runInput: input, dir: dir!, calls, error }) : undefined;
      if (arranged === false) return stop(`faults.${key} cannot make it`);
      if (signal.aborted || !lockstep) return;
      const relay = startRelay(src, logic, serviceInput);
      relays.set(id, relay);
      signal.addEventListener('abort', () => {
        relay.stop();
        relays.delete(id);
        // The fault passes with the service that met it.
        if (typeof arranged === 'function') starting.push(Promise.resolve(arranged()));
      });
    };
    const actors = Object.fromEntries([...services].map((s) => [inlineNames.get(s) ?? s, controllable(s)]));
    // A step's chosen guard outcomes stand in for guards the machine's module leaves as throwing placeholders.
    let chosen: Record<string, boolean> = runOptions.guards ?? {};
    const provided = withGuardChoices(machine, () => chosen).provide({ actors, actions: skipPlaceholderActions(machine) } as never);

    // The machine's timers run on a simulated clock that moves only when a step waits out a delay, and `Date` shows
    // that clock, starting where the model's did (EXPLORATION_TIME): a context stamped with Date.now() compares.
    // Everything else (a real service's own timers and clock) is real.
    const clock = new SimulatedClock();
    const modelNow = () => EXPLORATION_TIME + clock.now();
    vi.useFakeTimers({ toFake: ['Date'], now: EXPLORATION_TIME });
    const restoreRandom = seedRandom(); // as the model's, so ids made with Math.random compare
    const advance = async (ms: number) => {
      vi.setSystemTime(modelNow() + ms);
      clock.increment(ms);
      await settle();
    };
    // Strings the sandbox put in the input stand for the path's (a target directory): the expectations name the
    // path's, so what the machine derived from the sandbox's is read back as the path's before comparing.
    const renames: Rename[] = sandboxed ? sandboxRenames(input, pathInput) : [];
    // Output fields the real services make anew (a pid): left out when a real output is compared with its sample.
    const madeAnew = (src: string): string[] => real?.unchecked?.[src] ?? [];
    let expectedContext = runOptions.context;
    const transitions = recorder && createTransitionRecorder(provided);
    const visited = new Set<string>();
    // A machine that reports to its parent (`sendParent`) is one a parent invokes or spawns: XState fails it without
    // one, from its very first state on (an initial `always` that reports). Its stand-in parent takes what it sends
    // and drops it (as exploration's does); the machine joins the parent's system, which has the clock and inspector.
    const parent = createActor(fromCallback(() => {}), { clock, ...(transitions ? { inspect: transitions.inspect } : {}) }).start();
    const actor = createActor(provided, { input: input as never, clock, parent } as never) as unknown as ReturnType<typeof createActor<typeof provided>>;
    const trail: string[] = [];
    const fail = (k: number, what: string): never => {
      throw new Error(`path "${name}", step ${k + 1} of ${steps.length}: ${what}\n  path so far: ${trail.join(' → ') || '(start)'}`);
    };
    const settle = async () => {
      while (starting.length) await Promise.all(starting.splice(0));
      // Real time only: the machine's timers, even of 0 ms, fire in the steps the model gives them.
      for (let i = 0; i < 3; i++) await new Promise((resolve) => setImmediate(resolve));
    };
    // The event a step sends. While the path follows the real system: after the set-up `scenarios[<event type>]`
    // that makes the real system send it (a hold released over HTTP), if any, the one a running real callback
    // service sent, when one sends it within relayWaitMs(); it must then be the path's (or the path leaves the real
    // system). An event no running service sends is a command from outside (a person approving), which the real
    // system takes as given.
    const fromRealSystem = async (event: TestStep['event']): Promise<TestStep['event']> => {
      if (!lockstep) return event;
      const scenario = real?.scenarios?.[event.type];
      if (scenario && (await scenario({ input: undefined, runInput: input, dir: dir!, calls: 0, output: event })) === false) {
        stop(`scenarios.${event.type} cannot make it`);
        return event;
      }
      const payload = Object.keys(event).length > 1;
      const buffered = [...relays.values()].some((r) => r.events.some((e) => e.type === event.type));
      if (!relays.size || (!payload && !scenario && !buffered)) return event;
      const taken = await takeRelayed(relays, event.type, relayWaitMs());
      if (!taken) return event;
      if (equal(seen(taken.event), comparable(event))) return taken.event as TestStep['event'];
      stop(`the real ${taken.relay.src} sent ${event.type} unlike the path's (${differences(comparable(event), seen(taken.event), 1).join('; ')})`);
      return event;
    };
    // What the machine may tell failures apart by (the sample's kind, code, ...) must be the sample's; the message
    // may say it in other words, and fields the sample does not name are the service's business.
    // The machine then gets the real failure, in the sample's words when they differ: the model's expectations were
    // computed from the sample, and what a failure says is the service's business, not the machine's.
    const rejectWithReal = (k: number, service: Pending & { src: string }, sample: unknown, error: unknown) => {
      const expected = errorData(comparable(sample));
      const unlike = differences(expected, pick(errorData(seen(error)), Object.keys(expected)), 2);
      if (unlike.length) fail(k, `the real service ${service.src} failed otherwise than the path's sample${real?.faults?.[service.src] ? ` after faults.${service.src}` : ''} (${unlike.join('; ')}): ${describe(error)}`);
      service.reject(equal(seen(error), comparable(sample)) ? error : sample);
    };
    const seen = (value: unknown, leaveOut: readonly string[] = []) => renamed(comparable(value, leaveOut), renames);
    const compare = (k: number, what: string, expected: Comparable | null | undefined, actual: Comparable | undefined) => {
      if (!equal(expected ?? undefined, actual)) fail(k, `${what} differs from the model's: ${differences(expected ?? undefined, actual).join('; ')}`);
    };
    const check = async (k: number, expected: StateValue, step?: StepExpectation, starting?: RunOptions) => {
      const snapshot = actor.getSnapshot() as AnyMachineSnapshot;
      if (recorder) for (const id of activeStateIds(graph.id, snapshot.value)) visited.add(id);
      if (snapshot.status === 'error') fail(k, `the machine failed: ${describe(snapshot.error)}`);
      if (!isDeepStrictEqual(snapshot.value, expected)) {
        fail(k, `expected state ${formatStateValue(expected)}, got ${formatStateValue(snapshot.value)}`);
      }
      const expects = starting ?? step;
      if (expects) {
        if (starting === undefined && expectedContext !== undefined) expectedContext = applyChange(expectedContext, step!);
        if (expectedContext !== undefined) compare(k, 'context', expectedContext, seen(snapshot.context, unchecked));
        const inputs = Object.fromEntries([...started].filter(([id]) => invokeIds.has(id)).map(([id, v]) => [id, seen(v) ?? null]));
        if (expects.inputs || Object.keys(inputs).length) compare(k, 'services started (by invoke id, with their input)', expects.inputs ?? {}, inputs);
        if (expects.output !== undefined || snapshot.status === 'done') compare(k, 'output', expects.output, seen(snapshot.output));
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

    // The machine's own error is reported by the step that meets it (status 'error'); unobserved, XState would
    // also throw it later, outside any test.
    actor.subscribe({ error: () => {} });
    try {
      actor.start();
      await settle();
      if (initial !== undefined) await check(-1, initial, undefined, expectedContext !== undefined ? runOptions : undefined);
      for (const [k, step] of steps.entries()) {
        current = k;
        chosen = step.guards ?? {};
        started = new Map();
        const { type } = step.event;
        if (type.startsWith('xstate.done.actor.') || type.startsWith('xstate.error.actor.')) {
          const done = type.startsWith('xstate.done.actor.');
          const described = type.slice(done ? 'xstate.done.actor.'.length : 'xstate.error.actor.'.length);
          const id = serviceIdFor(described, pending.keys()) ?? described;
          const service = pending.get(id);
          if (!service) fail(k, `service ${id} is not running, so it cannot ${done ? 'finish' : 'fail'} (running: ${[...pending.keys()].join(', ') || 'none'})`);
          pending.delete(id);
          const realLogic = lockstep ? realActor(service!.src) : undefined;
          const calls = callsOf.get(service!.src) ?? 0;
          callsOf.set(service!.src, calls + 1);
          if (realLogic && isPromiseLogic(realLogic)) {
            const arrange = { input: service!.input, runInput: input, dir: dir!, calls };
            if (done) {
              // The real service does the step, after the set-up (if the services give one) that makes it return
              // the path's sample; the machine goes on with what it really returned.
              const sample = (step.event as { output?: unknown }).output;
              const scenario = real?.scenarios?.[service!.src];
              const arranged = scenario ? await scenario({ ...arrange, output: sample }) : undefined;
              if (arranged === false) {
                stop(`no scenario of ${service!.src} gives its sample`);
                service!.resolve(sample);
              } else {
                const outcome = await runReal(realLogic, service!.input);
                if (!outcome.ok) fail(k, `the real service ${service!.src} failed where the path expects it to finish: ${describe(outcome.error)}`);
                const anew = madeAnew(service!.src);
                if (equal(without(seen(outcome.value), anew), without(comparable(sample), anew))) {
                  // The machine goes on with the real values; where they appear later they read as the sample's.
                  learnRenames(renames, anew, seen(outcome.value), comparable(sample));
                  service!.resolve(outcome.value);
                } else if (scenario) {
                  fail(k, `the real ${service!.src} returned other than the path's sample after scenarios.${service!.src} set it up (${differences(comparable(sample), seen(outcome.value), 3).join('; ')})`);
                } else {
                  // A sample the real system does not give here, and nothing sets it up: the path goes on with the
                  // sample, on the model only. Where a fresh sandbox should give it (the catalogue's first sample),
                  // the catalogue is stale, and says so.
                  const what = differences(comparable(sample), seen(outcome.value), 2).join('; ');
                  if (k < followed && !warned.has(service!.src)) {
                    warned.add(service!.src); // once per suite file: every path that starts the same way meets it
                    console.warn(
                      `lifecycle-kit: path "${name}", step ${k + 1}: the real ${service!.src} returned what the catalogue's first sample does not say (${what}); the real system is not followed from here on: make that sample what ${service!.src} returns in a fresh sandbox, or give the services scenarios.${service!.src}`,
                    );
                  }
                  stop(`the real ${service!.src} does not give the path's sample (${what}) and the services have no scenario for it`);
                  service!.resolve(sample);
                }
              }
            } else {
              // The real service runs and fails for real, with the fault the services inject: the path goes on
              // against the real system (its retries, its rollback, its invariants).
              const sample = toError((step.event as { error?: unknown }).error);
              const fault = real?.faults?.[service!.src];
              const arranged = fault ? await fault({ ...arrange, error: (step.event as { error?: unknown }).error }) : false;
              if (arranged === false) {
                stop(fault ? `faults.${service!.src} cannot make this failure` : `the services have no faults.${service!.src}`);
                service!.reject(sample);
              } else {
                const outcome = await runReal(realLogic, service!.input);
                // A fault that passes (a lock another process held) is undone once it did its work.
                if (typeof arranged === 'function') await arranged();
                if (outcome.ok) fail(k, `the real service ${service!.src} finished where the path expects it to fail, after faults.${service!.src} injected the failure (it returned ${JSON.stringify(seen(outcome.value)) ?? 'undefined'})`);
                rejectWithReal(k, service!, sample, outcome.error);
              }
            }
          } else if (!done && realLogic && relays.has(id)) {
            // A real callback service or child machine that fails on its own (it throws), after faults[src] if any.
            const relay = relays.get(id)!;
            const sample = toError((step.event as { error?: unknown }).error);
            // Without a fault, only a service that already failed by itself is taken (no wait).
            if (await failed(relay, real?.faults?.[service!.src] ? relayWaitMs() : 0)) {
              rejectWithReal(k, service!, sample, relay.error);
            } else {
              if (real?.faults?.[service!.src]) fail(k, `the real service ${service!.src} did not fail where the path expects it to, after faults.${service!.src} injected the failure${relay.ended ? ` (${relay.ended})` : ''}`);
              stop(`the real ${service!.src} does not fail by itself and the services have no faults.${service!.src}`);
              service!.reject(sample);
            }
          } else {
            if (lockstep) stop(realLogic ? `${service!.src} is not a promise service, and a ${done ? 'finish' : 'failure'} of it is not a real one` : `the services have no real ${service!.src}`);
            if (done) service!.resolve((step.event as { output?: unknown }).output);
            else service!.reject(toError((step.event as { error?: unknown }).error));
          }
        } else if (type.startsWith('xstate.after.')) {
          if (step.delay !== undefined) {
            // The model's delay, not the machine's: a timer of that length must be pending; 1 ms short of its end
            // nothing fires, the last 1 ms fires the step. It may have been armed steps ago (another timer of the
            // state fired since), so what is left of it is waited out.
            const timer = pendingTimer(clock, step.delay);
            if (!timer) fail(k, `${type}: no timer of ${step.delay} ms (the model's delay) is pending; pending: ${pendingTimers(clock).join(', ') || 'none'}`);
            const left = Math.max(0, timer!.start + timer!.timeout - clock.now());
            const before = (actor.getSnapshot() as AnyMachineSnapshot).value;
            if (left > 0) await advance(left - 1);
            const early = (actor.getSnapshot() as AnyMachineSnapshot).value;
            if (!isDeepStrictEqual(early, before)) fail(k, `${type} fired before its delay of ${step.delay} ms: in ${formatStateValue(early)} ${left - 1} ms before its end`);
            await advance(left > 0 ? 1 : 0);
          } else {
            const delay = resolveDelay(provided, actor.getSnapshot() as AnyMachineSnapshot, type);
            if (delay === undefined) fail(k, `no pending timer ${type}`);
            await advance(delay!);
          }
        } else {
          actor.send((await fromRealSystem(step.event)) as EventObject);
        }
        await settle();
        trail.push(type);
        await check(k, step.state, hasExpectations(step) || expectedContext !== undefined ? step : undefined);
        if (lockstep) realSteps++;
      }
    } finally {
      // A root actor again, so that it may be stopped (XState stops a child only through its parent).
      (actor as unknown as { _parent?: unknown })._parent = undefined;
      actor.stop();
      parent.stop();
      for (const relay of relays.values()) relay.stop();
      // What the real services keep in this process (servers) ends with the path, as with a run.
      if (sandboxed) await real!.dispose?.();
      // A path that failed still took the transitions up to its failure: they count.
      if (recorder && transitions) recorder.add(transitions.take(), visited, sandboxed ? { steps: steps.length, real: realSteps, ...(stopped ? { stopped } : {}) } : undefined);
      if (recorder && !atEnd) recorder.flush();
      vi.useRealTimers();
      restoreRandom();
      // Retried: a process the path left running (an agent, which exits once its home is gone) may still write.
      if (dir) rmSync(dir, { recursive: true, force: true, maxRetries: 10, retryDelay: 50 });
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
 * The stand-in's snapshots carry a `context`, like a child machine's: the one the child machine `child` (the
 * service's own logic, when it is a machine) starts with for the same input, as exploration's children show (they
 * are created, never started), so that a parent reading a spawned child's context (`ref.getSnapshot().context.id`)
 * sees what the model saw; else an empty one, so that an `onSnapshot` handler written for a child machine
 * (`event.snapshot.context.x`) reads undefined instead of throwing.
 */
function withChildContext(declared: AnyActorLogic | undefined, logic: AnyActorLogic): AnyActorLogic {
  const contextFor = new WeakMap<object, unknown>();
  // `context` may be undefined on purpose (an observable that has not emitted): no default parameter.
  const add = <T>(snapshot: T, context: unknown): T => (snapshot && typeof snapshot === 'object' && !('context' in snapshot) ? { ...snapshot, context } : snapshot);
  const child = declared && isMachineLogic(declared) ? declared : undefined;
  return {
    ...logic,
    getInitialSnapshot: (...args: Parameters<AnyActorLogic['getInitialSnapshot']>) => {
      let context: unknown = {};
      if (child) {
        try {
          context = child.getInitialSnapshot(args[0] as never, args[1]).context ?? {};
        } catch {
          // A child that cannot start on this input: the stand-in's empty context, as before.
        }
      } else if (declared) {
        // Other logic whose snapshots have a context of their own (an observable's: the value it last emitted,
        // undefined until it emits): the first snapshot, which XState relays to an onSnapshot at start, holds that.
        try {
          const first = declared.getInitialSnapshot(args[0] as never, args[1]) as unknown;
          if (first && typeof first === 'object' && 'context' in first) context = (first as { context: unknown }).context;
        } catch {
          // Logic that cannot make a snapshot on this input: the empty context.
        }
      }
      contextFor.set(args[0].self, context);
      return add(logic.getInitialSnapshot(...args), context);
    },
    transition: (...args: Parameters<AnyActorLogic['transition']>) => {
      const self = args[2].self;
      return add(logic.transition(...args), contextFor.has(self) ? contextFor.get(self) : {});
    },
  } as AnyActorLogic;
}

/** The logic `machine` declares for the service `src`, if any. */
function declaredLogicOf(machine: AnyStateMachine, src: string): AnyActorLogic | undefined {
  const logic = (machine.implementations.actors as Record<string, unknown>)[src];
  return logic && typeof logic === 'object' && 'getInitialSnapshot' in logic ? (logic as AnyActorLogic) : undefined;
}

function isMachineLogic(logic: AnyActorLogic): logic is AnyStateMachine {
  return 'root' in logic;
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

/**
 * The sandbox's input with the path's settings: where things are (absolute paths, URLs: under the sandbox, on
 * loopback) comes from the sandbox; every other field (versions, names, numbers, flags) the path gives is the
 * path's, so the machine decides as the model did.
 */
function withSandbox(sandbox: unknown, pathInput: unknown): unknown {
  if (!pathInput || typeof pathInput !== 'object' || !sandbox || typeof sandbox !== 'object') return sandbox;
  const out: Record<string, unknown> = { ...(pathInput as object) };
  for (const [k, v] of Object.entries(sandbox)) if (!(k in out) || isLocation(v)) out[k] = v;
  return out;
}

const isLocation = (v: unknown): boolean => typeof v === 'string' && (isAbsolute(v) || /^[a-z][a-z0-9+.-]*:\/\//i.test(v));

/**
 * Runs a real promise service to its end on the real clock (the machine's `Date` is the model's, and its timers are
 * simulated; the real service's own are not), and says how it ended.
 */
async function runReal(logic: AnyActorLogic, input: unknown): Promise<{ ok: boolean; value?: unknown; error?: unknown }> {
  const now = Date.now();
  vi.useRealTimers();
  try {
    return { ok: true, value: await toPromise(createActor(logic, { input: input as never }).start()) };
  } catch (error) {
    return { ok: false, error };
  } finally {
    vi.useFakeTimers({ toFake: ['Date'], now });
  }
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

type ClockTimer = { start: number; timeout: number };
const timersOf = (clock: SimulatedClock): ClockTimer[] => [...((clock as unknown as { timeouts: Map<number, ClockTimer> }).timeouts?.values() ?? [])];

/** The pending timer of `delay` ms that ends first (XState's SimulatedClock keeps them in `timeouts`). */
function pendingTimer(clock: SimulatedClock, delay: number): ClockTimer | undefined {
  return timersOf(clock)
    .filter((t) => t.timeout === delay)
    .sort((a, b) => a.start + a.timeout - (b.start + b.timeout))[0];
}

function pendingTimers(clock: SimulatedClock): string[] {
  return timersOf(clock).map((t) => `${t.timeout} ms (${Math.max(0, t.start + t.timeout - clock.now())} ms left)`);
}

/** The expected context after a step: the one before with the step's changes. */
function applyChange(context: Comparable | null, step: StepExpectation): Comparable | null {
  if (step.wholeContext !== undefined) return step.wholeContext;
  if (!context || typeof context !== 'object' || Array.isArray(context)) return context;
  const next: Record<string, Comparable> = { ...context, ...step.context };
  for (const k of step.unset ?? []) delete next[k];
  return next;
}

function hasExpectations(step: TestStep): boolean {
  return step.context !== undefined || step.unset !== undefined || step.wholeContext !== undefined || step.inputs !== undefined || step.output !== undefined;
}

/** Pairs [sandbox's string, path's string] for the input's top-level string fields the sandbox replaced. */
function sandboxRenames(input: unknown, pathInput: unknown): Rename[] {
  if (!input || typeof input !== 'object' || !pathInput || typeof pathInput !== 'object') return [];
  const out: Rename[] = [];
  for (const [k, v] of Object.entries(pathInput)) {
    const real = (input as Record<string, unknown>)[k];
    if (typeof v !== 'string' || typeof real !== 'string' || real === v || !real.length) continue;
    out.push([real, v]);
    // A file beside it (`<dir>/instance.status.json` from `<dir>/instance.json`) is in the path's directory too.
    if (basename(real) === basename(v) && dirname(real).length > 1 && dirname(v) !== '.') out.push([dirname(real), dirname(v)]);
  }
  return byLength(out);
}

/** One value the real run has where the path's has another: a string or a number (also where it stands in a string). */
type Rename = [from: string, to: string] | [from: number, to: number];

// The longest first, so a directory inside another is renamed as itself.
const byLength = (renames: Rename[]): Rename[] => renames.sort((a, b) => String(b[0]).length - String(a[0]).length);

/**
 * Adds to `renames` the values of the output fields `fields` that the real service made anew (`real`) where the
 * sample has others. Values shorter than 3 characters are not renamed: elsewhere in the context (a counter, a
 * word) they would match by chance.
 */
function learnRenames(renames: Rename[], fields: readonly string[], real: Comparable | undefined, sample: Comparable | undefined): void {
  for (const field of fields) {
    const from = at(real, field);
    const to = at(sample, field);
    if (from === to || renames.some(([f]) => f === from)) continue;
    if (typeof from === 'number' && typeof to === 'number' && String(from).length >= 3) renames.push([from, to]);
    else if (typeof from === 'string' && typeof to === 'string' && from.length >= 3) renames.push([from, to]);
  }
  byLength(renames);
}

function at(value: Comparable | undefined, path: string): Comparable | undefined {
  let v = value;
  for (const key of path.split('.')) v = v !== null && typeof v === 'object' && !Array.isArray(v) ? v[key] : undefined;
  return v;
}

const pick = (o: Record<string, Comparable>, keys: string[]): Record<string, Comparable> => Object.fromEntries(keys.filter((k) => k in o).map((k) => [k, o[k]!]));

/** An error's plain fields other than its words (`kind`, `code`, `status`): what a machine's guards may read. */
function errorData(error: Comparable | undefined): Record<string, Comparable> {
  if (error === null || typeof error !== 'object' || Array.isArray(error)) return {};
  return Object.fromEntries(Object.entries(error).filter(([k, v]) => !['message', 'name', 'stack'].includes(k) && (v === null || typeof v !== 'object')));
}

/** `text` with the number `from` written as `to` where it stands alone (`pid 4242`, not `142420`); short ones never. */
function inText(text: string, from: number, to: number): string {
  const digits = String(from);
  return digits.length < 3 ? text : text.replace(new RegExp(`(?<![\\d.])${digits.replace('.', '\\.')}(?![\\d.])`, 'g'), String(to));
}

/** `value` with every sandbox string (inside strings too: a file under the target) written as the path's. */
function renamed(value: Comparable | undefined, renames: Rename[]): Comparable | undefined {
  if (!renames.length || value === undefined) return value;
  const walk = (v: Comparable): Comparable => {
    if (typeof v === 'string') return renames.reduce((s, [from, to]) => (typeof from === 'string' ? s.split(from).join(to as string) : inText(s, from, to as number)), v);
    if (typeof v === 'number') return (renames.find(([from]) => from === v)?.[1] as number | undefined) ?? v;
    if (Array.isArray(v)) return v.map(walk);
    if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x)]));
    return v;
  };
  return walk(value);
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : JSON.stringify(error);
}
