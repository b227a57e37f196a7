/** A replay's answer for people: one line. */
import { isDeepStrictEqual } from 'node:util';
import { describeValue } from '../runtime/state-paths.ts';
import type { ReplayResult } from './replay.ts';

export function formatReplay(r: ReplayResult): string {
  const plural = (n: number) => `${n} step${n === 1 ? '' : 's'}`;
  if (r.result === 'same') return `replayed ${plural(r.steps)}: same`;
  if (r.result === 'unreplayable') {
    return `step ${r.step} (event ${r.event}) cannot be replayed exactly: ${r.reason}${r.steps ? ` (the ${plural(r.steps)} before it replayed the same)` : ''}`;
  }
  if (r.event === 'lifecycle.resume') {
    return `step ${r.step} (event lifecycle.resume): the run resumed in ${describeValue(r.journal.to)}, which the replay never reached (it is in ${describeValue(r.machine.to)})`;
  }
  const from = r.journal.from === null ? 'the start' : describeValue(r.journal.from);
  const went = `step ${r.step} (event ${r.event}): the journal went from ${from} to ${describeValue(r.journal.to)}`;
  if (r.machine.error) return `${went}, the machine now fails: ${r.machine.error}`;
  const note = r.note ? ` (${r.note})` : '';
  if (isDeepStrictEqual(r.machine.to, r.journal.to)) {
    // Same state by another way: a transition retargeted and back, a guard order changed.
    return `${went} by ${(r.journal.transitions ?? []).join(', ') || 'no transition'}, the machine now by ${r.machine.transitions.join(', ') || 'no transition'}${note}`;
  }
  const stays = !r.machine.transitions.length && isDeepStrictEqual(r.machine.to, r.journal.from);
  return `${went}, the machine now ${stays ? 'stays in' : 'goes to'} ${describeValue(r.machine.to)}${note}`;
}
