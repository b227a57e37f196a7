/**
 * # upgrade: an agent upgrade where the next version does the work
 *
 * Follows the *solution* of `seeds/agent-upgrade-responsibility.txt` (elastic-agent #3639): the version being
 * upgraded from does as little as possible, so that bugs in the upgrade logic can be fixed by shipping a new
 * version, and the on-disk layout can change between versions.
 *
 * An agent lives in a home directory: `data/agent-<version>-<hash>/` per version and a `current` symlink to the
 * active one.
 *
 * ```
 * currentVersion (CANCEL ─▶ cancelling ─▶ cancelled)
 *   checkingVersion ─▶ evaluatingVersion ─▶ downloading ─▶ verifying ─▶ extracting ─▶ handingOff
 *                           └▶ refused        (any failure ─▶ cleaningUp ─▶ failed)
 * nextVersion (no CANCEL: only a rollback undoes it; any failure ─▶ rollingBack ─▶ rolledBack)
 *   migrating ─▶ swapping ─▶ trial ═╦═ agent:   starting ─▶ running
 *                                   ╚═ watcher: waitingForAgent ─▶ watching (health checks)
 *                                   grace period over: enough healthy probes ─▶ completed, else ─▶ rollingBack
 *                                               UNHEALTHY or an unhealthy probe ─▶ rollingBack
 * ```
 *
 * - Current version's part: `checkingVersion` (the version rules), `downloading` (local path or loopback HTTP, with
 *   progress, retries and backoff), `verifying` (sha256), `extracting`, and `handingOff`: invoke the next version's
 *   upgrade entrypoint at the stable, well-known path {@link UPGRADE_ENTRYPOINT} under the agent home. That path is
 *   the only thing the current version knows about the next one.
 * - Next version's part: migrate the state directories (action store, run state), swap `current` atomically, then
 *   the parallel `trial`: the new agent starts and runs while the watcher polls its health for the grace period.
 * - Version rules (guards over `readCurrentAgent`'s report and the input), all waived by `force`: the same version
 *   is refused, a downgrade is refused, and — the seed's trap — a higher version *built earlier* than the running one
 *   is refused, since it may not know how to upgrade from it: build dates decide, not only semver.
 * - Download: the one long-running service, so it is a callback actor (`fromCallback`) that streams the artifact
 *   and talks back with events: `DOWNLOAD.PROGRESS` as bytes arrive, then `DOWNLOAD.DONE` or `DOWNLOAD.FAILED`
 *   (see {@link DownloadEvent}). Leaving the state (CANCEL, say) runs the callback's cleanup, which aborts the
 *   transfer. Its input holds no actor reference, so a run restored from a persisted snapshot restarts it cleanly.
 *
 * Pure: no I/O here. Every side effect is a service named in `setup.actors` whose placeholder fails with
 * "service X is not provided"; real ones are swapped in with `upgradeMachine.provide({ actors })`.
 */
import { assign, setup, type EventObject } from 'xstate';
import { compareVersions } from './install.ts';
import { notProvided, notProvidedCallback } from './not-provided.ts';
import {
  backoffDelay,
  canRetryStep,
  initialProgress,
  resolveRetryPolicy,
  toStepError,
  type LifecycleProgress,
  type RetryPolicy,
  type StepError,
} from './progress.ts';

/** The steps of an upgrade, in order: the current version's five, then the next version's four. */
export const UPGRADE_STEPS = [
  'checkVersion',
  'download',
  'verify',
  'extract',
  'handOff',
  'migrate',
  'swap',
  'start',
  'watch',
] as const;

export type UpgradeStep = (typeof UPGRADE_STEPS)[number];

/** What `context.step` can name: the upgrade steps plus the two recovery steps. */
export type UpgradePhase = UpgradeStep | 'cleanup' | 'rollback';

/** How a run ended; also the name of the final state it ended in. */
export type UpgradeOutcome = 'completed' | 'rolledBack' | 'cancelled' | 'failed' | 'refused';

/** The version rules; each refuses the upgrade unless `force`. */
export type VersionRule = 'sameVersion' | 'downgrade' | 'builtEarlier';

/** The stable, well-known location of the upgrade entrypoint, relative to the agent home (outside `data/`). */
export const UPGRADE_ENTRYPOINT = 'bin/upgrade';

export const DEFAULT_GRACE_PERIOD_MS = 10 * 60_000;
export const DEFAULT_HEALTH_CHECK_INTERVAL_MS = 10_000;
/** How long one health probe may take, at most (it is also bounded by the grace period, see {@link resolveHealthPolicy}). */
export const DEFAULT_HEALTH_CHECK_TIMEOUT_MS = 2000;
/** The shortest time a probe is given: a grace period that cannot give every required probe this long is refused. */
export const MIN_HEALTH_CHECK_TIMEOUT_MS = 50;

