/**
 * # preboot: a server that starts in stages, held by preboot plugins
 *
 * Follows `seeds/kibana-rfc-0019-preboot-lifecycle.txt` (Kibana RFC 0019, the preboot lifecycle stage). The
 * server starts in stages `preboot → setup → start → running → stop`:
 *
 * ```
 * preboot:  loadingConfig ─▶ startingServer ─▶ awaitingSetupHolds ─▶ checkingReload ─┬─▶ reloadingConfig ─┐
 *                                                                                   └───────────────────┴─▶ setup
 * setup:    settingUp ─▶ awaitingStartHolds ─▶ start
 * start:    stoppingPrebootServer ─▶ startingMainServer ─▶ running  (waits for STOP)
 * stop:     STOP from every stage, a rejected hold, or a failed step ─▶ stopping ─▶ stopped (final)
 * ```
 *
 * - At `preboot` a minimal HTTP server answers on loopback (`startPrebootServer`): a status endpoint, 503 "server
 *   is not ready yet" for every other route, the routes preboot plugins register (e.g. an interactive setup that
 *   accepts connection details and writes them to the config file), and a catch-all that redirects app URLs to
 *   `/?next=<original>`.
 * - While preboot plugins set up they may hold setup (`holdSetupUntilResolved(reason, promise)`) and start
 *   (`holdStartUntilResolved`). Pending holds are kept in `context.holds`; the lifecycle waits until no hold of a
 *   kind is pending (several may be). A hold that rejects shuts the server down (`stopping`, then `stopped` with
 *   `stopReason: 'hold-rejected'`). The settlements arrive as `HOLD.*` events from the `watchHolds` service.
 * - A setup hold may resolve with `shouldReloadConfig`: the config is then read again from disk (`reloadConfig`)
 *   before `setup`, as in the RFC's bootstrap (`waitUntilCanSetup` → `reloadConfiguration` → `root.setup()`).
 * - Before start the preboot server is shut down (`stopPrebootServer`) and the main server is started on the same
 *   host and port (`startMainServer`), so a redirect `/?next=<original>` handed out at preboot stays valid.
 * - `STOP` is accepted in every stage; `stopping` releases every resource still held (`releaseResources`).
 * - Steps that can fail transiently (config reads, binding a port, setup) are retried with backoff under the run's
 *   retry policy; a step that fails for good stops the server (`stopReason: 'failed'`).
 *
 * Pure: no I/O here. Every side effect is a service named in `setup.actors` whose placeholder fails with
 * "service X is not provided"; real ones are swapped in with `prebootMachine.provide({ actors })`.
 * Servers are modelled as handles (`ServerHandle`, returned by the start services and passed to the stop
 * services) so that `releaseResources` knows exactly what is open; only the hold watcher is long-lived.
 */
import { assign, setup, type CallbackActorLogic, type EventObject } from 'xstate';
import { retryingStep } from '../src/steps/index.ts';
import { notProvided, notProvidedCallback } from './not-provided.ts';
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

// ───────────────────────────────────────────── names ─────────────────────────────────────────────

/** The stages, in the order a run goes through them (`context.stage`). */
export const PREBOOT_STAGES = ['preboot', 'setup', 'start', 'running', 'stop'] as const;
export type PrebootStage = (typeof PREBOOT_STAGES)[number];

/** What a hold holds: `setup` (`holdSetupUntilResolved`) or `start` (`holdStartUntilResolved`). */
export const HOLD_KINDS = ['setup', 'start'] as const;
export type HoldKind = (typeof HOLD_KINDS)[number];

/** The steps `context.step` can name, in the order they run. */
export const PREBOOT_STEPS = [
  'loadConfig',
  'startPrebootServer',
  'watchHolds',
  'reloadConfig',
  'setupServices',
  'stopPrebootServer',
  'startMainServer',
  'releaseResources',
] as const;
export type PrebootStep = (typeof PREBOOT_STEPS)[number];

/** Why the server stopped. Only `requested` (a STOP event) counts as a clean stop. */
export type PrebootStopReason = 'requested' | 'hold-rejected' | 'failed' | 'release-failed';

// ───────────────────────────────────────────── data ──────────────────────────────────────────────

/** The configuration as read from disk. Opaque to the machine: services give it meaning. */
export type PrebootConfig = Record<string, unknown>;

