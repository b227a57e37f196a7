/**
 * # deploy: a small static-site deployment
 *
 * building ─▶ awaitingApproval ─APPROVE { by }─▶ publishing ─▶ verifying ─▶ released
 *                   └─REJECT─▶ rejected             a step that gives up ─▶ failed
 *
 * - building copies the app's files into work/build/<version>/ with a manifest of their SHA-256;
 * - awaitingApproval waits for a person (`lifecycle send '{"type":"APPROVE","by":"ana"}'`);
 * - publishing copies the build to releases/<version>/ and switches the link releases/current to it; while another
 *   deploy holds releases/.publish-lock it fails with kind `locked` and is retried with backoff;
 * - verifying checks what releases/current serves against the manifest.
 *
 * Pure: the actors are placeholders, the real ones are in deploy.services.ts (found beside this file). Each step is
 * `retryingStep` (lifecycle-kit/steps), so `lifecycle status` shows its step, attempts and last error.
 */
import { assign, fromPromise, setup } from 'xstate';
import { initialStepProgress, retryingStep, stepAssigners as a, stepDelays, stepGuards, type StepProgress } from 'lifecycle-kit/steps';
import catalogueJson from './deploy.catalogue.json' with { type: 'json' };

export interface DeployInput {
  /** The app's files. */
  source: string;
  /** Where builds are made: <work>/build/<version>/. */
  work: string;
  /** What is served: <releases>/<version>/ and the link <releases>/current. */
  releases: string;
  version: string;
}

export interface DeployContext extends StepProgress, DeployInput {
  approvedBy: string | null;
}

export type DeployEvent = { type: 'APPROVE'; by: string; ticket?: string } | { type: 'REJECT'; by: string; reason?: string };

export interface BuildOutput {
  dir: string;
  files: number;
}
export interface PublishOutput {
  release: string;
}
export interface VerifyOutput {
  checked: number;
}

const placeholder = <T>(name: string) =>
  fromPromise<T, DeployInput>(async () => {
    throw new Error(`${name} is not provided: run with deploy.services.ts`);
  });

const paths = ({ context }: { context: DeployContext }): DeployInput => ({ source: context.source, work: context.work, releases: context.releases, version: context.version });

export const deployMachine = setup({
  types: { input: {} as DeployInput, context: {} as DeployContext, events: {} as DeployEvent },
  actors: { build: placeholder<BuildOutput>('build'), publish: placeholder<PublishOutput>('publish'), verify: placeholder<VerifyOutput>('verify') },
  actions: {
    enterStep: assign((_, params: Parameters<typeof a.enterStep>[1]) => a.enterStep(_, params)),
    countAttempt: assign(({ context }) => a.countAttempt({ context })),
    recordError: assign(({ context }, params: { error: unknown }) => a.recordError({ context }, params)),
  },
  guards: { ...stepGuards, namesApprover: ({ event }) => event.type === 'APPROVE' && event.by.trim() !== '' },
  delays: stepDelays,
}).createMachine({
  id: 'deploy',
  context: ({ input }) => ({ ...initialStepProgress(), ...input, approvedBy: null }),
  initial: 'building',
  states: {
    building: retryingStep({
      step: 'build',
      src: 'build',
      id: 'build',
      input: paths,
      retry: { maxAttempts: 2, initialIntervalMs: 200 },
      onDone: { target: '#deploy.awaitingApproval' },
      onError: { target: '#deploy.failed' },
    }),
    awaitingApproval: {
      description: 'A person approves the build: lifecycle send \'{"type":"APPROVE","by":"<name>"}\'',
      tags: ['waiting'],
      on: {
        APPROVE: { guard: 'namesApprover', target: 'publishing', actions: assign({ approvedBy: ({ event }) => event.by }) },
        REJECT: 'rejected',
      },
    },
    publishing: retryingStep({
      step: 'publish',
      src: 'publish',
      id: 'publish',
      input: paths,
      // Another deploy's lock is released within seconds: 5 attempts over about 7 s.
      retry: { maxAttempts: 5, initialIntervalMs: 500, backoffRate: 2, nonRetryable: ['ENOENT'] },
      onDone: { target: '#deploy.verifying' },
      onError: { target: '#deploy.failed' },
    }),
    verifying: retryingStep({
      step: 'verify',
      src: 'verify',
      id: 'verify',
      input: paths,
      retry: { maxAttempts: 3, initialIntervalMs: 300 },
      onDone: { target: '#deploy.released' },
      onError: { target: '#deploy.failed' },
    }),
    released: { type: 'final', tags: ['success'] },
    rejected: { type: 'final', tags: ['failure'] },
    failed: { type: 'final', tags: ['failure'] },
  },
});

/** The samples paths and generated tests use, found here by every command: edit deploy.catalogue.json. */
export const catalogue = catalogueJson;
