import type { LifecycleGraph } from '../model/types.ts';
import type { MermaidOptions } from './mermaid.ts';

export const TAKEN_MARK = '✓ ';
export const UNTAKEN_MARK = '✗ ';

/**
 * Mermaid options that show coverage: taken transitions' labels start with ✓, untaken ones with ✗; states a
 * taken transition enters (or the initial ones) are filled, the others greyed.
 */
export function coverageOptions(graph: LifecycleGraph, taken: Set<string>, visitedStates: Set<string>): MermaidOptions {
  const transitionPrefix: Record<string, string> = {};
  for (const t of graph.transitions) transitionPrefix[t.id] = taken.has(t.id) ? TAKEN_MARK : UNTAKEN_MARK;
  const stateClasses: Record<string, string[]> = {};
  for (const s of graph.states) {
    if (s.id === graph.root || s.kind === 'history') continue;
    stateClasses[s.id] = [visitedStates.has(s.id) ? 'visited' : 'unvisited'];
  }
  return {
    transitionPrefix,
    stateClasses,
    classDefs: { visited: 'fill:#d8f3dc,stroke:#2d6a4f', unvisited: 'fill:#f1f3f5,stroke:#adb5bd,color:#868e96' },
  };
}

/**
 * Draws untaken transitions dashed in an SVG rendered by Mermaid 11, which has no per-edge style in state
 * diagrams: each edge label carries `data-id="edgeN"` like its path, so the paths of ✗ labels get a dash.
 */
export function dashUntakenEdges(svg: string): string {
  const untaken = new Set<string>();
  const label = /data-id="(edge\d+)"[^>]*>(?:(?!data-id=)[\s\S])*?<tspan[^>]*>([^<]*)<\/tspan>/g;
  for (const m of svg.matchAll(label)) if (m[2].trim().startsWith(UNTAKEN_MARK.trim())) untaken.add(m[1]);
  return svg.replace(/<path ([^>]*?)data-id="(edge\d+)"([^>]*)>/g, (whole, before: string, id: string, after: string) =>
    untaken.has(id) ? `<path ${before}data-id="${id}"${after.replace(/\/$/, '')} stroke-dasharray="6 4"${after.endsWith('/') ? '/' : ''}>` : whole,
  );
}