/**
 * The watcher's policy: the upgrade completes only when the new agent answered `healthyProbes` consecutive healthy
 * probes within the grace period (any unhealthy probe rolls back at once, so the healthy ones are consecutive); a
 * grace period that ends with fewer rolls back. Each probe's timeout is bounded so that all of them, with the pauses
 * between them, fit in the grace period. Pure.
 */
export interface HealthPolicy {
  healthyProbes: number;
  /** The timeout of one probe, after the bound. */
  probeTimeoutMs: number;
  /** Why the probes cannot fit in the grace period (one sentence naming the fields), or null. */
  problem: string | null;
}

/**
 * Resolves the watcher's policy from an input's fields (defaults filled in). `healthCheckTimeoutMs` given explicitly
 * must fit as it is; the default is lowered to fit.
 *
 * @example
 * resolveHealthPolicy({ gracePeriodMs: 1500, healthCheckIntervalMs: 200 }); // { healthyProbes: 1, probeTimeoutMs: 1500, problem: null }
 * resolveHealthPolicy({ gracePeriodMs: 0 }).problem; // 'gracePeriodMs (0) leaves no time for ...'
 */
export function resolveHealthPolicy(input: Pick<UpgradeInput, 'gracePeriodMs' | 'healthCheckIntervalMs' | 'healthCheckTimeoutMs' | 'healthyProbes'>): HealthPolicy {
  const grace = input.gracePeriodMs ?? DEFAULT_GRACE_PERIOD_MS;
  const interval = input.healthCheckIntervalMs ?? DEFAULT_HEALTH_CHECK_INTERVAL_MS;
  const n = input.healthyProbes ?? 1;
  const pauses = (n - 1) * interval;
  const perProbe = Math.floor((grace - pauses) / n);
  const probeTimeoutMs = Math.max(1, Math.min(input.healthCheckTimeoutMs ?? DEFAULT_HEALTH_CHECK_TIMEOUT_MS, perProbe));
  const needs = `${n} healthy probe${n > 1 ? 's' : ''}${n > 1 ? ` with ${n - 1} pause${n > 2 ? 's' : ''} of healthCheckIntervalMs (${interval})` : ''}`;
  let problem: string | null = null;
  if (perProbe < MIN_HEALTH_CHECK_TIMEOUT_MS)
    problem = `gracePeriodMs (${grace}) leaves no time for healthyProbes (${n}): ${needs} need at least ${n * MIN_HEALTH_CHECK_TIMEOUT_MS + pauses} ms; raise gracePeriodMs or lower healthyProbes or healthCheckIntervalMs`;
  else if (input.healthCheckTimeoutMs !== undefined && input.healthCheckTimeoutMs > perProbe)
    problem = `healthCheckTimeoutMs (${input.healthCheckTimeoutMs}) does not fit in gracePeriodMs (${grace}): ${needs} leave at most ${perProbe} ms a probe; lower healthCheckTimeoutMs or raise gracePeriodMs`;
  return { healthyProbes: n, probeTimeoutMs, problem };
}

/** What a run starts from. */
export interface UpgradeInput {
  /** The agent home: holds `data/agent-<version>-<hash>/` and the `current` symlink. */
  agentHome: string;
  /** The artifact: a local `.tar.gz` path or an `http://127.0.0.1:<port>/...` URL. */
  source: string;
  /** Expected sha256 of the artifact, hex. */
  sha256: string;
  targetVersion: string;
  /** Build date of the target version, ISO-8601. */
  targetBuildDate: string;
  /** Waive the version rules. */
  force?: boolean;
  /** How long the watcher watches the new agent before the upgrade completes. */
  gracePeriodMs?: number;
  /** Pause between two health checks. */
  healthCheckIntervalMs?: number;
  /** Timeout of one health probe (default 2000 ms), bounded by the grace period. */
  healthCheckTimeoutMs?: number;
  /** Consecutive healthy probes the new agent must answer within the grace period (default 1). */
  healthyProbes?: number;
  /** Largest artifact the download accepts, in bytes (default: the download's, 1 GiB). */
  maxDownloadBytes?: number;
  /** A download that receives nothing for this long fails (default 30 s). */
  downloadIdleTimeoutMs?: number;
  /** A download that takes longer than this in all fails (default 10 min). */
  downloadTimeoutMs?: number;
  /** Retry policy of the download. */
  retry?: Partial<RetryPolicy>;
}

/** The running agent, as `readCurrentAgent` reports it. */
export interface AgentVersionInfo {
  version: string;
  /** ISO-8601. */
  buildDate: string;
  /** The versioned directory `current` points to, e.g. `<home>/data/agent-1.2.3-abc123`. */
  path: string;
}

