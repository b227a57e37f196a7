import { closeSync, fsyncSync, openSync, readdirSync, renameSync, rmSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { UserError } from '../errors.ts';
import { ensureDir, fsUserError } from './fs-errors.ts';

/**
 * Writes a file atomically: a temp file beside it, fsynced, renamed over the target, and the directory fsynced,
 * so a reader (or a crash) sees the old file or the new one, never half of one. Temp files of the same target
 * left by a writer that died before its rename (SIGKILL, a crash) are removed first, so a crash leaves no litter
 * once the file is written again.
 *
 * A filesystem error the user can cause (the path is a folder, a part of it is a file, permissions, a read-only or
 * full disk) is a one-line `UserError` naming `path`; the temp file is removed and the old file is left as it was.
 */
export function writeFileAtomic(path: string, data: string | Uint8Array): void {
  const dir = dirname(path);
  ensureDir(dir, `the folder of ${path}`);
  removeDeadTemps(dir, basename(path));
  const temp = join(dir, `.${basename(path)}.${process.pid}.${Date.now()}.tmp`);
  let fd: number | undefined;
  try {
    fd = openSync(temp, 'w', 0o644);
    const buffer = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
    let offset = 0;
    while (offset < buffer.length) offset += writeSync(fd, buffer, offset, buffer.length - offset);
    fsyncSync(fd);
    closeSync(fd);
    fd = undefined;
    renameSync(temp, path);
  } catch (error) {
    if (fd !== undefined) closeSync(fd);
    rmSync(temp, { force: true });
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      // The folder exists (made just above), yet a file cannot be created in it: /proc, /sys and the like.
      throw new UserError(`cannot write ${path}: the filesystem of ${dir} does not allow creating files (ENOENT): choose a path on a regular filesystem`);
    }
    throw fsUserError(error, path, 'write');
  }
  fsyncDir(dir);
}

function fsyncDir(dir: string): void {
  try {
    const fd = openSync(dir, 'r');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  } catch {
    // Some filesystems refuse fsync on a directory; the rename is still atomic there.
  }
}

/** Removes `.<name>.<pid>.<time>.tmp` files in `dir` whose writer process is gone. */
function removeDeadTemps(dir: string, name: string): void {
  const prefix = `.${name}.`;
  let entries: string[];
  try {
    entries = readdirSync(dir);
  } catch {
    return;
  }
  for (const entry of entries) {
    if (!entry.startsWith(prefix) || !entry.endsWith('.tmp')) continue;
    const match = /^(\d+)\.\d+\.tmp$/.exec(entry.slice(prefix.length));
    if (!match) continue;
    const pid = Number(match[1]);
    if (pid !== process.pid && !isAlive(pid)) rmSync(join(dir, entry), { force: true });
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