/** A running HTTP server, as its start service reports it. */
export interface ServerHandle {
  /** Opaque id the stop/release services use to find the server. */
  id: string;
  /** Base URL, e.g. `http://127.0.0.1:5601`. */
  url: string;
  /** The port actually bound (the requested one, or the free one picked for port 0). */
  port: number;
}

/** A hold a preboot plugin registered. `id` is unique within a run. */
export interface Hold {
  id: string;
  kind: HoldKind;
  /** The plugin's reason, e.g. "waiting for Elasticsearch connection details". */
  reason: string;
}

/** A hold still pending. */
export interface PendingHold extends Hold {
  registeredAt: string;
}

/** A hold that has resolved or rejected. */
export interface SettledHold extends Hold {
  outcome: 'resolved' | 'rejected';
  /** A setup hold asked for the config to be reloaded before setup. */
  shouldReloadConfig: boolean;
  /** The rejection message, if rejected. */
  message: string | null;
  settledAt: string;
}

// ─────────────────────────────────────────── services ────────────────────────────────────────────

/** `loadConfig` / `reloadConfig` input. */
export interface ConfigInput {
  configPath: string;
  dataDir: string;
}
/** `loadConfig` / `reloadConfig` output: the parsed config (a missing file may read as `{}`). */
export interface ConfigOutput {
  config: PrebootConfig;
}

/** `startPrebootServer` input. `port: 0` picks a free port. */
export interface StartPrebootServerInput {
  host: string;
  port: number;
  dataDir: string;
  configPath: string;
  config: PrebootConfig;
  /** Preboot plugins to load (names the service knows, e.g. `interactive-setup`). */
  plugins: string[];
}
/** `startPrebootServer` output: the server, and the holds the preboot plugins registered while setting up. */
export interface StartPrebootServerOutput {
  server: ServerHandle;
  holds: Hold[];
}

/** `watchHolds` input: the preboot server whose hold registry to watch. */
export interface WatchHoldsInput {
  serverId: string;
}
/** The shape a real `watchHolds` has: `fromCallback<EventObject, WatchHoldsInput>(({ input, sendBack }) => ...)`. */
export type WatchHoldsLogic = CallbackActorLogic<EventObject, WatchHoldsInput>;

/** `setupServices` input. */
export interface SetupServicesInput {
  dataDir: string;
  config: PrebootConfig;
}
/** `setupServices` output: the names of the standard services/plugins that were set up. */
export interface SetupServicesOutput {
  components: string[];
}

/** `stopPrebootServer` input. */
export interface StopPrebootServerInput {
  server: ServerHandle;
}
/** `stopPrebootServer` output: how many app-URL requests were redirected to `/?next=<original>` at preboot. */
export interface StopPrebootServerOutput {
  redirectedRequests: number;
}

/** `startMainServer` input: same host and port as the preboot server had. */
export interface StartMainServerInput {
  host: string;
  port: number;
  dataDir: string;
  config: PrebootConfig;
  components: string[];
}
/** `startMainServer` output. */
export interface StartMainServerOutput {
  server: ServerHandle;
}

/** `releaseResources` input: whatever is still open (null when already closed or never opened). */
export interface ReleaseResourcesInput {
  dataDir: string;
  prebootServer: ServerHandle | null;
  mainServer: ServerHandle | null;
}
/** `releaseResources` output: what was released, for the journal. */
export interface ReleaseResourcesOutput {
  released: string[];
}

// ──────────────────────────────────────── input, context, events ─────────────────────────────────

/** What a run starts from. */
export interface PrebootInput {
  /** The server's data directory (its sandbox: everything it writes goes under it). */
  dataDir: string;
  /** The configuration file (read at preboot, reloaded when a hold asks for it). */
  configPath: string;
  /** Loopback host to bind. Default `127.0.0.1`. */
  host?: string;
  /** Port to bind; 0 (the default) picks a free one, kept for the main server. */
  port?: number;
  /** Preboot plugins the preboot server loads. Default none. */
  plugins?: string[];
  retry?: Partial<RetryPolicy>;
}

