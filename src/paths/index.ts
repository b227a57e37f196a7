import type { AnyStateMachine } from 'xstate';
import type { EventCatalogue } from '../../machines/catalogue.ts';
import type { LifecycleGraph } from '../model/types.ts';
import { accountCoverage } from './coverage.ts';
import { exploreStateSpace, type StateIdentity, type StateSpace } from './explore.ts';
import { edgesTo, shortestPathTree, stateCover } from './shortest.ts';
import { simplePaths } from './simple.ts';
import { transitionCover } from './transition-cover.ts';
import type { StateValue } from 'xstate';
import type { CoverKind, LifecyclePath, PathsResult } from './types.ts';

export type * from './types.ts';
export { exploreStateSpace, type StateSpace, type StateIdentity } from './explore.ts';
export { activeStateIds } from './coverage.ts';

export interface GeneratePathsOptions {
  cover?: CoverKind;
  catalogue?: EventCatalogue;
  identity?: StateIdentity;
  maxStates?: number;
  /** For `simple`: longest path and most paths. */
  maxDepth?: number;
  maxPaths?: number;
}

const DEFAULTS = { cover: 'transitions' as CoverKind, maxStates: 100_000, maxDepth: 12, maxPaths: 1000 };

/**
 * Generates test paths for a machine: explore the state space with XState's pure transition function, pick
 * paths by the chosen cover, and account coverage against the graph's transition ids.
 *
 * @example
 * const result = generatePaths(machine, extractGraph(machine), { cover: 'transitions', catalogue });
 * result.coverage.transitions; // { covered: 41, total: 41, uncovered: [] }
 */
export function generatePaths(machine: AnyStateMachine, graph: LifecycleGraph, options: GeneratePathsOptions = {}): PathsResult {
  const o = { ...DEFAULTS, ...options };
  const space = exploreStateSpace(machine, graph, { catalogue: o.catalogue, identity: o.identity, maxStates: o.maxStates });
  let edgePaths: number[][];
  let bounded = space.truncated;
  if (o.cover === 'states') edgePaths = stateCover(space);
  else if (o.cover === 'transitions') edgePaths = transitionCover(space);
  else {
    const simple = simplePaths(space, { maxDepth: o.maxDepth, maxPaths: o.maxPaths });
    edgePaths = simple.paths;
    bounded ||= simple.bounded;
  }
  const paths = concretePaths(space, edgePaths, o.cover === 'transitions').map((p) => toPath(space, p));
  const taken = new Set<string>();
  const visited = new Set<string>();
  for (const p of paths) {
    visited.add(JSON.stringify(p.initial));
    for (const id of p.initialTransitions) taken.add(id);
    for (const s of p.steps) {
      for (const id of s.transitions) taken.add(id);
      visited.add(JSON.stringify(s.state));
    }
  }
  const coverage = accountCoverage(graph, space, taken, visited);
  const steps = paths.reduce((sum, p) => sum + p.steps.length, 0);
  return {
    machine: graph.id,
    cover: o.cover,
    paths: paths.map(({ initialTransitions: _, ...p }) => p),
    coverage,
    stats: { paths: paths.length, steps, exploredStates: space.nodes.length, truncated: bounded },
  };
}

/**
 * Replays every path on real snapshots and keeps what held. For a transition cover, a transition lost that way
 * is taken again on its shortest path: the breadth-first tree is how exploration found each state, so that path
 * holds by construction.
 */
function concretePaths(space: StateSpace, edgePaths: number[][], repair: boolean): { edge: number; value: StateValue }[][] {
  const held = edgePaths.map((p) => space.replay(p)).filter((p) => p.length > 0);
  if (!repair) return held;
  const covered = new Set(held.flatMap((p) => p.flatMap((s) => space.edges[s.edge].transitions)));
  const wanted = new Set(edgePaths.flatMap((p) => p.flatMap((e) => space.edges[e].transitions)));
  const via = shortestPathTree(space);
  for (const id of wanted) {
    if (covered.has(id)) continue;
    const e = space.edges.findIndex((edge) => edge.transitions.includes(id) && via[edge.from] !== -2);
    if (e < 0) continue;
    const path = space.replay([...edgesTo(space, via, space.edges[e].from), e]);
    if (path.length === 0) continue;
    held.push(path);
    for (const s of path) for (const t of space.edges[s.edge].transitions) covered.add(t);
  }
  return held;
}

/** A path from the start node: its first edge picks the input; the steps are the rest, with replayed values. */
function toPath(space: StateSpace, held: { edge: number; value: StateValue }[]): LifecyclePath & { initialTransitions: string[] } {
  const [start, ...rest] = held;
  const first = space.edges[start.edge];
  const input = (first.event as { input?: unknown }).input;
  return {
    ...(input === undefined ? {} : { input }),
    initial: start.value,
    initialTransitions: first.transitions,
    steps: rest.map(({ edge: e, value }) => {
      const edge = space.edges[e];
      return { event: edge.event, state: value, transitions: edge.transitions };
    }),
  };
}
