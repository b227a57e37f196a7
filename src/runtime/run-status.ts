import { isProcessAlive } from './lock-file.ts';
import { progressOf, type ProgressView } from './progress-view.ts';
import { describeValue } from './state-paths.ts';
import type { JournalEntry, RunMeta, RunStore } from './types.ts';
import { UserError } from '../errors.ts';

/** Everything `lifecycle status` shows, as plain data (`--json` prints it as is). */
export interface RunStatusReport extends ProgressView {
  store: string;
  lifecycle: string;
  /** The meta's status; `running` with a dead pid means the run stopped without finishing (resume it). */
  status: RunMeta['status'];
  /** Whether the process that last ran it is still alive. */
  alive: boolean;
  pid: number;
  started: string;
  updated: string;
  resumes: number;
  /** The active leaf state paths of the last saved snapshot, comma-joined (null before the first save). */
  state: string | null;
  /** The saved state value. */
  value: unknown;
  /** Why the run failed, when it did. */
  error: string | null;
  history: JournalEntry[];
  warnings: string[];
}

/**
 * Reads a run's status from its store without locking it, so it works while the run is going on: the snapshot is
 * replaced atomically and a torn last journal line (an append in progress) is left out with a warning.
 */
export function readRunStatus(store: RunStore): RunStatusReport {
  const meta = store.readMeta();
  if (!meta) throw new UserError(`no run in ${store.location}: start one with 'lifecycle run <lifecycle>'`);
  const saved = store.loadSnapshot();
  const journal = store.readJournal();
  const snapshot = (saved?.snapshot ?? null) as { value?: unknown; context?: unknown } | null;
  return {
    store: store.location,
    lifecycle: meta.lifecycle,
    status: meta.status,
    alive: meta.status === 'running' && meta.pid !== process.pid && isProcessAlive(meta.pid),
    pid: meta.pid,
    started: meta.started,
    updated: meta.updated,
    resumes: meta.resumes,
    state: snapshot ? describeValue(snapshot.value) : null,
    value: snapshot?.value ?? null,
    ...progressOf(snapshot?.context),
    error: meta.error ?? null,
    history: journal.entries,
    warnings: journal.warnings,
  };
}
