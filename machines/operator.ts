/**
 * # operator: level-triggered reconcile of an application lifecycle
 *
 * Follows `seeds/okt-operator-state-machine.txt` (the OKT application lifecycle graph and its reconcile rule) and
 * `seeds/kudo-kep-0018-controller-redesign.txt` (KUDO KEP-0018: plans with status and history, one plan at a time,
 * `lastAppliedInstanceSpec`, and the admission rule that refuses spec changes while a plan runs).
 *
 * The managed application moves along the OKT graph (children ordered by priority, the last one the default):
 *
 * ```
 * (absent) ─▶ start ─▶ running ⇄ servicing ─▶ end
 *                        └─▶ stopping ─▶ end
 * ```
 *
 * The operator never walks the whole graph at once. Each pass of `reconciling`:
 *
 * ```
 * readingSpec ─▶ observing ─▶ planning ─▶ deciding ─▶ acting ─▶ settling ─▶ reporting ─┬▶ requeued ─(requeue)─▶ reconciling
 *  (desired)     (current)    (KUDO:       (OKT: next    (the node's   (outcome)   (writeStatus)├▶ converged  (waits: SPEC.CHANGED / resync)
 *                              which plan)  edge)         action)                           ├▶ degraded   (waits: SPEC.CHANGED / resync)
 *                                                                                         ├▶ blocked    (waits: SPEC.CHANGED)
 *                                                                                         └▶ ended      (final)
 * ```
 *
 * - Desired state is the instance spec (a JSON file standing in for the custom resource), read every pass; the
 *   status is written back beside it (`writeStatus`). Current state is observed (`observeApp`).
 * - Level-triggered: what to do is derived from desired vs. current and from the spec vs. `lastAppliedInstanceSpec`
 *   (not from the last event — the KUDO flaw), so a missed `SPEC.CHANGED` loses nothing: the next pass (requeue or
 *   the periodic resync) sees the difference.
 * - Plans: `deploy` (app absent), `upgrade` (version changed), `update` (parameters changed) run as phases of
 *   steps; each step drives the app along one graph edge and runs the target node's action (`runAction`), one edge
 *   per pass, requeueing in between. Status and history are kept per plan. Only one plan runs at a time; a spec
 *   change while a plan runs is refused (`lastRefusal`) and the plan keeps the spec it was admitted with.
 *   `lastAppliedInstanceSpec` is stored when a plan completes.
 * - A step that fails is retried with backoff; when retries run out its plan is `ERROR` (retried on a later resync),
 *   a non-retryable failure makes it `FATAL_ERROR` (blocked until the spec changes).
 * - `SHUTDOWN` / `DELETE` (or the spec file disappearing) drive the app to `end` along the graph (running →
 *   stopping → end, servicing → end) and the operator to its final state `ended`.
 *
 * Pure: no I/O here. Every side effect is a service named in `setup.actors` whose placeholder rejects with
 * "service X is not provided"; real ones are swapped in with `operatorMachine.provide({ actors })`. Services get
 * an abort `signal` (fromPromise); a pass interrupted by SHUTDOWN/DELETE stops its in-flight service.
 */
import { assign, setup } from 'xstate';
import { retryingStep } from '../src/steps/index.ts';
import { notProvided } from './not-provided.ts';
import {
  backoffDelay,
  DEFAULT_RETRY_POLICY,
  canRetryStep,
  initialProgress,
  resolveRetryPolicy,
  toStepError,
  type LifecycleProgress,
  type RetryPolicy,
  type StepError,
} from './progress.ts';

// ───────────────────────────────────────── the app graph ─────────────────────────────────────────

/** The nodes of the application lifecycle graph (OKT's example graph). */
export const APP_STATES = ['start', 'running', 'servicing', 'stopping', 'end'] as const;
export type AppState = (typeof APP_STATES)[number];

/** Where the app can be: a graph node, or `absent` (no instance exists: never created, or it went away). */
export type AppNode = 'absent' | AppState;

/**
 * The graph: each node's children, ordered by priority (OKT `LCGChildren`); the last child is the default, the
 * "next" node on the normal path. `absent → start` is the entry ("on Start: Create() it"); `end` is the leaf.
 */
export const APP_GRAPH: Readonly<Record<AppNode, readonly AppState[]>> = {
  absent: ['start'],
  start: ['running'],
  running: ['servicing', 'stopping'],
  servicing: ['running', 'end'],
  stopping: ['end'],
  end: [],
};

/** Whether `to` is the default ("next") child of `from`. The entry edge is never a default: "next" never creates. */
export function isDefaultChild(from: AppNode, to: AppState): boolean {
  const children = APP_GRAPH[from];
  return from !== 'absent' && children.length > 0 && children[children.length - 1] === to;
}

