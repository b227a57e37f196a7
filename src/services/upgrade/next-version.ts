/**
 * The next version's part, run after the hand-off: migrate the state (action store, run state) keeping a backup,
 * swap `current` atomically, start the new agent (stopping the one it replaces), probe its health; and the two
 * recoveries: rollback after the hand-off, cleanup of the download before it. Every operation can run again after
 * a crash and ends in the same place.
 */
import { mkdir, readdir, readFile, rmdir } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { AgentInput, CleanupInput, HealthOutput, MigrateInput, MigrateOutput, RollbackInput, StartOutput, SwapInput } from '../../../machines/upgrade.ts';
import { writeFileAtomic } from '../../io/atomic-write.ts';
import { copyTreeAtomic, exists, isDirectory, remove } from '../install/fs.ts';
import { isAlive, probeHealth, readHomeRun, spawnAgent, stopProcess, type AgentRun } from './agent-process.ts';
import { settleDownloads } from './download.ts';
import { assertInside, isWithin, realPathOf } from '../safe-paths.ts';
import { settleExtractions } from './extract.ts';
import { currentTarget, isInside, layout, removeDeadTemps, restoreEntrypoint, swapCurrent } from './home.ts';
import { assertOtherVersion, assertSafeHome, assertVersionDir } from './safety.ts';

/** The state directory of a version: the action store and the run state. */
export const stateDir = (versionPath: string) => join(versionPath, 'state');

/**
 * `copyTreeAtomic`, after removing the temp copies (`<to>.<pid>.<time>.tmp`) an attempt killed before its rename
 * left, so a re-run of the step ends with no litter.
 */
async function copyTree(from: string, to: string): Promise<void> {
  await removeDeadTemps(to);
  await copyTreeAtomic(from, to);
}

/** Backs the running version's state up (afresh), then copies it into the new version. */
export async function migrateState(input: MigrateInput): Promise<MigrateOutput> {
  const { agentHome, fromPath, toPath } = input;
  const backupPath = join(layout.backups(agentHome), `state-${basename(fromPath)}`);
  // Every path below is checked before the first copy: the backup is written and then copied into the new version.
  await assertSafeHome(agentHome);
  await assertVersionDir(agentHome, fromPath, 'the running version');
  await assertVersionDir(agentHome, toPath, 'the new version');
  await assertOtherVersion({ label: 'running version', path: fromPath }, { label: 'new version', path: toPath });
  await assertInside(layout.backups(agentHome), backupPath, 'the state backup');
  await assertInside(toPath, stateDir(toPath), "the new version's state directory");
  if (await isDirectory(stateDir(fromPath))) await copyTree(stateDir(fromPath), backupPath);
  else if (!(await exists(backupPath))) await mkdir(backupPath, { recursive: true });
  await copyTree(backupPath, stateDir(toPath));
  return { backupPath };
}

export async function swapSymlink(input: SwapInput): Promise<void> {
  await assertSafeHome(input.agentHome);
  await swapCurrent(input.agentHome, input.toPath);
}

/** Stops the agent the home runs if it is another version (remembering it for a rollback), then starts the new one. */
export async function startAgent(input: AgentInput): Promise<StartOutput> {
  await assertSafeHome(input.agentHome);
  await assertVersionDir(input.agentHome, input.path, 'the new version');
  const running = await readHomeRun(input.agentHome);
  if (running && running.path !== input.path && isAlive(running.pid)) {
    writeFileAtomic(layout.stoppedFile(input.agentHome), `${JSON.stringify(running, null, 2)}\n`);
    await stopProcess(running.pid);
    await remove(join(running.path, 'run', 'agent.json'));
  }
  const run = await spawnAgent(input.agentHome, input.path);
  return { pid: run.pid };
}

export async function checkHealth(input: AgentInput): Promise<HealthOutput> {
  return probeHealth(input.path, input.version, input.timeoutMs);
}

/**
 * After the hand-off: stop the new agent, point `current` back, restore the state backup, remove the new version,
 * its download and the marker, and restart the previous agent if the upgrade had stopped it.
 */
