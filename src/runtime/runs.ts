import type { AnyMachineSnapshot } from 'xstate';
import { createMachine, type AnyStateMachine } from 'xstate';
import { UserError } from '../errors.ts';
import { assertRestorable, runActor, type ActorRunOptions } from './run-actor.ts';
import type { RestartedDelay } from './restart-delays.ts';
import type { RunMeta, SavedSnapshot } from './types.ts';
import { extractGraph } from '../model/extract.ts';
import { summarizeMachine, type MachineSummary } from '../model/fingerprint.ts';
import { checkCompatibility, type Compatibility } from './compatibility.ts';

/** What `startRun` and `resumeRun` return. */
export interface RunResult {
  /** `ended`: a final state the machine marks neither as a success nor as a failure. */
  status: 'succeeded' | 'failed' | 'ended' | 'interrupted';
  /** The last snapshot (restored but not run when the run had already finished). */
  snapshot: AnyMachineSnapshot | null;
  /** Why it failed. */
  error: string | null;
  meta: RunMeta;
  /** `after` timers a resume started again. */
  restartedDelays: RestartedDelay[];
  /** Things the user should know that did not stop the run (a torn journal line moved aside, an archived run), also given to `onNotice` as they happen. */
  warnings: string[];
  /** True when `resumeRun` found the run already finished and ran nothing. */
  alreadyFinished: boolean;
}

/**
 * Options of `startRun`: those of a run plus the input it starts from, or `makeInput`, called once the store is
 * locked and free (so that a refused run makes nothing, e.g. no sandbox directory).
 */
export type StartRunOptions = Omit<ActorRunOptions, 'timeoutMs'> & {
  input?: unknown;
  makeInput?: () => Promise<unknown>;
  timeoutMs?: number | null;
  /** Where a user's services came from (`<absolute file>#<export>`), recorded so that a resume loads them again. */
  servicesRef?: string;
  /** The sandbox directory `makeInput` made, if any, asked once it has run: recorded so the command that finishes the run removes it. */
  sandbox?: () => string | undefined;
};

/**
 * Starts a new run of a machine in a store, durably: the store is locked, the meta written, the machine run to a
 * final state with its snapshot and a journal line saved after every transition. A finished earlier run in the
 * store is archived first; an unfinished one is refused (resume it, or use another store).
 *
 * @example
 * const store = new DirectoryStore('.lifecycle');
 * const services = await SERVICES.install();
 * const result = await startRun({ store, lifecycle: 'install', machine: installMachine, actors: services.actors, input });
 */
export async function startRun(options: StartRunOptions): Promise<RunResult> {
  const { store } = options;
  store.lock();
  try {
    const warnings: string[] = [];
    const previous = store.readMeta();
    if (previous && (previous.status === 'running' || previous.status === 'interrupted')) {
      throw new UserError(
        `store ${store.location} holds an unfinished ${previous.lifecycle} run (started ${previous.started}, ${previous.status === 'running' ? 'stopped without finishing' : 'interrupted'}): resume it with 'lifecycle resume --store ${store.location}', or use another --store`,
      );
    }
    const input = options.makeInput ? await options.makeInput() : options.input;
    if (previous) {
      const message = `archived the previous ${previous.lifecycle} run (${previous.status}) to ${store.archive()}`;
      warnings.push(message);
      options.onNotice?.({ level: 'info', message });
    }
    const now = new Date().toISOString();
    const meta: RunMeta = {
      version: 1,
      lifecycle: options.lifecycle,
      input,
      started: now,
      updated: now,
      status: 'running',
      pid: process.pid,
      resumes: 0,
      options: { verify: options.verify ?? false, timeoutMs: options.timeoutMs ?? null },
      ...(options.servicesRef ? { services: options.servicesRef } : {}),
      ...(options.sandbox?.() ? { sandbox: options.sandbox() } : {}),
      machine: summarizeMachine(extractGraph(options.machine)),
    };
    store.writeMeta(meta);
    return await finish({ ...options, input }, meta, undefined, warnings);
  } finally {
    store.unlock();
  }
}