// ──────────────────────────────────────────── plans ──────────────────────────────────────────────

export const PLAN_NAMES = ['deploy', 'upgrade', 'update'] as const;
export type PlanName = (typeof PLAN_NAMES)[number];

export const PLAN_STATUSES = ['IN_PROGRESS', 'COMPLETE', 'ERROR', 'FATAL_ERROR'] as const;
export type PlanStatus = (typeof PLAN_STATUSES)[number];

/** A step drives the app to node `to` by running that node's action. */
export interface PlanStep {
  name: string;
  to: AppState;
}
export interface PlanPhase {
  name: string;
  steps: readonly PlanStep[];
}

/** The plans, as phases of steps, in the order they run. */
export const PLANS: Readonly<Record<PlanName, readonly PlanPhase[]>> = {
  deploy: [
    {
      name: 'deploy',
      steps: [
        { name: 'create', to: 'start' },
        { name: 'await-ready', to: 'running' },
      ],
    },
  ],
  upgrade: [
    { name: 'upgrade', steps: [{ name: 'install-version', to: 'servicing' }] },
    { name: 'resume', steps: [{ name: 'restart', to: 'running' }] },
  ],
  update: [
    { name: 'update', steps: [{ name: 'apply-parameters', to: 'servicing' }] },
    { name: 'resume', steps: [{ name: 'reload', to: 'running' }] },
  ],
};

/** A plan's steps, flattened in order, with their phase. */
export function planSteps(plan: PlanName): { phase: string; step: string; to: AppState }[] {
  return PLANS[plan].flatMap((p) => p.steps.map((s) => ({ phase: p.name, step: s.name, to: s.to })));
}

// ───────────────────────────────────────────── data ──────────────────────────────────────────────

/** The instance spec: the desired state (the custom resource's spec). */
export interface InstanceSpec {
  /** The application version; a change from the last applied one runs `upgrade`. */
  version: string;
  /** The application parameters; a change runs `update`. */
  parameters: Record<string, unknown>;
}

/** One run of a plan. */
export interface PlanRun {
  /** `<plan>-<n>`, n counting the plan's runs from 1. */
  id: string;
  plan: PlanName;
  status: PlanStatus;
  /** The spec the plan was admitted with; a refused change does not alter it. */
  spec: InstanceSpec;
  /** Index of the next step in `planSteps(plan)`; equal to its length once complete. */
  stepIndex: number;
  /** The phase and step that run next (null once the plan has ended). */
  phase: string | null;
  step: string | null;
  startedAt: string;
  finishedAt: string | null;
  /** Why it ended in ERROR / FATAL_ERROR. */
  message: string | null;
}

/** What is kept per plan (the KEP's `planStatus`). */
export interface PlanRecord {
  status: PlanStatus | 'NEVER_RUN';
  /** The active run, or the last one. */
  lastRun: PlanRun | null;
  /** How many runs were started. */
  runs: number;
  /** Finished runs, oldest first, at most `historyLimit`. */
  history: PlanRun[];
}

/** A spec change refused because a plan was running (the KEP's admission rule). */
export interface Refusal {
  reason: string;
  time: string;
  /** The run that was in progress. */
  planRun: string;
}

/** Why the app is being taken to `end`. */
export interface Deletion {
  reason: 'SHUTDOWN' | 'DELETE' | 'spec-removed';
  time: string;
}

/** How a reconcile pass ended; decides where the operator goes next. */
export const RECONCILE_OUTCOMES = ['requeue', 'converged', 'degraded', 'blocked', 'ended'] as const;
export type ReconcileOutcome = (typeof RECONCILE_OUTCOMES)[number];

/** The status document written beside the spec (the custom resource's status). */
export interface InstanceStatus {
  appState: AppNode;
  outcome: ReconcileOutcome | null;
  /** Id of the run in progress, or null (one plan at a time). */
  activePlan: string | null;
  planStatus: Record<PlanName, PlanRecord>;
  lastAppliedInstanceSpec: InstanceSpec | null;
  lastRefusal: Refusal | null;
  lastError: StepError | null;
  deletion: Deletion | null;
  reconciles: number;
}

// ─────────────────────────────────────────── services ────────────────────────────────────────────

/** `readSpec` input. */
export interface ReadSpecInput {
  specPath: string;
}
/**
 * `readSpec` output: the parsed, validated spec, or null when the file no longer exists (the resource was
 * deleted). An invalid spec rejects with `kind: 'invalid-spec'` (not retried).
 */
export interface ReadSpecOutput {
  spec: InstanceSpec | null;
}

/** `observeApp` input. */
export interface ObserveAppInput {
  workDir: string;
}
/** `observeApp` output: the node the app is at (`absent` if no instance exists or it has died). */
export interface ObserveAppOutput {
  appState: AppNode;
}

