/**
 * # install: a package installed into a target store in resumable steps
 *
 * Follows `seeds/fleet-package-install-state-machine.txt` (Kibana Fleet #175592, implemented by #178657): the
 * install is cut into steps that run in a fixed order, each step records itself as `latestExecutedState` in a
 * persisted installation record, and a later install of the same package resumes from there.
 *
 * ```
 * checkingPreconditions ─▶ decidingVersion ─▶ readingRecord ─▶ (force) cleaningPrevious ─┐
 *        │                   │      │                  └──────────────────────────────────┴▶ installing
 *        ▼                   │      ▼                                                             │
 *  preconditionFailed ◀──────┘  alreadyInstalled        installing.resuming ─▶ kibana_assets ─▶ ilm_policies
 *                                                          ─▶ index_templates_and_pipelines ─▶ transforms ─▶ ml_models
 *                                                          ─▶ save_installation_record ─▶ installed
 * a step that fails: retrying (backoff) ─▶ the step again … after the limit ─▶ recovering
 * recovering ─▶ rollingBack ─▶ rolledBack (the failed install was an upgrade: the previous version is restored)
 *            └▶ failed (nothing to roll back to, or the rollback failed)
 * ```
 *
 * - Preconditions are checked by the `checkPreconditions` service (package readable, manifest valid, target
 *   writable) and by guards over what it reports (no downgrade, same version is a no-op, unless `force`). A failed
 *   precondition ends in `preconditionFailed` before any service that writes has run.
 * - Recording: each step's own service persists `latestExecutedState = <its step>` in the installation record as
 *   its last act, so a step is recorded if and only if its assets are written; the machine mirrors it in context
 *   when the service resolves. (No separate `recordStep` service: one write fewer that could fail in between.)
 * - Resume: `readInstallationRecord` reports an unfinished attempt of the same version; `installing.resuming`
 *   skips the steps it executed, and the step after `latestExecutedState` runs again with `cleanup: true` (remove
 *   what the failed attempt left first). A retry of a step within a run also gets `cleanup: true`.
 * - `force` reinstalls from scratch: `cleanupPrevious` removes what an earlier attempt wrote, then every step runs.
 *
 * Pure: no I/O here. Every side effect is a service named in `setup.actors` whose placeholder rejects with
 * "service X is not provided"; real ones are swapped in with `installMachine.provide({ actors })`.
 */
import { assign, setup } from 'xstate';
import { retryingStep } from '../src/steps/index.ts';
import { notProvided } from './not-provided.ts';
import {
  backoffDelay,
  canRetryStep,
  DEFAULT_RETRY_POLICY,
  initialProgress,
  resolveRetryPolicy,
  toStepError,
  type LifecycleProgress,
  type RetryPolicy,
  type StepError,
} from './progress.ts';

/** The install steps, in the order they run (the seed's step names; the last one saves the record). */
export const INSTALL_STEPS = [
  'kibana_assets',
  'ilm_policies',
  'index_templates_and_pipelines',
  'transforms',
  'ml_models',
  'save_installation_record',
] as const;

export type InstallStep = (typeof INSTALL_STEPS)[number];

/** What `context.step` can name: the install steps plus the steps around them. */
export type InstallPhase = 'check_preconditions' | 'read_installation_record' | 'cleanup_previous' | InstallStep | 'rollback';

/** How a run ended; also the name of the final state it ended in. */
export type InstallOutcome = 'installed' | 'alreadyInstalled' | 'preconditionFailed' | 'failed' | 'rolledBack';

/** A package's `manifest.json`. */
export interface PackageManifest {
  name: string;
  version: string;
  /** Asset paths (relative to the package root) by kind, e.g. `{ ilm_policies: ['ilm/logs.json'] }`. */
  assets: Record<string, string[]>;
}

/** The persisted installation record of a package in a target store (the seed's installation saved object). */
export interface InstallationRecord {
  name: string;
  /** The version this record is about: installed, or being installed. */
  version: string;
  status: 'installing' | 'installed' | 'failed';
  /** The last step whose assets were written for `version` (the seed's `latest_executed_state`). */
  latestExecutedState: InstallStep | null;
  /** The version that was installed before this attempt began: what a rollback restores. */
  previousVersion: string | null;
}

/** What a run starts from. */
export interface InstallInput {
  /** Path of the package: a directory or a `.tar.gz`, holding `manifest.json`. */
  package: string;
  /** The target store directory. */
  target: string;
  /** Reinstall from scratch; also allows a downgrade and a same-version reinstall. */
  force?: boolean;
  retry?: Partial<RetryPolicy>;
}