export interface UpgradeContext extends LifecycleProgress {
  agentHome: string;
  source: string;
  sha256: string;
  targetVersion: string;
  targetBuildDate: string;
  force: boolean;
  gracePeriodMs: number;
  healthCheckIntervalMs: number;
  /** Healthy probes required within the grace period (older saved runs lack it: 1). */
  healthyProbes?: number;
  /** Timeout of one probe, bounded by the grace period. */
  healthCheckTimeoutMs?: number;
  /** The download's limits from the input (null: the download's defaults). */
  maxDownloadBytes?: number | null;
  downloadIdleTimeoutMs?: number | null;
  downloadTimeoutMs?: number | null;
  retry: RetryPolicy;
  /** The running agent (the version upgraded from), once read. */
  current: AgentVersionInfo | null;
  /** The version rule that refused the upgrade. */
  refusedBy: VersionRule | null;
  /** Download progress, from `DOWNLOAD.PROGRESS` events. */
  bytesReceived: number;
  totalBytes: number | null;
  /** The downloaded artifact. */
  artifactPath: string | null;
  /** The extracted next version, e.g. `<home>/data/agent-1.3.0-def456`. */
  extractedPath: string | null;
  /** Where `migrateState` saved the previous state, for a rollback. */
  stateBackupPath: string | null;
  /** Whether the next version took over (from then on CANCEL is not accepted). */
  handedOff: boolean;
  agentPid: number | null;
  /** Health checks passed during the grace period. */
  healthChecks: number;
  outcome: UpgradeOutcome | null;
}

/**
 * What the `download` service sends back while its state is active: any number of `DOWNLOAD.PROGRESS`, then exactly
 * one of `DOWNLOAD.DONE` (the artifact is complete at `artifactPath`) or `DOWNLOAD.FAILED` (`kind` as in
 * {@link StepError}, e.g. `ECONNRESET`, matched by the retry policy's `nonRetryable`). Plain data, so they journal.
 */
export type DownloadEvent =
  | { type: 'DOWNLOAD.PROGRESS'; bytesReceived: number; totalBytes: number | null }
  | { type: 'DOWNLOAD.DONE'; artifactPath: string; bytes: number }
  | { type: 'DOWNLOAD.FAILED'; message: string; kind?: string };

/**
 * Events a run accepts from outside; everything else is the services' done/error events.
 * - `CANCEL`: accepted in every state before the hand-off; cleans up the download and ends `cancelled`.
 * - `UNHEALTHY`: during the trial (from a process monitor, say): roll back now.
 * - `DOWNLOAD.*`: from the `download` service, see {@link DownloadEvent}.
 */
export type UpgradeEvent = { type: 'CANCEL' } | { type: 'UNHEALTHY'; reason?: string } | DownloadEvent;

/** The machine's output. */
export interface UpgradeOutput {
  outcome: UpgradeOutcome;
  fromVersion: string | null;
  toVersion: string;
  refusedBy: VersionRule | null;
  step: string | null;
  lastSucceededStep: string | null;
  attempts: number;
  lastError: StepError | null;
}

// ---- service contracts -------------------------------------------------------------------------------------------

/** Input of `readCurrentAgent`; output {@link AgentVersionInfo}. */
export interface AgentHomeInput {
  agentHome: string;
}

/**
 * Input of `download`: fetch `source` (a path, or an `http://127.0.0.1` URL) into `destDir`, sending
 * {@link DownloadEvent}s back; the callback's cleanup function aborts the transfer.
 *
 * @example
 * download: fromCallback<EventObject, DownloadInput>(({ input, sendBack }) => {
 *   const abort = new AbortController();
 *   fetchTo(input.source, input.destDir, abort.signal, (bytesReceived, totalBytes) =>
 *     sendBack({ type: 'DOWNLOAD.PROGRESS', bytesReceived, totalBytes }),
 *   ).then(
 *     ({ artifactPath, bytes }) => sendBack({ type: 'DOWNLOAD.DONE', artifactPath, bytes }),
 *     (error) => sendBack({ type: 'DOWNLOAD.FAILED', message: error.message, kind: error.code }),
 *   );
 *   return () => abort.abort();
 * })
 */
export interface DownloadInput {
  source: string;
  destDir: string;
  /** Largest artifact accepted, in bytes; idle and total timeouts in ms (absent: the download's defaults). */
  maxBytes?: number;
  idleTimeoutMs?: number;
  timeoutMs?: number;
}

/** Input of `verifyChecksum`; rejects with kind `checksum-mismatch`. Output: the actual digest. */
export interface VerifyInput {
  artifactPath: string;
  sha256: string;
}
export interface VerifyOutput {
  sha256: string;
}

/**
 * Input of `extract`: unpack the artifact under `<agentHome>/data/` and put its upgrade entrypoint at
 * `<agentHome>/`{@link UPGRADE_ENTRYPOINT}.
 */
