/**
 * The real install services: a package directory or `.tar.gz` installed into a target directory standing in for
 * the stack. Assets land in `<target>/<kind>/<package>/<file>`; the installation record, backups for rollback and
 * fault counters live in `<target>/.installations/`.
 *
 * - `package.ts` reads and validates a package; `kinds.ts` maps steps to asset kinds and paths;
 * - `steps.ts` runs the idempotent asset steps and saves the record; `record.ts` reads and writes the record;
 * - `backup.ts` keeps the replaced version for a rollback; `actors.ts` preconditions, record, force, rollback;
 * - `faults.ts` injects failures a package declares; `invariants.ts` the per-state checks;
 * - `test-hooks.ts` the generated suites' `faults` and `scenarios`: the sandbox made to fail or to answer as a path says.
 *
 * @example
 * const actor = createActor(installMachine.provide({ actors: installServices.actors }), {
 *   input: { package: 'examples/packages/nginx/1.0.0', target: '/tmp/stack' },
 * }).start();
 */
import { cpSync } from 'node:fs';
import { join } from 'node:path';
import { fromPromise } from 'xstate';
import type { InstallContext, InstallInput, InstallStep, StepInput } from '../../../machines/install.ts';
import { PACKAGE_ROOT } from '../../package-root.ts';
import type { BuiltinServices } from '../types.ts';
import { checkPreconditions, cleanupPrevious, readInstallationRecord, rollback } from './actors.ts';
import { installInvariants } from './invariants.ts';
import { runStep } from './steps.ts';
import { installFaults, installForReal, installScenarios } from './test-hooks.ts';
import { checkInput } from '../check-input.ts';

export { readPackage, validateManifest, type InstallFault, type ServiceManifest } from './package.ts';
export { readRecord, recordPath, type InstallationRecordFile } from './record.ts';
export { STEP_KINDS, ASSET_KINDS, kindDir } from './kinds.ts';

/** The example packages shipped with lifecycle-kit: `examples/packages/<name>/<version>/`. */
export const EXAMPLE_PACKAGES = join(PACKAGE_ROOT, 'examples/packages/');

export function examplePackage(name: string, version: string): string {
  return join(EXAMPLE_PACKAGES, name, version);
}

const step = (name: InstallStep) => fromPromise<void, StepInput>(({ input }) => runStep({ ...input, step: name }));

export const installServices: BuiltinServices<InstallInput, InstallContext> = {
  lifecycle: 'install',
  actors: {
    checkPreconditions: fromPromise(({ input }: { input: Parameters<typeof checkPreconditions>[0] }) => checkPreconditions(input)),
    readInstallationRecord: fromPromise(({ input }: { input: Parameters<typeof readInstallationRecord>[0] }) => readInstallationRecord(input)),
    cleanupPrevious: fromPromise(({ input }: { input: Parameters<typeof cleanupPrevious>[0] }) => cleanupPrevious(input)),
    installKibanaAssets: step('kibana_assets'),
    installIlmPolicies: step('ilm_policies'),
    installIndexTemplatesAndPipelines: step('index_templates_and_pipelines'),
    installTransforms: step('transforms'),
    installMlModels: step('ml_models'),
    saveInstallationRecord: step('save_installation_record'),
    rollback: fromPromise(({ input }: { input: Parameters<typeof rollback>[0] }) => rollback(input)),
  },
  checkInput: (input, cwd) => checkInput<InstallInput>('install', input, {
    package: { kind: 'path', required: true },
    target: { kind: 'path', required: true },
    force: { kind: 'boolean' },
    retry: { kind: 'retry' },
  }, cwd),
  invariants: installInvariants,
  faults: installFaults,
  scenarios: installScenarios,
  /**
   * An upgrade, the catalogue's first case: nginx 1.0.0 installed for real in an empty target, and a copy of nginx
   * 1.1.0 to install (a copy, so that what the generated suites' faults break or replace stays in the sandbox). An
   * upgrade is what exercises every service: the steps back up what they replace, a failure rolls back to 1.0.0.
   */
  async sandboxInput(dir) {
    const pkg = join(dir, 'packages', 'nginx', '1.1.0');
    cpSync(examplePackage('nginx', '1.1.0'), pkg, { recursive: true }); // sync: three times faster than cp here
    const target = join(dir, 'target');
    await installForReal(examplePackage('nginx', '1.0.0'), target);
    return {
      package: pkg,
      target,
      retry: { maxAttempts: 3, initialIntervalMs: 20, backoffRate: 2, maxIntervalMs: 200 },
    };
  },
};