export interface InstallContext extends LifecycleProgress {
  package: string;
  target: string;
  force: boolean;
  retry: RetryPolicy;
  /** The package's manifest, once the preconditions have read it. */
  manifest: PackageManifest | null;
  /** The version installed in the target now (before the run; after a success, the package's; after a rollback, the previous one). */
  installedVersion: string | null;
  /** The installed version this run replaces, when it differs from the package's: what a failed run rolls back to. */
  previousVersion: string | null;
  /** The last step whose assets are written for this package version (as persisted in the installation record). */
  latestExecutedState: InstallStep | null;
  /** The step this run resumed at, re-run with `cleanup: true`; null when the run started from the first step. */
  resumedFrom: InstallStep | null;
  outcome: InstallOutcome | null;
}

/**
 * Events a run accepts from outside; everything else is the services' done/error events.
 * `RETRY_NOW` skips the rest of a backoff wait.
 */
export type InstallEvent = { type: 'RETRY_NOW' };

/** The machine's output: the seed's `installationInfo`, plus how the run ended. */
export interface InstallOutput {
  outcome: InstallOutcome;
  name: string | null;
  version: string | null;
  installedVersion: string | null;
  previousVersion: string | null;
  latestExecutedState: InstallStep | null;
  step: string | null;
  lastSucceededStep: string | null;
  attempts: number;
  lastError: StepError | null;
}

// ---- service contracts -------------------------------------------------------------------------------------------

/** Input of `checkPreconditions`. */
export interface PreconditionsInput {
  package: string;
  target: string;
}
/** Output of `checkPreconditions`; it rejects (with a `kind`) when the package or the target is unusable. */
export interface PreconditionsOutput {
  manifest: PackageManifest;
  /** The version of this package whose install completed in the target, or null. */
  installedVersion: string | null;
}

/** Input of `readInstallationRecord`. */
export interface ReadRecordInput {
  target: string;
  name: string;
}
export interface ReadRecordOutput {
  record: InstallationRecord | null;
}

/** Input of `cleanupPrevious` (force): remove what an earlier attempt of `name` wrote in `target`. */
export interface CleanupPreviousInput {
  target: string;
  name: string;
  version: string;
}

/**
 * Input of every step service. The service writes its assets, then persists `latestExecutedState = step` in the
 * installation record (`status: 'installing'`, `previousVersion`); `save_installation_record` sets
 * `status: 'installed'`. With `cleanup: true` it first removes what a failed attempt of the same step left.
 */
export interface StepInput {
  step: InstallStep;
  package: string;
  target: string;
  manifest: PackageManifest;
  cleanup: boolean;
  previousVersion: string | null;
}

/** Input of `rollback`: restore `previousVersion`'s assets and record in `target`, removing `manifest.version`'s. */
export interface RollbackInput {
  package: string;
  target: string;
  manifest: PackageManifest;
  previousVersion: string;
  latestExecutedState: InstallStep | null;
}

// ---- pure helpers ------------------------------------------------------------------------------------------------

/** Compares two semantic versions (`1.2.3`, `1.2.3-beta.1`): negative, 0 or positive. Build metadata is ignored. */
export function compareVersions(a: string, b: string): number {
  const parse = (v: string) => {
    const [core = '', pre] = v.split('+')[0]!.split(/-(.*)/s);
    return { nums: core.split('.').map((n) => Number.parseInt(n, 10) || 0), pre: pre ?? null };
  };
  const x = parse(a);
  const y = parse(b);
  for (let i = 0; i < 3; i++) {
    const d = (x.nums[i] ?? 0) - (y.nums[i] ?? 0);
    if (d !== 0) return d;
  }
  if (x.pre === y.pre) return 0;
  if (x.pre === null) return 1;
  if (y.pre === null) return -1;
  return x.pre.localeCompare(y.pre, 'en', { numeric: true });
}

function stepInput(context: InstallContext, step: InstallStep): StepInput {
  return {
    step,
    package: context.package,
    target: context.target,
    manifest: context.manifest!,
    cleanup: context.attempts > 1 || context.resumedFrom === step,
    previousVersion: context.previousVersion,
  };
}

/** The step after `done` (the first when nothing is done; the last step again when every step is done). */
function stepAfter(done: InstallStep | null): InstallStep {
  if (done === null) return INSTALL_STEPS[0];
  const i = INSTALL_STEPS.indexOf(done);
  return INSTALL_STEPS[Math.min(i + 1, INSTALL_STEPS.length - 1)]!;
}

// ---- the machine -------------------------------------------------------------------------------------------------

