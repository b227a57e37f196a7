import { existsSync, readFileSync, renameSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { UserError } from '../errors.ts';
import { writeFileAtomic } from '../io/atomic-write.ts';
import { ensureDir, fsUserError } from '../io/fs-errors.ts';
import { DirectoryInbox } from './inbox.ts';
import { JournalFile } from './journal-file.ts';
import { acquireLock, releaseLock } from './lock-file.ts';
import type { JournalEntry, JournalRead, RunMeta, RunStore, SavedSnapshot } from './types.ts';

/** What `readJson` returns for a file that does not exist. */
const MISSING = Symbol('missing');

/** The files of a directory store, relative to its directory. */
export const STORE_FILES = {
  meta: 'run.json',
  snapshot: 'snapshot.json',
  journal: 'journal.jsonl',
  lock: 'lock',
  /** Finished runs moved aside by `archive()`, one directory each. */
  archive: 'runs',
  /** Events sent to the run (`lifecycle send`), one file each, and their receipts. */
  inbox: 'inbox',
} as const;

/**
 * The default store: a directory holding `run.json` (meta), `snapshot.json` (the last persisted snapshot, written
 * atomically: temp file, fsync, rename, directory fsync), `journal.jsonl` (one fsynced line per transition) and
 * `lock` (the holder's pid and start time).
 *
 * @example
 * const store = new DirectoryStore('.lifecycle');
 * store.lock();
 * try { ... } finally { store.unlock(); }
 */
export class DirectoryStore implements RunStore {
  readonly dir: string;
  readonly inbox: DirectoryInbox;
  private readonly journal: JournalFile;

  constructor(dir: string) {
    this.dir = resolve(dir);
    this.journal = new JournalFile(join(this.dir, STORE_FILES.journal));
    this.inbox = new DirectoryInbox(join(this.dir, STORE_FILES.inbox));
  }

  get location(): string {
    return this.dir;
  }

  /**
   * Takes the store for this process, creating its folder if needed. Before the lock is taken, the store's files
   * are checked to be regular files where they exist, so that a run that could not save its steps (a journal that
   * is a folder) is refused with nothing written.
   */
  lock(): void {
    ensureDir(this.dir, `the store`, 'or use another --store');
    for (const file of [STORE_FILES.meta, STORE_FILES.snapshot, STORE_FILES.journal]) {
      const path = join(this.dir, file);
      let regular: boolean;
      try {
        regular = statSync(path).isFile();
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') continue;
        throw fsUserError(error, path, 'use the store file');
      }
      if (!regular) throw new UserError(`store ${this.dir}: ${path} is not a regular file (a folder?): move it away, or use another --store`);
    }
    acquireLock(join(this.dir, STORE_FILES.lock), `store ${this.dir}`);
  }

  unlock(): void {
    this.journal.close();
    releaseLock(join(this.dir, STORE_FILES.lock));
  }

  readMeta(): RunMeta | null {
    const meta = this.readJson(STORE_FILES.meta, 'run meta') as RunMeta | typeof MISSING;
    if (meta === MISSING) return null;
    if (meta === null || typeof meta !== 'object' || typeof meta.lifecycle !== 'string' || typeof meta.status !== 'string') {
      throw this.unreadable(STORE_FILES.meta, 'run meta', 'not a run meta object (lifecycle and status missing)');
    }
    if (meta.version !== 1) {
      throw new UserError(
        `run meta ${join(this.dir, STORE_FILES.meta)} is of another store format (version ${JSON.stringify(meta.version)}; this lifecycle-kit reads version 1): nothing was changed; use the lifecycle-kit that wrote it, or another --store`,
      );
    }
    return meta;
  }

  writeMeta(meta: RunMeta): void {
    writeFileAtomic(join(this.dir, STORE_FILES.meta), `${JSON.stringify(meta, null, 2)}\n`);
  }

  loadSnapshot(): SavedSnapshot | null {
    const saved = this.readJson(STORE_FILES.snapshot, 'snapshot') as SavedSnapshot | typeof MISSING;
    // Only a missing file is "no snapshot yet": `null` or any other non-snapshot JSON is unreadable.
    if (saved === MISSING) return null;
    const snap = (saved as { snapshot?: { status?: unknown; value?: unknown } } | null)?.snapshot;
    if (saved === null || typeof saved !== 'object' || saved.version !== 1 || typeof snap !== 'object' || snap === null || !('value' in snap)) {
      throw this.unreadable(STORE_FILES.snapshot, 'snapshot', 'not a saved snapshot (version 1 with a snapshot.value)');
    }
    return saved;
  }

  saveSnapshot(saved: SavedSnapshot): void {
    writeFileAtomic(join(this.dir, STORE_FILES.snapshot), JSON.stringify(saved));
  }

  appendJournal(entry: JournalEntry): void {
    this.journal.append(entry);
  }

  retractJournal(): void {
    this.journal.retract();
  }

  readJournal(): JournalRead {
    return this.journal.read();
  }

  /** The whole journal: its compacted history (`history/`) and the current one, with how many segments there were. */
  readAllJournal(): JournalRead & { segments: number } {
    return this.journal.readAll();
  }

  repairJournal(): string | null {
    return this.journal.repair();
  }

  archive(): string {
    const meta = this.readMeta();
    const stamp = (meta?.started ?? new Date().toISOString()).replace(/[:.]/g, '-');
    const dest = join(this.dir, STORE_FILES.archive, stamp);
    ensureDir(dest, 'the archive of the previous run', 'or use another --store');
    this.journal.close();
    for (const file of [STORE_FILES.meta, STORE_FILES.snapshot, STORE_FILES.journal, `${STORE_FILES.journal}.torn`, STORE_FILES.inbox, 'history']) {
      const from = join(this.dir, file);
      try {
        if (existsSync(from)) renameSync(from, join(dest, file));
      } catch (error) {
        throw fsUserError(error, from, 'archive the previous run: cannot move', 'or use another --store');
      }
    }
    return dest;
  }

  /** The parsed JSON of a store file, or `MISSING` when there is no such file (never null for that: null is JSON). */
  private readJson(file: string, what: string): unknown {
    const path = join(this.dir, file);
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') return MISSING;
      if (code === 'ENOTDIR') {
        throw new UserError(`store ${this.dir} is not a folder (${this.firstFileAbove()} is a file): use another --store`);
      }
      if (code === 'EISDIR') throw this.unreadable(file, what, 'a folder, not a file');
      throw fsUserError(error, path, `read the ${what} of the store at`);
    }
    try {
      return JSON.parse(text);
    } catch (error) {
      const reason = text.trim() === '' ? 'empty file' : (error as Error).message;
      throw this.unreadable(file, what, reason);
    }
  }

  /** The store path itself or the first part of it that is a file, for a store that is not a folder. */
  private firstFileAbove(): string {
    let current = this.dir;
    for (let depth = 0; depth < 4096; depth++) {
      try {
        if (statSync(current).isFile()) return current;
      } catch {
        // missing: look above
      }
      const parent = resolve(current, '..');
      if (parent === current) break;
      current = parent;
    }
    return this.dir;
  }

  private unreadable(file: string, what: string, reason: string): UserError {
    // JSON.parse quotes the raw text in its message, newlines and all: escape control characters so the error stays
    // one line on stderr.
    const oneLine = reason.replace(/[\u0000-\u001f]/g, (c) => JSON.stringify(c).slice(1, -1));
    return new UserError(
      `${what} ${join(this.dir, file)} is unreadable (${oneLine}): nothing was changed; restore the file, or start a new run with another --store`,
    );
  }
}
