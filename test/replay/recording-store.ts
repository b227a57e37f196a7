/**
 * A directory store whose journal lines also carry what the runtime does not record yet: a done event's `output`
 * and an outside event's `payload`, as proposed for `journalEntry`. It learns the event from the run's inspection
 * (XState reports an event to the inspector before the transition that takes it), so the run is a real one.
 */
import type { EventObject, InspectionEvent } from 'xstate';
import { DirectoryStore } from '../../src/runtime/directory-store.ts';
import type { JournalEntry } from '../../src/runtime/types.ts';

export class RecordingStore extends DirectoryStore {
  private last: EventObject | null = null;

  /** Pass as the run's `inspect`. */
  readonly inspect = (event: InspectionEvent) => {
    if (event.type === '@xstate.event' && event.actorRef.sessionId === event.rootId) this.last = event.event;
  };

  override appendJournal(entry: JournalEntry): void {
    const event = this.last?.type === entry.event ? this.last : null;
    if (!event) return super.appendJournal(entry);
    const { type, ...rest } = event as EventObject & Record<string, unknown>;
    const extra = type.startsWith('xstate.done.actor.') ? { output: rest.output } : type.startsWith('xstate.') ? {} : Object.keys(rest).length ? { payload: rest } : {};
    super.appendJournal({ ...entry, ...extra } as JournalEntry);
  }
}
