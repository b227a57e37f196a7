import { ancestors, descendants, indexStates, transitionsBySource } from '../model/query.ts';
import type { GraphState, GraphTransition, LifecycleGraph } from '../model/types.ts';

/**
 * Static reachability over the graph model, guards assumed satisfiable: which states can be entered from the
 * initial configuration, and which transitions may fire while a state is active.
 */

/** Indexes built once per graph for the analyses below. */
export interface GraphIndex {
  states: Map<string, GraphState>;
  bySource: Map<string, GraphTransition[]>;
}

export function indexGraph(graph: LifecycleGraph): GraphIndex {
  return { states: indexStates(graph), bySource: transitionsBySource(graph) };
}

/** The transitions that may fire while `state` is active: its own, its ancestors', and other parallel regions'. */
export function enabledTransitions({ states, bySource }: GraphIndex, state: GraphState): GraphTransition[] {
  const out: GraphTransition[] = [...(bySource.get(state.id) ?? [])];
  for (const a of ancestors(states, state.id)) {
    // A compound state's onDone fires only once a final child is reached.
    for (const t of bySource.get(a.id) ?? []) if (t.kind !== 'done.state' || state.kind === 'final') out.push(t);
  }
  let child = state;
  for (const a of ancestors(states, state.id)) {
    if (a.kind === 'parallel') {
      for (const region of a.children) {
        if (region === child.id) continue;
        for (const d of [states.get(region)!, ...descendants(states, region)]) out.push(...(bySource.get(d.id) ?? []));
      }
    }
    child = a;
  }
  return out;
}

/** The states entered by default when `id` is entered (itself, its initial descendants, all parallel regions). */
function defaultEntry(states: Map<string, GraphState>, id: string, visit: (s: GraphState) => void): void {
  const s = states.get(id)!;
  visit(s);
  if (s.kind === 'compound') for (const i of s.initial ?? []) defaultEntry(states, i, visit);
  if (s.kind === 'parallel') for (const c of s.children) defaultEntry(states, c, visit);
  if (s.kind === 'history') {
    const parent = states.get(s.parent!)!;
    for (const i of s.initial ?? parent.initial ?? []) enterTarget(states, i, visit);
  }
}

/** The states entered when a transition targets `id`: its ancestors, the other regions of parallel ancestors, its default entry. */
function enterTarget(states: Map<string, GraphState>, id: string, visit: (s: GraphState) => void): void {
  const chain = [...ancestors(states, id)].reverse();
  chain.forEach((a, i) => {
    visit(a);
    const next = chain[i + 1]?.id ?? id;
    if (a.kind === 'parallel') for (const c of a.children) if (c !== next) defaultEntry(states, c, visit);
  });
  defaultEntry(states, id, visit);
}

/** Ids of every state that some sequence of transitions (guards assumed true) can enter. */
export function reachableStates(graph: LifecycleGraph, index: GraphIndex = indexGraph(graph)): Set<string> {
  const { states, bySource } = index;
  const reached = new Set<string>();
  const queue: GraphState[] = [];
  const visit = (s: GraphState) => {
    if (!reached.has(s.id)) {
      reached.add(s.id);
      queue.push(s);
    }
  };
  defaultEntry(states, graph.root, visit);
  while (queue.length) {
    const s = queue.shift()!;
    for (const t of s.kind === 'history' ? [] : (bySource.get(s.id) ?? [])) {
      for (const target of t.targets) enterTarget(states, target, visit);
    }
  }
  return reached;
}

/**
 * Ids of the states from which a goal state can be reached: a final state of the machine itself (a top-level
 * final state) or a state tagged `waiting` (a documented state that waits for the outside world).
 */
export function statesThatCanFinish(graph: LifecycleGraph, waitingTag = 'waiting', index: GraphIndex = indexGraph(graph)): Set<string> {
  const { states } = index;
  // successors[s]: states that may become active right after s (transition targets, default entries).
  const preds = new Map<string, Set<string>>();
  const link = (from: string, to: string) => {
    let set = preds.get(to);
    if (!set) preds.set(to, (set = new Set()));
    set.add(from);
  };
  for (const s of graph.states) {
    if (s.kind === 'compound') for (const i of s.initial ?? []) link(s.id, i);
    if (s.kind === 'parallel') for (const c of s.children) link(s.id, c);
    if (s.kind === 'history') for (const i of s.initial ?? states.get(s.parent!)!.initial ?? []) link(s.id, i);
    if (s.kind === 'atomic' || s.kind === 'final') {
      for (const t of enabledTransitions(index, s)) for (const target of t.targets) link(s.id, target);
    }
  }
  const good = new Set<string>();
  const queue: string[] = [];
  for (const s of graph.states) {
    const topLevelFinal = s.kind === 'final' && s.parent === graph.root;
    if (topLevelFinal || s.tags.includes(waitingTag)) {
      good.add(s.id);
      queue.push(s.id);
    }
  }
  while (queue.length) {
    const id = queue.shift()!;
    for (const p of preds.get(id) ?? []) {
      if (!good.has(p)) {
        good.add(p);
        queue.push(p);
      }
    }
  }
  // A state inside a goal-tagged compound state is in the goal too.
  for (const s of graph.states) {
    if (!good.has(s.id) && ancestors(states, s.id).some((a) => a.tags.includes(waitingTag))) good.add(s.id);
  }
  return good;
}
