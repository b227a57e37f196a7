/**
 * The real operator services: the managed application is a real process (`examples/operator-app/app.mjs`) on
 * loopback, driven along the OKT graph start / running / servicing / stopping / end; the instance spec is a JSON
 * file and the status (app state, plan statuses, `lastAppliedInstanceSpec`, conditions) is written beside it.
 *
 * - `spec.ts` reads and validates the spec; `instance.ts` the instance files in the work dir;
 * - `app-process.ts` starts, stops and probes the app; `actions.ts` observeApp and the action of each node;
 * - `status.ts` the status document and its conditions; `invariants.ts` the per-state checks.
 *
 * @example
 * const input = await operatorServices.sandboxInput(dir); // <dir>/instance.json (1.0.0) and <dir>/work
 * const actor = createActor(operatorMachine.provide({ actors: operatorServices.actors }), { input }).start();
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { fromPromise } from 'xstate';
import type { OperatorContext, OperatorInput, RunActionInput, RunActionOutput } from '../../../machines/operator.ts';
import type { BuiltinServices } from '../types.ts';
import { observeApp, runAction } from './actions.ts';
import { operatorInvariants } from './invariants.ts';
import { operatorNotes } from './notes.ts';
import { operatorFaults, operatorScenarios } from './test-hooks.ts';
import { readSpec, SANDBOX_SPEC, writeSpec } from './spec.ts';
import { writeStatus } from './status.ts';
import { checkInput } from '../check-input.ts';

export { observe } from './actions.ts';
export { OPERATOR_APP, probeHealth, spawnedPids, stopSpawnedApps, TIMEOUTS } from './app-process.ts';
export { layout, readPid, readReady, readRecord } from './instance.ts';
export { SANDBOX_SPEC, validateSpec, writeSpec } from './spec.ts';
export { deriveConditions, readStatus, type Condition, type StatusDocument } from './status.ts';

const promise = <I, O>(fn: (input: I) => Promise<O>) => fromPromise<O, I>(({ input }) => fn(input));

export const operatorServices: BuiltinServices<OperatorInput, OperatorContext> = {
  lifecycle: 'operator',
  actors: {
    readSpec: promise(readSpec),
    observeApp: promise(observeApp),
    runAction: fromPromise<RunActionOutput, RunActionInput>(({ input, signal }) => runAction(input, signal)),
    writeStatus: promise(writeStatus),
  },
  checkInput: (input, cwd) => checkInput<OperatorInput>('operator', input, {
    specPath: { kind: 'path', required: true },
    workDir: { kind: 'path', required: true },
    statusPath: { kind: 'path' },
    requeueMs: { kind: 'duration' },
    resyncMs: { kind: 'duration' },
    historyLimit: { kind: 'count' },
    retry: { kind: 'retry' },
  }, cwd),
  invariants: operatorInvariants,
  // The generated suites follow every path on these services: the world made to give each sample, or to fail.
  scenarios: operatorScenarios,
  faults: operatorFaults,
  notes: operatorNotes,
  /**
   * Writes `<dir>/instance.json` (version 1.0.0, a message parameter) and makes `<dir>/work` for the app, with short
   * requeue and retry delays. The status goes to `<dir>/instance.status.json`. An app started by the run exits by
   * itself once `<dir>` is removed.
   */
  async sandboxInput(dir) {
    const workDir = join(dir, 'work');
    await mkdir(workDir, { recursive: true });
    const specPath = join(dir, 'instance.json');
    writeSpec(specPath, SANDBOX_SPEC);
    return {
      specPath,
      workDir,
      requeueMs: 100,
      resyncMs: 5000,
      retry: { maxAttempts: 3, initialIntervalMs: 50, backoffRate: 2, maxIntervalMs: 500 },
    };
  },
};
