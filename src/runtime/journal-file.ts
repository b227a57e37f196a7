import { appendFileSync, closeSync, fstatSync, fsyncSync, ftruncateSync, openSync, readdirSync, readFileSync, renameSync, rmSync, statSync, truncateSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { UserError } from '../errors.ts';
import { writeFileAtomic } from '../io/atomic-write.ts';
import { ensureDir } from '../io/fs-errors.ts';
import { fsUserError } from '../io/fs-errors.ts';
import type { JournalEntry, JournalRead } from './types.ts';

/**
 * A JSON-lines journal: one entry per line, appended and fsynced. A crash can cut only the last line short (an
 * append is one write at the end of the file); reading tolerates that torn line and reports it, while a bad line
 * anywhere before it is corruption and is refused.
 */
export class JournalFile {
  private fd: number | null = null;
  /** The journal's size before the last append, for `retract`. */
  private before: number | null = null;
  /** Where full journals go, compressed (`history/journal-000001.jsonl.gz`, …). */
  readonly historyDir: string;

  /**
   * @param maxBytes the size past which the journal is compacted: moved to the history folder and compressed, the
   *   snapshot being the checkpoint a run resumes from (a long-running operator writes ~50 lines a minute). The
   *   history is kept: `readAll` reads it back.
   */
  constructor(
    readonly path: string,
    private readonly maxBytes: number = journalMaxBytes(),
  ) {
    this.historyDir = join(dirname(path), 'history');
  }

  /**
   * Appends one entry and fsyncs, so the line is on disk when this returns. An append that fails (a full disk) is
   * cut off again, so that no partial line is left, and reported as a `UserError` naming the journal.
   */
  append(entry: JournalEntry): void {
    const buffer = Buffer.from(`${JSON.stringify(entry)}\n`, 'utf8');
    let start: number | null = null;
    // A full journal is compacted before the next line, not after the last: `retract` can still take that one back.
    if (this.fd !== null && fstatSync(this.fd).size > this.maxBytes) this.compact();
    try {
      if (this.fd === null) {
        this.fd = openSync(this.path, 'a', 0o644);
        if (!fstatSync(this.fd).isFile()) {
          closeSync(this.fd);
          this.fd = null;
          throw new UserError(`journal ${this.path} is not a regular file: move it away, then try again`);
        }
      }
      start = fstatSync(this.fd).size;
      let offset = 0;
      while (offset < buffer.length) offset += writeSync(this.fd, buffer, offset, buffer.length - offset);
      fsyncSync(this.fd);
      this.before = start;
    } catch (error) {
      if (error instanceof UserError) throw error;
      if (this.fd !== null && start !== null) {
        try {
          ftruncateSync(this.fd, start);
        } catch {
          // A torn line then, which a read tolerates and a resume moves aside.
        }
      }
      this.before = null;
      throw fsUserError(error, this.path, 'append to the journal', 'nothing of this transition was saved');
    }
  }

  /**
   * Moves the full journal into the history folder (a rename: a crash leaves it in one place or the other, never
   * in both) and compresses it there; appends then go to a fresh journal. A failure here loses nothing: the
   * journal just grows until the next try.
   */
  private compact(): void {
    try {
      ensureDir(this.historyDir, 'the journal history');
      const segment = join(this.historyDir, `journal-${String(this.nextSegment()).padStart(6, '0')}.jsonl`);
      this.close();
      renameSync(this.path, segment);
      this.before = null;
      compressSegments(this.historyDir);
    } catch {
      // Compaction is housekeeping: the run goes on with the journal as it is.
    }
  }

  private nextSegment(): number {
    const numbers = segmentNames(this.historyDir).map((name) => Number(/^journal-(\d+)/.exec(name)![1]));
    return numbers.length ? Math.max(...numbers) + 1 : 1;
  }

  /** Every entry, the compacted history first; the history's entries are read as the journal's are. */
  readAll(): JournalRead & { segments: number } {
    const entries: JournalEntry[] = [];
    const warnings: string[] = [];
    const names = segmentNames(this.historyDir);
    for (const name of names) {
      const file = join(this.historyDir, name);
      let text: string;
      try {
        const data = readFileSync(file);
        text = name.endsWith('.gz') ? gunzipSync(data).toString('utf8') : data.toString('utf8');
      } catch (error) {
        warnings.push(`journal history ${file} is unreadable (${(error as Error).message.split('\n')[0]}): left out`);
        continue;
      }
      for (const line of text.split('\n')) {
        if (line.trim() === '') continue;
        try {
          entries.push(JSON.parse(line) as JournalEntry);
        } catch {
          warnings.push(`journal history ${file}: left out a line that is not JSON`);
        }
      }
    }
    const current = this.read();
    return { entries: [...entries, ...current.entries], warnings: [...warnings, ...current.warnings], segments: names.length };
  }

  /** Cuts off the line the last `append` wrote (its transition could not be saved). */
  retract(): void {
    if (this.fd === null || this.before === null) return;
    ftruncateSync(this.fd, this.before);
    fsyncSync(this.fd);
    this.before = null;
  }

  close(): void {
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
  }

  /** Reads every entry; a torn last line is left out with a warning. Throws a `UserError` on a corrupt line. */
  read(): JournalRead {
    const text = this.readText();
    if (text === null) return { entries: [], warnings: [] };
    const lines = text.split('\n');
    const tail = lines.pop()!; // '' when the file ends with a newline, as every complete append does
    const entries: JournalEntry[] = [];
    lines.forEach((line, i) => {
      if (line.trim() === '') return;
      try {
        entries.push(JSON.parse(line) as JournalEntry);
      } catch (error) {
        throw new UserError(
          `journal ${this.path} is corrupt at line ${i + 1} (${(error as Error).message}): nothing was changed; the snapshot beside it is what a resume uses`,
        );
      }
    });
    const warnings: string[] = [];
    if (tail.trim() !== '') {
      warnings.push(`journal ${this.path}: ignored a torn last line (${Buffer.byteLength(tail)} bytes, an append cut short by a crash)`);
    }
    return { entries, warnings };
  }

  /**
   * Before appending to a journal a crash may have left torn: the torn tail is saved to `<path>.torn` (kept, not
   * lost) and cut off, so that the next line starts on a line of its own. Returns a warning when it did so.
   */
  repair(): string | null {
    if (this.readText() === null) return null;
    try {
      const data = readFileSync(this.path);
      if (data.length === 0 || data[data.length - 1] === 0x0a) return null;
      const cut = data.lastIndexOf(0x0a) + 1;
      const torn = data.subarray(cut);
      appendFileSync(`${this.path}.torn`, Buffer.concat([torn, Buffer.from('\n')]));
      const fd = openSync(`${this.path}.torn`, 'r');
      try {
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
      truncateSync(this.path, cut);
      return `journal ${this.path}: moved a torn last line (${torn.length} bytes) to ${this.path}.torn before appending`;
    } catch (error) {
      throw fsUserError(error, this.path, 'repair the torn last line of the journal');
    }
  }

  /** The journal's text, null when there is none; a journal that is a folder or unreadable is a `UserError`. */
  private readText(): string | null {
    try {
      if (!statSync(this.path).isFile()) throw new UserError(`journal ${this.path} is not a regular file: move it away, then try again`);
      return readFileSync(this.path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw fsUserError(error, this.path, 'read the journal');
    }
  }
}

/** The history segments of a journal, in order (compressed `journal-N.jsonl.gz`, or plain when a crash cut compression short). */
function segmentNames(dir: string): string[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  return names.filter((n) => /^journal-\d+\.jsonl(\.gz)?$/.test(n)).sort();
}

/** Compresses the plain segments of a history folder: the .gz written atomically, then the plain file removed. */
function compressSegments(dir: string): void {
  for (const name of segmentNames(dir)) {
    if (name.endsWith('.gz')) continue;
    const plain = join(dir, name);
    writeFileAtomic(`${plain}.gz`, gzipSync(readFileSync(plain)));
    rmSync(plain, { force: true });
  }
}

/** `LIFECYCLE_JOURNAL_MAX_BYTES` (default 1 MiB): the journal size past which it is compacted. */
function journalMaxBytes(): number {
  const raw = Number(process.env.LIFECYCLE_JOURNAL_MAX_BYTES);
  return Number.isFinite(raw) && raw > 0 ? raw : 1024 * 1024;
}

