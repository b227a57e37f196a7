import type { RunInbox } from './inbox.ts';
import type { RunProgress } from './progress-view.ts';
import type { MachineSummary } from '../model/fingerprint.ts';

/**
 * The plain data a durable run is made of, and the store interface that keeps it. Everything here is JSON: a
 * store may be a directory (the default), a database row or memory.
 */

/** Where a run stands, as recorded in its meta. */
/**
 * `ended`: the run reached a final state that the machine marks neither as a success nor as a failure (see
 * `outcomeOf`): it is over, but not reported as a success.
 */
export type RunStatus = 'running' | 'succeeded' | 'failed' | 'ended' | 'interrupted';

/** What a store knows about a run besides its snapshot: enough to resume it from another process. */
export interface RunMeta {
  /** Format version of the store, so that a later lifecycle-kit can refuse or migrate an old one. */
  version: 1;
  /** The machine reference: a built-in name (`install`) or an absolute `path/to/file.ts#exportName`. */
  lifecycle: string;
  /** The run's input, as given to the machine. */
  input: unknown;
  /** ISO-8601 time the run started. */
  started: string;
  /** ISO-8601 time of the last status change. */
  updated: string;
  status: RunStatus;
  /** Pid of the process that last ran it. */
  pid: number;
  /** How many times the run was resumed. */
  resumes: number;
  /** Options a resume reuses unless told otherwise. */
  options: { verify: boolean; timeoutMs: number | null };
  /** Why the run failed, when it did (the last error, or a violated invariant). */
  error?: string;
  /**
   * Where the run's services came from (`<absolute file>#<export>`), when they are not a built-in's: a resume
   * loads them from there.
   */
  services?: string;
  /** The temp directory of a sandboxed run (`run` without --input): removed by whichever command finishes the run. */
  sandbox?: string;
  /** The machine the run is on (its fingerprint and summary): a resume on a changed machine is checked against it. */
  machine?: MachineSummary;
}

/** One transition of the machine, as a line of the journal. */
export interface JournalEntry {
  /** ISO-8601. */
  time: string;
  /** The event type (`xstate.done.actor.…`, `RETRY_NOW`), or `xstate.init` / `lifecycle.resume`. */
  event: string;
  /** The state value before (`snapshot.value`; null for the first entry). */
  from: unknown;
  /** The state value after. */
  to: unknown;
  /** `context.step` after the transition, when the machine keeps one. */
  step: string | null;
  /**
   * The transition definitions taken, eventless ones included, as graph-model transition ids
   * (`install.installing.kibana_assets.running:xstate.done.actor.…:0`): what `lifecycle coverage --journal` counts.
   */
  transitions?: string[];
  /** A service's output, on `xstate.done.actor.*` lines (left out past 64 KiB of JSON): what `lifecycle replay` resolves it with. */
  output?: unknown;
  /** An outside event's fields besides `type` (from `lifecycle send`, the inspector, a callback), bounded likewise. */
  payload?: Record<string, unknown>;
  /** The error this transition recorded (a new `context.lastError`, or the error event's message). */
  error?: { message: string; kind?: string; step?: string; attempt?: number };
}

/** The content of a saved snapshot: XState's persisted snapshot plus when it was saved. */
export interface SavedSnapshot {
  version: 1;
  /** ISO-8601. */
  savedAt: string;
  /** `machine.getPersistedSnapshot(snapshot)`: restore it with `createActor(machine, { snapshot })`. */
  snapshot: unknown;
  /** The run's progress in this state, as the services' selector or the step fields give it (what `status` shows). */
  progress?: RunProgress;
  /** Ids of the last inbox messages whose events this snapshot includes, so a resume never delivers one twice. */
  delivered?: string[];
}

/** A journal as read back: the entries, and warnings about a torn last line that was left out. */
export interface JournalRead {
  entries: JournalEntry[];
  warnings: string[];
}

/**
 * Where a run is kept. `saveSnapshot` and `appendJournal` are synchronous on purpose: the runtime calls them
 * inside the machine's transition, before that transition's side effects (invoked services, timers) start, so
 * that a crash can never leave a side effect whose state was not saved first. An asynchronous backend would
 * reopen that window; wrap it in a synchronous write-ahead file instead.
 */
export interface RunStore {
  /** A human name for messages (the directory, the database key). */
  readonly location: string;
  /** Takes the store for this process; throws a `UserError` naming the holder when another live process has it. */
  lock(): void;
  /** Gives the store back; harmless when not held. */
  unlock(): void;
  /** The run's meta, or null when the store holds no run. */
  readMeta(): RunMeta | null;
  writeMeta(meta: RunMeta): void;
  /** The last saved snapshot, or null when none was saved yet. Throws a `UserError` when it is unreadable. */
  loadSnapshot(): SavedSnapshot | null;
  /** Saves durably (atomically: a reader sees the old snapshot or the new one). */
  saveSnapshot(saved: SavedSnapshot): void;
  /** Appends one line durably. */
  appendJournal(entry: JournalEntry): void;
  /**
   * Takes back the line `appendJournal` just appended, when the snapshot of its transition could not be saved (a
   * full disk), so that a failed run leaves no line for a transition it never saved. Optional.
   */
  retractJournal?(): void;
  readJournal(): JournalRead;
  /**
   * Readies the journal for appending after a crash: a torn last line (an append cut short) is moved aside so the
   * next line does not glue onto it. Returns a warning when it did so.
   */
  repairJournal(): string | null;
  /** Moves a finished run out of the way (kept, not deleted) so that a new run can start in the same store. */
  archive(): string;
  /** Events sent to the run from outside (`lifecycle send`); a store without one takes none. */
  readonly inbox?: RunInbox;
}
