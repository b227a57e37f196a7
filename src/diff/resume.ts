import type { LifecycleGraph } from '../model/types.ts';
import { indexGraph, pathOf } from './keys.ts';
import type { ResumeBlocker } from './types.ts';

/**
 * The states a run persisted on `old` could not be resumed in on `next`, as XState 5 restores a snapshot: by
 * state path (a leaf the new machine lacks puts the actor in error), and its children by invoke id and `src`
 * (a child whose `src` the new machine does not declare is dropped silently, leaving the run waiting on nothing;
 * one whose src it still declares goes on running the old service). Final states are left out: a finished run
 * is not resumed. Renames are not followed: XState does not know them.
 *
 * Pure.
 *
 * @example
 * cannotResume(extractGraph(v1), extractGraph(v2)); // [{ state: 'downloading', reason: 'removed', ... }]
 */
export function cannotResume(old: LifecycleGraph, next: LifecycleGraph): ResumeBlocker[] {
  const now = indexGraph(next);
  const out: ResumeBlocker[] = [];
  const declared = new Set(next.declared.actors);
  for (const s of old.states) {
    const path = pathOf(s);
    const counterpart = now.byPath.get(path);
    if (!counterpart) {
      if (s.kind === 'atomic') out.push({ state: path, reason: 'removed', detail: `the new machine has no state ${path}` });
      continue;
    }
    for (const inv of s.invoke) {
      const same = counterpart.invoke.find((i) => i.id === inv.id);
      if (same && same.src === inv.src) continue;
      const detail = same
        ? declared.has(inv.src)
          ? `it invokes ${same.src} now (was ${inv.src}): the persisted child would go on running ${inv.src}`
          : `it invokes ${same.src} now (was ${inv.src}): the persisted child would be dropped, since the new machine declares no ${inv.src}`
        : `its invoke ${inv.id} (${inv.src}) is gone${counterpart.invoke.length ? ` (it invokes ${counterpart.invoke.map((i) => `${i.src} as ${i.id}`).join(', ')} now)` : ''}: nothing would take the persisted child's result`;
      out.push({ state: path, reason: 'service-changed', detail });
    }
  }
  return out;
}