/** `runAction` input: the edge being taken and the spec to apply. */
export interface RunActionInput {
  workDir: string;
  from: AppNode;
  to: AppState;
  /** The active plan's admitted spec, else the current spec (null while tearing down a removed spec). */
  spec: InstanceSpec | null;
  /** The plan step this action performs, or null for an edge outside any plan (resume, teardown). */
  plan: { name: PlanName; runId: string; phase: string; step: string } | null;
}
/**
 * `runAction` output: the node the app is at once the action is done (normally `to`). The action of `start`
 * creates the app, of `running` waits until it serves, of `servicing` applies the plan's spec (new parameters or
 * version), of `stopping` stops it, of `end` removes what is left (stopping it first if it still runs).
 */
export interface RunActionOutput {
  appState: AppNode;
}

/** `writeStatus` input: the status document and where it goes (beside the spec). */
export interface WriteStatusInput {
  statusPath: string;
  status: InstanceStatus;
}

// ──────────────────────────────────────── input, context, events ─────────────────────────────────

/** What a run starts from. */
export interface OperatorInput {
  /** The instance spec file (JSON). */
  specPath: string;
  /** The managed app's working directory (its sandbox). */
  workDir: string;
  /** Where the status is written. Default: beside the spec, `<spec>.status.json`. */
  statusPath?: string;
  /** Delay before the next pass while current ≠ desired, ms. Default 1000. */
  requeueMs?: number;
  /** Periodic resync while converged or degraded, ms. Default 30000. */
  resyncMs?: number;
  /** Finished runs kept per plan. Default 10. */
  historyLimit?: number;
  /** Retry policy of every step. Default: 3 attempts; `invalid-spec` and `fatal` errors are not retried. */
  retry?: Partial<RetryPolicy>;
}

export interface OperatorContext extends LifecycleProgress {
  specPath: string;
  statusPath: string;
  workDir: string;
  requeueMs: number;
  resyncMs: number;
  historyLimit: number;
  retry: RetryPolicy;
  /** Desired: the spec as last read (null before the first read, or when the file is gone). */
  spec: InstanceSpec | null;
  /** Current: the app's node as last observed or reported by an action. */
  appState: AppNode;
  /** The spec of the last plan that completed. */
  lastAppliedInstanceSpec: InstanceSpec | null;
  /** The plan in progress, or null. */
  activePlan: PlanName | null;
  /** The plan started last (whatever its status). */
  lastPlan: PlanName | null;
  plans: Record<PlanName, PlanRecord>;
  /** The edge taken in this pass. */
  edge: { from: AppNode; to: AppState } | null;
  lastRefusal: Refusal | null;
  deletion: Deletion | null;
  /** Reconcile passes started. */
  reconciles: number;
  /** A SPEC.CHANGED arrived during this pass (so the pass must not conclude "converged"). */
  specChangedDuringPass: boolean;
  /** A step of this pass failed for good. */
  passFailed: boolean;
  outcome: ReconcileOutcome | null;
}

export type OperatorEvent =
  /** The spec file changed (a watcher's notification; the content is read by the next pass). */
  | { type: 'SPEC.CHANGED' }
  /** Stop managing: take the app to `end`, then finish. */
  | { type: 'SHUTDOWN' }
  /** The resource was deleted: same as SHUTDOWN. */
  | { type: 'DELETE' };

export interface OperatorOutput {
  appState: AppNode;
  deletion: Deletion | null;
  lastAppliedInstanceSpec: InstanceSpec | null;
  planStatus: Record<PlanName, PlanStatus | 'NEVER_RUN'>;
  lastError: StepError | null;
}

// ───────────────────────────────────── pure helpers (exported) ───────────────────────────────────

/** JSON with sorted keys, so that equal specs compare equal whatever their key order. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/** Whether two specs are the same (deep, key order ignored). */
export function sameSpec(a: InstanceSpec | null, b: InstanceSpec | null): boolean {
  return canonical(a) === canonical(b);
}

/** The active plan's run, if a plan is in progress. */
export function activeRun(context: OperatorContext): PlanRun | null {
  return context.activePlan ? context.plans[context.activePlan].lastRun : null;
}

/** The step the active plan runs next. */
export function nextPlanStep(context: OperatorContext): { phase: string; step: string; to: AppState } | null {
  const run = activeRun(context);
  return run ? (planSteps(run.plan)[run.stepIndex] ?? null) : null;
}

/**
 * The events of this pass, derived from desired vs. current (OKT: "generate the event telling to go to the state
 * accordingly to the expected state"): the nodes the operator wants the app to go to. `next` asks for the default
 * child of wherever the app is.
 */