export interface PrebootContext extends LifecycleProgress {
  dataDir: string;
  configPath: string;
  host: string;
  /** The requested port (0 = any free one). */
  port: number;
  /** The port the preboot server bound; the main server binds it too (so `port: 0` resolves once). */
  boundPort: number | null;
  plugins: string[];
  retry: RetryPolicy;
  /** The stage the server is in. */
  stage: PrebootStage;
  /** The stage the server was in when stopping began (null until then). */
  stoppedFrom: PrebootStage | null;
  stopReason: PrebootStopReason | null;
  /** The error that made the server stop (kept even if releasing resources fails afterwards). */
  stopCause: StepError | null;
  config: PrebootConfig | null;
  /** How many times the config was read (1 after preboot, 2 after a reload). */
  configLoads: number;
  /** A resolved setup hold asked for a config reload that has not happened yet. */
  reloadRequested: boolean;
  /** Holds still pending. */
  holds: PendingHold[];
  /** Holds that have resolved or rejected, oldest first. */
  settledHolds: SettledHold[];
  prebootServer: ServerHandle | null;
  mainServer: ServerHandle | null;
  /** Standard services/plugins set up at the setup stage. */
  components: string[];
  /** App-URL requests the preboot server redirected to `/?next=<original>`. */
  redirectedRequests: number;
}

export type PrebootEvent =
  /** Stop the server, from any stage. */
  | { type: 'STOP' }
  /** A preboot plugin registered a hold (sent by `watchHolds`, or by a test). */
  | { type: 'HOLD.REGISTERED'; hold: Hold }
  /** A hold's promise resolved; a setup hold may ask for a config reload. */
  | { type: 'HOLD.RESOLVED'; id: string; shouldReloadConfig?: boolean }
  /** A hold's promise rejected: the server shuts down. */
  | { type: 'HOLD.REJECTED'; id: string; message: string };

/** The events `watchHolds` sends. */
export type HoldEvent = Exclude<PrebootEvent, { type: 'STOP' }>;

/** How a run ended. */
export interface PrebootOutput {
  /** `stopped` after a requested STOP, `failed` otherwise. */
  status: 'stopped' | 'failed';
  stopReason: PrebootStopReason | null;
  stoppedFrom: PrebootStage | null;
  /** The error that made the server stop (null after a requested stop). */
  stopCause: StepError | null;
  lastSucceededStep: string | null;
  lastError: StepError | null;
  settledHolds: SettledHold[];
}

// ─────────────────────────────────────────── helpers ─────────────────────────────────────────────

const now = () => new Date().toISOString();

/** Params for `canRetry` / `recordError` from a service's error event. */
const errorParams = ({ event }: { event: { error: unknown } }) => ({ error: event.error });

function settle(
  context: PrebootContext,
  id: string,
  outcome: SettledHold['outcome'],
  shouldReloadConfig: boolean,
  message: string | null,
): Pick<PrebootContext, 'holds' | 'settledHolds'> {
  const hold = context.holds.find((h) => h.id === id);
  if (!hold) return { holds: context.holds, settledHolds: context.settledHolds };
  const settled: SettledHold = {
    id: hold.id,
    kind: hold.kind,
    reason: hold.reason,
    outcome,
    shouldReloadConfig,
    message,
    settledAt: now(),
  };
  return { holds: context.holds.filter((h) => h.id !== id), settledHolds: [...context.settledHolds, settled] };
}

// ──────────────────────────────────────────── setup ──────────────────────────────────────────────

