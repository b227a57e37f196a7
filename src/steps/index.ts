/**
 * Steps as a building block: `retryingStep(...)` returns the state config of a step — a service run in an
 * `attempt` state, a `backoff` state that waits and tries again while the retry policy allows, and the exits on
 * success and on giving up — with the progress bookkeeping every lifecycle repeats (enter the step, count
 * attempts, record the error) and a mark in `meta` that tells tools "this is a step, with this policy".
 *
 * Pure, and imports nothing but its own marker (plain config objects XState reads): machines import it like any building block.
 *
 * @example
 * import { assign, setup } from 'xstate';
 * import { retryingStep, stepAssigners as a, stepDelays, stepGuards } from 'lifecycle-kit/steps';
 *
 * const m = setup({
 *   types: { context: {} as StepProgress & { url: string } },
 *   actors: { download },
 *   // Wrapped, so that assign sees the machine's own context type (StepProgress & { url }), not StepProgress alone
 *   // (as examples/deploy/src/deploy.ts does):
 *   actions: {
 *     enterStep: assign((_, params: Parameters<typeof a.enterStep>[1]) => a.enterStep(_, params)),
 *     countAttempt: assign(({ context }) => a.countAttempt({ context })),
 *     recordError: assign(({ context }, params: { error: unknown }) => a.recordError({ context }, params)),
 *   },
 *   guards: stepGuards, // canRetry
 *   delays: stepDelays, // backoff
 * }).createMachine({
 *   id: 'dl',
 *   context: { ...initialStepProgress(), url: 'https://…' },
 *   initial: 'downloading',
 *   states: {
 *     downloading: retryingStep({
 *       step: 'download',
 *       src: 'download',
 *       input: ({ context }) => ({ url: context.url }),
 *       retry: { maxAttempts: 5, initialIntervalMs: 500 },
 *       onDone: { target: '#dl.done' }, // exits start from the inner attempt state: use #ids
 *       onError: { target: '#dl.failed' },
 *     }),
 *     done: { type: 'final' },
 *     failed: { type: 'final' },
 *   },
 * });
 */
import { STEP_META_KEY, type StepMarker } from './marker.ts';

export { readStepMarker, STEP_META_KEY, type StepMarker } from './marker.ts';

/** A retry policy, in the spirit of Temporal's and AWS Step Functions' retriers. */
export interface RetryPolicy {
  /** Total attempts, first one included. */
  maxAttempts: number;
  /** Delay before the second attempt, in ms. */
  initialIntervalMs: number;
  /** Each further delay is multiplied by this. */
  backoffRate: number;
  /** Upper bound of a delay, in ms. */
  maxIntervalMs: number;
  /** 0..1: a delay is drawn uniformly from [d * (1 - jitter), d]. */
  jitter: number;
  /** Error kinds that are never retried. */
  nonRetryable: string[];
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  maxAttempts: 3,
  initialIntervalMs: 1000,
  backoffRate: 2,
  maxIntervalMs: 30_000,
  jitter: 0,
  nonRetryable: [],
};

/** The delay before the next attempt, after `attempt` attempts have failed (attempt >= 1). */
export function backoffDelay(policy: RetryPolicy, attempt: number, random: () => number = Math.random): number {
  const base = Math.min(policy.maxIntervalMs, policy.initialIntervalMs * policy.backoffRate ** Math.max(0, attempt - 1));
  const jitter = Math.min(1, Math.max(0, policy.jitter));
  return Math.round(base * (1 - jitter * random()));
}

/** Whether a step that failed on attempt `attempt` with an error of `kind` may run again under `policy`. */
export function shouldRetry(policy: RetryPolicy, attempt: number, kind: string | undefined): boolean {
  if (attempt >= policy.maxAttempts) return false;
  return !(kind && policy.nonRetryable.includes(kind));
}

/** The machine-readable kind of a thrown value: its `kind`, else its `code` (`ENOENT`), else undefined. */
export function errorKind(thrown: unknown): string | undefined {
  if (!thrown || typeof thrown !== 'object') return undefined;
  const { kind, code } = thrown as { kind?: unknown; code?: unknown };
  return typeof kind === 'string' ? kind : typeof code === 'string' ? code : undefined;
}

/** What the bookkeeping keeps in context. */
export interface StepProgress {
  /** The step running now (or that ran last). */
  step: string | null;
  /** Attempts made at the current step (1 on the first try). */
  attempts: number;
  lastError: { step: string; message: string; attempt: number; time: string; kind?: string } | null;
  /** The policy of the step running now, when it declares one; else the run's `retry`, else the default. */
  stepRetry?: RetryPolicy | null;
  /** The run's policy, if the machine takes one from its input. */
  retry?: RetryPolicy;
}

/** The initial bookkeeping fields. */
export function initialStepProgress(): StepProgress {
  return { step: null, attempts: 0, lastError: null, stepRetry: null };
}

const policyOf = (context: StepProgress): RetryPolicy => context.stepRetry ?? context.retry ?? DEFAULT_RETRY_POLICY;

