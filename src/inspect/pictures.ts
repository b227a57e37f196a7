/**
 * Which picture a snapshot is drawn with. By default the inspector draws a machine as `lifecycle diagram` does,
 * each step one state with its retry badge; but the step the run is in is what the user watches, so the
 * collapsible states that hold an active state are drawn open. One picture per combination of open states, built
 * when first needed and bounded (a client's definition could make a combination of every snapshot).
 */
import type { ViewOptions } from '../diagram/view.ts';
import type { LifecycleGraph } from '../model/types.ts';
import { buildPicture } from './graph-view.ts';
import type { GraphPicture } from './protocol.ts';

/** Pictures kept per graph, besides its own; past it a snapshot is drawn with every state open. */
export const MAX_PICTURES_PER_GRAPH = 32;

export interface PictureSet {
  /**
   * The picture for a snapshot whose active state ids are `active`: undefined when the graph's own picture shows
   * them (no collapsed state is active); else its key, and the picture itself when it was built by this call (to
   * send to the pages once).
   */
  forActive(active: string[]): { key: string; built?: GraphPicture } | undefined;
}

/**
 * @example
 * const pictures = createPictureSet('machine', graph);
 * pictures.forActive(['install', 'install.installing', 'install.installing.kibana_assets', '…running']);
 * // { key: 'machine@1', built: { mermaid, …, expanded: ['install.installing.kibana_assets'] } }
 */
export function createPictureSet(graphId: string, graph: LifecycleGraph, options: ViewOptions = {}, budget: () => boolean = () => true): PictureSet {
  const collapsible = collapsibleStates(graph, options);
  const keys = new Map<string, string>(); // open states, joined → picture key
  const ALL = '*';
  return {
    forActive(active) {
      if (collapsible.size === 0) return undefined;
      const open = active.filter((id) => collapsible.has(id)).sort();
      if (open.length === 0) return undefined;
      let wanted = open.join(',');
      if (!keys.has(wanted) && (keys.size >= MAX_PICTURES_PER_GRAPH || !budget())) wanted = ALL;
      const known = keys.get(wanted);
      if (known) return { key: known };
      const key = `${graphId}@${keys.size + 1}`;
      keys.set(wanted, key);
      const built =
        wanted === ALL
          ? buildPicture(graph, { expand: true })
          : buildPicture(graph, { ...options, expand: [...(Array.isArray(options.expand) ? options.expand : []), ...open] });
      return { key, built };
    },
  };
}

/** The states the view options collapse somewhere: steps not expanded, and compound states below `depth`. */
function collapsibleStates(graph: LifecycleGraph, options: ViewOptions): Set<string> {
  const out = new Set<string>();
  const named = new Set(Array.isArray(options.expand) ? options.expand : []);
  for (const s of graph.states) {
    if (s.id === graph.root || s.children.length === 0) continue;
    const step = s.step !== undefined && options.expand !== true && !named.has(s.id);
    const deep = options.depth !== undefined && s.path.length > options.depth;
    if (step || deep) out.add(s.id);
  }
  return out;
}
