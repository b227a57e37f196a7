import { eventKey, type Indexed, parentPath, pathOf } from './keys.ts';
import type { GraphState } from '../model/types.ts';

/** How the old machine's states map onto the new one's. */
export interface StateMatch {
  /** Old path → new path, for every old state that has a counterpart (itself, or through a likely rename). */
  toNew: Map<string, string>;
  /** Old path → new path of the states that look renamed (not their descendants). */
  renames: Map<string, string>;
  /** Old paths with no counterpart, and the renamed ones. */
  removed: string[];
  /** New paths with no counterpart, and the new names of the renamed ones. */
  added: string[];
}

/**
 * Pairs the states of two versions by path, and takes a removed and an added state under the same parent for a
 * rename when they look alike (same kind, outgoing triggers, invoked services and child keys) and neither has
 * another look-alike there. Level by level from the top, so that the children of a renamed state are paired
 * under its new name rather than reported removed and added too.
 *
 * Pure.
 */
export function matchStates(old: Indexed, next: Indexed): StateMatch {
  const toNew = new Map<string, string>();
  const renames = new Map<string, string>();
  const claimed = new Set<string>();
  const depth = (s: GraphState) => s.path.length;
  const maxDepth = Math.max(...old.graph.states.map(depth), ...next.graph.states.map(depth));
  for (let d = 0; d <= maxDepth; d++) {
    const removed: GraphState[] = [];
    for (const s of old.graph.states) {
      if (depth(s) !== d) continue;
      const mapped = mapPath(pathOf(s), renames);
      if (next.byPath.has(mapped) && !claimed.has(mapped)) {
        toNew.set(pathOf(s), mapped);
        claimed.add(mapped);
      } else removed.push(s);
    }
    const added = next.graph.states.filter((s) => depth(s) === d && !claimed.has(pathOf(s)));
    const sig = (s: GraphState, side: Indexed, mapParent: boolean) => {
      const parent = parentPath(pathOf(s)) ?? '';
      return JSON.stringify([mapParent ? mapPath(parent, renames) : parent, signature(s, side)]);
    };
    const oldSigs = removed.map((s) => sig(s, old, true));
    const newSigs = added.map((s) => sig(s, next, false));
    removed.forEach((s, i) => {
      const mine = oldSigs[i]!;
      const j = newSigs.indexOf(mine);
      if (j < 0 || newSigs.lastIndexOf(mine) !== j || oldSigs.indexOf(mine) !== oldSigs.lastIndexOf(mine)) return;
      const to = pathOf(added[j]!);
      renames.set(pathOf(s), to);
      toNew.set(pathOf(s), to);
      claimed.add(to);
    });
  }
  // A renamed state is still reported removed and added (with the rename beside it): a guess is not a fact.
  const image = new Set([...toNew].filter(([from]) => !renames.has(from)).map(([, to]) => to));
  return {
    toNew,
    renames,
    removed: old.graph.states.map(pathOf).filter((p) => !toNew.has(p) || renames.has(p)),
    added: next.graph.states.map(pathOf).filter((p) => !image.has(p)),
  };
}

/** A path with the renamed prefix replaced by its new name (`a.b.c` with `a.b → a.x` is `a.x.c`). */
export function mapPath(path: string, renames: Map<string, string>): string {
  let best: [string, string] | undefined;
  for (const [from, to] of renames) {
    if ((path === from || path.startsWith(`${from}.`)) && (!best || from.length > best[0].length)) best = [from, to];
  }
  return best ? best[1] + path.slice(best[0].length) : path;
}

/** What a state looks like apart from its name: kind, outgoing triggers, invoked services, child keys. */
function signature(state: GraphState, side: Indexed): string {
  const events = side.graph.transitions.filter((t) => t.source === state.id).map((t) => eventKey(t, state, false)).sort();
  const children = state.children.map((c) => side.byId.get(c)!.key).sort();
  return JSON.stringify([state.kind, events, state.invoke.map((i) => i.src).sort(), children]);
}
