import type { AnyMachineSnapshot, EventObject } from 'xstate';
import type { StepError } from '../../machines/progress.ts';
import type { JournalEntry } from './types.ts';

/**
 * What a person asks of a run — where is it, what went wrong — read from the progress fields every built-in keeps
 * in its context (`machines/progress.ts`). A user's machine without them simply has nulls here.
 */
export interface ProgressView {
  step: string | null;
  lastSucceededStep: string | null;
  attempts: number | null;
  lastError: StepError | null;
  /** install: the last step recorded in the installation record. */
  latestExecutedState: string | null;
  /** upgrade: download progress. */
  bytesReceived: number | null;
  totalBytes: number | null;
}

/** Reads the progress fields of a context (any shape; missing fields are null). */
export function progressOf(context: unknown): ProgressView {
  const c = (context && typeof context === 'object' ? context : {}) as Record<string, unknown>;
  const str = (k: string) => (typeof c[k] === 'string' ? (c[k] as string) : null);
  const num = (k: string) => (typeof c[k] === 'number' ? (c[k] as number) : null);
  const err = c.lastError && typeof c.lastError === 'object' && 'message' in c.lastError ? (c.lastError as StepError) : null;
  return {
    step: str('step'),
    lastSucceededStep: str('lastSucceededStep'),
    attempts: num('attempts'),
    lastError: err,
    latestExecutedState: str('latestExecutedState'),
    bytesReceived: num('bytesReceived'),
    totalBytes: num('totalBytes'),
  };
}

/**
 * How a finished run ended: a final state tagged `failure` (as the built-ins tag theirs) is a failure, any other
 * final state a success; null while the run is not done.
 */
export function outcomeOf(snapshot: AnyMachineSnapshot): 'succeeded' | 'failed' | null {
  if (snapshot.status !== 'done') return null;
  // A final state tagged `failure`, or a machine whose one final state reports `{ status: 'failed' }` in its output
  // (preboot ends in `stopped` either way).
  const output = snapshot.output as { status?: unknown } | undefined;
  return snapshot.hasTag('failure') || output?.status === 'failed' ? 'failed' : 'succeeded';
}

/** The journal line of one transition. */
export function journalEntry(
  previous: AnyMachineSnapshot | null,
  next: AnyMachineSnapshot,
  event: EventObject,
  transitions?: string[],
  now = new Date(),
): JournalEntry {
  const entry: JournalEntry = {
    time: now.toISOString(),
    event: event.type,
    from: previous ? previous.value : null,
    to: next.value,
    step: progressOf(next.context).step,
    ...(transitions ? { transitions } : {}),
  };
  const before = previous ? progressOf(previous.context).lastError : null;
  const after = progressOf(next.context).lastError;
  if (after && after !== before) {
    entry.error = { message: after.message, step: after.step, attempt: after.attempt, ...(after.kind ? { kind: after.kind } : {}) };
  } else if (event.type.startsWith('xstate.error.actor.')) {
    // A machine without progress fields: the error event itself says what failed.
    const error = (event as { error?: unknown }).error;
    entry.error = { message: error instanceof Error ? error.message : String(error) };
  }
  return entry;
}
