import type { LifecycleGraph } from '../model/types.ts';
import type { DotOptions } from './dot.ts';
import type { MermaidOptions } from './mermaid.ts';
import type { DiagramView } from './view.ts';

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

/**
 * Coverage on a collapsed view: an arrow that stands for several transitions is taken when all of them are, a
 * collapsed state visited when it or anything inside it was. Returns the sets to pass to {@link coverageOptions}
 * or {@link coverageDotOptions} with `view.graph`.
 */
export function coverageOnView(view: DiagramView, taken: Set<string>, visited: Set<string>): { taken: Set<string>; visited: Set<string> } {
  const viewTaken = new Set<string>();
  for (const [id, members] of view.members) if (members.every((m) => taken.has(m))) viewTaken.add(id);
  const viewVisited = new Set<string>();
  for (const s of view.graph.states) {
    if (visited.has(s.id) || [...visited].some((v) => v.startsWith(`${s.id}.`) && view.collapsed.has(s.id))) viewVisited.add(s.id);
  }
  return { taken: viewTaken, visited: viewVisited };
}

/** DOT options that show coverage: ✓/✗ label prefixes, untaken arrows dashed, visited states filled green. */
export function coverageDotOptions(graph: LifecycleGraph, taken: Set<string>, visitedStates: Set<string>): Omit<DotOptions, 'view'> {
  const transitionPrefix: Record<string, string> = {};
  for (const t of graph.transitions) transitionPrefix[t.id] = taken.has(t.id) ? TAKEN_MARK : UNTAKEN_MARK;
  const stateColors: NonNullable<DotOptions['stateColors']> = {};
  for (const s of graph.states) {
    if (s.id === graph.root || s.kind === 'history') continue;
    stateColors[s.id] = visitedStates.has(s.id) ? { fill: '#d8f3dc', stroke: '#2d6a4f' } : { fill: '#f1f3f5', stroke: '#adb5bd', text: '#868e96' };
  }
  return { transitionPrefix, stateColors, dashed: new Set(graph.transitions.filter((t) => !taken.has(t.id)).map((t) => t.id)) };
}
