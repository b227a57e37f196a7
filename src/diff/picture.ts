import type { DotOptions } from '../diagram/dot.ts';
import type { MermaidOptions } from '../diagram/mermaid.ts';
import type { ViewOptions } from '../diagram/view.ts';
import type { GraphState, GraphTransition, LifecycleGraph } from '../model/types.ts';
import { parentPath, pathOf } from './keys.ts';
import { mapPath } from './states.ts';
import type { GraphDiff } from './types.ts';

export const DIFF_COLORS = { added: '#2b8a3e', removed: '#c92a2a', changed: '#e8590c' } as const;
/** Label marks, so the picture reads without colour too (and in Mermaid, which cannot colour an arrow). */
const MARK = { added: '+ ', removed: '− ', changed: '~ ' } as const;

/** The graph to draw (the new machine with the removed states and transitions put back) and how to style it. */
export interface DiffPicture {
  graph: LifecycleGraph;
  dot: Omit<DotOptions, 'view'>;
  mermaid: Omit<MermaidOptions, 'view'>;
  /** Steps are drawn collapsed, except those a change lies in. */
  view: ViewOptions;
}

/**
 * The picture of a diff: the new machine, with what the old one had and the new one lacks put back where it was
 * (under the same parent path), so that a removal can be seen. Added states and transitions are drawn green,
 * removed ones red and dashed, changed ones orange; a retargeted transition's old arrow is drawn as removed.
 *
 * Pure.
 */
export function diffPicture(oldGraph: LifecycleGraph, newGraph: LifecycleGraph, diff: GraphDiff): DiffPicture {
  const marks = diff.marks;
  const states = newGraph.states.map((s) => ({ ...s, children: [...s.children] }));
  const byPath = new Map(states.map((s) => [pathOf(s), s]));
  const renames = new Map(Object.entries(marks.renames));
  const idOf = new Map<string, string>(); // old state id → id in the picture
  for (const s of oldGraph.states) {
    const p = pathOf(s);
    const drawn = byPath.get(mapPath(p, renames));
    if (drawn) idOf.set(s.id, drawn.id);
  }
  const removedStates = new Set(marks.removedStates);
  for (const s of oldGraph.states) {
    if (!removedStates.has(s.id)) continue;
    const p = pathOf(s);
    const parent = byPath.get(parentPath(p) ?? '') ?? states[0]!;
    const id = `${newGraph.id}.${s.path.join('.')}`;
    const renamed = marks.renames[p];
    // Put back empty (its removed children, if any, follow it: old document order has parents first).
    const { step: _step, initial: _initial, ...rest } = s;
    const kind = s.kind === 'compound' || s.kind === 'parallel' ? 'atomic' : s.kind;
    const put: GraphState = { ...rest, id, kind, parent: parent.id, children: [], key: renamed ? `${s.key} (renamed? → ${renamed.split('.').pop()})` : s.key };
    if (parent.kind === 'atomic' || parent.kind === 'final') parent.kind = 'compound';
    parent.children.push(id);
    states.push(put);
    byPath.set(p, put);
    idOf.set(s.id, id);
  }
  // Removed transitions, and the old arrows of retargeted ones, their ends read through the renames.
  const putBack = (ids: string[], prefix: string): GraphTransition[] => {
    const wanted = new Set(ids);
    return oldGraph.transitions
      .filter((t) => wanted.has(t.id) && idOf.has(t.source) && t.targets.every((x) => idOf.has(x)))
      .map((t) => ({ ...t, id: `${prefix}:${t.id}`, source: idOf.get(t.source)!, targets: t.targets.map((x) => idOf.get(x)!) }));
  };
  const gone = [...putBack(marks.removedTransitions, 'removed'), ...putBack(marks.retargetedFrom, 'was')];
  const graph: LifecycleGraph = { ...newGraph, states, transitions: [...newGraph.transitions, ...gone] };

  const stateOutline: NonNullable<DotOptions['stateOutline']> = {};
  const stateClasses: Record<string, string[]> = {};
  const paint = (ids: string[], kind: keyof typeof DIFF_COLORS, dashed = false) => {
    for (const id of ids) {
      stateOutline[id] = { color: DIFF_COLORS[kind], dashed };
      stateClasses[id] = [`diff_${kind}`];
    }
  };
  paint(marks.addedStates, 'added');
  paint(marks.changedStates, 'changed');
  paint(marks.removedStates.map((id) => idOf.get(id)!), 'removed', true);
  const transitionStyle: NonNullable<DotOptions['transitionStyle']> = {};
  const transitionPrefix: Record<string, string> = {};
  const style = (ids: string[], kind: keyof typeof DIFF_COLORS, dashed = false) => {
    for (const id of ids) {
      transitionStyle[id] = { color: DIFF_COLORS[kind], dashed };
      transitionPrefix[id] = MARK[kind];
    }
  };
  style(marks.addedTransitions, 'added');
  style(marks.changedTransitions, 'changed');
  style(gone.map((t) => t.id), 'removed', true);

  // Steps stay collapsed unless a change lies inside one.
  const touched = new Set([...Object.keys(stateOutline), ...[...Object.keys(transitionStyle)].flatMap((id) => {
    const t = graph.transitions.find((x) => x.id === id)!;
    return [t.source, ...t.targets];
  })]);
  const expand = graph.states.filter((s) => s.step && [...touched].some((id) => id.startsWith(`${s.id}.`))).map((s) => s.id);
  return {
    graph,
    dot: { stateOutline, transitionStyle, transitionPrefix },
    mermaid: {
      stateClasses,
      transitionPrefix,
      classDefs: {
        diff_added: `stroke:${DIFF_COLORS.added},stroke-width:2px,color:${DIFF_COLORS.added}`,
        diff_removed: `stroke:${DIFF_COLORS.removed},stroke-width:2px,stroke-dasharray:5 5,color:${DIFF_COLORS.removed}`,
        diff_changed: `stroke:${DIFF_COLORS.changed},stroke-width:2px,color:${DIFF_COLORS.changed}`,
      },
    },
    view: expand.length ? { expand } : {},
  };
}