const installSetup = setup({
  types: {
    context: {} as InstallContext,
    input: {} as InstallInput,
    events: {} as InstallEvent,
    output: {} as InstallOutput,
    tags: {} as 'retrying' | 'success' | 'failure',
  },
  actors: {
    /** Reads the package and its manifest and checks the target is writable. Writes nothing. */
    checkPreconditions: notProvided<PreconditionsOutput, PreconditionsInput>('checkPreconditions'),
    /** Reads the installation record of the package in the target (null when there is none). */
    readInstallationRecord: notProvided<ReadRecordOutput, ReadRecordInput>('readInstallationRecord'),
    /** force: removes what an earlier attempt wrote, so that every step starts from a clean target. */
    cleanupPrevious: notProvided<void, CleanupPreviousInput>('cleanupPrevious'),
    /** Step `kibana_assets`: writes the dashboards, visualizations and other saved objects. */
    installKibanaAssets: notProvided<void, StepInput>('installKibanaAssets'),
    /** Step `ilm_policies`: writes the index lifecycle policies. */
    installIlmPolicies: notProvided<void, StepInput>('installIlmPolicies'),
    /** Step `index_templates_and_pipelines`: writes the index templates and ingest pipelines. */
    installIndexTemplatesAndPipelines: notProvided<void, StepInput>('installIndexTemplatesAndPipelines'),
    /** Step `transforms`: writes the transforms. */
    installTransforms: notProvided<void, StepInput>('installTransforms'),
    /** Step `ml_models`: writes the machine-learning models. */
    installMlModels: notProvided<void, StepInput>('installMlModels'),
    /** Step `save_installation_record`: marks the record `installed` at the package's version. */
    saveInstallationRecord: notProvided<void, StepInput>('saveInstallationRecord'),
    /** Restores the previous version's assets and record after a failed upgrade. */
    rollback: notProvided<void, RollbackInput>('rollback'),
  },
  guards: {
    isForced: ({ context }) => context.force,
    /** The installed version compared with the package's: `newer` is a downgrade, `same` a no-op. */
    installedVersionIs: ({ context }, params: { relation: 'newer' | 'same' }) => {
      if (context.installedVersion === null || context.manifest === null) return false;
      const c = compareVersions(context.installedVersion, context.manifest.version);
      return params.relation === 'newer' ? c > 0 : c === 0;
    },
    /** The run resumes at `step` (the step after the recorded `latestExecutedState`). */
    resumesAt: ({ context }, params: { step: InstallStep }) => context.resumedFrom === params.step,
    /** The failed attempt may run again under the retry policy (attempts left, error kind retryable). */
    canRetry: ({ context }, params: { error: unknown }) => canRetryStep(context, params.error),
    /** The run replaces another installed version, so a failure can be rolled back to it. */
    wasUpgrade: ({ context }) => context.previousVersion !== null,
  },
  actions: {
    /** Enters a step: sets `step` and starts counting attempts at 1. */
    enterStep: assign((_, params: { step: InstallPhase }) => ({ step: params.step, attempts: 1 })),
    countAttempt: assign(({ context }) => ({ attempts: context.attempts + 1 })),
    markSucceeded: assign(({ context }) => ({ lastSucceededStep: context.step })),
    /** A step's service resolved: its assets are written and it persisted itself as `latestExecutedState`. */
    markStepDone: assign((_, params: { step: InstallStep }) => ({
      lastSucceededStep: params.step,
      latestExecutedState: params.step,
    })),
    recordError: assign(({ context }, params: { error: unknown }) => ({
      lastError: toStepError(context.step ?? 'install', context.attempts, params.error),
    })),
    recordPreconditions: assign(({ context }, params: PreconditionsOutput) => ({
      manifest: params.manifest,
      installedVersion: params.installedVersion,
      previousVersion:
        params.installedVersion !== null && params.installedVersion !== params.manifest.version
          ? params.installedVersion
          : null,
      lastSucceededStep: context.step,
    })),
    refuseDowngrade: assign(({ context }) => ({
      lastError: toStepError(
        'check_preconditions',
        context.attempts,
        Object.assign(
          new Error(
            `refusing to downgrade ${context.manifest?.name} from ${context.installedVersion} to ${context.manifest?.version}: pass force to allow it`,
          ),
          { kind: 'downgrade' },
        ),
      ),
    })),
    /** Resume only an unfinished attempt of this very version, and never when forced. */
    recordInstallationRecord: assign(({ context }, params: ReadRecordOutput) => {
      const r = params.record;
      const resumable =
        !context.force &&
        r !== null &&
        r.name === context.manifest?.name &&
        r.version === context.manifest.version &&
        r.status !== 'installed';
      return {
        lastSucceededStep: context.step,
        latestExecutedState: resumable ? r.latestExecutedState : null,
        resumedFrom: resumable ? stepAfter(r.latestExecutedState) : null,
        previousVersion: resumable && r.previousVersion !== null ? r.previousVersion : context.previousVersion,
      };
    }),
    markInstalled: assign(({ context }) => ({ installedVersion: context.manifest?.version ?? null })),
    markRolledBack: assign(({ context }) => ({ installedVersion: context.previousVersion, lastSucceededStep: 'rollback' })),
    finish: assign((_, params: { outcome: InstallOutcome }) => ({ outcome: params.outcome })),
  },
  delays: {
    /** Backoff before the next attempt of a failed step, from the run's retry policy. */
    backoff: ({ context }) => backoffDelay(context.retry, context.attempts),
  },
});

