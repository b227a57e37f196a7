/**
 * What a rollback restores: before an attempt that replaces an installed version first touches a kind of asset,
 * that kind's directory (and, once, the installation record) is copied to `<target>/.installations/backups/<name>/`.
 * A kind is backed up once per attempt, so a resumed or retried step never backs up its own half-written files.
 * Restoring renames each backed-up kind back into place; every operation is safe to run again after a crash.
 */
import { mkdir, readdir, readFile, rename } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { writeFileAtomic } from '../../io/atomic-write.ts';
import { copyTreeAtomic, exists, isDirectory, remove } from './fs.ts';
import { installationsDir, kindDir } from './kinds.ts';
import { recordPath, type InstallationRecordFile } from './record.ts';

export function backupDir(target: string, name: string): string {
  return join(installationsDir(target), 'backups', name);
}

/** The version the backup of `name` holds, or null when there is none. */
export async function backedUpVersion(target: string, name: string): Promise<string | null> {
  try {
    return (await readFile(join(backupDir(target, name), 'VERSION'), 'utf8')).trim();
  } catch {
    return null;
  }
}

/**
 * Backs up `kinds` of `name` (those not backed up yet) as the assets of `version`, and the record once.
 * A backup of another version is stale (left by an attempt that never finished) and is replaced.
 */
export async function ensureBackup(target: string, name: string, version: string, kinds: readonly string[]): Promise<void> {
  const dir = backupDir(target, name);
  const held = await backedUpVersion(target, name);
  if (held !== version) {
    await remove(dir);
    await mkdir(dir, { recursive: true });
    if (await exists(recordPath(target, name))) writeFileAtomic(join(dir, 'record.json'), await readFile(recordPath(target, name)));
    writeFileAtomic(join(dir, 'VERSION'), `${version}\n`);
  }
  for (const kind of kinds) {
    const to = join(dir, 'kinds', kind);
    if (await exists(to)) continue;
    const from = kindDir(target, kind, name);
    if (await isDirectory(from)) await copyTreeAtomic(from, to);
    else await mkdir(to, { recursive: true });
  }
}

/**
 * Puts every backed-up kind back in place (an empty backup means the version had no assets of that kind) and
 * returns the backed-up record (null when none was kept). Leaves the backup directory itself for {@link dropBackup}.
 */
export async function restoreBackup(target: string, name: string): Promise<InstallationRecordFile | null> {
  const dir = backupDir(target, name);
  const kindsDir = join(dir, 'kinds');
  const kinds = (await isDirectory(kindsDir)) ? await readdir(kindsDir) : [];
  for (const kind of kinds) {
    const from = join(kindsDir, kind);
    const to = kindDir(target, kind, name);
    await remove(to);
    if ((await readdir(from)).length > 0) {
      await mkdir(dirname(to), { recursive: true });
      await rename(from, to);
    } else {
      await remove(from);
    }
  }
  try {
    return JSON.parse(await readFile(join(dir, 'record.json'), 'utf8')) as InstallationRecordFile;
  } catch {
    return null;
  }
}

export async function dropBackup(target: string, name: string): Promise<void> {
  await remove(backupDir(target, name));
}
