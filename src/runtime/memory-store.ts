import { UserError } from '../errors.ts';
import { MemoryInbox } from './inbox.ts';
import type { JournalEntry, JournalRead, RunMeta, RunStore, SavedSnapshot } from './types.ts';

/**
 * A store in memory: not durable, for tests and for embedding the runtime where persistence is someone else's job.
 * Values are kept as JSON text, so what a run saves must survive serialization exactly as with a file.
 */
export class MemoryStore implements RunStore {
  readonly location = 'memory';
  readonly inbox = new MemoryInbox();
  meta: string | null = null;
  snapshot: string | null = null;
  journal: string[] = [];
  /** Finished runs moved aside by `archive()`. */
  archived: { meta: string | null; snapshot: string | null; journal: string[] }[] = [];
  private locked = false;

  lock(): void {
    if (this.locked) throw new UserError('memory store is locked by another run in this process');
    this.locked = true;
  }
  unlock(): void {
    this.locked = false;
  }
  readMeta(): RunMeta | null {
    return this.meta === null ? null : (JSON.parse(this.meta) as RunMeta);
  }
  writeMeta(meta: RunMeta): void {
    this.meta = JSON.stringify(meta);
  }
  loadSnapshot(): SavedSnapshot | null {
    return this.snapshot === null ? null : (JSON.parse(this.snapshot) as SavedSnapshot);
  }
  saveSnapshot(saved: SavedSnapshot): void {
    this.snapshot = JSON.stringify(saved);
  }
  appendJournal(entry: JournalEntry): void {
    this.journal.push(JSON.stringify(entry));
  }
  retractJournal(): void {
    this.journal.pop();
  }
  readJournal(): JournalRead {
    return { entries: this.journal.map((line) => JSON.parse(line) as JournalEntry), warnings: [] };
  }
  repairJournal(): string | null {
    return null;
  }
  archive(): string {
    this.archived.push({ meta: this.meta, snapshot: this.snapshot, journal: this.journal });
    this.meta = null;
    this.snapshot = null;
    this.journal = [];
    return `memory#${this.archived.length}`;
  }
}