const prebootSetup = setup({
  types: {
    context: {} as PrebootContext,
    input: {} as PrebootInput,
    events: {} as PrebootEvent,
    output: {} as PrebootOutput,
    tags: {} as 'waiting' | 'retrying' | 'preboot-server-up' | 'main-server-up',
  },
  actors: {
    /** Reads the config file. Input `{ configPath, dataDir }`, output `{ config }`. */
    loadConfig: notProvided<ConfigOutput, ConfigInput>('loadConfig'),
    /**
     * Starts the preboot HTTP server on `host:port` (loopback; port 0 = a free one): status endpoint, 503 "server
     * is not ready yet" elsewhere, plugin routes, `/?next=` redirects for app URLs; then sets the preboot plugins
     * up. Output: the server handle and the holds registered meanwhile.
     */
    startPrebootServer: notProvided<StartPrebootServerOutput, StartPrebootServerInput>('startPrebootServer'),
    /**
     * Long-lived: watches the preboot server's hold registry while its state is active. Sends `HOLD.RESOLVED` /
     * `HOLD.REJECTED` when a hold settles (at once for holds already settled when it starts, so a re-invoked
     * watcher may repeat itself: the machine ignores reports about holds no longer pending) and `HOLD.REGISTERED`
     * for holds registered later. Stopping it only detaches; it never closes the server.
     */
    watchHolds: notProvidedCallback<EventObject, WatchHoldsInput>('watchHolds'),
    /** Reads the config file again after a hold asked for it. Same shapes as `loadConfig`. */
    reloadConfig: notProvided<ConfigOutput, ConfigInput>('reloadConfig'),
    /** The setup stage: sets up the standard services/plugins with the config. Output `{ components }`. */
    setupServices: notProvided<SetupServicesOutput, SetupServicesInput>('setupServices'),
    /** Shuts the preboot server down (frees its port). Output `{ redirectedRequests }`. */
    stopPrebootServer: notProvided<StopPrebootServerOutput, StopPrebootServerInput>('stopPrebootServer'),
    /** The start stage: starts the main server on the preboot server's host and port. Output `{ server }`. */
    startMainServer: notProvided<StartMainServerOutput, StartMainServerInput>('startMainServer'),
    /** Closes whatever is still open (servers, watchers, temp files). Must be idempotent. */
    releaseResources: notProvided<ReleaseResourcesOutput, ReleaseResourcesInput>('releaseResources'),
  },
  guards: {
    /** The failed attempt may run again under the retry policy (attempts left, error kind retryable). */
    canRetry: ({ context }, params: { error: unknown }) => canRetryStep(context, params.error),
    /** No hold of this kind is pending. */
    holdsCleared: ({ context }, params: { kind: HoldKind }) => !context.holds.some((h) => h.kind === params.kind),
    /** The hold is pending (reports about unknown or already settled holds are ignored). */
    isPendingHold: ({ context }, params: { id: string }) => context.holds.some((h) => h.id === params.id),
    /** The hold has not been seen before (neither pending nor settled). */
    isNewHold: ({ context }, params: { id: string }) =>
      !context.holds.some((h) => h.id === params.id) && !context.settledHolds.some((h) => h.id === params.id),
    /** A resolved setup hold asked for the config to be reloaded. */
    reloadRequested: ({ context }) => context.reloadRequested,
  },
  actions: {
    enterStage: assign((_, params: { stage: PrebootStage }) => ({ stage: params.stage })),
    /** Enters a step: sets `step` and starts counting attempts at 1. */
    startStep: assign((_, params: { step: PrebootStep }) => ({ step: params.step, attempts: 1 })),
    countAttempt: assign(({ context }) => ({ attempts: context.attempts + 1 })),
    stepSucceeded: assign(({ context }) => ({ lastSucceededStep: context.step })),
    recordError: assign(({ context }, params: { error: unknown }) => ({
      lastError: toStepError(context.step ?? 'preboot', context.attempts, params.error),
    })),
    storeConfig: assign(({ context }, params: ConfigOutput) => ({
      config: params.config,
      configLoads: context.configLoads + 1,
      reloadRequested: false,
    })),
    storePrebootServer: assign(({ context }, params: StartPrebootServerOutput) => ({
      prebootServer: params.server,
      boundPort: params.server.port,
      holds: [
        ...context.holds,
        ...params.holds
          .filter((h) => !context.holds.some((p) => p.id === h.id))
          .map((h) => ({ ...h, registeredAt: now() })),
      ],
    })),
    registerHold: assign(({ context }, params: { hold: Hold }) => ({
      holds: [...context.holds, { ...params.hold, registeredAt: now() }],
    })),
    resolveHold: assign(({ context }, params: { id: string; shouldReloadConfig: boolean }) => {
      const kind = context.holds.find((h) => h.id === params.id)?.kind;
      // Only a setup hold can ask for a reload (the RFC's holdSetupUntilResolved promise type).
      const reload = kind === 'setup' && params.shouldReloadConfig;
      return { ...settle(context, params.id, 'resolved', reload, null), reloadRequested: context.reloadRequested || reload };
    }),
    rejectHold: assign(({ context }, params: { id: string; message: string }) => {
      const hold = context.holds.find((h) => h.id === params.id);
      const error = toStepError(
        `hold:${hold?.kind ?? 'unknown'}`,
        1,
        Object.assign(new Error(`${hold?.reason ?? params.id}: ${params.message}`), { kind: 'hold-rejected' }),
      );
      return {
        ...settle(context, params.id, 'rejected', false, params.message),
        stopReason: context.stopReason ?? ('hold-rejected' as const),
        stopCause: context.stopCause ?? error,
        lastError: error,
      };
    }),
    storeComponents: assign((_, params: SetupServicesOutput) => ({ components: params.components })),
    prebootServerStopped: assign((_, params: StopPrebootServerOutput) => ({
      prebootServer: null,
      redirectedRequests: params.redirectedRequests,
    })),
    storeMainServer: assign((_, params: StartMainServerOutput) => ({ mainServer: params.server })),
    /** A step failed for good: the server stops. */
    markFailed: assign(({ context }) => ({
      stopReason: context.stopReason ?? ('failed' as const),
      stopCause: context.stopCause ?? context.lastError,
    })),
    /** Entering `stopping`: remember where from; a stop nobody explained was requested. */
    beginStop: assign(({ context }) => ({
      stoppedFrom: context.stage,
      stage: 'stop' as const,
      stopReason: context.stopReason ?? ('requested' as const),
    })),
    resourcesReleased: assign({ prebootServer: null, mainServer: null }),
    markReleaseFailed: assign(({ context }) => ({
      stopReason: context.stopReason === 'requested' ? ('release-failed' as const) : context.stopReason,
    })),
  },
  delays: {
    /** Backoff before the next attempt of a failed step, from the run's retry policy. */
    backoff: ({ context }) => backoffDelay(context.retry, context.attempts),
  },
});

