/**
 * The install services that are not asset steps: preconditions, reading the record, force's cleanup, rollback.
 */
import { constants } from 'node:fs';
import { access, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import type {
  CleanupPreviousInput,
  PreconditionsInput,
  PreconditionsOutput,
  ReadRecordInput,
  ReadRecordOutput,
  RollbackInput,
} from '../../../machines/install.ts';
import { backedUpVersion, dropBackup, ensureBackup, restoreBackup } from './backup.ts';
import { remove, serviceError } from './fs.ts';
import { ASSET_KINDS, kindDir } from './kinds.ts';
import { readPackage } from './package.ts';
import { assertSafeInstall } from './safety.ts';
import { completedVersion, readRecord, writeRecord } from './record.ts';

/** Package readable, manifest valid, target writable (or creatable), record readable. Writes nothing. */
export async function checkPreconditions(input: PreconditionsInput): Promise<PreconditionsOutput> {
  const pkg = await readPackage(input.package);
  await assertSafeInstall(input.package, input.target, pkg.manifest.name);
  await checkWritable(input.target);
  const record = await readRecord(input.target, pkg.manifest.name);
  return { manifest: pkg.manifest, installedVersion: completedVersion(record) };
}

async function checkWritable(target: string): Promise<void> {
  let dir = target;
  try {
    if (!(await stat(target)).isDirectory()) throw serviceError('target-unwritable', `target ${target} is not a directory`);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    dir = dirname(target);
  }
  try {
    await access(dir, constants.W_OK);
  } catch {
    throw serviceError('target-unwritable', `target ${target} is not writable${dir === target ? '' : ` (nor is its parent ${dir})`}: pass a writable directory`);
  }
}

export async function readInstallationRecord(input: ReadRecordInput): Promise<ReadRecordOutput> {
  const record = await readRecord(input.target, input.name);
  if (record === null) return { record: null };
  const { name, version, status, latestExecutedState, previousVersion } = record;
  return { record: { name, version, status, latestExecutedState, previousVersion } };
}

/**
 * force: remove every asset of the package and start the record afresh. When another version is installed, its
 * assets are backed up first, so that a failure can still roll back to it.
 */
export async function cleanupPrevious(input: CleanupPreviousInput): Promise<void> {
  const { target, name, version } = input;
  // Its input names no package: the preconditions, which every run passes first, refused an overlap.
  await assertSafeInstall(null, target, name);
  const record = await readRecord(target, name);
  const installed = completedVersion(record);
  const previous = installed !== null && installed !== version ? installed : null;
  if (previous !== null) await ensureBackup(target, name, previous, ASSET_KINDS);
  else await dropBackup(target, name);
  for (const kind of ASSET_KINDS) await remove(kindDir(target, kind, name));
  writeRecord(target, {
    name,
    version,
    status: 'installing',
    latestExecutedState: null,
    previousVersion: previous,
    installedVersion: previous,
    step: null,
    attempts: 0,
    lastError: record?.lastError ?? null,
    files: null,
  });
}

/**
 * Restores the previous version's assets and record from the backup, keeping the error that caused the rollback.
 * Safe to run again: a rollback that already finished finds no backup and a record at the previous version.
 */
export async function rollback(input: RollbackInput): Promise<void> {
  const { target, manifest, previousVersion } = input;
  await assertSafeInstall(input.package, target, manifest.name);
  const current = await readRecord(target, manifest.name).catch(() => null);
  const held = await backedUpVersion(target, manifest.name);
  if (held !== null && held !== previousVersion)
    throw serviceError('rollback-unavailable', `cannot roll ${manifest.name} back to ${previousVersion}: the backup in ${target} holds ${held}`);
  if (held === null && current?.version === previousVersion && current.status === 'installed') return;
  const saved = held !== null ? await restoreBackup(target, manifest.name) : null;
  writeRecord(target, {
    name: manifest.name,
    version: previousVersion,
    status: 'installed',
    latestExecutedState: 'save_installation_record',
    previousVersion: saved?.previousVersion ?? null,
    installedVersion: previousVersion,
    step: current?.step ?? null,
    attempts: current?.attempts ?? 0,
    lastError: current?.lastError ?? null,
    files: saved?.files ?? null,
    rolledBackFrom: manifest.version,
  });
  await dropBackup(target, manifest.name);
}
