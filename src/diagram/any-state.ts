import type { LifecycleGraph } from '../model/types.ts';

/**
 * A transition declared on the machine itself (`on: { CANCEL: '.cancelled' }` at the root) is taken from
 * whichever state is active. Drawn from the root, it would start at the initial pseudo-state (DOT) or at a
 * made-up box named after the root (Mermaid), and read as a way the machine starts; so both renderers draw it
 * from one small node with this label instead, outside every state.
 */
export const ANY_STATE_LABEL = '(any state)';

/** Whether the graph has a root-level transition that goes to a state (a root self-transition needs no node). */
export function hasRootArrows(graph: LifecycleGraph): boolean {
  return graph.transitions.some((t) => t.source === graph.root && t.targets.some((x) => x !== graph.root));
}
