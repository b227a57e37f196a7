/**
 * The mark `retryingStep` puts in a step state's `meta`, so that tools reading the machine (diagrams, docs) know
 * the state is a step and what its retry policy is. Plain data: it survives `JSON.stringify`.
 */

/** The `meta` key of the mark. */
export const STEP_META_KEY = 'lifecycle-kit.step';

/** What the mark says. */
export interface StepMarker {
  /** The step's name (what the progress bookkeeping records as `context.step`). */
  name: string;
  /** The child state's key that runs the service. */
  attempt: string;
  /** The child state's key that waits before the next attempt. */
  backoff: string;
  /** The retry policy drawn for the step; `overridable` when the run's context may replace it. */
  retry: {
    maxAttempts: number;
    initialIntervalMs: number;
    backoffRate: number;
    maxIntervalMs: number;
    jitter: number;
    nonRetryable: string[];
    overridable?: boolean;
  };
}

/** Reads the mark from a state's (JSON-safe) `meta`, or undefined when there is none or it is malformed. */
export function readStepMarker(meta: unknown): StepMarker | undefined {
  if (!meta || typeof meta !== 'object') return undefined;
  const mark = (meta as Record<string, unknown>)[STEP_META_KEY];
  if (!mark || typeof mark !== 'object') return undefined;
  const m = mark as Partial<StepMarker>;
  if (typeof m.name !== 'string' || typeof m.attempt !== 'string' || typeof m.backoff !== 'string') return undefined;
  return m as StepMarker;
}
