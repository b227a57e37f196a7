import { appendFileSync, closeSync, existsSync, fsyncSync, openSync, readFileSync, truncateSync, writeSync } from 'node:fs';
import { UserError } from '../errors.ts';
import type { JournalEntry, JournalRead } from './types.ts';

/**
 * A JSON-lines journal: one entry per line, appended and fsynced. A crash can cut only the last line short (an
 * append is one write at the end of the file); reading tolerates that torn line and reports it, while a bad line
 * anywhere before it is corruption and is refused.
 */
export class JournalFile {
  private fd: number | null = null;

  constructor(readonly path: string) {}

  /** Appends one entry and fsyncs, so the line is on disk when this returns. */
  append(entry: JournalEntry): void {
    this.fd ??= openSync(this.path, 'a', 0o644);
    const buffer = Buffer.from(`${JSON.stringify(entry)}\n`, 'utf8');
    let offset = 0;
    while (offset < buffer.length) offset += writeSync(this.fd, buffer, offset, buffer.length - offset);
    fsyncSync(this.fd);
  }

  close(): void {
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
  }

  /** Reads every entry; a torn last line is left out with a warning. Throws a `UserError` on a corrupt line. */
  read(): JournalRead {
    if (!existsSync(this.path)) return { entries: [], warnings: [] };
    const text = readFileSync(this.path, 'utf8');
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
    if (!existsSync(this.path)) return null;
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
  }
}
