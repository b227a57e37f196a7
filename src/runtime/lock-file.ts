import { closeSync, fstatSync, fsyncSync, linkSync, openSync, readdirSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { UserError } from '../errors.ts';
import { fsUserError } from '../io/fs-errors.ts';

/** The content of a lock file: who holds the store, since when. */
export interface LockHolder {
  pid: number;
  /** ISO-8601. */
  since: string;
}

/** Options of `acquireLock`. */
export interface LockOptions {
  /**
   * How long a lock file that cannot be read as a holder (empty, garbage: written by another tool, or by an older
   * lifecycle-kit between its create and its write) counts as held, by its modification time. Default 2000 ms.
   */
  graceMs?: number;
}

const DEFAULT_GRACE_MS = 2000;
/** How many times a takeover may find a stale takeover claim in its way before it gives up and names the file. */
const MAX_CLAIM_DEPTH = 2;

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

/** Reads a lock file; null when it is missing or unreadable. */
export function readLock(path: string): LockHolder | null {
  try {
    return parseHolder(readFileSync(path, 'utf8'));
  } catch {
    return null;
  }
}

/**
 * Takes the lock at `path` for this process. Of any number of processes racing for one store, exactly one gets it,
 * and a lock is never taken from a live holder:
 *
 * - the holder record is written and fsynced in a temp file first, then hard-linked to `path` (link fails when
 *   `path` exists), so a lock file is complete from the instant it exists — there is no empty lock to misread;
 * - a lock whose holder is dead (SIGKILL, a crash, a reboot; a zombie) is stale. It is replaced, atomically with
 *   rename, only by the one process that first claims that very file (a claim is `<path>.takeover-<id>`, created
 *   with link, `<id>` naming the lock file's inode, mtime and size), and only if `path` is still that file once
 *   the claim is won, so two processes taking over one stale lock cannot both win, and neither can replace a lock
 *   another process has just taken;
 * - a lock file that cannot be read as a holder counts as held for `graceMs` after its last modification, then as
 *   stale;
 * - a live holder is refused with a message naming its pid. `what` names the store in that message.
 *
 * Limitation: a stale lock whose pid was reused by an unrelated process looks live; the message says how to
 * remove it by hand.
 */
export function acquireLock(path: string, what: string, options: LockOptions = {}): LockHolder {
  const graceMs = options.graceMs ?? DEFAULT_GRACE_MS;
  const me: LockHolder = { pid: process.pid, since: new Date().toISOString() };
  removeLitter(path);
  const deadline = Date.now() + graceMs + 5000;
  for (let tries = 0; tries < 10_000 && Date.now() < deadline; tries++) {
    if (linkRecord(path, me, what)) return me;
    const found = inspect(path, what);
    if (found.kind === 'missing') continue; // released in between: try again
    if (found.kind === 'holder') {
      if (found.holder.pid === process.pid) return found.holder; // re-entrant within one process
      if (isProcessAlive(found.holder.pid)) {
        throw new UserError(
          `${what} is locked by a running process (pid ${found.holder.pid}, since ${found.holder.since}): wait for it to finish or stop it; if pid ${found.holder.pid} is not a lifecycle run, delete ${path}`,
        );
      }
    } else if (found.ageMs < graceMs) {
      // Being written by a tool we do not know, or just now by an older lifecycle-kit: held for a while.
      sleep(Math.min(25, graceMs - found.ageMs + 1));
      continue;
    }
    if (takeOver(path, found.id, me, what, graceMs, 0) === 'won') return me;
    sleep(1 + Math.floor(Math.random() * 4)); // another process is taking it over: let it finish
  }
  throw new UserError(`${what}: could not take the lock ${path} (other processes kept taking it): try again`);
}

/** Removes the lock at `path` if this process holds it. */
export function releaseLock(path: string): void {
  if (readLock(path)?.pid === process.pid) rmSync(path, { force: true });
}

type Found =
  | { kind: 'missing' }
  | { kind: 'holder'; holder: LockHolder; id: string }
  | { kind: 'unreadable'; id: string; ageMs: number };

/** Reads the lock file through one descriptor, so that its identity (inode, mtime, size) and content agree. */
function inspect(path: string, what: string): Found {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { kind: 'missing' };
    throw fsUserError(error, path, `read the lock of ${what}`);
  }
  try {
    const stat = fstatSync(fd, { bigint: true });
    if (!stat.isFile()) {
      throw new UserError(`${what}: its lock ${path} is not a file (a folder or a device): remove it if no run is using this store, then try again`);
    }
    const id = `${stat.ino}-${stat.mtimeNs}-${stat.size}`;
    let holder: LockHolder | null = null;
    if (stat.size < 4096n) {
      try {
        holder = parseHolder(readFileSync(fd, 'utf8'));
      } catch (error) {
        throw fsUserError(error, path, `read the lock of ${what}`);
      }
    }
    if (holder) return { kind: 'holder', holder, id };
    return { kind: 'unreadable', id, ageMs: Math.max(0, Date.now() - Number(stat.mtimeMs)) };
  } finally {
    closeSync(fd);
  }
}

