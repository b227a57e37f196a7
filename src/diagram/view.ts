import { UserError } from '../errors.ts';
import { ancestors, indexStates, isDescendant } from '../model/query.ts';
import type { GraphState, GraphStep, GraphTransition, LifecycleGraph } from '../model/types.ts';
import { formatDelay } from './labels.ts';

/** How much of a machine a picture shows. */
export interface ViewOptions {
  /**
   * Steps (`GraphState.step`) are drawn as one state with a retry badge unless expanded: `true` expands every
   * step, a list expands the named states (id, path such as `installing.kibana_assets`, or a unique key).
   * Default: none expanded.
   */
  expand?: boolean | string[];
  /** Compound and parallel states deeper than this (top-level states are at depth 1) are drawn as one node. */
  depth?: number;
  /**
   * A drill-down picture of one state (id, path or unique key): it and everything inside it drawn in full, the
   * states around it collapsed (steps with their badge, other compound states as one node with a count).
   */
  focus?: string;
}

/** What a collapsed state stands for. */
export interface Collapsed {
  /** `step`: a retried step drawn as one state; `depth`: a compound state cut by `depth`. */
  reason: 'step' | 'depth';
  /** How many states it hides. */
  hidden: number;
  /** Short text drawn inside it: `↻ 3× backoff 1s×2`, or `▸ 7 states`. */
  badge: string;
  step?: GraphStep;
}

/** A graph as a picture draws it: collapsed states have no children, and transitions are re-attached to them. */
export interface DiagramView {
  /** The graph to draw: collapsed states are atomic, their descendants gone, transitions re-attached and merged. */
  graph: LifecycleGraph;
  /** Collapsed state ids and what each hides. */
  collapsed: Map<string, Collapsed>;
  /** For each transition of `graph`, the ids of the machine's transitions it stands for (itself included). */
  members: Map<string, string[]>;
}

/**
 * Builds the view of a graph: steps collapsed unless expanded, compound states below `depth` collapsed. A
 * transition that starts and ends inside one collapsed state (a retry loop) is not drawn; one that crosses its
 * border is drawn to or from it; transitions that become the same arrow (same source, targets and label) are
 * drawn once. Pure: the graph is not changed.
 *
 * @example
 * buildView(graph).collapsed.get('install.installing.kibana_assets'); // { reason: 'step', hidden: 2, badge: '↻ 3× backoff 1s×2' }
 * buildView(graph, { expand: true, depth: 1 });
 */
export function buildView(graph: LifecycleGraph, options: ViewOptions = {}): DiagramView {
  const states = indexStates(graph);
  const expanded = resolveExpanded(graph, options.expand);
  const depthOf = (s: GraphState) => s.path.length;
  const focus = options.focus === undefined ? undefined : resolveStateName(graph, options.focus);
  // Named states are drawn open with their ancestors; `expand: true` only opens steps that are drawn at all.
  const named = Array.isArray(options.expand) ? expanded : new Set<string>();
  const keepOpen = (s: GraphState) =>
    [...named].some((e) => isDescendant(states, e, s.id)) ||
    (focus !== undefined && (isDescendant(states, focus, s.id) || isDescendant(states, s.id, focus)));

  // Outermost first: a state inside a collapsed one is hidden, not collapsed itself.
  const collapsed = new Map<string, Collapsed>();
  const owner = new Map<string, string>(); // hidden state id → the collapsed state drawn instead
  for (const s of graph.states) {
    if (s.parent !== undefined && (owner.has(s.parent) || collapsed.has(s.parent))) {
      owner.set(s.id, owner.get(s.parent) ?? s.parent);
      continue;
    }
    if (s.id === graph.root || s.children.length === 0 || keepOpen(s)) continue;
    const hidden = countDescendants(states, s.id);
    if (s.step && !expanded.has(s.id)) collapsed.set(s.id, { reason: 'step', hidden, badge: stepBadge(s.step), step: s.step });
    else if ((options.depth !== undefined && depthOf(s) > options.depth) || (focus !== undefined && !s.step)) collapsed.set(s.id, { reason: 'depth', hidden, badge: `▸ ${hidden} state${hidden === 1 ? '' : 's'} inside` });
  }
  if (collapsed.size === 0 && focus === undefined) return { graph, collapsed, members: new Map(graph.transitions.map((t) => [t.id, [t.id]])) };

  const drawnAs = (id: string) => owner.get(id) ?? id;
  const viewStates = graph.states
    .filter((s) => !owner.has(s.id))
    .map((s): GraphState => {
      if (!collapsed.has(s.id)) return s;
      const { children: _children, initial: _initial, ...rest } = s;
      const services = [...new Set([...s.invoke.map((i) => i.src), ...(s.step?.services ?? [])])];
      return { ...rest, kind: s.kind === 'parallel' || s.kind === 'compound' ? 'atomic' : s.kind, children: [], invoke: services.map((src) => ({ id: src, src, explicitId: false })) };
    });

  const transitions: GraphTransition[] = [];
  const members = new Map<string, string[]>();
  const seen = new Map<string, GraphTransition>();
  for (const t of graph.transitions) {
    const source = drawnAs(t.source);
    const targets = [...new Set(t.targets.map(drawnAs))];
    const inside = collapsed.has(source) && t.source !== source && targets.every((x) => x === source);
    if (inside) continue; // a loop within a collapsed state: its badge says it
    const moved: GraphTransition = source === t.source && targets.join() === t.targets.join() ? t : { ...t, source, targets };
    const key = JSON.stringify([source, targets, moved.kind, moved.event, moved.guard?.label, moved.actions]);
    const first = seen.get(key);
    if (first) {
      members.get(first.id)!.push(t.id);
      continue;
    }
    seen.set(key, moved);
    members.set(moved.id, [t.id]);
    transitions.push(moved);
  }
  const view = { graph: { ...graph, states: viewStates, transitions }, collapsed, members };
  return focus === undefined ? view : prune(view, focus);
}