/** Options of `resumeRun`: those of a run; `verify` and `timeoutMs` default to the ones the run started with. */
export type ResumeRunOptions = Omit<ActorRunOptions, 'timeoutMs' | 'verify'> & {
  verify?: boolean;
  timeoutMs?: number | null;
  /** Resume on a changed machine whose changes touch the run but that the check calls compatible (`Compatibility.touching`). */
  acceptChanges?: boolean;
  /**
   * Turns the persisted snapshot of a run on the old machine into one for the new machine (`resume --migrate`); the
   * result is checked like any snapshot before anything runs, and saved before the run goes on.
   */
  migrate?: (args: { snapshot: unknown; from: MachineSummary | undefined; to: MachineSummary; input: unknown }) => unknown;
};

/** A resume refused because the machine changed under the run: one line per reason. */
export class IncompatibleMachineError extends UserError {
  constructor(
    readonly compatibility: Compatibility,
    message: string,
  ) {
    super(message);
  }
}

/**
 * Continues the run in a store from its last saved snapshot, in this process: the step that was in flight when the
 * run stopped (a crash, SIGKILL, Ctrl-C, a violated invariant once fixed) runs again, and pending `after` timers
 * start again. The input comes from the meta. A run that reached a final state is not run again (`alreadyFinished`).
 */
export async function resumeRun(options: ResumeRunOptions): Promise<RunResult> {
  const { store } = options;
  // Read once before locking: an empty store or an unreadable snapshot is reported with not even a lock taken.
  const first = store.readMeta();
  if (!first) throw new UserError(`no run in ${store.location}: start one with 'lifecycle run <lifecycle>'`);
  const internal = options as ResumeRunOptions & InternalResume;
  const firstSaved = internal.savedOverride ?? store.loadSnapshot();
  // A finished run writes nothing, so it needs no lock: a read-only store of a finished run says so, not EROFS.
  const over = internal.acceptFinished ? null : finishedRun(first, firstSaved);
  if (over) return over;
  store.lock();
  try {
    const meta = store.readMeta();
    if (!meta) throw new UserError(`no run in ${store.location}: start one with 'lifecycle run <lifecycle>'`);
    // Read before anything is written, so that a corrupt snapshot is reported with the store untouched.
    const saved = internal.savedOverride ?? store.loadSnapshot();
    // A run that reached a final state is over. A run that failed outside its machine (a violated invariant, a
    // store that could not be written, an unhandled error) stopped in a non-final state: it can be resumed.
    // Again under the lock: another process may have finished it in between.
    const finished = internal.acceptFinished ? null : finishedRun(meta, saved);
    if (finished) return finished;
    const warnings: string[] = [];
    const next = summarizeMachine(extractGraph(internal.summaryMachine ?? options.machine));
    let snapshot = saved?.snapshot;
    if (saved) {
      snapshot = await adoptChangedMachine(options, meta, next, saved, warnings);
      assertRestorable(options, snapshot);
    }
    const repaired = store.repairJournal();
    if (repaired) {
      warnings.push(repaired);
      options.onNotice?.({ level: 'warning', message: repaired });
    }
    const resumed: RunMeta = {
      ...meta,
      // From now on the run is on this machine: the next resume compares with it.
      machine: next,
      status: 'running',
      pid: process.pid,
      resumes: meta.resumes + 1,
      updated: new Date().toISOString(),
      options: {
        verify: options.verify ?? meta.options.verify,
        timeoutMs: options.timeoutMs === undefined ? meta.options.timeoutMs : options.timeoutMs,
      },
    };
    store.writeMeta(resumed);
    // No snapshot yet: the run stopped before its first save, so no service had started. Start it afresh.
    return await finish({ ...options, input: meta.input, delivered: saved?.delivered }, resumed, snapshot, warnings, meta);
  } finally {
    store.unlock();
  }
}

/** The event `retryRun` sends to leave a failed final state for the failed step: the runtime's own, never the machine's. */
export const RETRY_EVENT = 'lifecycle.retry';

