/**
 * What every built-in lifecycle keeps in its context so that a user can ask "where is it, and what went wrong",
 * and the declarative retry policy the built-ins share. Pure data and pure functions: machines import this,
 * the runtime and `lifecycle status` read the same fields.
 */

/** The last failure of a step. `time` is an ISO-8601 string. */
export interface StepError {
  step: string;
  message: string;
  attempt: number;
  time: string;
  /** A machine-readable kind (e.g. `ENOENT`, `checksum-mismatch`); retry policies match on it. */
  kind?: string;
}

/** Progress fields every built-in lifecycle's context carries. */
export interface LifecycleProgress {
  /** The step running now (or that ran last, once the lifecycle has ended). */
  step: string | null;
  /** The last step that succeeded. */
  lastSucceededStep: string | null;
  /** Attempts made at the current step (1 on the first try). */
  attempts: number;
  lastError: StepError | null;
}

// The policy, its defaults and the backoff are the step helper's (a pure building block users import too).
import { DEFAULT_RETRY_POLICY, type RetryPolicy } from '../src/steps/index.ts';

export { type RetryPolicy, DEFAULT_RETRY_POLICY, backoffDelay } from '../src/steps/index.ts';

/** Merges a partial policy over the defaults. */
export function resolveRetryPolicy(policy: Partial<RetryPolicy> | undefined): RetryPolicy {
  return { ...DEFAULT_RETRY_POLICY, ...(policy ?? {}) };
}

/** Whether a step that failed on attempt `attempt` with `error` may run again under `policy`. */
export function shouldRetry(policy: RetryPolicy, attempt: number, error: Pick<StepError, 'kind'> | null): boolean {
  // Written so that a policy that was never checked still ends: a maxAttempts that is not a number never retries.
  if (!(attempt < policy.maxAttempts)) return false;
  return !(error?.kind && Array.isArray(policy.nonRetryable) && policy.nonRetryable.includes(error.kind));
}

/**
 * The `canRetry` guard every built-in uses: the step that just failed with `error` may run again under the
 * context's retry policy (attempts left, error kind retryable).
 */
export function canRetryStep(context: LifecycleProgress & { retry: RetryPolicy }, error: unknown): boolean {
  return shouldRetry(context.retry, context.attempts, toStepError(context.step ?? '', context.attempts, error));
}

/** Turns whatever a service threw into a `StepError`. */
export function toStepError(step: string, attempt: number, thrown: unknown, now: Date = new Date()): StepError {
  const message = thrown instanceof Error ? thrown.message : typeof thrown === 'string' ? thrown : JSON.stringify(thrown);
  const kind =
    thrown && typeof thrown === 'object' && 'kind' in thrown && typeof (thrown as { kind: unknown }).kind === 'string'
      ? (thrown as { kind: string }).kind
      : thrown && typeof thrown === 'object' && 'code' in thrown && typeof (thrown as { code: unknown }).code === 'string'
        ? (thrown as { code: string }).code
        : undefined;
  return { step, message, attempt, time: now.toISOString(), ...(kind ? { kind } : {}) };
}

/** The initial progress fields. */
export function initialProgress(): LifecycleProgress {
  return { step: null, lastSucceededStep: null, attempts: 0, lastError: null };
}
