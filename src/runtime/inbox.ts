import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../io/atomic-write.ts';

/**
 * A run's inbox: events sent to it from outside (`lifecycle send`), kept durably until the run takes them, so an
 * event sent while the run is down (crashed, interrupted) is delivered when it resumes. The run writes a receipt
 * for each message it settles, which the sender may wait for.
 *
 * Delivery is exactly once across crashes: the run records a message's id in the snapshot its event produced
 * (`SavedSnapshot.delivered`) before it removes the message, and a resumed run settles a message whose id it
 * finds there without sending it again.
 */
export interface RunInbox {
  /** Queues an event; returns the message id. */
  post(event: unknown): string;
  /** The queued messages, oldest first (at most `limit`). A message that is not valid JSON has `error`. */
  read(limit?: number): InboxMessage[];
  /** Removes a message and leaves its receipt. */
  settle(id: string, receipt: InboxReceipt): void;
  /** The receipt of a message, once settled (null until then); `take` removes it. */
  receipt(id: string, take?: boolean): InboxReceipt | null;
}

export interface InboxMessage {
  id: string;
  event?: unknown;
  /** Why the message cannot be read (it is settled as refused). */
  error?: string;
}

/** What became of a sent event. */
export interface InboxReceipt {
  id: string;
  accepted: boolean;
  /** The event type, when it had one. */
  event?: string;
  /** The state it was delivered in, and where it went (leaf paths, comma-joined). */
  from?: string;
  to?: string;
  /** Why it was refused. */
  reason?: string;
  /** ISO-8601. */
  time: string;
}

/** The largest event the inbox takes: an inbox is for commands, not data. */
export const MAX_INBOX_EVENT_BYTES = 64 * 1024;
/** Receipts kept for senders that never read theirs; older ones are removed. */
const MAX_RECEIPTS = 200;

let sequence = 0;

/** A message id: sortable by time (and by order of posting within a process), unique across senders. */
export function newMessageId(now = Date.now()): string {
  sequence = (sequence + 1) % 36 ** 4;
  return `${now.toString(36).padStart(9, '0')}-${sequence.toString(36).padStart(4, '0')}${randomBytes(4).toString('hex')}`;
}

const ID = /^[0-9a-z]{9}-[0-9a-z]{4}[0-9a-f]{8}$/;

/** The inbox of a directory store: `<dir>/<id>.json` per message, `<dir>/receipts/<id>.json` per settled one. */
export class DirectoryInbox implements RunInbox {
  constructor(readonly dir: string) {}

  post(event: unknown): string {
    const id = newMessageId();
    writeFileAtomic(join(this.dir, `${id}.json`), JSON.stringify(event));
    return id;
  }

  read(limit = 100): InboxMessage[] {
    let names: string[];
    try {
      names = readdirSync(this.dir);
    } catch {
      return [];
    }
    const ids = names.filter((n) => n.endsWith('.json') && ID.test(n.slice(0, -5))).map((n) => n.slice(0, -5)).sort().slice(0, limit);
    return ids.map((id) => {
      const path = join(this.dir, `${id}.json`);
      try {
        if (statSync(path).size > MAX_INBOX_EVENT_BYTES) return { id, error: `the message is larger than ${MAX_INBOX_EVENT_BYTES} bytes` };
        return { id, event: JSON.parse(readFileSync(path, 'utf8')) as unknown };
      } catch (error) {
        return { id, error: `the message is not JSON (${(error as Error).message.split('\n')[0]})` };
      }
    });
  }

  settle(id: string, receipt: InboxReceipt): void {
    writeFileAtomic(join(this.dir, 'receipts', `${id}.json`), JSON.stringify(receipt));
    rmSync(join(this.dir, `${id}.json`), { force: true });
    this.pruneReceipts();
  }

  receipt(id: string, take = false): InboxReceipt | null {
    if (!ID.test(id)) return null;
    const path = join(this.dir, 'receipts', `${id}.json`);
    try {
      const receipt = JSON.parse(readFileSync(path, 'utf8')) as InboxReceipt;
      if (take) rmSync(path, { force: true });
      return receipt;
    } catch {
      return null;
    }
  }

  private pruneReceipts(): void {
    try {
      const names = readdirSync(join(this.dir, 'receipts')).filter((n) => n.endsWith('.json')).sort();
      for (const name of names.slice(0, Math.max(0, names.length - MAX_RECEIPTS))) rmSync(join(this.dir, 'receipts', name), { force: true });
    } catch {
      // Housekeeping only.
    }
  }
}

/** An inbox in memory, for the memory store. */
export class MemoryInbox implements RunInbox {
  private readonly messages = new Map<string, unknown>();
  private readonly receipts = new Map<string, InboxReceipt>();
  post(event: unknown): string {
    const id = newMessageId();
    this.messages.set(id, JSON.parse(JSON.stringify(event)) as unknown);
    return id;
  }
  read(limit = 100): InboxMessage[] {
    return [...this.messages.keys()].sort().slice(0, limit).map((id) => ({ id, event: this.messages.get(id) }));
  }
  settle(id: string, receipt: InboxReceipt): void {
    this.messages.delete(id);
    this.receipts.set(id, receipt);
  }
  receipt(id: string, take = false): InboxReceipt | null {
    const r = this.receipts.get(id) ?? null;
    if (take) this.receipts.delete(id);
    return r;
  }
}
