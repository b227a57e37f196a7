/**
 * Small filesystem helpers shared by the install and upgrade services: hashing, listing, copying and removing
 * trees, and a typed error with a machine-readable `kind` (what the retry policies and `toStepError` read).
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { cp, lstat, readdir, rename, rm, stat } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { fsUserError, isUserFsError } from '../../io/fs-errors.ts';

/** An error with a machine-readable kind (e.g. `invalid-manifest`, `checksum-mismatch`). */
export class ServiceError extends Error {
  readonly kind: string;
  constructor(kind: string, message: string) {
    super(message);
    this.name = 'ServiceError';
    this.kind = kind;
  }
}

/** Builds a {@link ServiceError}. */
export function serviceError(kind: string, message: string): ServiceError {
  return new ServiceError(kind, message);
}

/**
 * A filesystem error a user can cause (a full or read-only disk, permissions) as a {@link ServiceError} of its errno
 * kind (what retry policies match) whose message names the path (the error's own, else `path`), what was wrong and
 * what to do; any other error as it is.
 *
 * @example
 * await cp(from, to).catch((error) => { throw fsServiceError(error, to, 'copy the state to'); });
 */
export function fsServiceError(error: unknown, path: string, doing: string): Error {
  if (!isUserFsError(error)) return error instanceof Error ? error : new Error(String(error));
  return serviceError(error.code!, fsUserError(error, error.path ?? path, doing).message);
}

export function sha256(data: Uint8Array | string): string {
  return createHash('sha256').update(data).digest('hex');
}

/** The sha256 of a file, streamed. */
export function sha256File(path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const hash = createHash('sha256');
    createReadStream(path)
      .on('data', (chunk) => hash.update(chunk))
      .on('error', reject)
      .on('end', () => resolve(hash.digest('hex')));
  });
}

/** Whether `path` exists (without following a final symlink). */
export async function exists(path: string): Promise<boolean> {
  try {
    await lstat(path);
    return true;
  } catch {
    return false;
  }
}

export async function isDirectory(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory();
  } catch {
    return false;
  }
}

/** Every regular file under `dir`, as sorted `/`-joined paths relative to `dir` (empty when `dir` is missing). */
export async function listFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (d: string): Promise<void> => {
    let entries;
    try {
      entries = await readdir(d, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      const p = join(d, e.name);
      if (e.isDirectory()) await walk(p);
      else out.push(relative(dir, p).split(sep).join('/'));
    }
  };
  await walk(dir);
  return out.sort();
}

/** `{ relative path: sha256 }` of every file under `dir`. */
export async function hashTree(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const f of await listFiles(dir)) out[f] = await sha256File(join(dir, f));
  return out;
}

/** Removes a file or a tree; a missing one is fine. */
export async function remove(path: string): Promise<void> {
  await rm(path, { recursive: true, force: true });
}

/**
 * Copies a tree to `to` so that `to` appears whole or not at all: copied into a temp sibling, then renamed.
 * An existing `to` is replaced.
 */
export async function copyTreeAtomic(from: string, to: string): Promise<void> {
  const temp = `${to}.${process.pid}.${Date.now()}.tmp`;
  await remove(temp);
  try {
    await cp(from, temp, { recursive: true, verbatimSymlinks: true });
    await remove(to);
    await rename(temp, to);
  } catch (error) {
    // A copy cut short (a full disk) leaves no half tree behind.
    await remove(temp);
    throw fsServiceError(error, to, 'copy to');
  }
}

/** Whether a `/`-separated relative path stays inside its root (no absolute path, no `..` segment, no NUL). */
export function isSafeRelativePath(path: string): boolean {
  if (path === '' || path.includes('\0')) return false;
  if (path.startsWith('/') || path.startsWith('\\') || /^[A-Za-z]:/.test(path)) return false;
  return !path.split(/[\\/]+/).some((segment) => segment === '..');
}