export function wantedTargets(context: OperatorContext): (AppState | 'next')[] {
  if (context.deletion) return ['stopping', 'end', 'next'];
  const step = nextPlanStep(context);
  if (step) return [step.to];
  return context.spec ? ['running'] : [];
}

/** The status document for the current context. */
export function toInstanceStatus(context: OperatorContext): InstanceStatus {
  return {
    appState: context.appState,
    outcome: context.outcome,
    activePlan: activeRun(context)?.id ?? null,
    planStatus: context.plans,
    lastAppliedInstanceSpec: context.lastAppliedInstanceSpec,
    lastRefusal: context.lastRefusal,
    lastError: context.lastError,
    deletion: context.deletion,
    reconciles: context.reconciles,
  };
}

const now = () => new Date().toISOString();

const errorParams = ({ event }: { event: { error: unknown } }) => ({ error: event.error });

function emptyPlans(): Record<PlanName, PlanRecord> {
  const record = (): PlanRecord => ({ status: 'NEVER_RUN', lastRun: null, runs: 0, history: [] });
  return { deploy: record(), upgrade: record(), update: record() };
}

/** Stores an updated run; a finished run also goes to the plan's history and frees the active slot. */
function withRun(context: OperatorContext, run: PlanRun): Pick<OperatorContext, 'plans' | 'activePlan'> {
  const record = context.plans[run.plan];
  const finished = run.status !== 'IN_PROGRESS';
  return {
    plans: {
      ...context.plans,
      [run.plan]: {
        ...record,
        status: run.status,
        lastRun: run,
        history: finished ? [...record.history, run].slice(-context.historyLimit) : record.history,
      },
    },
    activePlan: finished ? null : context.activePlan,
  };
}

/**
 * The app is at `appState`: the active plan's steps whose target it has reached are done (level-triggered: a
 * node already reached needs no action). When the last step is done the plan is COMPLETE and its spec becomes
 * `lastAppliedInstanceSpec`.
 */
function advancePlan(context: OperatorContext, appState: AppNode): Partial<OperatorContext> {
  const run = activeRun(context);
  if (!run) return { appState };
  const steps = planSteps(run.plan);
  let i = run.stepIndex;
  while (i < steps.length && steps[i]!.to === appState) i++;
  if (i === run.stepIndex) return { appState };
  if (i < steps.length) {
    return { appState, ...withRun(context, { ...run, stepIndex: i, phase: steps[i]!.phase, step: steps[i]!.step }) };
  }
  const done: PlanRun = { ...run, stepIndex: i, phase: null, step: null, status: 'COMPLETE', finishedAt: now() };
  return { appState, ...withRun(context, done), lastAppliedInstanceSpec: run.spec };
}

/** The name `context.step` gets for the action of this pass's edge. */
function actionStepName(context: OperatorContext): string {
  const step = nextPlanStep(context);
  if (step && context.edge?.to === step.to) return `${context.activePlan}.${step.step}`;
  return `app.${context.edge?.to ?? 'unknown'}`;
}

// ──────────────────────────────────────────── setup ──────────────────────────────────────────────