export interface ExtractInput {
  artifactPath: string;
  agentHome: string;
  version: string;
}
export interface ExtractOutput {
  /** The next version's directory, e.g. `<home>/data/agent-1.3.0-def456`. */
  extractedPath: string;
  hash: string;
}

/** Input of `handOff`: run `entrypoint` and resolve once the next version has taken the upgrade over. */
export interface HandOffInput {
  agentHome: string;
  entrypoint: string;
  fromVersion: string;
  toVersion: string;
  extractedPath: string;
}

/** Input of `migrateState` (next version): copy the action store and run state from `fromPath` to `toPath`. */
export interface MigrateInput {
  agentHome: string;
  fromPath: string;
  toPath: string;
}
export interface MigrateOutput {
  /** A copy of the state as it was, for a rollback. */
  backupPath: string;
}

/** Input of `swapSymlink`: point `<agentHome>/current` at `toPath` atomically. */
export interface SwapInput {
  agentHome: string;
  toPath: string;
}

/** Input of `startAgent` and `checkHealth`. */
export interface AgentInput {
  agentHome: string;
  version: string;
  path: string;
  /** `checkHealth`: how long the probe may take (bounded by the grace period). */
  timeoutMs?: number;
}
export interface StartOutput {
  pid: number;
}
/** Output of `checkHealth`: one probe. A rejection counts as unhealthy. */
export interface HealthOutput {
  healthy: boolean;
  detail?: string;
}

/** Input of `rollback`: stop the new agent, point `current` back at `previousPath`, restore the state backup. */
export interface RollbackInput {
  agentHome: string;
  previousPath: string;
  failedPath: string | null;
  stateBackupPath: string | null;
  agentPid: number | null;
}

/** Input of `cleanupDownload`: remove the downloaded artifact and the extracted directory (either may be null). */
export interface CleanupInput {
  agentHome: string;
  artifactPath: string | null;
  extractedPath: string | null;
}

// ---- pure helpers ------------------------------------------------------------------------------------------------

/** Whether `rule` refuses upgrading `current` to the target (pure; `force` is checked separately). */
export function violatesVersionRule(
  rule: VersionRule,
  current: Pick<AgentVersionInfo, 'version' | 'buildDate'>,
  target: { version: string; buildDate: string },
): boolean {
  const c = compareVersions(target.version, current.version);
  switch (rule) {
    case 'sameVersion':
      return c === 0;
    case 'downgrade':
      return c < 0;
    case 'builtEarlier':
      return c > 0 && Date.parse(target.buildDate) < Date.parse(current.buildDate);
  }
}

const RULE_MESSAGES: Record<VersionRule, string> = {
  sameVersion: 'is already running',
  downgrade: 'is a downgrade',
  builtEarlier: 'was built before the running version and may not know how to upgrade from it',
};

const errorParams = ({ event }: { event: { error: unknown } }) => ({ error: event.error });
const downloadErrorParams = ({ event }: { event: { message: string; kind?: string } }) => ({
  error: Object.assign(new Error(event.message), event.kind ? { kind: event.kind } : {}),
});

// ---- the machine -------------------------------------------------------------------------------------------------

/** Input of `cleanupDownload`, for both a cancel and a failure before the hand-off. */
const cleanupInput = ({ context }: { context: UpgradeContext }): CleanupInput => ({
  agentHome: context.agentHome,
  artifactPath: context.artifactPath,
  extractedPath: context.extractedPath,
});

