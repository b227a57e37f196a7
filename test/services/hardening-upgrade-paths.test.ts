/**
 * Hostile agent-home layouts against the upgrade services that delete, rename or write (extract, migrate, swap,
 * start, rollback, cleanup): a home given through a symlink, home folders linked out of the home or into a version,
 * a version directory that is a symlink, a `current` pointing out of the home. Each is refused before anything is
 * touched, with one line naming the path; what lies outside the home is never written or deleted.
 */
import { cp, mkdir, mkdtemp, readdir, readlink, rm, symlink, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { upgradeMachine, type UpgradeContext, type UpgradeInput, type UpgradeOutput } from '../../machines/upgrade.ts';
import { exists, hashTree } from '../../src/services/install/fs.ts';
import { migrateState, rollback } from '../../src/services/upgrade/next-version.ts';
import { buildArtifact, buildExampleArtifacts, currentTarget, EXAMPLE_VERSIONS, installAgent, layout, stopHomeAgent, stopProcess, upgradeServices, type BuiltArtifact } from '../../src/services/upgrade/index.ts';
import { runChecked } from './helpers.ts';

let artifactsDir: string;
let artifacts: Awaited<ReturnType<typeof buildExampleArtifacts>>;
let dir: string;
let home: string;
let v1Path: string;
const pids = new Set<number>();

beforeAll(async () => {
  artifactsDir = await mkdtemp(join(tmpdir(), 'lk-hard-paths-artifacts-'));
  artifacts = await buildExampleArtifacts(artifactsDir);
});
afterAll(() => rm(artifactsDir, { recursive: true, force: true }));
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'lk-hard-paths-'));
  home = join(dir, 'agent');
  v1Path = await installAgent(home, artifacts.v1.path, '1.0.0');
});
afterEach(async () => {
  await stopHomeAgent(home);
  for (const pid of pids) await stopProcess(pid, 500);
  pids.clear();
  await rm(dir, { recursive: true, force: true });
});

const input = (artifact: BuiltArtifact, extra: Partial<UpgradeInput> = {}): UpgradeInput => ({
  agentHome: home,
  source: artifact.path,
  sha256: artifact.sha256,
  targetVersion: artifact.version,
  targetBuildDate: artifact.buildDate,
  gracePeriodMs: 400,
  healthCheckIntervalMs: 50,
  retry: { maxAttempts: 1, initialIntervalMs: 10, backoffRate: 2, maxIntervalMs: 50 },
  ...extra,
});

async function upgrade(runInput: UpgradeInput) {
  const run = await runChecked<UpgradeInput, UpgradeContext, UpgradeOutput>(upgradeMachine, upgradeServices, runInput, { ungated: ['download'] });
  if (run.snapshot.context.agentPid) pids.add(run.snapshot.context.agentPid);
  return run;
}

/** A directory outside the home holding one file, and a way to check it was left as it was. */
async function outside(name = 'elsewhere') {
  const path = join(dir, name);
  await mkdir(path, { recursive: true });
  await writeFile(join(path, 'keep.txt'), 'mine');
  return { path, untouched: async () => expect(await hashTree(path)).toEqual({ 'keep.txt': expect.any(String) }) };
}

const v2Dir = () => join(layout.data(home), `agent-1.1.0-${artifacts.v2.sha256.slice(0, 6)}`);

describe('a home given through a symlink works like the home itself', () => {
  it('with an absolute `current` into the real home, an unhealthy upgrade rolls back to it', async () => {
    // `current` written by another tool as an absolute link to the real path; the run names the home by an alias.
    await unlink(layout.current(home));
    await symlink(v1Path, layout.current(home));
    const alias = join(dir, 'alias');
    await symlink(home, alias);
    const run = await upgrade({ ...input(artifacts.unhealthy), agentHome: alias });
    expect(run.violations).toEqual([]);
    expect(run.output.outcome).toBe('rolledBack');
    expect(await currentTarget(home)).toBe(v1Path);
  });

  it('a forced reinstall of the running version that fails at the hand-off keeps the running version', async () => {
    // An agent installed from an artifact whose entrypoint refuses hand-offs, `current` an absolute link, the home
    // named by an alias; the upgrade reinstalls the same bytes: the extraction finds the running version's own
    // directory, the hand-off fails, and the cleanup must not remove what `current` points at.
    const refusing = await buildArtifact(artifactsDir, { ...EXAMPLE_VERSIONS.v1, refuseHandoff: 'not today', name: 'agent-1.0.0-refusing.tar.gz' });
    const home2 = join(dir, 'agent2');
    const running = await installAgent(home2, refusing.path, '1.0.0');
    await unlink(layout.current(home2));
    await symlink(running, layout.current(home2));
    const alias = join(dir, 'alias2');
    await symlink(home2, alias);
    const before = await hashTree(running);
    const run = await upgrade({ ...input(refusing, { force: true }), agentHome: alias });
    expect(run.output.lastError).toMatchObject({ step: 'handOff', kind: 'handoff-refused' });
    expect(run.output.outcome).toBe('failed');
    expect(await hashTree(running)).toEqual(before);
    expect(await currentTarget(home2)).toBe(running);
  });
});