const operatorSetup = setup({
  types: {
    context: {} as OperatorContext,
    input: {} as OperatorInput,
    events: {} as OperatorEvent,
    output: {} as OperatorOutput,
    tags: {} as 'waiting' | 'retrying' | 'success',
  },
  actors: {
    /** Reads and validates the spec file. Input `{ specPath }`, output `{ spec }` (null: the file is gone). */
    readSpec: notProvided<ReadSpecOutput, ReadSpecInput>('readSpec'),
    /** Observes the app in `workDir`. Output `{ appState }`. Read-only. */
    observeApp: notProvided<ObserveAppOutput, ObserveAppInput>('observeApp'),
    /** Runs the action of the node the app is driven to (one edge). Output `{ appState }` once done. */
    runAction: notProvided<RunActionOutput, RunActionInput>('runAction'),
    /** Writes the status document atomically to `statusPath`. */
    writeStatus: notProvided<void, WriteStatusInput>('writeStatus'),
  },
  guards: {
    /** The failed attempt may run again under the retry policy (attempts left, error kind retryable). */
    canRetry: ({ context }, params: { error: unknown }) => canRetryStep(context, params.error),
    /** The error's kind is one the policy never retries. */
    isNonRetryable: ({ context }, params: { error: unknown }) => {
      const kind = toStepError('', 0, params.error).kind;
      return kind !== undefined && context.retry.nonRetryable.includes(kind);
    },
    notDeleting: ({ context }) => context.deletion === null,
    deletionRequested: ({ context }) => context.deletion !== null,
    planInProgress: ({ context }) => context.activePlan !== null,
    /** The spec differs from the one the running plan was admitted with. */
    specChangedDuringPlan: ({ context }) => {
      const run = activeRun(context);
      return run !== null && context.spec !== null && !sameSpec(context.spec, run.spec);
    },
    /** The app is somewhere the active plan's next step cannot be reached from in one edge. */
    activePlanOffPath: ({ context }) => {
      const step = nextPlanStep(context);
      return step !== null && !APP_GRAPH[context.appState].includes(step.to);
    },
    /** The last plan failed fatally with this very spec: wait for a different one. */
    fatalForThisSpec: ({ context }) => {
      const run = context.lastPlan ? context.plans[context.lastPlan].lastRun : null;
      return run !== null && run.status === 'FATAL_ERROR' && sameSpec(run.spec, context.spec);
    },
    /** Desired vs. current vs. last applied calls for this plan. */
    needsPlan: ({ context }, params: { plan: PlanName }) => {
      const { spec, appState, lastAppliedInstanceSpec: applied } = context;
      if (spec === null) return false;
      switch (params.plan) {
        case 'deploy':
          return appState === 'absent';
        case 'upgrade':
          // Also adopts an app found running with nothing applied: the upgrade applies the whole spec.
          return appState === 'running' && (applied === null || spec.version !== applied.version);
        case 'update':
          return appState === 'running' && applied !== null && canonical(spec.parameters) !== canonical(applied.parameters);
      }
    },
    /** OKT rule: the app is at `from`, and `to` is wanted (or is `from`'s default child and "next" is wanted). */
    takesEdge: ({ context }, params: { from: AppNode; to: AppState }) => {
      if (context.appState !== params.from) return false;
      const wanted = wantedTargets(context);
      return wanted.includes(params.to) || (wanted.includes('next') && isDefaultChild(params.from, params.to));
    },
    deletionComplete: ({ context }) =>
      context.deletion !== null && (context.appState === 'end' || context.appState === 'absent'),
    passFailed: ({ context }) => context.passFailed,
    /** Current = desired: running, nothing in progress, the spec is the last applied one. */
    isConverged: ({ context }) =>
      context.deletion === null &&
      context.spec !== null &&
      context.appState === 'running' &&
      context.activePlan === null &&
      !context.specChangedDuringPass &&
      sameSpec(context.spec, context.lastAppliedInstanceSpec),
    outcomeIs: ({ context }, params: { outcome: ReconcileOutcome }) => context.outcome === params.outcome,
  },
  actions: {
    beginReconcile: assign(({ context }) => ({
      reconciles: context.reconciles + 1,
      specChangedDuringPass: false,
      passFailed: false,
      outcome: null,
      edge: null,
    })),
    /** Enters a step: sets `step` and starts counting attempts at 1. */
    startStep: assign((_, params: { step: string }) => ({ step: params.step, attempts: 1 })),
    countAttempt: assign(({ context }) => ({ attempts: context.attempts + 1 })),
    stepSucceeded: assign(({ context }) => ({ lastSucceededStep: context.step })),
    recordError: assign(({ context }, params: { error: unknown }) => ({
      lastError: toStepError(context.step ?? 'operator', context.attempts, params.error),
    })),
    markPassFailed: assign({ passFailed: true }),
    /** Stores the desired spec; a spec file that is gone means the resource was deleted. */
    storeSpec: assign(({ context }, params: ReadSpecOutput) => ({
      spec: params.spec,
      deletion: context.deletion ?? (params.spec === null ? { reason: 'spec-removed' as const, time: now() } : null),
    })),
    /** Stores the current node (observed, or reported by an action) and advances the active plan to it. */
    storeAppState: assign(({ context }, params: { appState: AppNode }) => advancePlan(context, params.appState)),
    requestDeletion: assign((_, params: { reason: Deletion['reason'] }) => ({
      deletion: { reason: params.reason, time: now() },
    })),
    noteSpecChange: assign({ specChangedDuringPass: true }),
    /** The KEP's admission rule: one plan at a time; the running plan keeps its admitted spec. */
    refuseSpecChange: assign(({ context }) => {
      const run = activeRun(context);
      if (!run) return {};
      return {
        lastRefusal: {
          reason:
            `spec change refused: plan ${run.plan} (${run.id}) is ${run.status} and only one plan runs at a time; ` +
            `it keeps the spec it was admitted with, and the new spec is compared with lastAppliedInstanceSpec once it ends`,
          time: now(),
          planRun: run.id,
        },
      };
    }),
    beginPlan: assign(({ context }, params: { plan: PlanName }) => {
      const record = context.plans[params.plan];
      const first = planSteps(params.plan)[0]!;
      const run: PlanRun = {
        id: `${params.plan}-${record.runs + 1}`,
        plan: params.plan,
        status: 'IN_PROGRESS',
        spec: context.spec!,
        stepIndex: 0,
        phase: first.phase,
        step: first.step,
        startedAt: now(),
        finishedAt: null,
        message: null,
      };
      return {
        plans: { ...context.plans, [params.plan]: { ...record, status: run.status, lastRun: run, runs: record.runs + 1 } },
        activePlan: params.plan,
        lastPlan: params.plan,
      };
    }),
    chooseEdge: assign((_, params: { from: AppNode; to: AppState }) => ({ edge: { from: params.from, to: params.to } })),
    /** Ends the active plan (if any) with `status`; the message is the last error's. */
    failActivePlan: assign(({ context }, params: { status: 'ERROR' | 'FATAL_ERROR' }) => {
      const run = activeRun(context);
      if (!run) return {};
      return withRun(context, {
        ...run,
        status: params.status,
        finishedAt: now(),
        message: context.lastError?.message ?? params.status,
      });
    }),
    /** The app left the active plan's path (e.g. it died mid-plan): the plan ends in ERROR. */
    failPlanOffPath: assign(({ context }) => {
      const run = activeRun(context);
      const step = nextPlanStep(context);
      if (!run || !step) return {};
      const message = `app is at ${context.appState}, from where step ${step.step} (→ ${step.to}) cannot be reached`;
      return {
        ...withRun(context, { ...run, status: 'ERROR', finishedAt: now(), message }),
        lastError: toStepError(`${run.plan}.${step.step}`, 0, Object.assign(new Error(message), { kind: 'off-path' })),
      };
    }),
    /** Deletion preempts the running plan. */
    abortActivePlan: assign(({ context }) => {
      const run = activeRun(context);
      if (!run) return {};
      return withRun(context, {
        ...run,
        status: 'ERROR',
        finishedAt: now(),
        message: `interrupted: ${context.deletion?.reason ?? 'deletion'} takes the app to end`,
      });
    }),
    setOutcome: assign((_, params: { outcome: ReconcileOutcome }) => ({ outcome: params.outcome })),
  },
  delays: {
    /** Delay before the next pass while current ≠ desired. */
    requeue: ({ context }) => context.requeueMs,
    /** Periodic resync while converged or degraded. */
    resync: ({ context }) => context.resyncMs,
    /** Backoff before the next attempt of a failed step, from the run's retry policy. */
    backoff: ({ context }) => backoffDelay(context.retry, context.attempts),
  },
});

