/**
 * Mutants no run can tell from the machine, by proof rather than by a search that found no difference: the mutated
 * part is in a state no sequence of transitions can enter (static reachability, every guard assumed satisfiable, an
 * over-approximation), or it is a transition an earlier unguarded candidate of the same event always beats. Anything
 * weaker, such as equal explored state spaces, is not proof: a dropped side effect or a longer delay leaves states
 * and contexts as they were.
 */
import type { LifecycleGraph } from '../model/types.ts';
import { stateText } from '../paths/transition-text.ts';
import { indexGraph, reachableStates } from '../validate/reachability.ts';
import type { MutantSite } from './operators.ts';

/** Why a mutant is equivalent, or undefined when that cannot be shown. */
export type EquivalenceCheck = (site: MutantSite) => string | undefined;

/**
 * A checker for the mutants of one machine (the analyses are done once).
 *
 * @example
 * const equivalent = equivalenceChecker(graph);
 * equivalent(mutant.site); // 'unreachable state parked' | undefined
 */
export function equivalenceChecker(graph: LifecycleGraph): EquivalenceCheck {
  const index = indexGraph(graph);
  const reached = reachableStates(graph, index);
  const shadowed = shadowedTransitions(graph);
  const sourceOf = new Map(graph.transitions.map((t) => [t.id, t.source]));
  const deadTransition = (id: string): string | undefined => {
    const source = sourceOf.get(id);
    if (source === undefined) return undefined;
    if (!reached.has(source)) return `${stateText(graph, source)} is unreachable`;
    return shadowed.get(id);
  };
  return (site) => {
    if (site.unchanged) return site.unchanged;
    const reasons: string[] = [];
    for (const id of site.states ?? []) {
      if (reached.has(id)) return undefined;
      reasons.push(`${stateText(graph, id)} is unreachable`);
    }
    for (const id of site.transitions ?? []) {
      const why = deadTransition(id);
      if (!why) return undefined;
      reasons.push(why);
    }
    return reasons.length ? [...new Set(reasons)].join('; ') : undefined;
  };
}

/** Transitions that can never be taken, by id, with the transition that always wins over them. */
function shadowedTransitions(graph: LifecycleGraph): Map<string, string> {
  const out = new Map<string, string>();
  const firstUnguarded = new Map<string, string>();
  for (const t of graph.transitions) {
    const key = `${t.source}\u0000${t.event}`;
    const earlier = firstUnguarded.get(key);
    if (earlier !== undefined) out.set(t.id, `${t.id} never fires: ${earlier} takes ${t.event || 'its eventless turn'} first, unguarded`);
    else if (!t.guard) firstUnguarded.set(key, t.id);
  }
  return out;
}
