import type { GraphState, GraphTransition, LifecycleGraph } from '../model/types.ts';

/** A state's path without the machine id; `(root)` for the root. */
export function pathOf(state: GraphState): string {
  return state.path.length ? state.path.join('.') : '(root)';
}

/** The parent path of a path (`a.b` → `a`, `a` → `(root)`). */
export function parentPath(path: string): string | undefined {
  if (path === '(root)') return undefined;
  const dot = path.lastIndexOf('.');
  return dot < 0 ? '(root)' : path.slice(0, dot);
}

/**
 * How an invoke is told apart across versions: its id when the machine gives one, else its position in the
 * state (XState's generated id `<index>.<state id>` changes with the state's name and the machine id).
 */
export function invokeKey(state: GraphState, index: number): string {
  const inv = state.invoke[index]!;
  return inv.explicitId ? `id:${inv.id}` : `#${index}`;
}

/**
 * The trigger of a transition in a form that survives edits elsewhere: XState's event strings for `after`,
 * done/error of an invoke and done of a state embed state ids (and for `after` the delay), so those are
 * replaced by the invoke's key and `after`. `exact` keeps the delay, for a first pass that matches unchanged delays.
 */
export function eventKey(t: GraphTransition, source: GraphState, exact: boolean): string {
  switch (t.kind) {
    case 'after':
      return exact ? `after:${String(t.delay)}` : 'after';
    case 'done.actor':
    case 'error.actor':
    case 'snapshot': {
      const index = source.invoke.findIndex((i) => i.id === t.invokeId);
      return `${t.kind}:${index >= 0 ? invokeKey(source, index) : t.invokeId}`;
    }
    case 'done.state':
      return 'done.state';
    default:
      return t.event;
  }
}

/** States by id and by path. */
export interface Indexed {
  graph: LifecycleGraph;
  byId: Map<string, GraphState>;
  byPath: Map<string, GraphState>;
}

export function indexGraph(graph: LifecycleGraph): Indexed {
  return {
    graph,
    byId: new Map(graph.states.map((s) => [s.id, s])),
    byPath: new Map(graph.states.map((s) => [pathOf(s), s])),
  };
}