/**
 * Redrives a failed run from the step that failed, with what the steps before it did kept (their context): the run
 * must have ended in a final state, and the machine must say which step failed (`lastError.step`, as the step
 * helper records it) and have that step (a `retryingStep`, or one recognised by shape). The run goes on from the
 * step's start, as if it had just been entered (its entry actions run: the attempts count from 1 again), on the
 * machine with one transition more: from anywhere to that step, on `lifecycle.retry`, sent once.
 */
export async function retryRun(options: ResumeRunOptions): Promise<RunResult> {
  const { store } = options;
  const meta = store.readMeta();
  if (!meta) throw new UserError(`no run in ${store.location}: start one with 'lifecycle run <lifecycle>'`);
  const saved = store.loadSnapshot();
  const hint = store.location;
  if (meta.status === 'succeeded' || meta.status === 'ended') throw new UserError(`the ${meta.lifecycle} run in ${hint} ${meta.status}: there is nothing to retry`);
  const persisted = saved?.snapshot as { status?: string; context?: { lastError?: { step?: unknown } } } | undefined;
  if (meta.status !== 'failed' || !saved || persisted?.status !== 'done') {
    throw new UserError(`the ${meta.lifecycle} run in ${hint} did not fail in a final state (it is ${meta.status}): continue it with 'lifecycle resume' instead`);
  }
  const stepName = saved.progress?.lastError?.step ?? persisted.context?.lastError?.step;
  const graph = extractGraph(options.machine);
  const steps = graph.states.filter((s) => s.step);
  const target = steps.find((s) => s.step!.name === stepName);
  if (typeof stepName !== 'string' || !target) {
    throw new UserError(
      `cannot retry the ${meta.lifecycle} run in ${hint}: ${typeof stepName === 'string' ? `the step '${stepName}' it failed in is not a step of the machine${steps.length ? ` (steps: ${steps.map((s) => s.step!.name).join(', ')})` : ''}` : 'it does not say which step failed (lastError.step, as lifecycle-kit/steps records it)'}`,
    );
  }
  const config = options.machine.config as { on?: Record<string, unknown> };
  const retrying = createMachine({ ...(config as object), on: { ...(config.on ?? {}), [RETRY_EVENT]: { target: `#${target.id}` } } } as never, options.machine.implementations as never) as AnyStateMachine;
  // The failed final state made "active" again for one event: the retry transition leaves it for the step.
  const reopened = { ...(saved.snapshot as object), status: 'active', output: undefined };
  const retried = await resumeRun({
    ...options,
    machine: retrying,
    summaryMachine: options.machine,
    savedOverride: { ...saved, snapshot: reopened },
    acceptFinished: true,
    onControl(control) {
      const receipt = control.send({ type: RETRY_EVENT });
      if (!receipt.accepted) options.onNotice?.({ level: 'warning', message: `the retry was refused: ${receipt.reason}` });
      options.onControl?.(control);
    },
  } as ResumeRunOptions & InternalResume);
  return retried;
}

/** What `retryRun` changes in a resume: the machine to check against, the snapshot to restore, a finished run taken. */
interface InternalResume {
  summaryMachine?: AnyStateMachine;
  savedOverride?: SavedSnapshot;
  acceptFinished?: boolean;
}

/**
 * The snapshot a resume restores on `options.machine`: the saved one when the machine is the same or its changes
 * leave the run alone (said as notices), or accepted with `acceptChanges`; the migrated one with `migrate` (checked,
 * then saved). Throws an {@link IncompatibleMachineError} otherwise, before anything is written.
 */
