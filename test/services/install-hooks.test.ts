/**
 * The install services' hooks for the generated suites (src/services/install/test-hooks.ts): the catalogue's first
 * samples are what the real services give in a fresh sandbox, every scenario makes the real service return its
 * sample, every fault makes it fail for real, and none of them writes outside the sandbox.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { installCatalogue } from '../../machines/install.catalogue.ts';
import { INSTALL_STEPS, type InstallInput, type StepInput } from '../../machines/install.ts';
import { checkPreconditions, cleanupPrevious, readInstallationRecord, rollback } from '../../src/services/install/actors.ts';
import { hashTree } from '../../src/services/install/fs.ts';
import { examplePackage, installServices } from '../../src/services/install/index.ts';
import { runStep } from '../../src/services/install/steps.ts';

let dir: string;
let input: InstallInput;
const samples = installCatalogue.services!;
const calls = 0;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'lk-install-hooks-'));
  input = await installServices.sandboxInput(dir);
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const scenario = (name: string, serviceInput: unknown, output: unknown) => installServices.scenarios![name]!({ input: serviceInput, runInput: input, dir, calls, output });
const fault = (name: string, serviceInput: unknown, error: unknown) => installServices.faults![name]!({ input: serviceInput, runInput: input, dir, calls, error });
const manifest = () => (samples.checkPreconditions!.done![0] as { manifest: StepInput['manifest'] }).manifest;

describe('install test hooks', () => {
  it("the catalogue's first samples are what the real services give in a fresh sandbox (an upgrade from 1.0.0)", async () => {
    expect(input.package.startsWith(dir)).toBe(true);
    expect(await checkPreconditions(input)).toEqual(samples.checkPreconditions!.done![0]);
    expect(await readInstallationRecord({ target: input.target, name: 'nginx' })).toEqual(samples.readInstallationRecord!.done![0]);
  });

  it('every checkPreconditions sample is made for real, in the sandbox only', async () => {
    const shipped = await hashTree(examplePackage('nginx', '1.0.0'));
    for (const output of samples.checkPreconditions!.done!) {
      await rm(input.target, { recursive: true, force: true });
      expect(await scenario('checkPreconditions', input, output)).not.toBe(false);
      expect(await checkPreconditions(input)).toEqual(output);
    }
    expect(await hashTree(examplePackage('nginx', '1.0.0'))).toEqual(shipped);
  });

  it('every readInstallationRecord sample is made for real, the unfinished ones with a crashed next step', async () => {
    for (const [i, output] of samples.readInstallationRecord!.done!.entries()) {
      input = await installServices.sandboxInput(join(dir, `sandbox-${i}`));
      const serviceInput = { target: input.target, name: 'nginx' };
      // No record while the sandbox's 1.0.0 is installed (as the preconditions just said): not this sandbox's.
      if ((output as { record: unknown }).record === null) {
        expect(await scenario('readInstallationRecord', serviceInput, output)).toBe(false);
        continue;
      }
      expect(await scenario('readInstallationRecord', serviceInput, output)).not.toBe(false);
      expect(await readInstallationRecord(serviceInput)).toEqual(output);
      // What a crash in the middle of ml_models left (after transforms): its first asset and a temp file.
      if ((output as { record: { latestExecutedState?: string } | null }).record?.latestExecutedState === 'transforms')
        expect(Object.keys(await hashTree(join(input.target, 'ml_models')))).toEqual(['nginx/.nginx-anomalous-status.json.crashed.tmp', 'nginx/nginx-anomalous-status.json']);
    }
  });

  it('a sample another package or version would give is refused, not faked', async () => {
    const other = { manifest: { ...manifest(), version: '9.9.9' }, installedVersion: null };
    expect(await scenario('checkPreconditions', input, other)).toBe(false);
    const record = { record: { name: 'nginx', version: '9.9.9', status: 'installing', latestExecutedState: 'ilm_policies', previousVersion: '1.0.0' } };
    expect(await scenario('readInstallationRecord', { target: input.target, name: 'nginx' }, record)).toBe(false);
  });

  it('the faults break the world so that the real services fail with their own checks', async () => {
    const kind = (p: Promise<unknown>) => p.then(() => 'none (it finished)', (e: { kind?: string; code?: string }) => e.kind ?? e.code);
    // The preconditions: each error sample's kind.
    for (const error of samples.checkPreconditions!.error!) {
      expect(await fault('checkPreconditions', input, error)).not.toBe(false);
      expect(await kind(checkPreconditions(input))).toBe((error as { kind: string }).kind);
    }
    await rm(dir, { recursive: true, force: true });
    input = await installServices.sandboxInput(dir);
    const m = manifest();
    // Every asset step: a file where its directory goes (ENOTDIR); the last step: the package replaced (package-changed).
    for (const step of INSTALL_STEPS) {
      const stepInput: StepInput = { step, package: input.package, target: input.target, manifest: m, cleanup: false, previousVersion: null };
      const actor = { kibana_assets: 'installKibanaAssets', ilm_policies: 'installIlmPolicies', index_templates_and_pipelines: 'installIndexTemplatesAndPipelines', transforms: 'installTransforms', ml_models: 'installMlModels', save_installation_record: 'saveInstallationRecord' }[step];
      expect(await fault(actor, stepInput, { message: 'injected failure' })).not.toBe(false);
      expect(await kind(runStep(stepInput))).toBe(step === 'save_installation_record' ? 'package-changed' : 'ENOTDIR');
    }
    const record = { target: input.target, name: 'nginx' };
    expect(await fault('readInstallationRecord', record, samples.readInstallationRecord!.error![0])).not.toBe(false);
    expect(await kind(readInstallationRecord(record))).toBe('invalid-record');
    expect(await fault('cleanupPrevious', { ...record, version: '1.1.0' }, samples.cleanupPrevious!.error![0])).not.toBe(false);
    expect(await kind(cleanupPrevious({ ...record, version: '1.1.0' }))).toBe('invalid-record');
    const rollbackInput = { package: input.package, target: input.target, manifest: m, previousVersion: '1.0.0', latestExecutedState: null };
    expect(await fault('rollback', rollbackInput, samples.rollback!.error![0])).not.toBe(false);
    expect(await kind(rollback(rollbackInput))).toBe('rollback-unavailable');
  });

  it('a fault outside the sandbox is refused', async () => {
    const outside = { package: examplePackage('nginx', '1.1.0'), target: join(tmpdir(), 'not-the-sandbox') };
    expect(await fault('checkPreconditions', outside, { message: 'gone', kind: 'invalid-manifest' })).toBe(false);
    expect(await fault('readInstallationRecord', { target: outside.target, name: 'nginx' }, {})).toBe(false);
    expect(isDeepStrictEqual(Object.keys(installServices.faults!).sort(), Object.keys(installServices.actors).sort())).toBe(true);
  });
});