/**
 * Ready implementations of the names `retryingStep` uses by default. The actions are the assigners to give to
 * XState's `assign` inside your `setup`, wrapped so that they get your machine's context type; guards and delays go
 * in as they are.
 *
 * @example
 * setup({
 *   actions: {
 *     enterStep: assign((_, params: Parameters<typeof stepAssigners.enterStep>[1]) => stepAssigners.enterStep(_, params)),
 *     countAttempt: assign(({ context }) => stepAssigners.countAttempt({ context })),
 *     recordError: assign(({ context }, params: { error: unknown }) => stepAssigners.recordError({ context }, params)),
 *   },
 *   guards: { ...stepGuards },
 *   delays: { ...stepDelays },
 * })
 */
export const stepAssigners = {
  enterStep: (_: unknown, params: { step: string; retry?: RetryPolicy }) => ({ step: params.step, attempts: 1, stepRetry: params.retry ?? null }),
  countAttempt: ({ context }: { context: StepProgress }) => ({ attempts: context.attempts + 1 }),
  recordError: ({ context }: { context: StepProgress }, params: { error: unknown }) => ({
    lastError: {
      step: context.step ?? '',
      message: params.error instanceof Error ? params.error.message : String(params.error),
      attempt: context.attempts,
      time: new Date().toISOString(),
      ...(errorKind(params.error) ? { kind: errorKind(params.error)! } : {}),
    },
  }),
};

/** The `canRetry` guard: attempts left under the step's (or the run's) policy, and the error's kind retryable. */
export const stepGuards = {
  canRetry: ({ context }: { context: StepProgress }, params: { error: unknown }) => shouldRetry(policyOf(context), context.attempts, errorKind(params.error)),
};

/** The `backoff` delay: the policy's delay after the attempts made so far. */
export const stepDelays = {
  backoff: ({ context }: { context: StepProgress }) => backoffDelay(policyOf(context), context.attempts),
};

function isExitList(exit: unknown): exit is readonly unknown[] {
  return Array.isArray(exit);
}

/** The give-up branches as XState gets them: a list as given, or the one exit (with `recordError` by default). */
type ExitsOf<E, R> = E extends readonly unknown[] ? E : E extends { actions: unknown } ? readonly [E] : readonly [E & { actions: R }];

/** Params of `recordError` and `canRetry`, from a service's error event. */
export const errorParams = ({ event }: { event: { error?: unknown } }) => ({ error: event.error });

/**
 * Where a step goes on success or when it gives up. The transition starts from the inner attempt state, so a
 * target outside the step is written as an id: `#machine.next` (a bare `next` would name a sibling of `attempt`).
 */
export interface StepExit<TActions> {
  target: string;
  actions?: TActions;
}

/** One of several guarded exits (tried in order, the last one usually unguarded). */
export interface GuardedExit<TGuardRef, TActions> {
  guard?: TGuardRef;
  target: string;
  actions?: TActions;
}

export interface RetryingStepConfig<
  TSrc extends string,
  TInput,
  TEnter,
  TDoneActions extends StepExit<unknown> | readonly GuardedExit<unknown, unknown>[],
  TExitActions extends StepExit<unknown> | readonly GuardedExit<unknown, unknown>[],
  TRecord,
  TCount,
  TGuard,
  TDelay extends string,
  TTag extends string,
  TRetryEvent extends string,
  TStepTag extends string = never,
> {
  /** The step's name: what the bookkeeping records as `context.step`, and the picture's name for it. */
  step: string;
  /** The service, by its name in `setup({ actors })`. */
  src: TSrc;
  /** The service's input. */
  input?: TInput;
  /** The invoke's id (XState generates one otherwise). */
  id?: string;
  description?: string;
  /** Tags of the step state itself. */
  tags?: readonly TStepTag[];
  /** Where the step goes when the service resolves (one exit, or guarded branches). */
  onDone: TDoneActions;
  /**
   * Where it goes when an attempt fails and no retry is left (or the error is not retryable): one exit (its
   * actions default to `recordError`), or guarded branches tried in order after the retry.
   */
  onError: TExitActions;
  /**
   * The retry policy (over {@link DEFAULT_RETRY_POLICY}). With `overridable`, the run's `context.retry` governs at
   * run time and this is what diagrams show; otherwise the default `enterStep` makes it the step's policy.
   */
  retry?: Partial<RetryPolicy> & { overridable?: boolean };
  /** Keys of the two inner states; default `attempt` and `backoff`. */
  states?: { attempt?: string; backoff?: string };
  attemptDescription?: string;
  backoffDescription?: string;
  /** Tags of the backoff state; default `['retrying']`. */
  backoffTags?: readonly TTag[];
  /** Events that end the wait at once (e.g. `RETRY_NOW`). */
  retryNow?: readonly TRetryEvent[];
  /** The bookkeeping, when a machine names it differently from {@link stepImplementations}. */
  enter?: TEnter;
  recordError?: TRecord;
  countAttempt?: TCount;
  canRetry?: TGuard;
  delay?: TDelay;
}

