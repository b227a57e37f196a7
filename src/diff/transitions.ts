import { eventLabel, formatDelay } from '../diagram/labels.ts';
import type { GraphTransition } from '../model/types.ts';
import { eventKey, type Indexed, pathOf } from './keys.ts';
import type { StateMatch } from './states.ts';
import type { Change, TransitionRef } from './types.ts';

/** What comparing the transitions found, with the ids the picture colours. */
export interface TransitionDiff {
  changes: Change[];
  added: string[];
  changed: string[];
  /** Old transition ids. */
  removed: string[];
  /** Old ids of the retargeted transitions. */
  retargetedFrom: string[];
}

interface Keyed {
  t: GraphTransition;
  /** Source path on the new machine's side (old sources mapped through renames). */
  source: string;
  exact: string;
  loose: string;
}

/**
 * Pairs the transitions of two versions, then says what changed in each pair. First pass: same source, trigger
 * (delay included), guard and position among its look-alikes, so unchanged transitions pair exactly. Second
 * pass, among the rest: same source and trigger, in order, so a changed guard or delay reads as one change
 * rather than a removal and an addition. Old sources and targets are read through the likely renames, so a
 * renamed state does not also show every transition in and out of it changing.
 *
 * Pure.
 */
export function diffTransitions(old: Indexed, next: Indexed, match: StateMatch): TransitionDiff {
  const oldMap = (id: string) => {
    const path = pathOf(old.byId.get(id)!);
    return match.toNew.get(path) ?? path;
  };
  const newMap = (id: string) => pathOf(next.byId.get(id)!);
  const keyed = (side: Indexed, map: (id: string) => string) =>
    side.graph.transitions.map((t): Keyed => {
      const source = map(t.source);
      const state = side.byId.get(t.source)!;
      return { t, source, exact: JSON.stringify([source, eventKey(t, state, true), t.guard?.label ?? '']), loose: JSON.stringify([source, eventKey(t, state, false)]) };
    });
  const olds = keyed(old, oldMap);
  const news = keyed(next, newMap);
  const pairs: [Keyed, Keyed][] = [];
  const pairedOld = new Set<Keyed>();
  const pairedNew = new Set<Keyed>();
  for (const by of ['exact', 'loose'] as const) {
    const pool = new Map<string, Keyed[]>();
    for (const k of news) if (!pairedNew.has(k)) pool.set(k[by], [...(pool.get(k[by]) ?? []), k]);
    for (const k of olds) {
      if (pairedOld.has(k)) continue;
      const mate = pool.get(k[by])?.shift();
      if (!mate) continue;
      pairs.push([k, mate]);
      pairedOld.add(k);
      pairedNew.add(mate);
    }
  }

  const out: TransitionDiff = { changes: [], added: [], changed: [], removed: [], retargetedFrom: [] };
  const ref = (k: Keyed, map: (id: string) => string): TransitionRef => ({
    source: k.source,
    event: eventLabel(k.t),
    ...(k.t.guard ? { guard: k.t.guard.label } : {}),
    targets: k.t.targets.map(map),
  });
  for (const [o, n] of pairs) {
    const transition = ref(n, newMap);
    const before = out.changes.length;
    const from = o.t.targets.map(oldMap);
    if (JSON.stringify(from) !== JSON.stringify(transition.targets)) {
      out.changes.push({ type: 'transition-retargeted', transition, from });
      out.retargetedFrom.push(o.t.id);
    }
    if ((o.t.guard?.label ?? '') !== (n.t.guard?.label ?? '')) out.changes.push({ type: 'guard-changed', transition, ...(o.t.guard ? { from: o.t.guard.label } : {}) });
    if (o.t.kind === 'after' && String(o.t.delay) !== String(n.t.delay)) out.changes.push({ type: 'delay-changed', transition, from: formatDelay(o.t.delay), to: formatDelay(n.t.delay) });
    if (JSON.stringify(o.t.actions) !== JSON.stringify(n.t.actions)) out.changes.push({ type: 'actions-changed', transition, from: o.t.actions });
    if (out.changes.length > before) out.changed.push(n.t.id);
  }
  for (const k of news) {
    if (pairedNew.has(k)) continue;
    out.changes.push({ type: 'transition-added', transition: ref(k, newMap) });
    out.added.push(k.t.id);
  }
  for (const k of olds) {
    if (pairedOld.has(k)) continue;
    out.changes.push({ type: 'transition-removed', transition: ref(k, oldMap) });
    out.removed.push(k.t.id);
  }
  return out;
}
