import type { LifecycleGraph } from '../model/types.ts';

/** Renders the graph model itself: `{ id, states: [...], transitions: [...], ... }`, two-space indented. */
export function render(graph: LifecycleGraph): string {
  return `${JSON.stringify(graph, null, 2)}\n`;
}
