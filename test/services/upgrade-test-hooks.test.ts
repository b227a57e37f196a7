/**
 * The upgrade services' hooks for the generated suites (src/services/upgrade/test-hooks.ts) and the catalogue they
 * serve: the catalogue's first samples are what a fresh sandbox gives, each fault makes its real service fail with
 * the catalogue's error sample, each scenario makes readCurrentAgent return its sample, and no hook touches
 * anything outside the sandbox.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { upgradeCatalogue } from '../../machines/upgrade.catalogue.ts';
import type { UpgradeInput } from '../../machines/upgrade.ts';
import { comparable } from '../../src/testgen/comparable.ts';
import { exists, sha256File } from '../../src/services/install/fs.ts';
import { stopHomeAgent, upgradeServices } from '../../src/services/upgrade/index.ts';
import { fetchArtifact } from '../../src/services/upgrade/download.ts';
import { extractArtifact } from '../../src/services/upgrade/extract.ts';
import { handOff } from '../../src/services/upgrade/handoff.ts';
import { readCurrentAgent } from '../../src/services/upgrade/home.ts';
import { cleanupDownload, migrateState, rollback, startAgent, swapSymlink } from '../../src/services/upgrade/next-version.ts';
import { verifyChecksum } from '../../src/services/upgrade/verify.ts';

const faults = upgradeServices.faults!;
const scenarios = upgradeServices.scenarios!;
const services = upgradeCatalogue.services!;
const sandboxes: { dir: string; home: string }[] = [];

afterEach(async () => {
  for (const { dir, home } of sandboxes.splice(0)) {
    await stopHomeAgent(home).catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  }
});

/** A fresh sandbox, and what the generated suites see of its strings (`<dir>` as `.lifecycle`). */
async function sandbox() {
  const dir = mkdtempSync(join(tmpdir(), 'lifecycle-upgrade-'));
  const runInput = { ...(upgradeCatalogue.inputs![0] as object), ...(await upgradeServices.sandboxInput(dir)) } as UpgradeInput;
  sandboxes.push({ dir, home: runInput.agentHome });
  const seen = (value: unknown) => JSON.parse(JSON.stringify(comparable(value)).split(dir).join('.lifecycle'));
  return { dir, runInput, seen, arrange: (input: unknown) => ({ input, runInput, dir, calls: 0 }) };
}

const firstDone = (name: string) => (services[name]!.done as unknown[])[0];
const errorSample = (name: string) => (services[name]?.error as unknown[] | undefined)?.[0] ?? upgradeCatalogue.events![name]?.[0];

describe('upgrade catalogue: the first samples are what a fresh sandbox gives', () => {
  it('the input, the download and every first output match the example artifacts', async () => {
    const { runInput, seen } = await sandbox();
    const input = upgradeCatalogue.inputs![0] as UpgradeInput;
    // The example artifacts are deterministic; when they change, update the constants in machines/upgrade.catalogue.ts.
    expect(input.sha256, 'sha256 of the example 1.1.0 artifact').toBe(runInput.sha256);
    expect(seen(runInput.source)).toBe(input.source);
    expect(seen(await readCurrentAgent(runInput.agentHome))).toEqual(firstDone('readCurrentAgent'));
    const dl = await fetchArtifact(runInput.source, join(runInput.agentHome, 'downloads'), new AbortController().signal, () => undefined);
    expect(seen(dl)).toEqual(upgradeCatalogue.events!['DOWNLOAD.DONE']![0]);
    const progress = upgradeCatalogue.events!['DOWNLOAD.PROGRESS']![0] as { bytesReceived: number; totalBytes: number };
    expect(progress).toEqual({ bytesReceived: dl.bytes, totalBytes: dl.bytes });
    expect(seen(await verifyChecksum({ artifactPath: dl.artifactPath, sha256: runInput.sha256 }))).toEqual(firstDone('verifyChecksum'));
    const ex = await extractArtifact({ artifactPath: dl.artifactPath, agentHome: runInput.agentHome, version: runInput.targetVersion });
    expect(seen(ex)).toEqual(firstDone('extract'));
    const current = await readCurrentAgent(runInput.agentHome);
    expect(seen(await migrateState({ agentHome: runInput.agentHome, fromPath: current.path, toPath: ex.extractedPath }))).toEqual(firstDone('migrateState'));
  });
});