/** One edge of the graph in `deciding`: guarded by the OKT rule, taken by running the target node's action. */
const edge = <F extends AppNode, T extends AppState>(from: F, to: T) =>
  ({
    guard: { type: 'takesEdge', params: { from, to } },
    target: 'acting',
    actions: { type: 'chooseEdge', params: { from, to } },
    description: `${from} → ${to}${isDefaultChild(from, to) ? ' (default child)' : ''}`,
  }) as const;

/** A read step (readSpec, observeApp) that failed for good: this pass ends degraded. */
const retryOrDegradeExit = {
  target: '#operator.reconciling.settling',
  actions: [{ type: 'recordError', params: errorParams }, 'markPassFailed'],
} as const;

/** The run's policy (`context.retry`, from the input) governs the retries; diagrams show the default. */
const RUN_RETRY_POLICY = { ...DEFAULT_RETRY_POLICY, overridable: true };

// ─────────────────────────────────────────── machine ─────────────────────────────────────────────

export const operatorMachine = operatorSetup.createMachine({
  id: 'operator',
  description: 'Level-triggered reconcile of an application lifecycle graph (OKT) with deploy/upgrade/update plans (KUDO KEP-0018).',
  context: ({ input }) => ({
    ...initialProgress(),
    specPath: input.specPath,
    statusPath: input.statusPath ?? `${input.specPath.replace(/\.json$/, '')}.status.json`,
    workDir: input.workDir,
    requeueMs: input.requeueMs ?? 1000,
    resyncMs: input.resyncMs ?? 30_000,
    historyLimit: input.historyLimit ?? 10,
    retry: resolveRetryPolicy({ nonRetryable: ['invalid-spec', 'fatal'], ...input.retry }),
    spec: null,
    appState: 'absent',
    lastAppliedInstanceSpec: null,
    activePlan: null,
    lastPlan: null,
    plans: emptyPlans(),
    edge: null,
    lastRefusal: null,
    deletion: null,
    reconciles: 0,
    specChangedDuringPass: false,
    passFailed: false,
    outcome: null,
  }),
  initial: 'reconciling',
  on: {
    // From every state: deletion restarts the pass, which then walks the app to `end`.
    SHUTDOWN: {
      guard: 'notDeleting',
      target: '.reconciling',
      reenter: true,
      actions: { type: 'requestDeletion', params: { reason: 'SHUTDOWN' } },
    },
    DELETE: {
      guard: 'notDeleting',
      target: '.reconciling',
      reenter: true,
      actions: { type: 'requestDeletion', params: { reason: 'DELETE' } },
    },
    // Default handling (the waiting states override it): refused while a plan runs, else noted for this pass.
    'SPEC.CHANGED': [{ guard: 'planInProgress', actions: 'refuseSpecChange' }, { actions: 'noteSpecChange' }],
  },
  states: {
    reconciling: {
      description: 'One reconcile pass: read desired, observe current, pick a plan and an edge, act, report',
      entry: 'beginReconcile',
      initial: 'readingSpec',
      states: {
        readingSpec: retryingStep({
          step: 'readSpec',
          src: 'readSpec',
          description: 'Read the instance spec (desired state)',
          input: ({ context }: { context: OperatorContext }) => ({ specPath: context.specPath }),
          enter: { type: 'startStep', params: { step: 'readSpec' } },
          onDone: {
            target: '#operator.reconciling.observing',
            actions: ['stepSucceeded', { type: 'storeSpec', params: ({ event }: { event: { output: ReadSpecOutput } }) => event.output }],
          },
          onError: retryOrDegradeExit,
          retry: RUN_RETRY_POLICY,
          attemptDescription: 'Run readSpec',
          backoffDescription: 'Wait with backoff, then run readSpec again',
        }),
        observing: retryingStep({
          step: 'observeApp',
          src: 'observeApp',
          description: 'Observe the app (current state); advance the active plan to where the app is',
          input: ({ context }: { context: OperatorContext }) => ({ workDir: context.workDir }),
          enter: { type: 'startStep', params: { step: 'observeApp' } },
          onDone: {
            target: '#operator.reconciling.planning',
            actions: ['stepSucceeded', { type: 'storeAppState', params: ({ event }: { event: { output: { appState: AppNode } } }) => event.output }],
          },
          onError: retryOrDegradeExit,
          retry: RUN_RETRY_POLICY,
          attemptDescription: 'Run observeApp',
          backoffDescription: 'Wait with backoff, then run observeApp again',
        }),
        planning: {
          description: 'KUDO: continue the one active plan, refuse spec changes meanwhile, or start the plan needed',
          always: [
            { guard: 'deletionRequested', target: 'deciding', actions: 'abortActivePlan' },
            { guard: 'activePlanOffPath', target: 'settling', actions: ['failPlanOffPath', 'markPassFailed'] },
            { guard: 'specChangedDuringPlan', target: 'deciding', actions: 'refuseSpecChange' },
            { guard: 'planInProgress', target: 'deciding' },
            { guard: 'fatalForThisSpec', target: 'settling' },
            {
              guard: { type: 'needsPlan', params: { plan: 'deploy' } },
              target: 'deciding',
              actions: { type: 'beginPlan', params: { plan: 'deploy' } },
            },
            {
              guard: { type: 'needsPlan', params: { plan: 'upgrade' } },
              target: 'deciding',
              actions: { type: 'beginPlan', params: { plan: 'upgrade' } },
            },
            {
              guard: { type: 'needsPlan', params: { plan: 'update' } },
              target: 'deciding',
              actions: { type: 'beginPlan', params: { plan: 'update' } },
            },
            { target: 'deciding' },
          ],
        },
        deciding: {
          description: 'OKT: take the next edge from the app node, children in priority order; else none this pass',
          always: [
            edge('absent', 'start'),
            edge('start', 'running'),
            edge('running', 'servicing'),
            edge('running', 'stopping'),
            edge('servicing', 'running'),
            edge('servicing', 'end'),
            edge('stopping', 'end'),
            // Default: no edge to take in this pass (converged, or waiting for the app to get somewhere).
            { target: 'settling' },
          ],
        },
        acting: retryingStep({
          step: 'runAction',
          src: 'runAction',
          description: "Run the target node's action (a plan step, or a resume/teardown edge)",
          enter: { type: 'startStep', params: ({ context }: { context: OperatorContext }) => ({ step: actionStepName(context) }) },
          input: ({ context }: { context: OperatorContext }) => {
            const run = activeRun(context);
            const step = nextPlanStep(context);
            const inPlan = run !== null && step !== null && context.edge?.to === step.to;
            return {
              workDir: context.workDir,
              from: context.edge?.from ?? context.appState,
              to: context.edge?.to ?? 'running',
              spec: run?.spec ?? context.spec,
              plan: inPlan ? { name: run.plan, runId: run.id, phase: step.phase, step: step.step } : null,
            };
          },
          onDone: {
            target: '#operator.reconciling.settling',
            actions: ['stepSucceeded', { type: 'storeAppState', params: ({ event }: { event: { output: { appState: AppNode } } }) => event.output }],
          },
          onError: [
            {
              guard: { type: 'isNonRetryable', params: errorParams },
              target: '#operator.reconciling.settling',
              actions: [
                { type: 'recordError', params: errorParams },
                { type: 'failActivePlan', params: { status: 'FATAL_ERROR' } },
                'markPassFailed',
              ],
            },
            {
              target: '#operator.reconciling.settling',
              actions: [
                { type: 'recordError', params: errorParams },
                { type: 'failActivePlan', params: { status: 'ERROR' } },
                'markPassFailed',
              ],
            },
          ],
          retry: RUN_RETRY_POLICY,
          attemptDescription: 'Run runAction',
          backoffDescription: 'Wait with backoff, then run runAction again',
        }),
        settling: {
          description: 'Conclude the pass: ended, blocked, degraded, converged, or requeue (current ≠ desired)',
          always: [
            {
              guard: 'deletionComplete',
              target: 'reporting',
              actions: { type: 'setOutcome', params: { outcome: 'ended' } },
            },
            {
              guard: 'fatalForThisSpec',
              target: 'reporting',
              actions: { type: 'setOutcome', params: { outcome: 'blocked' } },
            },
            { guard: 'passFailed', target: 'reporting', actions: { type: 'setOutcome', params: { outcome: 'degraded' } } },
            {
              guard: 'isConverged',
              target: 'reporting',
              actions: { type: 'setOutcome', params: { outcome: 'converged' } },
            },
            { target: 'reporting', actions: { type: 'setOutcome', params: { outcome: 'requeue' } } },
          ],
        },
        reporting: retryingStep({
          step: 'writeStatus',
          src: 'writeStatus',
          description: 'Write the status beside the spec, then go where the outcome says',
          enter: { type: 'startStep', params: { step: 'writeStatus' } },
          input: ({ context }: { context: OperatorContext }) => ({ statusPath: context.statusPath, status: toInstanceStatus(context) }),
          onDone: [
            { guard: { type: 'outcomeIs', params: { outcome: 'ended' } }, target: '#operator.ended', actions: 'stepSucceeded' },
            { guard: { type: 'outcomeIs', params: { outcome: 'converged' } }, target: '#operator.converged', actions: 'stepSucceeded' },
            { guard: { type: 'outcomeIs', params: { outcome: 'blocked' } }, target: '#operator.blocked', actions: 'stepSucceeded' },
            { guard: { type: 'outcomeIs', params: { outcome: 'degraded' } }, target: '#operator.degraded', actions: 'stepSucceeded' },
            { target: '#operator.requeued', actions: 'stepSucceeded' },
          ],
          // The status could not be written: finish anyway if the app has ended, else try next pass.
          onError: [
            {
              guard: { type: 'outcomeIs', params: { outcome: 'ended' } },
              target: '#operator.ended',
              actions: { type: 'recordError', params: errorParams },
            },
            { target: '#operator.requeued', actions: { type: 'recordError', params: errorParams } },
          ],
          retry: RUN_RETRY_POLICY,
          attemptDescription: 'Run writeStatus',
          backoffDescription: 'Wait with backoff, then run writeStatus again',
        }),
      },
    },
    requeued: {
      description: 'Current ≠ desired: reconcile again after the requeue delay',
      after: { requeue: 'reconciling' },
    },
    converged: {
      description: 'Current = desired: wait for a spec change or the periodic resync',
      tags: ['waiting'],
      on: { 'SPEC.CHANGED': 'reconciling' },
      after: { resync: 'reconciling' },
    },
    degraded: {
      description: 'A step failed for good (plan ERROR, or spec/app unreadable): wait for a spec change or resync',
      tags: ['waiting'],
      on: { 'SPEC.CHANGED': 'reconciling' },
      after: { resync: 'reconciling' },
    },
    blocked: {
      description: 'The last plan failed fatally with this spec: wait for a different spec (or DELETE)',
      tags: ['waiting'],
      on: { 'SPEC.CHANGED': 'reconciling' },
    },
    ended: {
      description: 'The app reached end after SHUTDOWN/DELETE; the operator is done',
      type: 'final',
      tags: ['success'],
    },
  },
  output: ({ context }) => ({
    appState: context.appState,
    deletion: context.deletion,
    lastAppliedInstanceSpec: context.lastAppliedInstanceSpec,
    planStatus: {
      deploy: context.plans.deploy.status,
      upgrade: context.plans.upgrade.status,
      update: context.plans.update.status,
    },
    lastError: context.lastError,
  }),
});
