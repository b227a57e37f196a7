import { appendFileSync, closeSync, fstatSync, fsyncSync, ftruncateSync, openSync, readFileSync, statSync, truncateSync, writeSync } from 'node:fs';
import { UserError } from '../errors.ts';
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

  constructor(readonly path: string) {}

  /**
   * Appends one entry and fsyncs, so the line is on disk when this returns. An append that fails (a full disk) is
   * cut off again, so that no partial line is left, and reported as a `UserError` naming the journal.
   */
  append(entry: JournalEntry): void {
    const buffer = Buffer.from(`${JSON.stringify(entry)}\n`, 'utf8');
    let start: number | null = null;
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
