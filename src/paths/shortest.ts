/**
 * What the walks need of a state space: nodes with their BFS depth, edges between them taking transition ids, and
 * the edges leaving each node. A `StateSpace` is one; so is the line graph of its edges (transition pairs).
 */
export interface Walkable {
  nodes: readonly { depth: number }[];
  edges: readonly { from: number; to: number; transitions: readonly string[] }[];
  out: readonly (readonly number[])[];
}

/**
 * Shortest path (in steps) from the initial state to every explored state: a breadth-first tree.
 * Returns, per node, the edge index that reaches it (`-1` for the initial state).
 */
export function shortestPathTree(space: Walkable): Int32Array {
  const via = new Int32Array(space.nodes.length).fill(-2);
  via[0] = -1;
  const queue = [0];
  for (let q = 0; q < queue.length; q++) {
    const n = queue[q];
    for (const e of space.out[n]) {
      const to = space.edges[e].to;
      if (via[to] === -2) {
        via[to] = e;
        queue.push(to);
      }
    }
  }
  return via;
}

/** The edges from the initial state to `node` along the tree. */
export function edgesTo(space: Walkable, via: Int32Array, node: number): number[] {
  const edges: number[] = [];
  for (let n = node; via[n] >= 0; n = space.edges[via[n]].from) edges.push(via[n]);
  return edges.reverse();
}

/**
 * State cover: one path per explored state, the shortest; paths that are a prefix of another are dropped.
 * Returns edge-index paths.
 */
export function stateCover(space: Walkable): number[][] {
  const via = shortestPathTree(space);
  const isPrefix = new Uint8Array(space.nodes.length);
  for (let n = 0; n < space.nodes.length; n++) if (via[n] >= 0) isPrefix[space.edges[via[n]].from] = 1;
  const paths: number[][] = [];
  for (let n = 0; n < space.nodes.length; n++) if (via[n] !== -2 && !isPrefix[n] && n !== 0) paths.push(edgesTo(space, via, n));
  return paths;
}
