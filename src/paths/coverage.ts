import type { LifecycleGraph } from '../model/types.ts';
import type { StateSpace } from './explore.ts';
import type { Coverage, UncoveredReason } from './types.ts';

/**
 * Coverage of the graph's transition definitions and states by a set of taken transition ids, with a reason for
 * each uncovered transition, judged from the explored state space.
 */
export function accountCoverage(graph: LifecycleGraph, space: StateSpace, taken: Iterable<string>, visitedValues: Iterable<string>): Coverage {
  const covered = new Set(taken);
  const activeStates = new Set<string>();
  for (const node of space.nodes) for (const id of activeStateIds(graph.id, node.value)) activeStates.add(id);
  const coveredStates = new Set<string>();
  for (const v of visitedValues) for (const id of activeStateIds(graph.id, JSON.parse(v))) coveredStates.add(id);
  // Transient states (left at once by an eventless transition) never show in a state value: a taken transition
  // from or into them covers them.
  for (const t of graph.transitions) {
    if (!covered.has(t.id)) continue;
    coveredStates.add(t.source);
    for (const target of t.targets) coveredStates.add(target);
  }
  const countable = graph.states.filter((s) => s.kind !== 'history');
  const uncovered = graph.transitions
    .filter((t) => !covered.has(t.id))
    .map((t) => {
      let reason: UncoveredReason;
      if (!activeStates.has(t.source)) reason = space.truncated ? 'bound reached' : 'unreachable source';
      else if (space.truncated) reason = 'bound reached';
      else if (t.guard) reason = "guard never true with the catalogue's payloads";
      else reason = 'not taken';
      return { id: t.id, source: t.source, event: t.event, reason };
    });
  return {
    states: { covered: countable.filter((s) => coveredStates.has(s.id)).length, total: countable.length },
    transitions: { covered: graph.transitions.length - uncovered.length, total: graph.transitions.length, uncovered },
  };
}

/** Ids of the states active in a state value (`{ a: { b: 'c' } }` → root, a, a.b, a.b.c). */
export function activeStateIds(rootId: string, value: unknown): string[] {
  const out = [rootId];
  const walk = (prefix: string, v: unknown) => {
    if (typeof v === 'string') out.push(`${prefix}.${v}`);
    else if (v && typeof v === 'object') {
      for (const [k, child] of Object.entries(v)) {
        out.push(`${prefix}.${k}`);
        walk(`${prefix}.${k}`, child);
      }
    }
  };
  walk(rootId, value);
  return out;
}
