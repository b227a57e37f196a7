import type { LifecycleGraph } from '../model/types.ts';
import { indexGraph, invokeKey, pathOf } from './keys.ts';
import { cannotResume } from './resume.ts';
import { matchStates } from './states.ts';
import { diffTransitions } from './transitions.ts';
import type { Change, ChangeType, GraphDiff } from './types.ts';

/**
 * The change from one version of a machine to another: states added and removed (likely renames paired),
 * kinds, initial states, tags and invoked services of the states both have, transitions added, removed,
 * retargeted, with a changed guard, delay or actions; and the states a persisted run could not resume in.
 * Changes come in a stable order: by kind of change, then in the new machine's document order.
 *
 * Pure.
 *
 * @example
 * const diff = diffGraphs(extractGraph(oldMachine), extractGraph(newMachine));
 * diff.equal; // false
 * diff.changes[0]; // { type: 'state-removed', state: 'downloading', renamedTo: 'fetching' }
 */
export function diffGraphs(oldGraph: LifecycleGraph, newGraph: LifecycleGraph): GraphDiff {
  const old = indexGraph(oldGraph);
  const next = indexGraph(newGraph);
  const match = matchStates(old, next);
  const renamedFrom = new Map([...match.renames].map(([from, to]) => [to, from]));
  const changes: Change[] = [];
  const changedStates = new Set<string>();
  if (oldGraph.id !== newGraph.id) changes.push({ type: 'machine-id-changed', from: oldGraph.id, to: newGraph.id });
  for (const state of match.removed) changes.push({ type: 'state-removed', state, ...(match.renames.has(state) ? { renamedTo: match.renames.get(state)! } : {}) });
  for (const state of match.added) changes.push({ type: 'state-added', state, ...(renamedFrom.has(state) ? { renamedFrom: renamedFrom.get(state)! } : {}) });

  const mapOld = (id: string) => {
    const p = pathOf(old.byId.get(id)!);
    return match.toNew.get(p) ?? p;
  };
  for (const [oldPath, newPath] of match.toNew) {
    const o = old.byPath.get(oldPath)!;
    const n = next.byPath.get(newPath)!;
    const before = changes.length;
    const kind = (s: typeof o) => (s.kind === 'history' ? `history (${s.history})` : s.kind);
    if (kind(o) !== kind(n)) changes.push({ type: 'kind-changed', state: newPath, from: kind(o), to: kind(n) });
    const from = (o.initial ?? []).map(mapOld);
    const to = (n.initial ?? []).map((id) => pathOf(next.byId.get(id)!));
    if (JSON.stringify(from) !== JSON.stringify(to)) changes.push({ type: 'initial-changed', state: newPath, from, to });
    const added = n.tags.filter((t) => !o.tags.includes(t));
    const removed = o.tags.filter((t) => !n.tags.includes(t));
    if (added.length || removed.length) changes.push({ type: 'tags-changed', state: newPath, added, removed });
    const oldInvokes = new Map(o.invoke.map((inv, i) => [invokeKey(o, i), inv]));
    const newInvokes = new Map(n.invoke.map((inv, i) => [invokeKey(n, i), inv]));
    for (const [key, inv] of newInvokes) {
      const was = oldInvokes.get(key);
      if (!was) changes.push({ type: 'service-added', state: newPath, invoke: inv.id, src: inv.src });
      else if (was.src !== inv.src) changes.push({ type: 'service-changed', state: newPath, invoke: inv.id, from: was.src, to: inv.src });
    }
    for (const [key, inv] of oldInvokes) if (!newInvokes.has(key)) changes.push({ type: 'service-removed', state: newPath, invoke: inv.id, src: inv.src });
    if (changes.length > before) changedStates.add(n.id);
  }

  const transitions = diffTransitions(old, next, match);
  changes.push(...transitions.changes);
  const sorted = sortChanges(changes, newGraph.states.map(pathOf));
  return {
    equal: sorted.length === 0,
    changes: sorted,
    cannotResume: cannotResume(oldGraph, newGraph),
    marks: {
      addedStates: match.added.map((p) => next.byPath.get(p)!.id),
      changedStates: [...changedStates],
      removedStates: match.removed.map((p) => old.byPath.get(p)!.id),
      addedTransitions: transitions.added,
      changedTransitions: transitions.changed,
      removedTransitions: transitions.removed,
      retargetedFrom: transitions.retargetedFrom,
      renames: Object.fromEntries(match.renames),
    },
  };
}

/** The order changes are listed in, by type; also the groups of the text output. */
export const CHANGE_ORDER: Record<ChangeType, number> = {
  'machine-id-changed': 0,
  'state-removed': 1,
  'state-added': 2,
  'kind-changed': 3,
  'initial-changed': 4,
  'tags-changed': 5,
  'transition-removed': 6,
  'transition-added': 7,
  'transition-retargeted': 8,
  'guard-changed': 9,
  'delay-changed': 10,
  'actions-changed': 11,
  'service-changed': 12,
  'service-added': 13,
  'service-removed': 14,
};

/** The state a change is about (a transition's source). */
export function subjectOf(change: Change): string {
  if ('transition' in change) return change.transition.source;
  if ('state' in change) return change.state;
  return '';
}

function sortChanges(changes: Change[], order: string[]): Change[] {
  const rank = (path: string) => {
    const i = order.indexOf(path);
    return i < 0 ? order.length : i;
  };
  return changes
    .map((c, i) => ({ c, i }))
    .sort((a, b) => CHANGE_ORDER[a.c.type] - CHANGE_ORDER[b.c.type] || rank(subjectOf(a.c)) - rank(subjectOf(b.c)) || a.i - b.i)
    .map(({ c }) => c);
}