/**
 * The state config of a retried step. Its `meta` carries the {@link StepMarker}, so the graph model records it
 * as a step with its policy and diagrams draw it as one state with a badge (`↻ 3× backoff 1s×2`).
 *
 * @example
 * kibana_assets: retryingStep({ step: 'kibana_assets', src: 'installKibanaAssets', onDone: { target: 'ilm_policies' }, onError: { target: '#install.recovering' } })
 */
export function retryingStep<
  const TSrc extends string,
  TInput = undefined,
  const TEnter = { type: 'enterStep'; params: { step: string; retry?: RetryPolicy } },
  const TDoneActions extends StepExit<unknown> | readonly GuardedExit<unknown, unknown>[] = StepExit<never>,
  const TExitActions extends StepExit<unknown> | readonly GuardedExit<unknown, unknown>[] = StepExit<never>,
  const TRecord = { type: 'recordError'; params: typeof errorParams },
  const TCount = 'countAttempt',
  const TGuard = { type: 'canRetry'; params: typeof errorParams },
  const TDelay extends string = 'backoff',
  const TTag extends string = 'retrying',
  const TRetryEvent extends string = never,
  const TStepTag extends string = never,
>(
  config: RetryingStepConfig<TSrc, TInput, TEnter, TDoneActions, TExitActions, TRecord, TCount, TGuard, TDelay, TTag, TRetryEvent, TStepTag>,
): NoInfer<ReturnType<typeof buildStep<TSrc, TInput, TEnter, TDoneActions, TExitActions, TRecord, TCount, TGuard, TDelay, TTag, TRetryEvent, TStepTag>>> {
  // NoInfer: the state config is checked against the machine's types where it is used, but the machine's types
  // must not be inferred back into the helper's parameters (they would widen the action and event types).
  return buildStep(config);
}

function buildStep<
  const TSrc extends string,
  TInput = undefined,
  const TEnter = { type: 'enterStep'; params: { step: string; retry?: RetryPolicy } },
  const TDoneActions extends StepExit<unknown> | readonly GuardedExit<unknown, unknown>[] = StepExit<never>,
  const TExitActions extends StepExit<unknown> | readonly GuardedExit<unknown, unknown>[] = StepExit<never>,
  const TRecord = { type: 'recordError'; params: typeof errorParams },
  const TCount = 'countAttempt',
  const TGuard = { type: 'canRetry'; params: typeof errorParams },
  const TDelay extends string = 'backoff',
  const TTag extends string = 'retrying',
  const TRetryEvent extends string = never,
  const TStepTag extends string = never,
>(config: RetryingStepConfig<TSrc, TInput, TEnter, TDoneActions, TExitActions, TRecord, TCount, TGuard, TDelay, TTag, TRetryEvent, TStepTag>) {

  const attempt = config.states?.attempt ?? 'attempt';
  const backoff = config.states?.backoff ?? 'backoff';
  const { overridable, ...partial } = config.retry ?? {};
  const policy: RetryPolicy = { ...DEFAULT_RETRY_POLICY, ...partial };
  const marker: StepMarker = { name: config.step, attempt, backoff, retry: { ...policy, ...(overridable ? { overridable: true } : {}) } };
  const record = (config.recordError ?? { type: 'recordError', params: errorParams }) as TRecord;
  const count = (config.countAttempt ?? 'countAttempt') as TCount;
  const again = { target: attempt, actions: count };
  const enter = (config.enter ?? { type: 'enterStep', params: { step: config.step, ...(overridable || !config.retry ? {} : { retry: policy }) } }) as TEnter;
  const onError = [
    { guard: (config.canRetry ?? { type: 'canRetry', params: errorParams }) as TGuard, target: backoff, actions: record },
    ...((isExitList(config.onError)
      ? config.onError
      : [{ ...config.onError, actions: (config.onError as StepExit<unknown>).actions ?? record }]) as ExitsOf<TExitActions, TRecord>),
  ] as const;
  const attemptState = {
    ...(config.attemptDescription !== undefined ? { description: config.attemptDescription } : {}),
    invoke: { src: config.src, id: config.id, input: config.input as TInput, onDone: config.onDone, onError },
  };
  const backoffState = {
    ...(config.backoffDescription !== undefined ? { description: config.backoffDescription } : {}),
    tags: (config.backoffTags ?? ['retrying']) as readonly TTag[],
    after: { [(config.delay ?? 'backoff') as TDelay]: again } as Record<TDelay, typeof again>,
    on: Object.fromEntries((config.retryNow ?? []).map((e) => [e, again])) as Record<TRetryEvent, typeof again>,
  };
  return {
    ...(config.description !== undefined ? { description: config.description } : {}),
    ...(config.tags !== undefined ? { tags: config.tags } : {}),
    entry: enter,
    initial: attempt,
    meta: { [STEP_META_KEY]: marker },
    states: { [attempt]: attemptState, [backoff]: backoffState } as Record<string, typeof attemptState | typeof backoffState>,
  };
}
