import { edgesTo, shortestPathTree, type Walkable } from './shortest.ts';

/**
 * Transition cover: paths from the initial state that together take every coverable transition definition at
 * least once, in few total steps.
 *
 * It is the directed Chinese postman problem with free resets (a new path may start from the initial state at
 * any time, as in test-suite generation from FSMs, cf. Aho, Dahbura, Lee & Uyar 1991 and the "transition tour"):
 *
 * 1. pick one explored edge per transition id to cover (the shallowest), the required edges;
 * 2. balance in- and out-degrees: a state entered more often than left ends paths (a free reset to the initial
 *    state) or feeds a nearby state left more often than entered (a shortest deadhead path); a state left more
 *    often than entered is fed from the nearest such surplus, else from the initial state;
 * 3. walk an Euler circuit of the balanced multigraph from the initial state (Hierholzer) and cut it at resets.
 *
 * Each required edge is walked once; the extra steps are the deadhead paths. Returns edge-index paths.
 */
export function transitionCover(space: Walkable): number[][] {
  const n = space.nodes.length;
  const required = pickRequiredEdges(space);
  const via = shortestPathTree(space);

  // Multigraph: outgoing arcs per node. An arc is an explored edge index, or RESET (back to the initial state).
  const RESET = -1;
  const arcs: { edge: number; to: number; deadhead: boolean }[][] = Array.from({ length: n }, () => []);
  const balance = new Int32Array(n); // arrivals minus departures
  const addEdge = (e: number, deadhead: boolean) => {
    const { from, to } = space.edges[e];
    arcs[from].push({ edge: e, to, deadhead });
    balance[to]++;
    balance[from]--;
  };
  for (const e of required) addEdge(e, false);

  // Serve states that need extra arrivals, deepest first: from the nearest surplus state, else from the start.
  const sinks: number[] = [];
  for (let v = 0; v < n; v++) if (balance[v] < 0) sinks.push(v);
  sinks.sort((a, b) => space.nodes[b].depth - space.nodes[a].depth);
  const reverse = reverseAdjacency(space);
  for (const w of sinks) {
    while (balance[w] < 0) {
      const path = nearestSurplus(space, reverse, balance, w, space.nodes[w].depth) ?? edgesTo(space, via, w);
      if (path.length === 0) {
        // w is the initial state: it is fed by a reset, added below with the leftover surplus.
        break;
      }
      for (const e of path) addEdge(e, true);
    }
  }
  for (let v = 0; v < n; v++) for (let k = 0; k < balance[v]; k++) arcs[v].push({ edge: RESET, to: 0, deadhead: true });

  // Hierholzer from the initial state, then from any state with unused arcs (reached by a shortest path).
  const next = new Int32Array(n);
  const circuit = (start: number): { edge: number; deadhead: boolean }[] => {
    const stack: { node: number; arc: { edge: number; deadhead: boolean } | null }[] = [{ node: start, arc: null }];
    const result: { edge: number; deadhead: boolean }[] = [];
    while (stack.length) {
      const top = stack[stack.length - 1];
      const list = arcs[top.node];
      if (next[top.node] < list.length) {
        const arc = list[next[top.node]++];
        stack.push({ node: arc.to, arc });
      } else {
        stack.pop();
        if (top.arc) result.push(top.arc);
      }
    }
    return result.reverse();
  };

  const paths: number[][] = [];
  const emit = (walk: { edge: number; deadhead: boolean }[], prefix: number[]) => {
    let current: { edge: number; deadhead: boolean }[] = prefix.map((edge) => ({ edge, deadhead: true }));
    const flush = () => {
      while (current.length && current[current.length - 1].deadhead) current.pop(); // trailing deadheads add nothing
      if (current.length) paths.push(current.map((a) => a.edge));
      current = [];
    };
    for (const arc of walk) {
      if (arc.edge === RESET) flush();
      else current.push(arc);
    }
    flush();
  };
  emit(circuit(0), []);
  for (let v = 0; v < n; v++) {
    while (next[v] < arcs[v].length) emit(circuit(v), edgesTo(space, via, v));
  }
  return paths;
}

/** One edge per transition id, the shallowest; edges that take several ids at once count for all of them. */
function pickRequiredEdges(space: Walkable): number[] {
  const order = space.edges.map((_, i) => i).filter((i) => space.nodes[space.edges[i].from] !== undefined);
  order.sort((a, b) => space.nodes[space.edges[a].from].depth - space.nodes[space.edges[b].from].depth || a - b);
  const covered = new Set<string>();
  const required: number[] = [];
  for (const e of order) {
    const ids = space.edges[e].transitions;
    if (ids.some((id) => !covered.has(id))) {
      required.push(e);
      for (const id of ids) covered.add(id);
    }
  }
  return required;
}

function reverseAdjacency(space: Walkable): number[][] {
  const rev: number[][] = Array.from({ length: space.nodes.length }, () => []);
  space.edges.forEach((e, i) => rev[e.to].push(i));
  return rev;
}

/**
 * The shortest path into `w` from a state with surplus arrivals, if one is closer than `limit` steps (the
 * distance from the initial state). Consumes one unit of that surplus. Returns edge indices, or undefined.
 */
function nearestSurplus(space: Walkable, reverse: number[][], balance: Int32Array, w: number, limit: number): number[] | undefined {
  if (limit <= 1) return undefined;
  const seen = new Map<number, number>([[w, -1]]); // node -> edge towards w
  let frontier = [w];
  for (let d = 0; d < limit - 1 && frontier.length; d++) {
    const nextFrontier: number[] = [];
    for (const v of frontier) {
      for (const e of reverse[v]) {
        const u = space.edges[e].from;
        if (seen.has(u)) continue;
        seen.set(u, e);
        if (balance[u] > 0 && u !== w) {
          const path: number[] = [];
          for (let x = u; x !== w; x = space.edges[seen.get(x)!].to) path.push(seen.get(x)!);
          return path;
        }
        nextFrontier.push(u);
      }
    }
    frontier = nextFrontier;
  }
  return undefined;
}
