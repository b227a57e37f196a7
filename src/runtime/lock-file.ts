import { closeSync, fsyncSync, linkSync, openSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import { UserError } from '../errors.ts';

/** The content of a lock file: who holds the store, since when. */
export interface LockHolder {
  pid: number;
  /** ISO-8601. */
  since: string;
}

/**
 * Whether a process with this pid is running (EPERM: it exists but belongs to someone else). A zombie — killed but
 * not yet reaped by its parent, which can last in a container whose init does not reap — is dead: it holds nothing.
 */
export function isProcessAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
  return !isZombie(pid);
}

/** Linux only (elsewhere false): the state field of /proc/<pid>/stat, after the parenthesised command name. */
function isZombie(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) === 'Z';
  } catch {
    return false;
  }
}

/** Reads a lock file; null when it is missing or unreadable (a holder that crashed while writing it). */
export function readLock(path: string): LockHolder | null {
  try {
    const parsed = JSON.parse(readFileSync(path, 'utf8')) as Partial<LockHolder>;
    return typeof parsed.pid === 'number' && typeof parsed.since === 'string' ? { pid: parsed.pid, since: parsed.since } : null;
  } catch {
    return null;
  }
}

/**
 * Takes the lock at `path` for this process: the file is created with O_EXCL, so of two processes racing for a
 * free store exactly one wins. A lock whose holder is dead (SIGKILL, a crash, a reboot) is stale and taken over;
 * a live holder is refused with a message naming its pid. `what` names the store in that message.
 *
 * Limitation: a stale lock whose pid was reused by an unrelated process looks live; the message says how to
 * remove it by hand.
 */
export function acquireLock(path: string, what: string): LockHolder {
  const me: LockHolder = { pid: process.pid, since: new Date().toISOString() };
  for (let tries = 0; tries < 3; tries++) {
    if (tryCreate(path, me)) return me;
    const holder = readLock(path);
    if (holder?.pid === process.pid) return holder; // re-entrant within one process
    if (holder && isProcessAlive(holder.pid)) {
      throw new UserError(
        `${what} is locked by a running process (pid ${holder.pid}, since ${holder.since}): wait for it to finish or stop it; if pid ${holder.pid} is not a lifecycle run, delete ${path}`,
      );
    }
    takeOverStale(path, holder);
  }
  throw new UserError(`${what}: could not take the lock ${path} (another process keeps taking it): try again`);
}

/** Removes the lock at `path` if this process holds it. */
export function releaseLock(path: string): void {
  if (readLock(path)?.pid === process.pid) rmSync(path, { force: true });
}

function tryCreate(path: string, holder: LockHolder): boolean {
  let fd: number;
  try {
    fd = openSync(path, 'wx', 0o644);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  }
  try {
    writeSync(fd, `${JSON.stringify(holder)}\n`);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  return true;
}

/**
 * Moves a stale lock aside with rename (atomic, so of two processes taking it over only one moves it). If what was
 * moved is not the stale lock that was read — another process took it over in between and holds it now — it is
 * put back with link (which fails rather than overwrite) and the loop reads the new holder.
 */
function takeOverStale(path: string, stale: LockHolder | null): void {
  const aside = `${path}.stale.${process.pid}`;
  try {
    renameSync(path, aside);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return; // someone else removed it: just retry
    throw error;
  }
  const moved = readLock(aside);
  const same = moved === null ? stale === null : stale !== null && moved.pid === stale.pid && moved.since === stale.since;
  if (!same && moved && isProcessAlive(moved.pid)) {
    try {
      linkSync(aside, path);
    } catch {
      // A third process created a lock meanwhile: it wins; the loop reads it.
    }
  }
  rmSync(aside, { force: true });
}
