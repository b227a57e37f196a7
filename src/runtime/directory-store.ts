import { existsSync, mkdirSync, readFileSync, renameSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { UserError } from '../errors.ts';
import { writeFileAtomic } from '../io/atomic-write.ts';
import { JournalFile } from './journal-file.ts';
import { acquireLock, releaseLock } from './lock-file.ts';
import type { JournalEntry, JournalRead, RunMeta, RunStore, SavedSnapshot } from './types.ts';

/** The files of a directory store, relative to its directory. */
export const STORE_FILES = {
  meta: 'run.json',
  snapshot: 'snapshot.json',
  journal: 'journal.jsonl',
  lock: 'lock',
  /** Finished runs moved aside by `archive()`, one directory each. */
  archive: 'runs',
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
  private readonly journal: JournalFile;

  constructor(dir: string) {
    this.dir = resolve(dir);
    this.journal = new JournalFile(join(this.dir, STORE_FILES.journal));
  }

  get location(): string {
    return this.dir;
  }

  lock(): void {
    mkdirSync(this.dir, { recursive: true });
    acquireLock(join(this.dir, STORE_FILES.lock), `store ${this.dir}`);
  }

  unlock(): void {
    this.journal.close();
    releaseLock(join(this.dir, STORE_FILES.lock));
  }

  readMeta(): RunMeta | null {
    const meta = this.readJson(STORE_FILES.meta, 'run meta') as RunMeta | null;
    if (meta !== null && (typeof meta !== 'object' || typeof meta.lifecycle !== 'string' || typeof meta.status !== 'string')) {
      throw this.unreadable(STORE_FILES.meta, 'run meta', 'not a run meta object (lifecycle and status missing)');
    }
    return meta;
  }

  writeMeta(meta: RunMeta): void {
    writeFileAtomic(join(this.dir, STORE_FILES.meta), `${JSON.stringify(meta, null, 2)}\n`);
  }

  loadSnapshot(): SavedSnapshot | null {
    const saved = this.readJson(STORE_FILES.snapshot, 'snapshot') as SavedSnapshot | null;
    if (saved === null) return null;
    const snap = (saved as { snapshot?: { status?: unknown; value?: unknown } }).snapshot;
    if (typeof saved !== 'object' || saved.version !== 1 || typeof snap !== 'object' || snap === null || !('value' in snap)) {
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

  readJournal(): JournalRead {
    return this.journal.read();
  }

  repairJournal(): string | null {
    return this.journal.repair();
  }

  archive(): string {
    const meta = this.readMeta();
    const stamp = (meta?.started ?? new Date().toISOString()).replace(/[:.]/g, '-');
    const dest = join(this.dir, STORE_FILES.archive, stamp);
    mkdirSync(dest, { recursive: true });
    this.journal.close();
    for (const file of [STORE_FILES.meta, STORE_FILES.snapshot, STORE_FILES.journal, `${STORE_FILES.journal}.torn`]) {
      const from = join(this.dir, file);
      if (existsSync(from)) renameSync(from, join(dest, file));
    }
    return dest;
  }

  private readJson(file: string, what: string): unknown {
    const path = join(this.dir, file);
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw this.unreadable(file, what, (error as Error).message);
    }
    try {
      return JSON.parse(text);
    } catch (error) {
      const reason = text.trim() === '' ? 'empty file' : (error as Error).message;
      throw this.unreadable(file, what, reason);
    }
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
