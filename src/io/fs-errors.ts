import { mkdirSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { UserError } from '../errors.ts';

/** What a filesystem error code means to a user, and what to do about it. */
const REASONS: Record<string, (path: string) => [reason: string, fix: string]> = {
  ENOENT: (p) => [`${p} (or a folder above it) does not exist`, 'create the folder first, or choose another path'],
  ENOTDIR: (p) => [`${p} or a folder above it is a file, not a folder`, 'choose another path'],
  EISDIR: (p) => [`${p} is a folder, not a file`, 'remove the folder, or choose another path'],
  EEXIST: (p) => [`${p} already exists and is not a folder`, 'remove it, or choose another path'],
  EACCES: () => ['permission denied', 'check the permissions of the path, or choose another one'],
  EPERM: () => ['operation not permitted there', 'check the permissions of the path, or choose another one'],
  EROFS: () => ['the filesystem is read-only', 'choose a path on a writable filesystem'],
  ENOSPC: () => ['no space left on the device', 'free some space, then try again'],
  EDQUOT: () => ['the disk quota is exceeded', 'free some space, then try again'],
  EFBIG: () => ['the file is too large for the filesystem', 'free some space or choose another path'],
  ELOOP: () => ['too many levels of symbolic links', 'fix the symbolic links in the path'],
  ENAMETOOLONG: () => ['the path is too long', 'choose a shorter path'],
  EMFILE: () => ['too many open files', 'raise the open-file limit (ulimit -n), then try again'],
  ENFILE: () => ['too many open files in the system', 'try again later'],
  EBUSY: () => ['the file is busy', 'try again once it is free'],
  ETXTBSY: () => ['the file is busy', 'try again once it is free'],
  EIO: () => ['an I/O error on the device', 'check the disk, then try again'],
  EXDEV: () => ['the paths are on different filesystems', 'keep them on one filesystem'],
  ENXIO: () => ['no such device', 'choose a regular file'],
  ENODEV: () => ['no such device', 'choose a regular file'],
  EINVAL: () => ['the filesystem refused the operation', 'choose a path on a regular filesystem'],
};

/** Whether `error` is a filesystem error a user can cause (a bad path, permissions, a full or read-only disk). */
export function isUserFsError(error: unknown): error is NodeJS.ErrnoException {
  const code = (error as NodeJS.ErrnoException | null)?.code;
  return typeof code === 'string' && code in REASONS && typeof (error as NodeJS.ErrnoException).syscall === 'string';
}

/**
 * Turns a filesystem error a user can cause into a one-line `UserError` naming the path, what was wrong and what to
 * do: `cannot <doing> <path>: <reason>: <fix>`. Any other error is returned as it is (a bug is not the user's).
 * `hint` is said as well, e.g. `or use another --store`.
 *
 * @example
 * try { writeFileSync(path, data) } catch (error) { throw fsUserError(error, path, 'write the diagram to') }
 */
export function fsUserError(error: unknown, path: string, doing: string, hint?: string): Error {
  if (error instanceof UserError) return error;
  if (!isUserFsError(error)) return error instanceof Error ? error : new Error(String(error));
  const [reason, fix] = REASONS[error.code!]!(path);
  const user = new UserError(`cannot ${doing} ${path}: ${reason} (${error.code}): ${fix}${hint ? `; ${hint}` : ''}`);
  // Code that classifies errors by their code (a step's error kind, a retry policy) still sees it.
  return Object.assign(user, { code: error.code, syscall: error.syscall, path, cause: error });
}

/**
 * Creates the folder `dir` and the missing folders above it, one level at a time, so that a filesystem refusing a
 * mkdir (`/proc`, `/sys`) fails at once instead of looping, and an error names the level that failed. `what` says
 * what the folder is for (`the store`), `hint` what else the user can do.
 */
export function ensureDir(dir: string, what: string, hint?: string): void {
  const target = resolve(dir);
  const missing: string[] = [];
  let current = target;
  for (let depth = 0; depth < 4096; depth++) {
    let isDir: boolean;
    try {
      isDir = statSync(current).isDirectory();
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      // ENOTDIR: a level above is a file; walk up to name it.
      if ((code === 'ENOENT' || code === 'ENOTDIR') && dirname(current) !== current) {
        missing.push(current);
        current = dirname(current);
        continue;
      }
      throw fsUserError(error, current, `create ${what} at`, hint);
    }
    if (!isDir) {
      const where = current === target ? `${target} is a file, not a folder` : `${current} is a file, not a folder`;
      throw new UserError(`cannot create ${what} at ${target}: ${where}: choose another path${hint ? `; ${hint}` : ''}`);
    }
    break;
  }
  for (const level of missing.reverse()) {
    try {
      mkdirSync(level);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'EEXIST' && safeIsDir(level)) continue; // made by another process meanwhile
      if (code === 'ENOENT' || code === 'EPERM') {
        // The parent exists (just checked or just made), yet the filesystem says no: /proc, /sys and the like.
        throw new UserError(`cannot create ${what} at ${target}: the filesystem of ${dirname(level)} does not allow creating folders (${code}): choose a path on a regular filesystem${hint ? `; ${hint}` : ''}`);
      }
      throw fsUserError(error, level, `create ${what} at`, hint);
    }
  }
}

function safeIsDir(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}
