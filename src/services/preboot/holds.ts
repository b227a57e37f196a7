/**
 * The hold registry of one preboot server (the RFC's Preboot service): plugins hold setup or start until a promise
 * settles; watchers hear about every registration and settlement, and a new watcher first hears the whole history
 * (so a watcher the machine re-invokes repeats itself, which the machine ignores).
 */
import type { Hold, HoldEvent, HoldKind } from '../../../machines/preboot.ts';

/** A hold and where it stands. */
export interface HoldRecord extends Hold {
  state: 'pending' | 'resolved' | 'rejected';
  shouldReloadConfig: boolean;
  message: string | null;
  registeredAt: string;
  settledAt: string | null;
}

export type HoldListener = (event: HoldEvent) => void;

export class HoldRegistry {
  private readonly records = new Map<string, HoldRecord>();
  private readonly listeners = new Set<HoldListener>();
  /** Holds registered per owner: ids are `<owner>#<n>`, so a restarted server's plugins get the ids they had. */
  private readonly counts = new Map<string, number>();
  private closed = false;

  /**
   * Registers a hold of `kind` for `owner` until `promise` settles. A setup hold's promise may resolve with
   * `{ shouldReloadConfig: true }`; a start hold's value is ignored (the RFC's `holdStartUntilResolved` is void).
   */
  hold(owner: string, kind: HoldKind, reason: string, promise: Promise<unknown>): Hold {
    if (this.closed) throw new Error(`cannot hold ${kind} for ${owner}: the preboot server has stopped`);
    const n = (this.counts.get(owner) ?? 0) + 1;
    this.counts.set(owner, n);
    const hold: Hold = { id: `${owner}#${n}`, kind, reason };
    const record: HoldRecord = { ...hold, state: 'pending', shouldReloadConfig: false, message: null, registeredAt: new Date().toISOString(), settledAt: null };
    this.records.set(hold.id, record);
    this.emit({ type: 'HOLD.REGISTERED', hold });
    promise.then(
      (value) => {
        const reload = kind === 'setup' && !!value && typeof value === 'object' && (value as { shouldReloadConfig?: unknown }).shouldReloadConfig === true;
        this.settle(record, 'resolved', reload, null);
      },
      (error: unknown) => this.settle(record, 'rejected', false, error instanceof Error ? error.message : String(error)),
    );
    return hold;
  }

  /**
   * Records, settled, a hold the machine still has pending but that no plugin of a restarted server registered
   * again: rejected when its plugin is no longer in the run (the server must not wait for a promise nobody holds),
   * resolved when its plugin runs but holds nothing now (what it waited for happened meanwhile). `note` says why.
   */
  settleUnheld(hold: Hold, outcome: 'resolved' | 'rejected', note: string): void {
    if (this.records.has(hold.id)) return;
    // Its number is taken: a later hold of the same plugin gets the next one.
    const [owner = '', n = '0'] = hold.id.split('#');
    this.counts.set(owner, Math.max(this.counts.get(owner) ?? 0, Number(n) || 0));
    const at = new Date().toISOString();
    const record: HoldRecord = { ...hold, state: 'pending', shouldReloadConfig: false, message: null, registeredAt: at, settledAt: null };
    this.records.set(hold.id, record);
    this.settle(record, outcome, false, outcome === 'rejected' ? note : null);
  }

  /** {@link settleUnheld} rejected. */
  reject(hold: Hold, message: string): void {
    this.settleUnheld(hold, 'rejected', message);
  }

  private settle(record: HoldRecord, state: 'resolved' | 'rejected', shouldReloadConfig: boolean, message: string | null): void {
    if (record.state !== 'pending') return;
    Object.assign(record, { state, shouldReloadConfig, message, settledAt: new Date().toISOString() });
    this.emit(settlement(record)!);
  }

  private emit(event: HoldEvent): void {
    if (this.closed) return;
    for (const listener of [...this.listeners]) listener(event);
  }

  /** Every hold, in registration order. */
  list(): HoldRecord[] {
    return [...this.records.values()].map((r) => ({ ...r }));
  }

  isOnHold(kind: HoldKind): boolean {
    return [...this.records.values()].some((r) => r.kind === kind && r.state === 'pending');
  }

  /** The events that tell a new watcher everything so far: each registration, then its settlement if any. */
  history(): HoldEvent[] {
    return [...this.records.values()].flatMap((r) => {
      const settled = settlement(r);
      return [{ type: 'HOLD.REGISTERED', hold: { id: r.id, kind: r.kind, reason: r.reason } } as const, ...(settled ? [settled] : [])];
    });
  }

  /** How many watchers hear the events now. */
  watcherCount(): number {
    return this.listeners.size;
  }

  /** Hears every later event; returns the unsubscribe. */
  subscribe(listener: HoldListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** The server stopped: no more registrations, no more events. */
  close(): void {
    this.closed = true;
    this.listeners.clear();
  }
}

function settlement(record: HoldRecord): HoldEvent | null {
  if (record.state === 'resolved') return { type: 'HOLD.RESOLVED', id: record.id, shouldReloadConfig: record.shouldReloadConfig };
  if (record.state === 'rejected') return { type: 'HOLD.REJECTED', id: record.id, message: record.message ?? 'rejected' };
  return null;
}
