import type { AnyMachineSnapshot, EventObject } from 'xstate';
import { leafPaths } from './state-paths.ts';
import type { JournalEntry } from './types.ts';

/** A step's last error as a person reads it; only the message is sure to be there. */
export interface ProgressError {
  message: string;
  step?: string;
  attempt?: number;
  kind?: string;
  /** ISO-8601. */
  time?: string;
}

/**
 * Where a run is, as `status`, the live line and the journal show it: the step running now, its attempts, and the
 * last error. A lifecycle's services may give a `progress` selector returning it; otherwise it is read from the
 * step helper's context fields (`step`, `attempts`, `lastError`, as `lifecycle-kit/steps` keeps them).
 */
export interface RunProgress {
  step: string | null;
  attempts: number | null;
  lastError: ProgressError | null;
}

/** What a `progress` selector returns: any of the fields; a last error may be given as its message alone. */
export type SelectedProgress = Partial<Omit<RunProgress, 'lastError'>> & { lastError?: ProgressError | string | null };

/** Reads a {@link RunProgress} from a state: the services' `progress` selector. */
export type ProgressSelector = (state: { context: unknown; value: unknown }) => SelectedProgress;

/** Everything `status` shows of a run's progress: {@link RunProgress} plus the built-ins' own fields. */
export interface ProgressView extends RunProgress {
  lastSucceededStep: string | null;
  /** install: the last step recorded in the installation record. */
  latestExecutedState: string | null;
  /** upgrade: download progress. */
  bytesReceived: number | null;
  totalBytes: number | null;
}

/**
 * Reads the progress of a state: the selector's answer where it gives one (a selector that throws is ignored: this
 * is display), else the step helper's fields of the context (any shape; missing fields are null; a `lastError`
 * that is a string is its message).
 */
export function progressOf(context: unknown, select?: ProgressSelector, value?: unknown): ProgressView {
  const c = (context && typeof context === 'object' ? context : {}) as Record<string, unknown>;
  const str = (k: string) => (typeof c[k] === 'string' ? (c[k] as string) : null);
  const num = (k: string) => (typeof c[k] === 'number' ? (c[k] as number) : null);
  const fromContext: ProgressView = {
    step: str('step'),
    lastSucceededStep: str('lastSucceededStep'),
    attempts: num('attempts'),
    lastError: asError(c.lastError),
    latestExecutedState: str('latestExecutedState'),
    bytesReceived: num('bytesReceived'),
    totalBytes: num('totalBytes'),
  };
  if (!select) return fromContext;
  let selected: SelectedProgress | undefined;
  try {
    selected = select({ context, value });
  } catch {
    return fromContext;
  }
  if (!selected || typeof selected !== 'object') return fromContext;
  return {
    ...fromContext,
    ...('step' in selected ? { step: typeof selected.step === 'string' ? selected.step : null } : {}),
    ...('attempts' in selected ? { attempts: typeof selected.attempts === 'number' ? selected.attempts : null } : {}),
    ...('lastError' in selected ? { lastError: asError(selected.lastError) } : {}),
  };
}

function asError(value: unknown): ProgressError | null {
  if (typeof value === 'string') return value === '' ? null : { message: value };
  if (value instanceof Error) return { message: value.message };
  if (value && typeof value === 'object' && typeof (value as { message?: unknown }).message === 'string') return value as ProgressError;
  return null;
}

/** How a run that reached a final state ended: see {@link outcomeOf}. */
export type RunOutcome = 'succeeded' | 'failed' | 'ended';

const SUCCESS_STATUS = new Set(['succeeded', 'success', 'successful', 'ok', 'done', 'complete', 'completed', 'finished', 'stopped']);
/** Final state names that say success by themselves (`done`, `buildComplete`): the last word counts. */
const SUCCESS_NAME = new Set(['done', 'success', 'succeeded', 'successful', 'complete', 'completed', 'finished', 'ok', 'stopped']);
const FAILURE_WORD = /^(fail(ed|ure)?|errou?r(ed)?|cancell?(ed)?|abort(ed)?|reject(ed)?|refused|denied|crash(ed)?|timed?_?out|timeout|rolled_?back|invalid|broken|unhealthy)$/i;

/**
 * How a finished run ended, by a documented convention (null while the run is not done):
 * 1. the final state is tagged `success` or `failure` (the built-ins tag theirs);
 * 2. else the machine's output has a `status` string that says so (`succeeded`, `ok`, `done`, `completed`,
 *    `stopped`, … or `failed`, `error`, `cancelled`, …);
 * 3. else a final state named like a failure (`failed`, `error`, `cancelled`, `aborted`, `rejected`, `timedOut`, …)
 *    is one, and one named like a success (`done`, `success`, `completed`, `finished`, `ok`, `stopped`, `buildComplete`) is one;
 * 4. any other final state (`released`, `deployed`) is `ended`: the run is over, but the machine did not say it
 *    succeeded. Tag the final state `success` to have it reported as one.
 */