async function adoptChangedMachine(options: ResumeRunOptions, meta: RunMeta, next: MachineSummary, saved: SavedSnapshot, warnings: string[]): Promise<unknown> {
  const { store } = options;
  const machine = (options as ResumeRunOptions & InternalResume).summaryMachine ?? options.machine;
  const check = (snapshot: unknown) => checkCompatibility(meta.machine, next, machine, snapshot, meta.input);
  let report = check(saved.snapshot);
  if (report.same) return saved.snapshot;
  let snapshot = saved.snapshot;
  if (options.migrate) {
    try {
      snapshot = await options.migrate({ snapshot: saved.snapshot, from: meta.machine, to: next, input: meta.input });
    } catch (error) {
      throw new UserError(`--migrate failed: ${(error as Error).message?.split('\n')[0] ?? String(error)}: nothing was changed`);
    }
    if (!snapshot || typeof snapshot !== 'object' || !('value' in snapshot)) {
      throw new UserError('--migrate returned no persisted snapshot (an object with a value, as machine.getPersistedSnapshot gives): nothing was changed');
    }
    report = check(snapshot);
    report = { ...report, incompatible: report.incompatible.map((r) => `after --migrate: ${r}`) };
  }
  const where = `${store.location}`;
  if (report.incompatible.length) {
    // With the graph unchanged (or unknown) it is the snapshot that does not fit, not the machine that moved.
    const changed = meta.machine !== undefined && meta.machine.fingerprint !== next.fingerprint;
    throw new IncompatibleMachineError(
      report,
      changed
        ? `the machine changed and cannot resume the run in ${where}: ${report.incompatible.join('; ')}. Nothing was changed: resume with the machine the run started on, or give --migrate file.ts#fn`
        : `the saved snapshot in ${where} does not fit the ${options.lifecycle} machine: ${report.incompatible.join('; ')}. Nothing was changed: restore the snapshot, or give --migrate file.ts#fn`,
    );
  }
  if (report.touching.length && !options.acceptChanges && !options.migrate) {
    throw new IncompatibleMachineError(
      report,
      `the machine changed where the run in ${where} is: ${report.touching.join('; ')}. Nothing was changed: resume with --accept-changes to go on with the new machine, or give --migrate file.ts#fn`,
    );
  }
  const said = [...report.touching, ...report.elsewhere];
  const message = `the machine changed since the run was saved (${meta.machine?.fingerprint ?? 'unknown'} → ${next.fingerprint}); resuming on the new one: ${said.slice(0, 8).join('; ')}${said.length > 8 ? `; … (${said.length} changes)` : ''}`;
  warnings.push(message);
  options.onNotice?.({ level: 'warning', message });
  if (snapshot !== saved.snapshot) store.saveSnapshot({ ...saved, savedAt: new Date().toISOString(), snapshot });
  return snapshot;
}

/**
 * The result of resuming a run that is over: one that reached a final state. A run that failed outside its machine
 * (a violated invariant, a store that could not be written, an unhandled error) stopped in a non-final state: it can
 * be resumed, so this is null for it.
 */
function finishedRun(meta: RunMeta, saved: SavedSnapshot | null): RunResult | null {
  const final = (saved?.snapshot as { status?: string } | undefined)?.status === 'done';
  if (meta.status === 'succeeded' || meta.status === 'ended' || (meta.status === 'failed' && (final || !saved))) {
    return { status: meta.status, snapshot: null, error: meta.error ?? null, meta, restartedDelays: [], warnings: [], alreadyFinished: true };
  }
  return null;
}

async function finish(
  options: Omit<ActorRunOptions, 'timeoutMs' | 'verify'> & { input: unknown; verify?: boolean; timeoutMs?: number | null; delivered?: string[] },
  meta: RunMeta,
  saved: unknown,
  warnings: string[],
  before?: RunMeta,
): Promise<RunResult> {
  const { store } = options;
  let end;
  try {
    end = await runActor({ ...options, verify: meta.options.verify, timeoutMs: meta.options.timeoutMs, saved });
  } catch (error) {
    // The run could not even start: a resumed run's meta goes back to what it was, a new run is marked failed.
    store.writeMeta(before ?? { ...meta, status: 'failed', error: (error as Error).message });
    throw error;
  }
  const final: RunMeta = {
    ...meta,
    status: end.status,
    updated: new Date().toISOString(),
    ...(end.error ? { error: end.error } : {}),
  };
  if (!end.error) delete final.error;
  store.writeMeta(final);
  return { ...end, meta: final, warnings, alreadyFinished: false };
}