describe("the home's folders", () => {
  for (const folder of ['backups', 'bin', 'run'] as const) {
    it(`a ${folder} folder linked out of the home is refused at the first step; outside is untouched`, async () => {
      const elsewhere = await outside();
      await rm(join(home, folder), { recursive: true, force: true });
      if (folder === 'bin') await cp(elsewhere.path, join(dir, 'keep-copy'), { recursive: true });
      await symlink(elsewhere.path, join(home, folder));
      const run = await upgrade(input(artifacts.unhealthy));
      expect(run.output.outcome).toBe('failed');
      expect(run.output.lastError).toMatchObject({ step: 'checkVersion', kind: 'path-escapes' });
      expect(run.output.lastError!.message).toMatch(new RegExp(`the agent home's ${folder} folder .*${folder} would be written at .*elsewhere, outside .*: a symlink on the way points out of it; nothing was changed`));
      await elsewhere.untouched();
      expect(await exists(layout.downloads(home))).toBe(false);
      expect(await currentTarget(home)).toBe(v1Path);
    });
  }

  it("a backups folder linked into the running version's state is refused: the backup would be copied into itself", async () => {
    const before = await hashTree(v1Path);
    await rm(layout.backups(home), { recursive: true, force: true });
    await symlink(join(v1Path, 'state'), layout.backups(home));
    const run = await upgrade(input(artifacts.v2));
    expect(run.output.lastError).toMatchObject({ step: 'checkVersion', kind: 'paths-overlap' });
    expect(run.output.lastError!.message).toMatch(/data folder .* and backups folder .*\(really .*state\) overlap: the backups folder lies inside the data folder; nothing was changed/);
    expect(await hashTree(v1Path)).toEqual(before);
  });

  it('a downloads folder that is the data folder is refused before the download empties it', async () => {
    const before = await hashTree(layout.data(home));
    await symlink('data', layout.downloads(home));
    const run = await upgrade(input(artifacts.v2));
    expect(run.output.lastError).toMatchObject({ step: 'checkVersion', kind: 'paths-overlap' });
    expect(run.output.lastError!.message).toMatch(/are the same directory/);
    expect(await hashTree(layout.data(home))).toEqual(before);
  });
});

describe('version directories', () => {
  it('`current` pointing out of the home is refused at the first step: a rollback would write there', async () => {
    const elsewhere = join(dir, 'agent-1.0.0-copy');
    await cp(v1Path, elsewhere, { recursive: true });
    const before = await hashTree(elsewhere);
    await unlink(layout.current(home));
    await symlink(elsewhere, layout.current(home));
    const run = await upgrade(input(artifacts.unhealthy));
    expect(run.output.lastError).toMatchObject({ step: 'checkVersion', kind: 'path-escapes' });
    expect(run.output.lastError!.message).toMatch(/^the running version .*agent-1\.0\.0-copy is not a directory of .*data: a symlink on the way points elsewhere; nothing was changed/);
    expect(await hashTree(elsewhere)).toEqual(before);
    expect(await exists(layout.downloads(home))).toBe(false);
  });

  it('a version directory already there that is a symlink out of the home is refused by the extraction; outside untouched', async () => {
    const elsewhere = await outside();
    await symlink(elsewhere.path, v2Dir());
    const run = await upgrade(input(artifacts.v2));
    expect(run.output.outcome).toBe('failed');
    expect(run.output.lastError).toMatchObject({ step: 'extract', kind: 'path-escapes' });
    expect(run.output.lastError!.message).toMatch(/^the extracted version .*agent-1\.1\.0-\w+ \(really .*elsewhere\) is not a directory of/);
    await elsewhere.untouched();
    expect(await readlink(v2Dir())).toBe(elsewhere.path);
    expect(await currentTarget(home)).toBe(v1Path);
  });

  it('a version directory that is a symlink to the running version is refused: the upgrade would run the old one', async () => {
    await symlink(v1Path, v2Dir());
    const run = await upgrade(input(artifacts.v2));
    expect(run.output.lastError).toMatchObject({ step: 'extract', kind: 'path-escapes' });
    expect(await currentTarget(home)).toBe(v1Path);
  });

  it('migrate and rollback called on overlapping paths refuse before touching them', async () => {
    const before = await hashTree(v1Path);
    const alias = join(layout.data(home), 'agent-1.1.0-alias');
    await symlink(v1Path, alias);
    const refused = (p: Promise<unknown>) => p.then(() => null, (e: Error & { kind?: string }) => e);
    // The new version is the running one through a link: migrating would overwrite the state with itself.
    expect(await refused(migrateState({ agentHome: home, fromPath: v1Path, toPath: alias }))).toMatchObject({ kind: 'path-escapes' });
    // A rollback whose failed version really is the previous one would delete what it restores.
    const error = await refused(rollback({ agentHome: home, previousPath: v1Path, failedPath: alias, stateBackupPath: null, agentPid: null }));
    expect(error).toMatchObject({ kind: 'path-escapes' });
    expect(await hashTree(v1Path)).toEqual(before);
    expect(await readdir(layout.data(home))).toContain('agent-1.1.0-alias');
  });

  it('a rollback whose state backup is outside the backups folder refuses before copying it', async () => {
    const elsewhere = await outside();
    const before = await hashTree(v1Path);
    const error = await rollback({ agentHome: home, previousPath: v1Path, failedPath: null, stateBackupPath: elsewhere.path, agentPid: null }).then(
      () => null,
      (e: Error & { kind?: string }) => e,
    );
    expect(error).toMatchObject({ kind: 'path-escapes' });
    expect(error!.message).toMatch(/the state backup .*elsewhere would be written at/);
    await elsewhere.untouched();
    expect(await hashTree(v1Path)).toEqual(before);
  });
});