/**
 * A drill-down shows the focused state, its ancestors (as the frames around it) and the states one transition
 * away from it, not the whole machine: states and transitions that do not touch it are left out.
 */
function prune(view: DiagramView, focus: string): DiagramView {
  const states = indexStates(view.graph);
  const inside = (id: string) => isDescendant(states, id, focus);
  const keep = new Set<string>([view.graph.root, ...ancestors(states, focus).map((s) => s.id)]);
  for (const s of view.graph.states) if (inside(s.id)) keep.add(s.id);
  for (const t of view.graph.transitions) {
    const ends = [t.source, ...t.targets];
    if (ends.some(inside)) for (const e of ends) for (const id of [e, ...ancestors(states, e).map((a) => a.id)]) keep.add(id);
  }
  const kept = view.graph.states
    .filter((s) => keep.has(s.id))
    .map((s) => {
      const children = s.children.filter((c) => keep.has(c));
      const initial = s.initial?.filter((i) => keep.has(i));
      const { initial: _initial, ...rest } = s;
      return { ...rest, children, ...(initial?.length ? { initial } : {}), ...(s.children.length && !children.length ? { kind: 'atomic' as const } : {}) };
    });
  const transitions = view.graph.transitions.filter((t) => keep.has(t.source) && t.targets.every((x) => keep.has(x)) && [t.source, ...t.targets].some(inside));
  return { ...view, graph: { ...view.graph, states: kept, transitions } };
}

/**
 * The badge of a step: `↻ 3× backoff 1s×2` (attempts, first delay, growth) for a declared policy; for a
 * recognised step, what its shape shows (`↻ retry after backoff`).
 */
export function stepBadge(step: GraphStep): string {
  const r = step.retry;
  if (r && r.maxAttempts !== undefined) {
    const parts = [`↻ ${r.maxAttempts}×`];
    if (r.maxAttempts > 1 && r.initialIntervalMs !== undefined) {
      parts.push(`backoff ${formatDelay(r.initialIntervalMs)}${r.backoffRate !== undefined && r.backoffRate !== 1 ? `×${r.backoffRate}` : ''}`);
    }
    return parts.join(' ');
  }
  return `↻ retry after ${formatDelay(step.delay)}`;
}

function countDescendants(states: Map<string, GraphState>, id: string): number {
  let n = 0;
  for (const c of states.get(id)!.children) n += 1 + countDescendants(states, c);
  return n;
}

/** The state ids `expand` names. Throws on a name that matches no state (or several, for a bare key). */
function resolveExpanded(graph: LifecycleGraph, expand: ViewOptions['expand']): Set<string> {
  if (expand === true) return new Set(graph.states.filter((s) => s.step).map((s) => s.id));
  if (!expand) return new Set();
  const out = new Set<string>();
  for (const name of expand) out.add(resolveStateName(graph, name));
  return out;
}

/** A state named by id (`install.installing`), path (`installing.kibana_assets`) or unique key (`kibana_assets`). */
export function resolveStateName(graph: LifecycleGraph, name: string): string {
  const exact = graph.states.find((s) => s.id === name || s.path.join('.') === name);
  if (exact) return exact.id;
  const byKey = graph.states.filter((s) => s.key === name);
  if (byKey.length === 1) return byKey[0]!.id;
  if (byKey.length > 1) {
    throw new UserError(`state '${name}' is ambiguous in ${graph.id}: say which, e.g. ${byKey.map((s) => s.path.join('.')).join(' or ')}`);
  }
  const compound = graph.states.filter((s) => s.children.length).map((s) => s.path.join('.')).filter(Boolean);
  throw new UserError(`no state '${name}' in ${graph.id}: expected one of ${compound.slice(0, 8).join(', ')}${compound.length > 8 ? ', …' : ''}`);
}
