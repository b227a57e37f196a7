import type { StateValue } from 'xstate';
import type { StateSpace } from './explore.ts';
import { edgeFalseGuards, falseGuards, type GuardIndex, type ObservedPath, observedFalse, pathFalseGuards } from './guard-outcomes.ts';
import { edgesTo, shortestPathTree } from './shortest.ts';

/** A path of explored edges replayed on real snapshots, with the state value each step reached. */
export type HeldPath = { edge: number; value: StateValue }[];

/** New paths tried per guard outcome before giving up on it (each is a replay from the start). */
const NEW_PATH_TRIES = 5;

/**
 * Adds guard-false steps to paths (in place): for each guarded transition that `covered` lacks, an explored step
 * that sees it false (see `falseGuards`) is appended to a path ending where that step starts, one step more, or
 * else makes a new path, the shortest way there and the step. An addition is replayed on real snapshots and kept
 * only when it holds and still sees the guard false. A step that took nothing on a service's or a timer's event
 * ends its path: the service has finished (the timer fired), so a test could not go on as the model does.
 * `covered` gains what the additions see.
 */
export function addGuardOutcomes(index: GuardIndex, space: StateSpace, held: HeldPath[], covered: Set<string>): void {
  const wanted = index.guarded.map((t) => t.id).filter((id) => !covered.has(id));
  if (!wanted.length) return;
  const observed = observedFalse(index, space, NEW_PATH_TRIES);
  const staysFrom = new Map<number, number[]>();
  for (const e of space.stays) staysFrom.set(space.edges[e].from, [...(staysFrom.get(space.edges[e].from) ?? []), e]);
  // What the steps from a node see false, worked out for the nodes paths end at only.
  const fromNode = new Map<number, { edge: number; sees: string[] }[]>();
  const stepsFrom = (n: number) => {
    let list = fromNode.get(n);
    if (!list) fromNode.set(n, (list = [...space.out[n], ...(staysFrom.get(n) ?? [])].map((edge) => ({ edge, sees: edgeFalseGuards(index, space, edge) }))));
    return list;
  };
  const open = new Map<number, Set<number>>();
  const endOf = (p: number) => space.edges[held[p].at(-1)!.edge].to;
  const reopen = (p: number) => {
    const end = endOf(p);
    open.set(end, (open.get(end) ?? new Set()).add(p));
  };
  held.forEach((_, p) => reopen(p));
  const sees = (path: HeldPath, k: number): string[] => {
    const edge = space.edges[path[k].edge];
    const after = path[k].value;
    if (k === 0) return falseGuards(index, { taken: edge.transitions, after, running: !index.done(after) });
    return falseGuards(index, { before: path[k - 1].value, event: edge.event.type, taken: edge.transitions, after, running: !index.done(after) });
  };
  const closes = (e: number) => space.edges[e].transitions.length === 0 && space.edges[e].event.type.startsWith('xstate.');
  const keep = (path: HeldPath, e: number, id: string, seen: string[]): boolean => path.length > 0 && path.at(-1)!.edge === e && seen.includes(id);
  const append = (p: number, e: number, id: string): boolean => {
    const edges = [...held[p].map((s) => s.edge), e];
    const replayed = space.replay(edges);
    if (replayed.length !== edges.length) return false;
    const seen = sees(replayed, replayed.length - 1);
    if (!keep(replayed, e, id, seen)) return false;
    open.get(endOf(p))?.delete(p);
    held[p] = replayed;
    if (!closes(e)) reopen(p);
    for (const s of seen) covered.add(s);
    return true;
  };
  const via = shortestPathTree(space);
  const fresh = (e: number, id: string): boolean => {
    const from = space.edges[e].from;
    if (from !== 0 && via[from] === -2) return false;
    const edges = from === 0 ? [e] : [...edgesTo(space, via, from), e];
    const replayed = space.replay(edges);
    if (replayed.length !== edges.length) return false;
    const seen = replayed.flatMap((_, k) => sees(replayed, k));
    if (!keep(replayed, e, id, seen)) return false;
    held.push(replayed);
    if (!closes(e)) reopen(held.length - 1);
    for (const s of seen) covered.add(s);
    return true;
  };
  for (const id of wanted) {
    if (covered.has(id)) continue;
    // One more step at the end of a path costs least; a new path costs the way there too.
    const appended = [...open].some(([n, paths]) => paths.size > 0 && stepsFrom(n).some((s) => s.sees.includes(id) && [...paths].some((p) => append(p, s.edge, id))));
    if (!appended) (observed.get(id) ?? []).some((e) => fresh(e, id));
  }
}

/**
 * Paths for the guard outcomes that `covered` lacks and only another exploration saw (the guard search's, from a
 * reached state, telling states apart by context): its shortest way to the step that sees one, made a path from the
 * machine's start by `build`, kept when it still sees it. `covered` gains what they see.
 */
export function searchedOutcomes<P extends ObservedPath>(index: GuardIndex, space: StateSpace, build: (held: HeldPath) => P, covered: Set<string>): P[] {
  const wanted = index.guarded.map((t) => t.id).filter((id) => !covered.has(id));
  if (!wanted.length) return [];
  const observed = observedFalse(index, space, NEW_PATH_TRIES);
  const via = shortestPathTree(space);
  const out: P[] = [];
  for (const id of wanted) {
    if (covered.has(id)) continue;
    for (const e of observed.get(id) ?? []) {
      const from = space.edges[e].from;
      if (from === 0 || via[from] === -2) continue;
      const edges = [...edgesTo(space, via, from), e];
      const replayed = space.replay(edges);
      if (replayed.length !== edges.length) continue;
      const path = build(replayed);
      const seen = pathFalseGuards(index, path).flat();
      if (!seen.includes(id)) continue;
      out.push(path);
      for (const s of seen) covered.add(s);
      break;
    }
  }
  return out;
}
