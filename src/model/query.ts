import type { GraphState, GraphTransition, LifecycleGraph } from './types.ts';

/** Index of a graph's states by id. */
export function indexStates(graph: LifecycleGraph): Map<string, GraphState> {
  return new Map(graph.states.map((s) => [s.id, s]));
}

/** The transitions leaving each state, by source id. */
export function transitionsBySource(graph: LifecycleGraph): Map<string, GraphTransition[]> {
  const out = new Map<string, GraphTransition[]>();
  for (const t of graph.transitions) {
    const list = out.get(t.source);
    if (list) list.push(t);
    else out.set(t.source, [t]);
  }
  return out;
}

/** The state's path without the machine id, dot-joined (`steps.kibana_assets`); `(root)` for the root. */
export function statePath(state: GraphState): string {
  return state.path.length ? state.path.join('.') : '(root)';
}

/** Ancestors of a state, nearest first, root last (the state itself excluded). */
export function ancestors(states: Map<string, GraphState>, id: string): GraphState[] {
  const out: GraphState[] = [];
  let at = states.get(id)?.parent;
  while (at !== undefined) {
    const s = states.get(at)!;
    out.push(s);
    at = s.parent;
  }
  return out;
}

/** Whether `id` is `ancestorId` or lies below it. */
export function isDescendant(states: Map<string, GraphState>, id: string, ancestorId: string): boolean {
  if (id === ancestorId) return true;
  return ancestors(states, id).some((a) => a.id === ancestorId);
}

/** All descendants of a state (not itself), in document order. */
export function descendants(states: Map<string, GraphState>, id: string): GraphState[] {
  const out: GraphState[] = [];
  const walk = (sid: string) => {
    for (const c of states.get(sid)!.children) {
      out.push(states.get(c)!);
      walk(c);
    }
  };
  walk(id);
  return out;
}

/**
 * The actor each service id stands for: every invoke's id, and the ids of done, error and snapshot descriptors
 * that name a spawned child (`InstallMachine.*` → `InstallMachine`, see `extract.ts`).
 */
export function serviceIds(graph: LifecycleGraph): Map<string, string> {
  const out = new Map<string, string>();
  for (const t of graph.transitions) if (t.invokeId !== undefined && t.service !== undefined) out.set(t.invokeId, t.service);
  for (const s of graph.states) for (const inv of s.invoke) out.set(inv.id, inv.src);
  return out;
}

/**
 * The id among `ids` (in their order) that a done or error descriptor's service id stands for: itself, or for a
 * wildcard (`Worker.*`), the first spawned child whose id it matches (`Worker.3`).
 */
export function serviceIdFor(pattern: string, ids: Iterable<string>): string | undefined {
  const prefix = pattern.endsWith('.*') ? pattern.slice(0, -1) : undefined;
  for (const id of ids) if (id === pattern || (prefix !== undefined && id.startsWith(prefix))) return id;
  return undefined;
}
