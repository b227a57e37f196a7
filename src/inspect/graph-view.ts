/**
 * What the page needs to draw a machine and mark it: the Mermaid text, node ids per state, edge indexes per drawn
 * transition and the machine's transitions each stands for, plus helpers that read a wire snapshot's `value` against the graph.
 */
import { createMachine } from 'xstate';
import { mermaidIds, render } from '../diagram/mermaid.ts';
import { buildView, type ViewOptions } from '../diagram/view.ts';
import { extractGraph } from '../model/extract.ts';
import type { GraphState, LifecycleGraph } from '../model/types.ts';
import type { GraphPicture, GraphView } from './protocol.ts';

const RELATION = /^\s*\S+ --> \S+( : .*)?$/;

/**
 * Builds the page's picture of a graph, drawn as `lifecycle diagram` draws it: steps collapsed unless `options`
 * expand them ({@link buildView}). Mermaid numbers the edges of a state diagram (`edge0`, `edge1`, ...) in the
 * order the relations appear in the text, start (`[*] -->`) and end (`--> [*]`) arrows included; the renderer
 * writes every drawn transition last, one arrow per target, in order. So the last arrows of the text are the
 * transitions, and each one's edge indexes follow from counting.
 *
 * @example
 * buildPicture(graph, { expand: true }).edges['install.checkingPreconditions:xstate.done.actor.0.install.checkingPreconditions:0']; // [13]
 */
export function buildPicture(graph: LifecycleGraph, options: ViewOptions = {}): GraphPicture {
  const view = buildView(graph, options);
  const mermaid = render(graph, { view });
  const drawn = view.graph.transitions;
  const relations = mermaid.split('\n').filter((line) => RELATION.test(line)).length;
  const arrows = drawn.reduce((n, t) => n + Math.max(1, t.targets.length), 0);
  let next = relations - arrows;
  const edges: Record<string, number[]> = {};
  for (const t of drawn) {
    const count = Math.max(1, t.targets.length);
    edges[t.id] = Array.from({ length: count }, (_, i) => next + i);
    next += count;
  }
  return {
    mermaid,
    nodeIds: Object.fromEntries(mermaidIds(view.graph)),
    edges,
    members: Object.fromEntries(view.members),
    collapsed: Object.fromEntries([...view.collapsed].map(([id, c]) => [id, c.badge])),
    expanded: Array.isArray(options.expand) ? [...options.expand] : [],
  };
}

/** The graph with its picture (steps collapsed by default; see {@link buildPicture}). */
export function buildGraphView(graph: LifecycleGraph, options: ViewOptions = {}): GraphView {
  return { graph, ...buildPicture(graph, options) };
}

/**
 * The ids of the states a snapshot value makes active, every level (root first, then document order).
 * Unknown keys are skipped, so a value from another version of the machine still highlights what matches.
 *
 * @example
 * activeStateIds(graph, { installing: { kibana_assets: 'running' } });
 * // ['install', 'install.installing', 'install.installing.kibana_assets', 'install.installing.kibana_assets.running']
 */
export function activeStateIds(graph: LifecycleGraph, value: unknown): string[] {
  const byId = new Map(graph.states.map((s) => [s.id, s]));
  const root = byId.get(graph.root);
  if (!root) return [];
  const out: string[] = [root.id];
  const childByKey = (parent: GraphState, key: string) =>
    parent.children.map((c) => byId.get(c)!).find((c) => c.key === key);
  const walk = (parent: GraphState, v: unknown) => {
    if (typeof v === 'string') {
      const child = childByKey(parent, v);
      if (child) out.push(child.id);
    } else if (v && typeof v === 'object') {
      for (const [key, sub] of Object.entries(v)) {
        const child = childByKey(parent, key);
        if (!child) continue;
        out.push(child.id);
        walk(child, sub);
      }
    }
  };
  walk(root, value);
  return out;
}

/**
 * A state value as one readable line: leaf paths dot-joined, parallel regions joined with ` | `.
 *
 * @example
 * describeValue({ trial: { agent: 'starting', watcher: 'watching' } }); // 'trial.agent.starting | trial.watcher.watching'
 */
export function describeValue(value: unknown): string {
  const leaves: string[] = [];
  const walk = (prefix: string, v: unknown) => {
    if (typeof v === 'string') leaves.push(prefix ? `${prefix}.${v}` : v);
    else if (v && typeof v === 'object') {
      const entries = Object.entries(v);
      if (entries.length === 0 && prefix) leaves.push(prefix);
      for (const [k, sub] of entries) walk(prefix ? `${prefix}.${k}` : k, sub);
    }
  };
  walk('', value);
  return leaves.join(' | ');
}

/**
 * Best effort: a graph from the `definition` an `@statelyai/inspect` client sends (the machine config as JSON,
 * functions replaced by `{ type: name }`, keys sorted, nesting cut at the client's depth limit). Returns
 * undefined when XState cannot make a machine of it (a deep machine cut short, say).
 */
export function graphFromDefinition(definition: string): LifecycleGraph | undefined {
  try {
    const config = JSON.parse(definition) as Record<string, unknown>;
    if (!config || typeof config !== 'object' || typeof config.id !== 'string') return undefined;
    if (!config.states && !config.initial && !config.on) return undefined;
    return extractGraph(createMachine(config as never));
  } catch {
    return undefined;
  }
}