export const upgradeMachine = setup({
  types: {
    context: {} as UpgradeContext,
    input: {} as UpgradeInput,
    events: {} as UpgradeEvent,
    output: {} as UpgradeOutput,
    tags: {} as 'cancellable' | 'retrying' | 'running' | 'success' | 'failure',
  },
  actors: {
    /** Reads the running agent's version, build date and versioned path (follows `current`). Writes nothing. */
    readCurrentAgent: notProvided<AgentVersionInfo, AgentHomeInput>('readCurrentAgent'),
    /** Streams the artifact into `destDir`, sending back `DOWNLOAD.PROGRESS`, then `DOWNLOAD.DONE` or `DOWNLOAD.FAILED`. */
    download: notProvidedCallback<EventObject, DownloadInput>('download'),
    /** Computes the artifact's sha256; rejects (kind `checksum-mismatch`) when it differs. */
    verifyChecksum: notProvided<VerifyOutput, VerifyInput>('verifyChecksum'),
    /** Unpacks the artifact under `data/` and installs its entrypoint at the stable path. */
    extract: notProvided<ExtractOutput, ExtractInput>('extract'),
    /** Invokes the next version's upgrade entrypoint; resolves when it has taken over. */
    handOff: notProvided<void, HandOffInput>('handOff'),
    /** Next version: migrates the action store and run state, keeping a backup. */
    migrateState: notProvided<MigrateOutput, MigrateInput>('migrateState'),
    /** Next version: swaps the `current` symlink atomically (rename over it). */
    swapSymlink: notProvided<void, SwapInput>('swapSymlink'),
    /** Next version: starts the new agent. */
    startAgent: notProvided<StartOutput, AgentInput>('startAgent'),
    /** Watcher: one health probe of the new agent. */
    checkHealth: notProvided<HealthOutput, AgentInput>('checkHealth'),
    /** Restores the `current` symlink and the state backup, and restarts the previous agent. */
    rollback: notProvided<void, RollbackInput>('rollback'),
    /** Removes the downloaded artifact and the extracted directory. */
    cleanupDownload: notProvided<void, CleanupInput>('cleanupDownload'),
  },
  guards: {
    isForced: ({ context }) => context.force,
    /** The version rule `rule` refuses upgrading the running agent to the target. */
    violates: ({ context }, params: { rule: VersionRule }) =>
      context.current !== null &&
      violatesVersionRule(params.rule, context.current, {
        version: context.targetVersion,
        buildDate: context.targetBuildDate,
      }),
    /** The failed attempt may run again under the retry policy (attempts left, error kind retryable). */
    canRetry: ({ context }, params: { error: unknown }) => canRetryStep(context, params.error),
    isHealthy: (_, params: { healthy: boolean }) => params.healthy,
    /** The watcher saw the healthy probes its policy requires (an upgrade never completes on none). */
    hasEnoughHealthyProbes: ({ context }) => context.healthChecks >= Math.max(1, context.healthyProbes ?? 1),
  },
  actions: {
    /** Enters a step: sets `step` and starts counting attempts at 1. */
    enterStep: assign((_, params: { step: UpgradePhase }) => ({ step: params.step, attempts: 1 })),
    countAttempt: assign(({ context }) => ({ attempts: context.attempts + 1 })),
    markSucceeded: assign(({ context }) => ({ lastSucceededStep: context.step })),
    recordError: assign(({ context }, params: { error: unknown }) => ({
      lastError: toStepError(context.step ?? 'upgrade', context.attempts, params.error),
    })),
    recordUnhealthy: assign(({ context }, params: { reason: string }) => ({
      lastError: toStepError(
        context.step ?? 'watch',
        context.attempts,
        Object.assign(new Error(`agent ${context.targetVersion} is unhealthy: ${params.reason}`), { kind: 'unhealthy' }),
      ),
    })),
    refuse: assign(({ context }, params: { rule: VersionRule }) => ({
      refusedBy: params.rule,
      lastError: toStepError(
        'checkVersion',
        context.attempts,
        Object.assign(
          new Error(
            `refusing to upgrade from ${context.current?.version} (built ${context.current?.buildDate}) to ${context.targetVersion} (built ${context.targetBuildDate}): the target ${RULE_MESSAGES[params.rule]}; pass force to override`,
          ),
          { kind: `version-rule:${params.rule}` },
        ),
      ),
    })),
    recordCurrent: assign((_, params: AgentVersionInfo) => ({ current: params })),
    recordProgress: assign((_, params: { bytesReceived: number; totalBytes: number | null }) => ({
      bytesReceived: params.bytesReceived,
      totalBytes: params.totalBytes,
    })),
    recordDownload: assign((_, params: { artifactPath: string; bytes: number }) => ({
      artifactPath: params.artifactPath,
      bytesReceived: params.bytes,
    })),
    recordExtracted: assign((_, params: ExtractOutput) => ({ extractedPath: params.extractedPath })),
    markHandedOff: assign({ handedOff: true }),
    recordBackup: assign((_, params: MigrateOutput) => ({ stateBackupPath: params.backupPath })),
    recordStarted: assign((_, params: StartOutput) => ({ agentPid: params.pid })),
    recordTooFewHealthyProbes: assign(({ context }) => ({
      lastError: toStepError(
        context.step ?? 'watch',
        context.attempts,
        Object.assign(
          new Error(
            `agent ${context.targetVersion} is unhealthy: ${context.healthChecks} of the ${Math.max(1, context.healthyProbes ?? 1)} healthy probe(s) required answered within the grace period of ${context.gracePeriodMs} ms`,
          ),
          { kind: 'unhealthy' },
        ),
      ),
    })),
    countHealthCheck: assign(({ context }) => ({ healthChecks: context.healthChecks + 1 })),
    finish: assign((_, params: { outcome: UpgradeOutcome }) => ({ outcome: params.outcome })),
  },
  delays: {
    /** Backoff before the next download attempt, from the run's retry policy. */
    backoff: ({ context }) => backoffDelay(context.retry, context.attempts),
    gracePeriod: ({ context }) => context.gracePeriodMs,
    healthCheckInterval: ({ context }) => context.healthCheckIntervalMs,
  },
}).createMachine({
  id: 'upgrade',
  description: 'Upgrade an agent where the next version does the work (elastic-agent #3639 solution).',
  context: ({ input }) => ({
    ...initialProgress(),
    agentHome: input.agentHome,
    source: input.source,
    sha256: input.sha256,
    targetVersion: input.targetVersion,
    targetBuildDate: input.targetBuildDate,
    force: input.force ?? false,
    gracePeriodMs: input.gracePeriodMs ?? DEFAULT_GRACE_PERIOD_MS,
    healthCheckIntervalMs: input.healthCheckIntervalMs ?? DEFAULT_HEALTH_CHECK_INTERVAL_MS,
    healthyProbes: resolveHealthPolicy(input).healthyProbes,
    healthCheckTimeoutMs: resolveHealthPolicy(input).probeTimeoutMs,
    maxDownloadBytes: input.maxDownloadBytes ?? null,
    downloadIdleTimeoutMs: input.downloadIdleTimeoutMs ?? null,
    downloadTimeoutMs: input.downloadTimeoutMs ?? null,
    retry: resolveRetryPolicy(input.retry),
    current: null,
    refusedBy: null,
    bytesReceived: 0,
    totalBytes: null,
    artifactPath: null,
    extractedPath: null,
    stateBackupPath: null,
    handedOff: false,
    agentPid: null,
    healthChecks: 0,
    outcome: null,
  }),
  initial: 'currentVersion',
  states: {
    currentVersion: {
      description: "The running version's part, kept minimal: check, download, verify, extract; CANCEL accepted",
      tags: ['cancellable'],
      on: { CANCEL: 'cancelling' },
      initial: 'checkingVersion',
      states: {
        checkingVersion: {
          description: "Read the running agent's version and build date",
          entry: { type: 'enterStep', params: { step: 'checkVersion' } },
          invoke: {
            src: 'readCurrentAgent',
            input: ({ context }) => ({ agentHome: context.agentHome }),
            onDone: {
              target: 'evaluatingVersion',
              actions: [{ type: 'recordCurrent', params: ({ event }) => event.output }, 'markSucceeded'],
            },
            onError: { target: '#upgrade.failed', actions: { type: 'recordError', params: errorParams } },
          },
        },
        evaluatingVersion: {
          description: 'Version rules, waived by force: same version, downgrade, higher version built earlier',
          always: [
            { guard: 'isForced', target: 'downloading' },
            {
              guard: { type: 'violates', params: { rule: 'sameVersion' } },
              target: '#upgrade.refused',
              actions: { type: 'refuse', params: { rule: 'sameVersion' } },
            },
            {
              guard: { type: 'violates', params: { rule: 'downgrade' } },
              target: '#upgrade.refused',
              actions: { type: 'refuse', params: { rule: 'downgrade' } },
            },
            {
              guard: { type: 'violates', params: { rule: 'builtEarlier' } },
              target: '#upgrade.refused',
              actions: { type: 'refuse', params: { rule: 'builtEarlier' } },
            },
            { target: 'downloading' },
          ],
        },
        downloading: {
          description: 'Download the artifact (path or loopback URL) with progress, retried with backoff',
          entry: { type: 'enterStep', params: { step: 'download' } },
          initial: 'running',
          states: {
            running: {
              description: 'Stream the artifact into <home>/downloads',
              invoke: {
                src: 'download',
                input: ({ context }) => ({
                  source: context.source,
                  destDir: `${context.agentHome}/downloads`,
                  ...(context.maxDownloadBytes != null ? { maxBytes: context.maxDownloadBytes } : {}),
                  ...(context.downloadIdleTimeoutMs != null ? { idleTimeoutMs: context.downloadIdleTimeoutMs } : {}),
                  ...(context.downloadTimeoutMs != null ? { timeoutMs: context.downloadTimeoutMs } : {}),
                }),
                onError: [
                  {
                    guard: { type: 'canRetry', params: errorParams },
                    target: 'retrying',
                    actions: { type: 'recordError', params: errorParams },
                  },
                  { target: '#upgrade.cleaningUp', actions: { type: 'recordError', params: errorParams } },
                ],
              },
              on: {
                'DOWNLOAD.PROGRESS': {
                  actions: {
                    type: 'recordProgress',
                    params: ({ event }) => ({ bytesReceived: event.bytesReceived, totalBytes: event.totalBytes }),
                  },
                },
                'DOWNLOAD.DONE': {
                  target: '#upgrade.currentVersion.verifying',
                  actions: [
                    { type: 'recordDownload', params: ({ event }) => ({ artifactPath: event.artifactPath, bytes: event.bytes }) },
                    'markSucceeded',
                  ],
                },
                'DOWNLOAD.FAILED': [
                  {
                    guard: { type: 'canRetry', params: downloadErrorParams },
                    target: 'retrying',
                    actions: { type: 'recordError', params: downloadErrorParams },
                  },
                  { target: '#upgrade.cleaningUp', actions: { type: 'recordError', params: downloadErrorParams } },
                ],
              },
            },
            retrying: {
              description: 'Wait with backoff, then download again',
              tags: ['retrying'],
              after: { backoff: { target: 'running', actions: 'countAttempt' } },
            },
          },
        },
        verifying: {
          description: "Check the artifact's sha256 against the expected one",
          entry: { type: 'enterStep', params: { step: 'verify' } },
          invoke: {
            src: 'verifyChecksum',
            input: ({ context }) => ({ artifactPath: context.artifactPath!, sha256: context.sha256 }),
            onDone: { target: 'extracting', actions: 'markSucceeded' },
            onError: { target: '#upgrade.cleaningUp', actions: { type: 'recordError', params: errorParams } },
          },
        },
        extracting: {
          description: 'Unpack the next version under data/ and put its entrypoint at the stable path',
          entry: { type: 'enterStep', params: { step: 'extract' } },
          invoke: {
            src: 'extract',
            input: ({ context }) => ({
              artifactPath: context.artifactPath!,
              agentHome: context.agentHome,
              version: context.targetVersion,
            }),
            onDone: {
              target: '#upgrade.handingOff',
              actions: [{ type: 'recordExtracted', params: ({ event }) => event.output }, 'markSucceeded'],
            },
            onError: { target: '#upgrade.cleaningUp', actions: { type: 'recordError', params: errorParams } },
          },
        },
      },
    },
    handingOff: {
      description: "Invoke the next version's upgrade entrypoint at the stable path: the point of no return",
      entry: { type: 'enterStep', params: { step: 'handOff' } },
      invoke: {
        src: 'handOff',
        input: ({ context }) => ({
          agentHome: context.agentHome,
          entrypoint: `${context.agentHome}/${UPGRADE_ENTRYPOINT}`,
          fromVersion: context.current!.version,
          toVersion: context.targetVersion,
          extractedPath: context.extractedPath!,
        }),
        onDone: { target: 'nextVersion', actions: ['markHandedOff', 'markSucceeded'] },
        onError: { target: 'cleaningUp', actions: { type: 'recordError', params: errorParams } },
      },
    },
    nextVersion: {
      description: "The next version's part: migrate, swap, start and watch; only a rollback undoes it",
      initial: 'migrating',
      states: {
        migrating: {
          description: 'Migrate the action store and run state into the new version, keeping a backup',
          entry: { type: 'enterStep', params: { step: 'migrate' } },
          invoke: {
            src: 'migrateState',
            input: ({ context }) => ({
              agentHome: context.agentHome,
              fromPath: context.current!.path,
              toPath: context.extractedPath!,
            }),
            onDone: {
              target: 'swapping',
              actions: [{ type: 'recordBackup', params: ({ event }) => event.output }, 'markSucceeded'],
            },
            onError: { target: '#upgrade.rollingBack', actions: { type: 'recordError', params: errorParams } },
          },
        },
        swapping: {
          description: 'Point the current symlink at the new version atomically',
          entry: { type: 'enterStep', params: { step: 'swap' } },
          invoke: {
            src: 'swapSymlink',
            input: ({ context }) => ({ agentHome: context.agentHome, toPath: context.extractedPath! }),
            onDone: { target: 'trial', actions: 'markSucceeded' },
            onError: { target: '#upgrade.rollingBack', actions: { type: 'recordError', params: errorParams } },
          },
        },
        trial: {
          type: 'parallel',
          description: 'The new agent runs while the watcher checks its health for the grace period',
          on: {
            UNHEALTHY: {
              target: '#upgrade.rollingBack',
              actions: {
                type: 'recordUnhealthy',
                params: ({ event }) => ({ reason: event.reason ?? 'reported unhealthy' }),
              },
            },
          },
          states: {
            agent: {
              description: 'The new agent: start it, then it runs',
              initial: 'starting',
              states: {
                starting: {
                  description: 'Start the new agent',
                  entry: { type: 'enterStep', params: { step: 'start' } },
                  invoke: {
                    src: 'startAgent',
                    input: ({ context }) => ({
                      agentHome: context.agentHome,
                      version: context.targetVersion,
                      path: context.extractedPath!,
                    }),
                    onDone: {
                      target: ['running', '#upgrade.nextVersion.trial.watcher.watching'],
                      actions: [{ type: 'recordStarted', params: ({ event }) => event.output }, 'markSucceeded'],
                    },
                    onError: { target: '#upgrade.rollingBack', actions: { type: 'recordError', params: errorParams } },
                  },
                },
                running: {
                  description: 'The new agent runs; the watcher decides whether it stays',
                  tags: ['running'],
                },
              },
            },
            watcher: {
              description: 'The upgrade watcher: healthy for the grace period completes, unhealthy rolls back',
              initial: 'waitingForAgent',
              states: {
                waitingForAgent: {
                  description: 'Wait until the new agent has started',
                },
                watching: {
                  description: "Poll the new agent's health until the grace period is over; it completes only after enough healthy probes",
                  entry: { type: 'enterStep', params: { step: 'watch' } },
                  after: {
                    gracePeriod: [
                      { guard: 'hasEnoughHealthyProbes', target: '#upgrade.completed', actions: 'markSucceeded' },
                      { target: '#upgrade.rollingBack', actions: 'recordTooFewHealthyProbes' },
                    ],
                  },
                  initial: 'checking',
                  states: {
                    checking: {
                      description: "Probe the new agent's health once",
                      invoke: {
                        src: 'checkHealth',
                        input: ({ context }) => ({
                          agentHome: context.agentHome,
                          version: context.targetVersion,
                          path: context.extractedPath!,
                          timeoutMs: context.healthCheckTimeoutMs ?? DEFAULT_HEALTH_CHECK_TIMEOUT_MS,
                        }),
                        onDone: [
                          {
                            guard: { type: 'isHealthy', params: ({ event }) => ({ healthy: event.output.healthy }) },
                            target: 'pausing',
                            actions: 'countHealthCheck',
                          },
                          {
                            target: '#upgrade.rollingBack',
                            actions: {
                              type: 'recordUnhealthy',
                              params: ({ event }) => ({ reason: event.output.detail ?? 'health check failed' }),
                            },
                          },
                        ],
                        onError: {
                          target: '#upgrade.rollingBack',
                          actions: { type: 'recordError', params: errorParams },
                        },
                      },
                    },
                    pausing: {
                      description: 'Wait before the next health check',
                      after: { healthCheckInterval: 'checking' },
                    },
                  },
                },
              },
            },
          },
        },
      },
    },
    cancelling: {
      description: 'CANCEL before the hand-off: remove the downloaded and extracted files',
      entry: { type: 'enterStep', params: { step: 'cleanup' } },
      invoke: {
        src: 'cleanupDownload',
        input: cleanupInput,
        onDone: { target: 'cancelled', actions: 'markSucceeded' },
        onError: { target: 'failed', actions: { type: 'recordError', params: errorParams } },
      },
    },
    cleaningUp: {
      description: 'A step before the hand-off failed: remove the downloaded and extracted files',
      entry: { type: 'enterStep', params: { step: 'cleanup' } },
      invoke: {
        src: 'cleanupDownload',
        input: cleanupInput,
        onDone: { target: 'failed' },
        onError: { target: 'failed' },
      },
    },
    rollingBack: {
      description: 'Restore the current symlink and the state backup; the previous agent runs again',
      entry: { type: 'enterStep', params: { step: 'rollback' } },
      invoke: {
        src: 'rollback',
        input: ({ context }) => ({
          agentHome: context.agentHome,
          previousPath: context.current!.path,
          failedPath: context.extractedPath,
          stateBackupPath: context.stateBackupPath,
          agentPid: context.agentPid,
        }),
        onDone: { target: 'rolledBack', actions: 'markSucceeded' },
        onError: { target: 'failed', actions: { type: 'recordError', params: errorParams } },
      },
    },
    completed: {
      type: 'final',
      description: 'The new agent stayed healthy for the grace period',
      tags: ['success'],
      entry: { type: 'finish', params: { outcome: 'completed' } },
    },
    rolledBack: {
      type: 'final',
      description: 'The new version failed after the hand-off and the previous one was restored',
      tags: ['failure'],
      entry: { type: 'finish', params: { outcome: 'rolledBack' } },
    },
    cancelled: {
      type: 'final',
      description: 'Cancelled before the hand-off; the downloaded files were removed',
      tags: ['failure'],
      entry: { type: 'finish', params: { outcome: 'cancelled' } },
    },
    refused: {
      type: 'final',
      description: 'A version rule refused the upgrade (force overrides)',
      tags: ['failure'],
      entry: { type: 'finish', params: { outcome: 'refused' } },
    },
    failed: {
      type: 'final',
      description: 'The upgrade failed; lastError says where (the running agent is untouched or could not be restored)',
      tags: ['failure'],
      entry: { type: 'finish', params: { outcome: 'failed' } },
    },
  },
  output: ({ context }) => ({
    outcome: context.outcome ?? 'failed',
    fromVersion: context.current?.version ?? null,
    toVersion: context.targetVersion,
    refusedBy: context.refusedBy,
    step: context.step,
    lastSucceededStep: context.lastSucceededStep,
    attempts: context.attempts,
    lastError: context.lastError,
  }),
});
