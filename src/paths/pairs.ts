import type { StateSpace } from './explore.ts';
import type { ObservedPath } from './guard-outcomes.ts';
import type { StateValue } from 'xstate';
import { edgesTo, shortestPathTree, type Walkable } from './shortest.ts';
import { transitionCover } from './transition-cover.ts';
import type { PairCoverage } from './types.ts';

/**
 * Transition pairs (1-switch coverage, Chow 1978; what statelyai's graph work calls covering every transition
 * after every other): t1 then t2, consecutive in the transitions a run takes. Within one step that is an event's
 * transition followed by the eventless ones it leads to; across steps, the last transition of one step and the
 * first of the next, from the state the first entered.
 *
 * A walk that covers pairs has to remember only the last transition it took: the pairs of an explored space are
 * the edges of its product with that memory, a node per (explored state, last transition into it) and an edge
 * per explored edge out of the state, taking the pair it makes with the last transition and the pairs within it.
 * A transition cover of that graph is a pair cover of the space, so the postman walk that covers transitions
 * covers pairs. (The product stays far smaller than the line graph of all edges: edges into a state that differ
 * only in their payload end in the same transition.)
 */
export interface PairSpace {
  /** Node 0 is the start. Each edge says which explored `edge` it walks and takes pair keys. */
  line: Walkable & { edges: readonly { from: number; to: number; transitions: readonly string[]; edge: number }[] };
  /** Every distinct pair found, as `pairKey`s, shallowest first. */
  pairs: Set<string>;
  /** Set when `maxPairs` edges of the product were made before it was complete. */
  cut: boolean;
}

export function pairKey(first: string, then: string): string {
  return `${first}\n${then}`;
}

/** The consecutive pairs of a sequence of transition ids. */
export function pairsIn(ids: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 1; i < ids.length; i++) out.push(pairKey(ids[i - 1], ids[i]));
  return out;
}

/** The product of `space` with the last transition taken, breadth-first from the start, bounded by `maxPairs` edges. */
export function pairSpace(space: StateSpace, maxPairs: number): PairSpace {
  const nodes: { depth: number }[] = [{ depth: 0 }];
  const at: { node: number; last?: string }[] = [{ node: 0 }];
  const out: number[][] = [[]];
  const edges: { from: number; to: number; transitions: string[]; edge: number }[] = [];
  const pairs = new Set<string>();
  const index = new Map<string, number>();
  const nodeFor = (node: number, last: string | undefined, depth: number): number => {
    const key = `${node}|${last ?? ''}`;
    let i = index.get(key);
    if (i === undefined) {
      index.set(key, (i = nodes.length));
      nodes.push({ depth });
      at.push({ node, ...(last === undefined ? {} : { last }) });
      out.push([]);
    }
    return i;
  };
  let cut = false;
  for (let i = 0; i < nodes.length && !cut; i++) {
    const { node, last } = at[i];
    for (const e of space.out[node]) {
      if (edges.length >= maxPairs) {
        cut = true;
        break;
      }
      const ids = space.edges[e].transitions;
      const transitions = [...(last === undefined || ids.length === 0 ? [] : [pairKey(last, ids[0])]), ...pairsIn(ids)];
      const to = nodeFor(space.edges[e].to, ids.at(-1) ?? last, nodes[i].depth + 1);
      edges.push({ from: i, to, transitions, edge: e });
      out[i].push(edges.length - 1);
      for (const k of transitions) pairs.add(k);
    }
  }
  return { line: { nodes, edges, out }, pairs, cut };
}

/** Paths of explored edges that together take every pair of the product (see {@link PairSpace}). */
export function pairCover(pairs: PairSpace): number[][] {
  return transitionCover(pairs.line).map((walk) => walk.map((le) => pairs.line.edges[le].edge));
}

/** Ways tried per pair that the cover's paths lost on replay (each is a replay from the start). */
const REPAIR_TRIES = 3;

/**
 * States merge contexts, so a path through the product may not replay as explored and lose the pairs after the
 * first step that differs. Each pair lost that way is taken again (appended to `held`) by the product's shortest
 * walk to an edge that makes it, when that replays.
 */
export function repairPairs(space: StateSpace, pairs: PairSpace, held: { edge: number; value: StateValue }[][]): void {
  const taken = new Set(held.flatMap((p) => pairsIn(p.flatMap((s) => space.edges[s.edge].transitions))));
  const missing = [...pairs.pairs].filter((k) => !taken.has(k));
  if (!missing.length) return;
  const { line } = pairs;
  const witnesses = new Map<string, number[]>();
  line.edges.forEach((le, i) => {
    for (const k of le.transitions) if (!taken.has(k) && (witnesses.get(k)?.length ?? 0) < REPAIR_TRIES) witnesses.set(k, [...(witnesses.get(k) ?? []), i]);
  });
  const via = shortestPathTree(line);
  for (const k of missing) {
    if (taken.has(k)) continue;
    for (const le of witnesses.get(k) ?? []) {
      if (via[line.edges[le].from] === -2) continue;
      const edges = [...edgesTo(line, via, line.edges[le].from), le].map((i) => line.edges[i].edge);
      const replayed = space.replay(edges);
      if (replayed.length !== edges.length) continue;
      held.push(replayed);
      for (const p of pairsIn(replayed.flatMap((s) => space.edges[s.edge].transitions))) taken.add(p);
      break;
    }
  }
}

/** The pairs the paths take, against those the explored space holds (and any a path takes beyond them). */
export function accountPairs(pairs: ReadonlySet<string>, cut: boolean, paths: readonly ObservedPath[]): PairCoverage {
  const taken = new Set(paths.flatMap((p) => pairsIn([...p.initialTransitions, ...p.steps.flatMap((s) => s.transitions)])));
  const all = new Set([...pairs, ...taken]);
  const uncovered = [...all].filter((k) => !taken.has(k)).map((k) => {
    const [first, then] = k.split('\n');
    return { first, then };
  });
  return { covered: all.size - uncovered.length, total: all.size, ...(cut ? { cut } : {}), uncovered };
}