/** Shared transitions of the stages where preboot plugins' holds are live. */
const holdSettlements = {
  'HOLD.RESOLVED': {
    guard: { type: 'isPendingHold', params: ({ event }) => ({ id: event.id }) },
    actions: {
      type: 'resolveHold',
      params: ({ event }) => ({ id: event.id, shouldReloadConfig: event.shouldReloadConfig ?? false }),
    },
  },
  'HOLD.REJECTED': {
    guard: { type: 'isPendingHold', params: ({ event }) => ({ id: event.id }) },
    target: '#preboot.stopping',
    actions: { type: 'rejectHold', params: ({ event }) => ({ id: event.id, message: event.message }) },
  },
} as const satisfies Parameters<typeof prebootSetup.createStateConfig>[0]['on'];

/** Where a retried step goes when it gives up: the run stops (failed). */
const retryOrStopExit = {
  target: '#preboot.stopping',
  actions: [{ type: 'recordError', params: errorParams }, 'markFailed'],
} as const;

/** The run's policy (`context.retry`, from the input) governs the retries; diagrams show the default. */
const RUN_RETRY_POLICY = { ...DEFAULT_RETRY_POLICY, overridable: true };

// ─────────────────────────────────────────── machine ─────────────────────────────────────────────

export const prebootMachine = prebootSetup.createMachine({
  id: 'preboot',
  description: 'Staged server start (Kibana RFC 0019): preboot server with setup/start holds, config reload, setup, start, running, stop.',
  context: ({ input }) => ({
    ...initialProgress(),
    dataDir: input.dataDir,
    configPath: input.configPath,
    host: input.host ?? '127.0.0.1',
    port: input.port ?? 0,
    boundPort: null,
    plugins: input.plugins ?? [],
    retry: resolveRetryPolicy(input.retry),
    stage: 'preboot',
    stoppedFrom: null,
    stopReason: null,
    stopCause: null,
    config: null,
    configLoads: 0,
    reloadRequested: false,
    holds: [],
    settledHolds: [],
    prebootServer: null,
    mainServer: null,
    components: [],
    redirectedRequests: 0,
  }),
  initial: 'preboot',
  states: {
    preboot: {
      description: 'Preboot stage: load config, start the preboot server and its plugins, wait for setup holds',
      entry: { type: 'enterStage', params: { stage: 'preboot' } },
      initial: 'loadingConfig',
      on: {
        STOP: '#preboot.stopping',
        'HOLD.REGISTERED': {
          guard: { type: 'isNewHold', params: ({ event }) => ({ id: event.hold.id }) },
          actions: { type: 'registerHold', params: ({ event }) => ({ hold: event.hold }) },
        },
        ...holdSettlements,
      },
      states: {
        loadingConfig: retryingStep({
          step: 'loadConfig',
          src: 'loadConfig',
          description: 'Read the configuration file',
          input: ({ context }: { context: PrebootContext }) => ({ configPath: context.configPath, dataDir: context.dataDir }),
          enter: { type: 'startStep', params: { step: 'loadConfig' } },
          onDone: {
            target: '#preboot.preboot.startingServer',
            actions: ['stepSucceeded', { type: 'storeConfig', params: ({ event }: { event: { output: ConfigOutput } }) => event.output }],
          },
          onError: retryOrStopExit,
          retry: RUN_RETRY_POLICY,
          attemptDescription: 'Run loadConfig',
          backoffDescription: 'Wait with backoff, then run loadConfig again',
        }),
        startingServer: retryingStep({
          step: 'startPrebootServer',
          src: 'startPrebootServer',
          description: 'Start the preboot HTTP server on loopback and set the preboot plugins up',
          input: ({ context }: { context: PrebootContext }) => ({
            host: context.host,
            port: context.port,
            dataDir: context.dataDir,
            configPath: context.configPath,
            config: context.config ?? {},
            plugins: context.plugins,
          }),
          enter: { type: 'startStep', params: { step: 'startPrebootServer' } },
          onDone: {
            target: '#preboot.preboot.awaitingSetupHolds',
            actions: ['stepSucceeded', { type: 'storePrebootServer', params: ({ event }: { event: { output: StartPrebootServerOutput } }) => event.output }],
          },
          onError: retryOrStopExit,
          retry: RUN_RETRY_POLICY,
          attemptDescription: 'Run startPrebootServer',
          backoffDescription: 'Wait with backoff, then run startPrebootServer again',
        }),
        awaitingSetupHolds: {
          description: 'Preboot server up; wait until no setup hold is pending (waitUntilCanSetup)',
          tags: ['waiting', 'preboot-server-up'],
          entry: { type: 'startStep', params: { step: 'watchHolds' } },
          invoke: {
            id: 'watchSetupHolds',
            src: 'watchHolds',
            input: ({ context }) => ({ serverId: context.prebootServer?.id ?? '' }),
            onError: {
              target: '#preboot.stopping',
              actions: [{ type: 'recordError', params: errorParams }, 'markFailed'],
            },
          },
          always: { guard: { type: 'holdsCleared', params: { kind: 'setup' } }, target: 'checkingReload' },
        },
        checkingReload: {
          description: 'Setup holds released: reload the config first if a hold asked for it',
          tags: ['preboot-server-up'],
          always: [{ guard: 'reloadRequested', target: 'reloadingConfig' }, { target: '#preboot.setup' }],
        },
        reloadingConfig: retryingStep({
          step: 'reloadConfig',
          src: 'reloadConfig',
          description: 'Read the configuration file again (a hold resolved with shouldReloadConfig)',
          tags: ['preboot-server-up'],
          input: ({ context }: { context: PrebootContext }) => ({ configPath: context.configPath, dataDir: context.dataDir }),
          enter: { type: 'startStep', params: { step: 'reloadConfig' } },
          onDone: {
            target: '#preboot.setup',
            actions: ['stepSucceeded', { type: 'storeConfig', params: ({ event }: { event: { output: ConfigOutput } }) => event.output }],
          },
          onError: retryOrStopExit,
          retry: RUN_RETRY_POLICY,
          attemptDescription: 'Run reloadConfig',
          backoffDescription: 'Wait with backoff, then run reloadConfig again',
        }),
      },
    },

    setup: {
      description: 'Setup stage: set the standard services up, then wait until no start hold is pending',
      tags: ['preboot-server-up'],
      entry: { type: 'enterStage', params: { stage: 'setup' } },
      initial: 'settingUp',
      invoke: {
        id: 'watchStartHolds',
        src: 'watchHolds',
        input: ({ context }) => ({ serverId: context.prebootServer?.id ?? '' }),
        onError: {
          target: '#preboot.stopping',
          actions: [{ type: 'recordError', params: errorParams }, 'markFailed'],
        },
      },
      on: {
        STOP: '#preboot.stopping',
        ...holdSettlements,
      },
      states: {
        settingUp: retryingStep({
          step: 'setupServices',
          src: 'setupServices',
          description: 'Set up the standard services and plugins with the (possibly reloaded) config',
          input: ({ context }: { context: PrebootContext }) => ({ dataDir: context.dataDir, config: context.config ?? {} }),
          enter: { type: 'startStep', params: { step: 'setupServices' } },
          onDone: {
            target: '#preboot.setup.awaitingStartHolds',
            actions: ['stepSucceeded', { type: 'storeComponents', params: ({ event }: { event: { output: SetupServicesOutput } }) => event.output }],
          },
          onError: retryOrStopExit,
          retry: RUN_RETRY_POLICY,
          attemptDescription: 'Run setupServices',
          backoffDescription: 'Wait with backoff, then run setupServices again',
        }),
        awaitingStartHolds: {
          description: 'Wait until no start hold is pending (waitUntilCanStart)',
          tags: ['waiting'],
          always: { guard: { type: 'holdsCleared', params: { kind: 'start' } }, target: '#preboot.start' },
        },
      },
    },

    start: {
      description: 'Start stage: shut the preboot server down, then start the main server on the same port',
      entry: { type: 'enterStage', params: { stage: 'start' } },
      initial: 'stoppingPrebootServer',
      on: { STOP: '#preboot.stopping' },
      states: {
        stoppingPrebootServer: {
          description: 'Shut the preboot server down and free its port',
          entry: { type: 'startStep', params: { step: 'stopPrebootServer' } },
          invoke: {
            src: 'stopPrebootServer',
            input: ({ context }) => ({
              // Entered only after startingServer stored the handle.
              server: context.prebootServer ?? { id: '', url: '', port: context.port },
            }),
            onDone: {
              target: 'startingMainServer',
              actions: ['stepSucceeded', { type: 'prebootServerStopped', params: ({ event }) => event.output }],
            },
            // No retry: releaseResources closes it for good on the way out.
            onError: {
              target: '#preboot.stopping',
              actions: [{ type: 'recordError', params: errorParams }, 'markFailed'],
            },
          },
        },
        startingMainServer: retryingStep({
          step: 'startMainServer',
          src: 'startMainServer',
          description: 'Start the main server (port of the preboot server, so /?next= redirects stay valid)',
          input: ({ context }: { context: PrebootContext }) => ({
            host: context.host,
            port: context.boundPort ?? context.port,
            dataDir: context.dataDir,
            config: context.config ?? {},
            components: context.components,
          }),
          enter: { type: 'startStep', params: { step: 'startMainServer' } },
          onDone: {
            target: '#preboot.running',
            actions: ['stepSucceeded', { type: 'storeMainServer', params: ({ event }: { event: { output: StartMainServerOutput } }) => event.output }],
          },
          onError: retryOrStopExit,
          retry: RUN_RETRY_POLICY,
          attemptDescription: 'Run startMainServer',
          backoffDescription: 'Wait with backoff, then run startMainServer again',
        }),
      },
    },

    running: {
      description: 'Main server serving; wait for STOP',
      tags: ['waiting', 'main-server-up'],
      entry: { type: 'enterStage', params: { stage: 'running' } },
      on: { STOP: 'stopping' },
    },

    stopping: retryingStep({
      step: 'releaseResources',
      src: 'releaseResources',
      description: 'Stop stage: release every resource still held (servers, watchers)',
      input: ({ context }: { context: PrebootContext }) => ({
        dataDir: context.dataDir,
        prebootServer: context.prebootServer,
        mainServer: context.mainServer,
      }),
      enter: ['beginStop', { type: 'startStep', params: { step: 'releaseResources' } }],
      onDone: { target: '#preboot.stopped', actions: ['stepSucceeded', 'resourcesReleased'] },
      // Give up: the run still ends, with the error exposed.
      onError: { target: '#preboot.stopped', actions: [{ type: 'recordError', params: errorParams }, 'markReleaseFailed'] },
      retry: RUN_RETRY_POLICY,
      attemptDescription: 'Run releaseResources',
      backoffDescription: 'Wait with backoff, then run releaseResources again',
    }),

    stopped: {
      description: 'Everything released; the run is over',
      type: 'final',
    },
  },
  output: ({ context }) => ({
    status: context.stopReason === 'requested' ? 'stopped' : 'failed',
    stopReason: context.stopReason,
    stoppedFrom: context.stoppedFrom,
    stopCause: context.stopCause,
    lastSucceededStep: context.lastSucceededStep,
    lastError: context.lastError,
    settledHolds: context.settledHolds,
  }),
});