/** One install step: the service runs; on error it is retried with backoff, then the run recovers. `next` null: the last step. */
function stepState<
  const S extends
    | 'installKibanaAssets'
    | 'installIlmPolicies'
    | 'installIndexTemplatesAndPipelines'
    | 'installTransforms'
    | 'installMlModels'
    | 'saveInstallationRecord',
>(step: InstallStep, src: S, next: InstallStep | null, description: string) {
  const onSuccess = next === null ? '#install.installed' : `#install.installing.${next}`;
  return retryingStep({
      step,
      src,
      description,
      input: ({ context }: { context: InstallContext }) => stepInput(context, step),
      enter: { type: 'enterStep', params: { step } },
      onDone: { target: onSuccess, actions: { type: 'markStepDone', params: { step } } },
      onError: { target: '#install.recovering' },
      // The run's input may replace the policy (context.retry); the default is what the diagrams show.
      retry: { ...DEFAULT_RETRY_POLICY, overridable: true },
      states: { attempt: 'running', backoff: 'retrying' },
      attemptDescription: `Run ${step} (cleaning up first on a re-run)`,
      backoffDescription: `Wait with backoff, then run ${step} again`,
      retryNow: ['RETRY_NOW'],
    });
}

export const installMachine = installSetup.createMachine({
  id: 'install',
  description: 'Install a package into a target store in resumable steps (Fleet package install state machine).',
  context: ({ input }) => ({
    ...initialProgress(),
    package: input.package,
    target: input.target,
    force: input.force ?? false,
    retry: resolveRetryPolicy(input.retry),
    manifest: null,
    installedVersion: null,
    previousVersion: null,
    latestExecutedState: null,
    resumedFrom: null,
    outcome: null,
  }),
  initial: 'checkingPreconditions',
  states: {
    checkingPreconditions: {
      description: 'Check that the package is readable, its manifest valid and the target writable; writes nothing',
      entry: { type: 'enterStep', params: { step: 'check_preconditions' } },
      invoke: {
        src: 'checkPreconditions',
        input: ({ context }) => ({ package: context.package, target: context.target }),
        onDone: {
          target: 'decidingVersion',
          actions: { type: 'recordPreconditions', params: ({ event }) => event.output },
        },
        onError: {
          target: 'preconditionFailed',
          actions: { type: 'recordError', params: ({ event }) => ({ error: event.error }) },
        },
      },
    },
    decidingVersion: {
      description: 'Version rules: no downgrade, and the same version is a no-op, unless forced',
      always: [
        { guard: 'isForced', target: 'readingRecord' },
        {
          guard: { type: 'installedVersionIs', params: { relation: 'newer' } },
          target: 'preconditionFailed',
          actions: 'refuseDowngrade',
        },
        { guard: { type: 'installedVersionIs', params: { relation: 'same' } }, target: 'alreadyInstalled' },
        { target: 'readingRecord' },
      ],
    },
    readingRecord: {
      description: 'Read the installation record to find where an earlier attempt stopped',
      entry: { type: 'enterStep', params: { step: 'read_installation_record' } },
      invoke: {
        src: 'readInstallationRecord',
        input: ({ context }) => ({ target: context.target, name: context.manifest!.name }),
        onDone: [
          {
            guard: 'isForced',
            target: 'cleaningPrevious',
            actions: { type: 'recordInstallationRecord', params: ({ event }) => event.output },
          },
          {
            target: 'installing',
            actions: { type: 'recordInstallationRecord', params: ({ event }) => event.output },
          },
        ],
        onError: {
          target: 'failed',
          actions: { type: 'recordError', params: ({ event }) => ({ error: event.error }) },
        },
      },
    },
    cleaningPrevious: {
      description: 'force: remove what an earlier attempt wrote, then install from scratch',
      entry: { type: 'enterStep', params: { step: 'cleanup_previous' } },
      invoke: {
        src: 'cleanupPrevious',
        input: ({ context }) => ({
          target: context.target,
          name: context.manifest!.name,
          version: context.manifest!.version,
        }),
        onDone: { target: 'installing', actions: 'markSucceeded' },
        onError: {
          target: 'recovering',
          actions: { type: 'recordError', params: ({ event }) => ({ error: event.error }) },
        },
      },
    },
    installing: {
      description: 'Run the install steps in order, resuming after latestExecutedState',
      initial: 'resuming',
      states: {
        resuming: {
          description: 'Skip the steps an earlier attempt executed; the step it failed at runs again',
          always: [
            { guard: { type: 'resumesAt', params: { step: 'ilm_policies' } }, target: 'ilm_policies' },
            {
              guard: { type: 'resumesAt', params: { step: 'index_templates_and_pipelines' } },
              target: 'index_templates_and_pipelines',
            },
            { guard: { type: 'resumesAt', params: { step: 'transforms' } }, target: 'transforms' },
            { guard: { type: 'resumesAt', params: { step: 'ml_models' } }, target: 'ml_models' },
            {
              guard: { type: 'resumesAt', params: { step: 'save_installation_record' } },
              target: 'save_installation_record',
            },
            { target: 'kibana_assets' },
          ],
        },
        kibana_assets: stepState(
          'kibana_assets',
          'installKibanaAssets',
          'ilm_policies',
          'Install the Kibana assets (saved objects)',
        ),
        ilm_policies: stepState(
          'ilm_policies',
          'installIlmPolicies',
          'index_templates_and_pipelines',
          'Install the index lifecycle policies',
        ),
        index_templates_and_pipelines: stepState(
          'index_templates_and_pipelines',
          'installIndexTemplatesAndPipelines',
          'transforms',
          'Install the index templates and ingest pipelines',
        ),
        transforms: stepState('transforms', 'installTransforms', 'ml_models', 'Install the transforms'),
        ml_models: stepState('ml_models', 'installMlModels', 'save_installation_record', 'Install the ML models'),
        save_installation_record: stepState(
          'save_installation_record',
          'saveInstallationRecord',
          null,
          'Save the installation record as installed at the new version',
        ),
      },
    },
    recovering: {
      description: 'A step failed for good: roll back if this run replaced an installed version',
      always: [{ guard: 'wasUpgrade', target: 'rollingBack' }, { target: 'failed' }],
    },
    rollingBack: {
      description: "Restore the previous version's assets and installation record",
      entry: { type: 'enterStep', params: { step: 'rollback' } },
      invoke: {
        src: 'rollback',
        input: ({ context }) => ({
          package: context.package,
          target: context.target,
          manifest: context.manifest!,
          previousVersion: context.previousVersion!,
          latestExecutedState: context.latestExecutedState,
        }),
        onDone: { target: 'rolledBack', actions: 'markRolledBack' },
        onError: {
          target: 'failed',
          actions: { type: 'recordError', params: ({ event }) => ({ error: event.error }) },
        },
      },
    },
    installed: {
      type: 'final',
      description: 'Every step ran and the installation record says installed',
      tags: ['success'],
      entry: ['markInstalled', { type: 'finish', params: { outcome: 'installed' } }],
    },
    alreadyInstalled: {
      type: 'final',
      description: 'The same version is already installed: nothing to do (force reinstalls)',
      tags: ['success'],
      entry: { type: 'finish', params: { outcome: 'alreadyInstalled' } },
    },
    preconditionFailed: {
      type: 'final',
      description: 'A precondition failed; nothing was touched',
      tags: ['failure'],
      entry: { type: 'finish', params: { outcome: 'preconditionFailed' } },
    },
    failed: {
      type: 'final',
      description: 'The install failed; lastError and latestExecutedState say where',
      tags: ['failure'],
      entry: { type: 'finish', params: { outcome: 'failed' } },
    },
    rolledBack: {
      type: 'final',
      description: 'The install failed and the previous version was restored',
      tags: ['failure'],
      entry: { type: 'finish', params: { outcome: 'rolledBack' } },
    },
  },
  output: ({ context }) => ({
    outcome: context.outcome ?? 'failed',
    name: context.manifest?.name ?? null,
    version: context.manifest?.version ?? null,
    installedVersion: context.installedVersion,
    previousVersion: context.previousVersion,
    latestExecutedState: context.latestExecutedState,
    step: context.step,
    lastSucceededStep: context.lastSucceededStep,
    attempts: context.attempts,
    lastError: context.lastError,
  }),
});