export async function rollback(input: RollbackInput): Promise<void> {
  const { agentHome: home, previousPath, failedPath, stateBackupPath, agentPid } = input;
  // Refused before the first act (even stopping the agent): a rollback into a hostile layout would write or delete
  // outside the home, and the version it would delete must not really be the one it restores.
  await assertSafeHome(home);
  await assertVersionDir(home, previousPath, 'the version rolled back to');
  await assertInside(previousPath, stateDir(previousPath), "the restored version's state directory");
  if (failedPath !== null) {
    await assertVersionDir(home, failedPath, 'the failed version');
    await assertOtherVersion({ label: 'version rolled back to', path: previousPath }, { label: 'failed version', path: failedPath });
  }
  if (stateBackupPath !== null) await assertInside(layout.backups(home), stateBackupPath, 'the state backup');
  if (agentPid !== null) await stopProcess(agentPid);
  if (failedPath !== null) await remove(join(failedPath, 'run', 'agent.json'));
  const run = await readHomeRun(home);
  if (run && run.path !== previousPath) {
    await stopProcess(run.pid);
    await remove(layout.runFile(home));
  }
  await swapCurrent(home, previousPath);
  if (stateBackupPath !== null && (await isDirectory(stateBackupPath))) await copyTree(stateBackupPath, stateDir(previousPath));
  if (failedPath !== null && failedPath !== previousPath && isInside(layout.data(home), failedPath)) {
    await restoreEntrypoint(home, failedPath);
    await remove(failedPath);
  }
  await settleDownloads(layout.downloads(home));
  await remove(layout.downloads(home));
  await remove(layout.marker(home));
  const stopped = await readFile(layout.stoppedFile(home), 'utf8').then((s) => JSON.parse(s) as AgentRun, () => null);
  if (stopped && stopped.path === previousPath) await spawnAgent(home, previousPath);
  await remove(layout.stoppedFile(home));
  if (stateBackupPath !== null) await remove(stateBackupPath);
  // The folders this attempt made, once empty (a rolled-back home is left as it was found): rmdir keeps any content.
  for (const dir of [layout.backups(home), dirname(layout.runFile(home))]) await rmdir(dir).catch(() => undefined);
}

/**
 * Removes what the download wrote — its `.part` files and the artifact it completed — and the download folder once
 * empty; nothing else in it (a file the user put there stays), and nothing through a symlink out of the home.
 */
async function removeOwnDownloads(home: string, artifactPath: string | null): Promise<void> {
  const downloads = layout.downloads(home);
  const [realHome, realDownloads] = await Promise.all([realPathOf(home), realPathOf(downloads)]);
  if (!isWithin(realHome, realDownloads) || realDownloads === realHome) return;
  for (const name of await readdir(downloads).catch(() => [] as string[])) if (name.endsWith('.part')) await remove(join(downloads, name));
  if (artifactPath !== null && isWithin(realDownloads, await realPathOf(artifactPath))) await remove(artifactPath);
  await rmdir(downloads).catch(() => undefined);
}

/** Before the hand-off (failure or CANCEL): remove the download, the extracted version and its entrypoint link. */
export async function cleanupDownload(input: CleanupInput): Promise<void> {
  const { agentHome: home, artifactPath, extractedPath } = input;
  await settleDownloads(layout.downloads(home));
  await settleExtractions(home);
  await assertSafeHome(home);
  // A version directory that is not a real one of data/ is not this run's (the extraction refused it): left alone.
  const ownExtraction = extractedPath !== null && (await assertVersionDir(home, extractedPath, 'the extracted version').then(() => true, () => false));
  await removeOwnDownloads(home, artifactPath);
  const current = await currentTarget(home);
  if (ownExtraction && extractedPath !== null && extractedPath !== current && isInside(layout.data(home), extractedPath)) {
    await restoreEntrypoint(home, extractedPath);
    await remove(extractedPath);
    const marker = await readFile(layout.marker(home), 'utf8').then((s) => JSON.parse(s) as { path?: string }, () => null);
    // The entrypoint names its real path (the home may be given through a symlink).
    if (typeof marker?.path === 'string' && (await realPathOf(marker.path)) === (await realPathOf(extractedPath))) await remove(layout.marker(home));
  }
  const data = layout.data(home);
  for (const name of await readdir(data).catch(() => [] as string[])) if (name.startsWith('.extract-')) await remove(join(data, name));
}