describe('upgrade faults: each real service fails for real, with the catalogue error sample', () => {
  /** Runs the real services of a fresh sandbox up to `at`, arranges its fault there and returns what `at` threw. */
  async function failAt(at: string): Promise<{ error: unknown; seen: (v: unknown) => unknown }> {
    const { runInput, seen, arrange } = await sandbox();
    const home = runInput.agentHome;
    const step = async <T>(name: string, input: unknown, run: () => Promise<T>): Promise<T> => {
      if (name !== at) return run();
      expect(await faults[name]!({ ...arrange(input), error: errorSample(name) })).not.toBe(false);
      const error = await run().then(
        (value) => ({ finished: value }),
        (e: unknown) => e,
      );
      throw { failed: error };
    };
    try {
      if (at === 'cleanupDownload') {
        const input = { agentHome: home, artifactPath: null, extractedPath: null };
        await step('cleanupDownload', input, () => cleanupDownload(input));
      }
      const current = await step('readCurrentAgent', { agentHome: home }, () => readCurrentAgent(home));
      const dlInput = { source: runInput.source, destDir: join(home, 'downloads') };
      const dl = await step('DOWNLOAD.FAILED', dlInput, () => fetchArtifact(dlInput.source, dlInput.destDir, new AbortController().signal, () => undefined));
      const verifyInput = { artifactPath: dl.artifactPath, sha256: runInput.sha256 };
      await step('verifyChecksum', verifyInput, () => verifyChecksum(verifyInput));
      const extractInput = { artifactPath: dl.artifactPath, agentHome: home, version: runInput.targetVersion };
      const ex = await step('extract', extractInput, () => extractArtifact(extractInput));
      const handOffInput = { agentHome: home, entrypoint: `${home}/bin/upgrade`, fromVersion: current.version, toVersion: runInput.targetVersion, extractedPath: ex.extractedPath };
      await step('handOff', handOffInput, () => handOff(handOffInput));
      const migrateInput = { agentHome: home, fromPath: current.path, toPath: ex.extractedPath };
      const { backupPath } = await step('migrateState', migrateInput, () => migrateState(migrateInput));
      const rollbackInput = { agentHome: home, previousPath: current.path, failedPath: ex.extractedPath, stateBackupPath: backupPath, agentPid: null };
      if (at === 'rollback') await step('rollback', rollbackInput, () => rollback(rollbackInput));
      const swapInput = { agentHome: home, toPath: ex.extractedPath };
      await step('swapSymlink', swapInput, () => swapSymlink(swapInput));
      const agentInput = { agentHome: home, version: runInput.targetVersion, path: ex.extractedPath };
      await step('startAgent', agentInput, () => startAgent(agentInput));
    } catch (thrown) {
      if (thrown && typeof thrown === 'object' && 'failed' in thrown) return { error: (thrown as { failed: unknown }).failed, seen };
      throw thrown;
    }
    throw new Error(`no step ${at}`);
  }

  for (const name of ['readCurrentAgent', 'verifyChecksum', 'extract', 'handOff', 'migrateState', 'swapSymlink', 'startAgent', 'rollback', 'cleanupDownload']) {
    it(`faults.${name}`, async () => {
      const { error, seen } = await failAt(name);
      expect(error).toBeInstanceOf(Error);
      expect(seen(error)).toEqual(errorSample(name));
    });
  }

  it("faults['DOWNLOAD.FAILED'] makes the download fail as the catalogue says; faults['DOWNLOAD.DONE'] puts the artifact back", async () => {
    const { error, seen } = await failAt('DOWNLOAD.FAILED');
    const failed = upgradeCatalogue.events!['DOWNLOAD.FAILED']![0] as { message: string; kind: string };
    expect(seen(error)).toMatchObject(failed);
    const { runInput, arrange } = await sandbox();
    const input = { source: runInput.source, destDir: join(runInput.agentHome, 'downloads') };
    await faults['DOWNLOAD.FAILED']!({ ...arrange(input), error: failed });
    await expect(fetchArtifact(input.source, input.destDir, new AbortController().signal, () => undefined)).rejects.toMatchObject({ kind: 'ENOENT' });
    // The broken-off attempt's part stays, for the cleanup to remove or a retry to resume.
    expect(await exists(join(input.destDir, `${basename(input.source)}.part`))).toBe(true);
    await faults['DOWNLOAD.DONE']!({ ...arrange(input), calls: 1, error: upgradeCatalogue.events!['DOWNLOAD.DONE']![0] });
    const done = await fetchArtifact(input.source, input.destDir, new AbortController().signal, () => undefined);
    expect(basename(done.artifactPath)).toBe(basename(input.source));
    expect(await sha256File(done.artifactPath)).toBe(runInput.sha256);
  });

  it('a probe never throws, so checkHealth has no fault', async () => {
    const { arrange } = await sandbox();
    expect(await faults.checkHealth!({ ...arrange({}), error: {} })).toBe(false);
  });

  it('a hook refuses to touch anything outside the sandbox', async () => {
    const { arrange } = await sandbox();
    const outside = mkdtempSync(join(tmpdir(), 'lifecycle-outside-'));
    sandboxes.push({ dir: outside, home: outside });
    await expect(faults.readCurrentAgent!({ ...arrange({ agentHome: outside }), error: {} })).rejects.toThrow(/outside the sandbox/);
  });
});

describe('upgrade scenarios: readCurrentAgent returns each sample once it is set up', () => {
  for (const [i, sample] of (services.readCurrentAgent!.done as { version: string }[]).entries()) {
    it(`readCurrentAgent ${sample.version}`, async () => {
      const { runInput, seen, arrange } = await sandbox();
      expect(await scenarios.readCurrentAgent!({ ...arrange({ agentHome: runInput.agentHome }), output: sample })).not.toBe(false);
      expect(seen(await readCurrentAgent(runInput.agentHome)), `sample ${i}`).toEqual(sample);
    });
  }
});
