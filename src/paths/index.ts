import type { AnyStateMachine } from 'xstate';
import type { EventCatalogue } from '../../machines/catalogue.ts';
import type { LifecycleGraph } from '../model/types.ts';
import { accountCoverage } from './coverage.ts';
import { exploreStateSpace, type StateIdentity, type StateSpace } from './explore.ts';
import { edgesTo, shortestPathTree, stateCover } from './shortest.ts';
import { simplePaths } from './simple.ts';
import { transitionCover } from './transition-cover.ts';
import type { StateValue } from 'xstate';
import { diagnose } from './diagnose.ts';
import type { CoverKind, GuardSearchReport, LifecyclePath, PathsResult } from './types.ts';

export type * from './types.ts';
export { exploreStateSpace, type StateSpace, type StateIdentity } from './explore.ts';
export { activeStateIds } from './coverage.ts';

export interface GeneratePathsOptions {
  cover?: CoverKind;
  catalogue?: EventCatalogue;
  identity?: StateIdentity;
  maxStates?: number;
  /** Time bound for exploration (and the guard search), in ms; what it cut is reported. Default 20 s. */
  maxTimeMs?: number;
  /** For `simple`: longest path and most paths. */
  maxDepth?: number;
  maxPaths?: number;
  /**
   * For `transitions`: when guarded transitions are left untaken, explore again telling states apart by their
   * whole context, so that a guard reading context set by earlier samples gets its chance. Default true.
   */
  guardSearch?: boolean;
}

const DEFAULTS = { cover: 'transitions' as CoverKind, maxStates: 100_000, maxTimeMs: 20_000, maxDepth: 12, maxPaths: 1000, guardSearch: true };
/** The guard search tells states apart by context, so it may meet many more: bounded on its own. */
const SEARCH_MAX_STATES = 20_000;

/**
 * Generates test paths for a machine: explore the state space with XState's pure transition function, pick
 * paths by the chosen cover, and account coverage against the graph's transition ids.
 *
 * @example
 * const result = generatePaths(machine, extractGraph(machine), { cover: 'transitions', catalogue });
 * result.coverage.transitions; // { covered: 41, total: 41, uncovered: [] }
 */
export function generatePaths(machine: AnyStateMachine, graph: LifecycleGraph, options: GeneratePathsOptions = {}): PathsResult {
  const o = { ...DEFAULTS, ...definedOnly(options) };
  const began = Date.now();
  const deadline = began + o.maxTimeMs;
  const space = exploreStateSpace(machine, graph, { catalogue: o.catalogue, identity: o.identity, maxStates: o.maxStates, deadline });
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
  const spaces = [space];
  let search: GuardSearchReport | undefined;
  if (o.cover === 'transitions' && o.guardSearch && !space.truncated) {
    const found = searchGuards(machine, graph, o.catalogue, paths, space.guardReads, Math.min(o.maxStates, SEARCH_MAX_STATES), deadline);
    if (found) {
      search = found.report;
      spaces.push(found.space);
      paths.push(...found.paths);
    }
  }
  const taken = new Set<string>();
  const visited = new Set<string>();
  // The initial state is covered even when no path leaves it: a test that only starts the machine checks it.
  for (const e of space.out[0] ?? []) visited.add(JSON.stringify(space.nodes[space.edges[e].to].value));
  for (const p of paths) {
    visited.add(JSON.stringify(p.initial));
    for (const id of p.initialTransitions) taken.add(id);
    for (const s of p.steps) {
      for (const id of s.transitions) taken.add(id);
      visited.add(JSON.stringify(s.state));
    }
  }
  const diagnostics = diagnose(graph, spaces).filter((d) => d.transitions.length === 0 || d.transitions.some((id) => !taken.has(id)));
  // The first exploration decides whether a bound cut the reasons short; the guard search is bounded by design.
  const coverage = accountCoverage(graph, spaces, taken, visited, diagnostics, space.truncated);
  const steps = paths.reduce((sum, p) => sum + p.steps.length, 0);
  const cut = space.cut ?? search?.cut;
  return {
    machine: graph.id,
    cover: o.cover,
    paths: paths.map(({ initialTransitions: _, ...p }) => p),
    coverage,
    stats: { paths: paths.length, steps, exploredStates: space.nodes.length, truncated: bounded, ...(cut ? { cut } : {}), ms: Date.now() - began },
    diagnostics,
    ...(search ? { search } : {}),
    chosenGuards: [...new Set(spaces.flatMap((sp) => sp.chosenGuards))].sort(),
  };
}

/**
 * The guard search: the first exploration merges states that share a state value, so a guard that reads context
 * set by an earlier sample (an output's status, an input flag, a counter) may only ever be evaluated in the context
 * that arrived first. This explores again with the context keys guards read as identity, stopping once every untaken
 * transition is found or a bound is met, and adds a shortest path to each one found.
 */
function searchGuards(
  machine: AnyStateMachine,
  graph: LifecycleGraph,
  catalogue: EventCatalogue | undefined,
  paths: (LifecyclePath & { initialTransitions: string[] })[],
  guardReads: string[],
  maxStates: number,
  deadline: number,
): { space: StateSpace; paths: (LifecyclePath & { initialTransitions: string[] })[]; report: GuardSearchReport } | undefined {
  const taken = new Set(paths.flatMap((p) => [...p.initialTransitions, ...p.steps.flatMap((s) => s.transitions)]));
  const missing = new Set(graph.transitions.filter((t) => !taken.has(t.id)).map((t) => t.id));
  // Only what guards read can make a guard decide otherwise: the state value and those context keys tell states
  // apart (a counter or a timestamp that no guard reads would make every state new).
  if (missing.size === 0 || guardReads.length === 0 || Date.now() >= deadline) return undefined;
  const identity = { context: [...new Set([...(catalogue?.identity ?? []), ...guardReads])] };
  const full = exploreStateSpace(machine, graph, { catalogue, identity, maxStates, deadline, until: missing });
  const via = shortestPathTree(full);
  const found: (LifecyclePath & { initialTransitions: string[] })[] = [];
  const covered = new Set<string>();
  for (const id of missing) {
    if (covered.has(id)) continue;
    const e = full.edges.findIndex((edge) => edge.transitions.includes(id) && via[edge.from] !== -2);
    if (e < 0) continue;
    const held = full.replay([...edgesTo(full, via, full.edges[e].from), e]);
    if (held.length === 0 || !held.some((s) => full.edges[s.edge].transitions.includes(id))) continue;
    const path = toPath(full, held);
    found.push(path);
    for (const t of [...path.initialTransitions, ...path.steps.flatMap((s) => s.transitions)]) covered.add(t);
  }
  const gained = [...missing].filter((id) => covered.has(id)).length;
  return {
    space: full,
    paths: found,
    report: { targets: missing.size, found: gained, exploredStates: full.nodes.length, ...(full.cut ? { cut: full.cut } : {}) },
  };
}

function definedOnly<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
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
    ...(first.guards ? { initialGuards: first.guards } : {}),
    initialTransitions: first.transitions,
    steps: rest.map(({ edge: e, value }) => {
      const edge = space.edges[e];
      return { event: edge.event, state: value, transitions: edge.transitions, ...(edge.guards ? { guards: edge.guards } : {}) };
    }),
  };
}
