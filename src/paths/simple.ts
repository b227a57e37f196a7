import type { StateSpace } from './explore.ts';

export interface SimplePathOptions {
  /** Longest path, in steps. Default 12. */
  maxDepth?: number;
  /** Stop after this many paths. Default 1,000. */
  maxPaths?: number;
}

/**
 * Simple paths: every path from the initial state that visits no state twice, up to `maxDepth` steps, ending
 * where it cannot be extended. Bounded on both depth and count, since their number grows exponentially.
 * Returns edge-index paths and whether a bound cut the enumeration.
 */
export function simplePaths(space: StateSpace, options: SimplePathOptions = {}): { paths: number[][]; bounded: boolean } {
  const maxDepth = options.maxDepth ?? 12;
  const maxPaths = options.maxPaths ?? 1000;
  const paths: number[][] = [];
  const onPath = new Uint8Array(space.nodes.length);
  const current: number[] = [];
  let bounded = false;
  const visit = (node: number) => {
    if (paths.length >= maxPaths) {
      bounded = true;
      return;
    }
    onPath[node] = 1;
    let extended = false;
    if (current.length < maxDepth) {
      for (const e of space.out[node]) {
        const to = space.edges[e].to;
        if (onPath[to]) continue;
        extended = true;
        current.push(e);
        visit(to);
        current.pop();
        if (paths.length >= maxPaths) break;
      }
    } else if (space.out[node].some((e) => !onPath[space.edges[e].to])) bounded = true;
    if (!extended && current.length && paths.length < maxPaths) paths.push([...current]);
    onPath[node] = 0;
  };
  visit(0);
  return { paths, bounded };
}