function parseHolder(text: string): LockHolder | null {
  try {
    const parsed = JSON.parse(text) as Partial<LockHolder> | null;
    return parsed && typeof parsed === 'object' && typeof parsed.pid === 'number' && typeof parsed.since === 'string'
      ? { pid: parsed.pid, since: parsed.since }
      : null;
  } catch {
    return null;
  }
}

/**
 * Replaces the lock file at `path` whose identity is `staleId` by this process's record, if this process is the one
 * that claims it. 'busy': another process holds the claim (or `path` is no longer that file): the caller looks again.
 */
function takeOver(path: string, staleId: string, me: LockHolder, what: string, graceMs: number, depth: number): 'won' | 'busy' {
  const claim = `${path}.takeover-${staleId}`;
  if (!linkRecord(claim, me, what)) {
    // Another process claimed this stale lock. If it died while taking it over, its claim is stale in turn.
    const found = inspect(claim, what);
    if (found.kind === 'missing') return 'busy';
    if (found.kind === 'holder' && (found.holder.pid === process.pid || isProcessAlive(found.holder.pid))) return 'busy';
    if (found.kind === 'unreadable' && found.ageMs < graceMs) return 'busy';
    if (depth >= MAX_CLAIM_DEPTH) {
      throw new UserError(`${what}: a takeover of its stale lock was left unfinished (${claim}): delete ${path} and ${claim}, then try again`);
    }
    if (takeOver(claim, found.id, me, what, graceMs, depth + 1) !== 'won') return 'busy';
  }
  // This process holds the claim on `staleId`: nobody else may replace that file now.
  try {
    const current = inspect(path, what);
    if (current.kind === 'missing' || current.id !== staleId) return 'busy';
    renameRecord(path, me, what);
    return 'won';
  } finally {
    rmSync(claim, { force: true });
  }
}

let tempCounter = 0;

/** Writes `holder` to a new temp file beside `path`, fsynced; returns its name. */
function writeTemp(path: string, holder: LockHolder, what: string): string {
  const temp = `${path}.${process.pid}.${++tempCounter}.tmp`;
  let fd: number | undefined;
  try {
    fd = openSync(temp, 'wx', 0o644);
    const buffer = Buffer.from(`${JSON.stringify(holder)}\n`, 'utf8');
    let offset = 0;
    while (offset < buffer.length) offset += writeSync(fd, buffer, offset, buffer.length - offset);
    fsyncSync(fd);
    closeSync(fd);
    fd = undefined;
    return temp;
  } catch (error) {
    if (fd !== undefined) closeSync(fd);
    rmSync(temp, { force: true });
    throw fsUserError(error, path, `take the lock of ${what} at`);
  }
}

/** Puts a complete record at `path` with link, which fails when `path` exists: false then. */
function linkRecord(path: string, holder: LockHolder, what: string): boolean {
  const temp = writeTemp(path, holder, what);
  try {
    linkSync(temp, path);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw fsUserError(error, path, `take the lock of ${what} at`);
  } finally {
    rmSync(temp, { force: true });
  }
}

/** Puts a complete record at `path` with rename, replacing what is there. */
function renameRecord(path: string, holder: LockHolder, what: string): void {
  const temp = writeTemp(path, holder, what);
  try {
    renameSync(temp, path);
  } catch (error) {
    rmSync(temp, { force: true });
    throw fsUserError(error, path, `take the lock of ${what} at`);
  }
}

/**
 * Removes what crashed lock takers left beside the lock: temp records of dead processes, and takeover claims of a
 * lock file that is no longer there (a claim on a file that is gone can only be won by a taker that then finds
 * `path` changed and gives up, so removing it is always safe).
 */
function removeLitter(path: string): void {
  const dir = dirname(path);
  const base = basename(path);
  let entries: string[];
  try {
    entries = readdirSync(dir);
  } catch {
    return;
  }
  let currentId: string | null | undefined;
  for (const entry of entries) {
    if (!entry.startsWith(`${base}.`)) continue;
    const rest = entry.slice(base.length + 1);
    const temp = /\.(\d+)\.\d+\.tmp$/.exec(entry);
    if (temp) {
      const pid = Number(temp[1]);
      if (pid !== process.pid && !isProcessAlive(pid)) rmSync(join(dir, entry), { force: true });
      continue;
    }
    if (rest.startsWith('takeover-') && !rest.includes('.')) {
      currentId ??= currentLockId(path);
      if (rest.slice('takeover-'.length) !== currentId) rmSync(join(dir, entry), { force: true });
    }
  }
}

function currentLockId(path: string): string | null {
  try {
    const fd = openSync(path, 'r');
    try {
      const stat = fstatSync(fd, { bigint: true });
      return `${stat.ino}-${stat.mtimeNs}-${stat.size}`;
    } finally {
      closeSync(fd);
    }
  } catch {
    return null;
  }
}

const sleeper = new Int32Array(new SharedArrayBuffer(4));
function sleep(ms: number): void {
  Atomics.wait(sleeper, 0, 0, ms);
}
