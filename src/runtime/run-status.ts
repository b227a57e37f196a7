import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { isProcessAlive } from './lock-file.ts';
import { progressOf, type ProgressView } from './progress-view.ts';
import { activePaths, describeValue } from './state-paths.ts';
import type { JournalEntry, RunMeta, RunStore, SavedSnapshot } from './types.ts';
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
  /** The active leaf state paths of the last saved snapshot, comma-joined (null before the first save, or unreadable). */
  state: string | null;
  /** Whether snapshot.json exists but cannot be read (the reason is in `warnings`). */
  snapshotUnreadable: boolean;
  /** The saved state value. */
  value: unknown;
  /** Why the run failed, when it did. */
  error: string | null;
  /** The current journal's transitions (a long run's earlier ones are compacted into `history/`). */
  history: JournalEntry[];
  /**
   * The `after` timers of the states the run is in, with when they fire: counted from the last save (a resume
   * restarts them in full); `dueAt` is null for a named delay, whose length only the machine knows.
   */
  timers: { state: string; delay: number | string; dueAt: string | null }[];
  /** When a step's backoff timer fires the next attempt (a state tagged `retrying`, or any timer of a run with a last error), if one is pending. */
  nextRetryAt: string | null;
  /** The fingerprint of the machine the run is on (null for a run saved before fingerprints). */
  fingerprint: string | null;
  /** How many compacted journal segments the store's `history/` holds (0 for most runs). */
  compactedSegments: number;
  warnings: string[];
}

/**
 * Reads a run's status from its store without locking it, so it works while the run is going on: the snapshot is
 * replaced atomically and a torn last journal line (an append in progress) is left out with a warning.
 */
export function readRunStatus(store: RunStore): RunStatusReport {
  const meta = store.readMeta();
  if (!meta) throw new UserError(`no run in ${store.location}: start one with 'lifecycle run <lifecycle>'`);
  // A corrupt snapshot must not hide the rest: show the meta and history, and say which file is broken and why.
  // (Resume still refuses such a store: it needs the snapshot.)
  const warnings: string[] = [];
  let saved: SavedSnapshot | null = null;
  try {
    saved = store.loadSnapshot();
  } catch (error) {
    if (!(error instanceof UserError)) throw error;
    warnings.push(error.message);
  }
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
    snapshotUnreadable: warnings.length > 0,
    value: snapshot?.value ?? null,
    ...progressOf(snapshot?.context),
    // What the run itself read through its services' progress selector, when it saved one.
    ...(saved?.progress ? { step: saved.progress.step ?? null, attempts: saved.progress.attempts ?? null, lastError: saved.progress.lastError ?? null } : {}),
    error: meta.error ?? null,
    history: journal.entries,
    compactedSegments: countSegments(store),
    fingerprint: meta.machine?.fingerprint ?? null,
    ...timersOf(meta, saved),
    warnings: [...warnings, ...journal.warnings],
  };
}

function countSegments(store: RunStore): number {
  const dir = (store as { dir?: unknown }).dir;
  if (typeof dir !== 'string') return 0;
  try {
    return readdirSync(join(dir, 'history')).filter((n) => /^journal-\d+\.jsonl(\.gz)?$/.test(n)).length;
  } catch {
    return 0;
  }
}

function timersOf(meta: RunMeta, saved: SavedSnapshot | null): Pick<RunStatusReport, 'timers' | 'nextRetryAt'> {
  const value = (saved?.snapshot as { value?: unknown; status?: string } | undefined)?.value;
  const running = meta.status === 'running' || meta.status === 'interrupted';
  if (!saved || value === undefined || !running || !meta.machine) return { timers: [], nextRetryAt: null };
  const since = Date.parse(saved.savedAt);
  const active = new Set(activePaths(value));
  const timers = meta.machine.states
    .filter((s) => active.has(s.path) && s.after.length)
    .flatMap((s) => s.after.map((delay) => ({ state: s.path, delay, dueAt: typeof delay === 'number' && Number.isFinite(since) ? new Date(since + delay).toISOString() : null, retrying: s.tags.includes('retrying') })));
  const retry = timers.filter((t) => t.retrying || saved.progress?.lastError).map((t) => t.dueAt).filter((t): t is string => t !== null).sort()[0] ?? null;
  return { timers: timers.map(({ retrying: _r, ...t }) => t), nextRetryAt: retry };
}