export function outcomeOf(snapshot: AnyMachineSnapshot): RunOutcome | null {
  return explainOutcome(snapshot)?.outcome ?? null;
}

/** {@link outcomeOf} with the rule that decided it, in words (`tagged 'failure'`, `named like a failure`). */
export function explainOutcome(snapshot: AnyMachineSnapshot): { outcome: RunOutcome; because: string } | null {
  if (snapshot.status !== 'done') return null;
  if (snapshot.hasTag('failure')) return { outcome: 'failed', because: "tagged 'failure'" };
  if (snapshot.hasTag('success')) return { outcome: 'succeeded', because: "tagged 'success'" };
  const status = (snapshot.output as { status?: unknown } | undefined)?.status;
  if (typeof status === 'string') {
    if (SUCCESS_STATUS.has(status.toLowerCase())) return { outcome: 'succeeded', because: `its output's status is '${status}'` };
    if (FAILURE_WORD.test(status.replace(/[\s-]/g, '_'))) return { outcome: 'failed', because: `its output's status is '${status}'` };
  }
  // `failed`, `buildFailed`, `timed_out`: the last word of the final state's name.
  const lastWord = (name: string) => name.replace(/([a-z])([A-Z])/g, '$1 $2').split(/[\s_-]+/).filter(Boolean).pop() ?? '';
  const names = leafPaths(snapshot.value).map((path) => path.split('.').pop()!);
  if (names.some((name) => FAILURE_WORD.test(name.replace(/[\s-]/g, '_')) || FAILURE_WORD.test(lastWord(name)))) {
    return { outcome: 'failed', because: "named like a failure (tag it 'success' if it is not one)" };
  }
  if (names.every((name) => SUCCESS_NAME.has(lastWord(name).toLowerCase()))) return { outcome: 'succeeded', because: 'named like a success' };
  return { outcome: 'ended', because: 'marked neither as a success nor as a failure' };
}

/** The journal line of one transition. */
export function journalEntry(
  previous: AnyMachineSnapshot | null,
  next: AnyMachineSnapshot,
  event: EventObject,
  transitions?: string[],
  now = new Date(),
  select?: ProgressSelector,
): JournalEntry {
  const entry: JournalEntry = {
    time: now.toISOString(),
    event: event.type,
    from: previous ? previous.value : null,
    to: next.value,
    step: progressOf(next.context, select, next.value).step,
    ...(transitions ? { transitions } : {}),
  };
  // What a replay needs to take the same step again: a service's output, an outside event's payload (bounded).
  if (event.type.startsWith('xstate.done.actor.')) {
    const output = bounded((event as { output?: unknown }).output);
    if (output !== NOT_KEPT) entry.output = output;
  } else if (!event.type.startsWith('xstate.') && !event.type.startsWith('lifecycle.')) {
    const { type: _type, ...fields } = event as Record<string, unknown>;
    const payload = Object.keys(fields).length ? bounded(fields) : NOT_KEPT;
    if (payload !== NOT_KEPT) entry.payload = payload as Record<string, unknown>;
  }
  const before = previous ? progressOf(previous.context, select, previous.value).lastError : null;
  const after = progressOf(next.context, select, next.value).lastError;
  if (after && (!before || after.message !== before.message || after.attempt !== before.attempt || after.step !== before.step || after.time !== before.time)) {
    entry.error = { message: after.message, ...(after.step ? { step: after.step } : {}), ...(after.attempt !== undefined ? { attempt: after.attempt } : {}), ...(after.kind ? { kind: after.kind } : {}) };
  } else if (event.type.startsWith('xstate.error.actor.')) {
    // A machine without progress fields: the error event itself says what failed.
    const error = (event as { error?: unknown }).error;
    entry.error = { message: error instanceof Error ? error.message : String(error) };
  }
  return entry;
}

/** The largest output or payload a journal line keeps, as JSON. */
const MAX_KEPT_BYTES = 64 * 1024;
const NOT_KEPT = Symbol('not kept');

/** The value as JSON would keep it, or NOT_KEPT when it is undefined, too large or cannot be serialised. */
function bounded(value: unknown): unknown {
  if (value === undefined) return NOT_KEPT;
  try {
    const text = JSON.stringify(value);
    return text === undefined || text.length > MAX_KEPT_BYTES ? NOT_KEPT : (JSON.parse(text) as unknown);
  } catch {
    return NOT_KEPT;
  }
}
