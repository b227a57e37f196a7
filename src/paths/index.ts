import type { AnyStateMachine } from 'xstate';
import type { EventCatalogue } from '../../machines/catalogue.ts';
import type { LifecycleGraph } from '../model/types.ts';
import { accountCoverage } from './coverage.ts';
import { exploreStateSpace, type StateIdentity, type StateSpace } from './explore.ts';
import { edgesTo, shortestPathTree, stateCover } from './shortest.ts';
import { simplePaths } from './simple.ts';
import { transitionCover } from './transition-cover.ts';
import { addGuardOutcomes, type HeldPath, searchedOutcomes } from './guard-cover.ts';
import { accountGuardOutcomes } from './guard-coverage.ts';
import { guardIndex, observedFalse, pathFalseGuards } from './guard-outcomes.ts';
import { accountPairs, pairCover, type PairSpace, pairSpace, repairPairs } from './pairs.ts';
import type { StateValue } from 'xstate';
import { activeStateIds } from './coverage.ts';
import { atFixedTime, realNow } from '../model/stepper.ts';
import { diagnose } from './diagnose.ts';
import { checkIdentity } from './identity.ts';
import type { CoverKind, GuardSearchReport, LifecyclePath, PathStep, PathsResult } from './types.ts';

export type * from './types.ts';
export { exploreStateSpace, type StateSpace, type StateIdentity } from './explore.ts';
export { activeStateIds } from './coverage.ts';
export { falseGuards, guardIndex, pathFalseGuards, type GuardIndex, type ObservedStep } from './guard-outcomes.ts';

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
  /** For `pairs`: most pairs examined (edges of the line graph); what it cut is reported. Default 100,000. */
  maxPairs?: number;
  /**
   * For `transitions`, `guards` and `pairs`: when guarded transitions are left untaken, explore again telling states apart by their
   * whole context, so that a guard reading context set by earlier samples gets its chance. Default true.
   */
  guardSearch?: boolean;
}

const DEFAULTS = { cover: 'transitions' as CoverKind, maxStates: 100_000, maxTimeMs: 20_000, maxDepth: 12, maxPaths: 1000, maxPairs: 100_000, guardSearch: true };
/** The guard search tells states apart by context, so it may meet many more: bounded on its own. */
const SEARCH_MAX_STATES = 20_000;
/** Each search from one reached state stays small: what a guard needs is usually a few steps away. */
const SEARCH_STATES_PER_START = 150;

/**
 * Generates test paths for a machine: explore the state space with XState's pure transition function, pick
 * paths by the chosen cover, and account coverage against the graph's transition ids.
 *
 * @example
 * const result = generatePaths(machine, extractGraph(machine), { cover: 'transitions', catalogue });
 * result.coverage.transitions; // { covered: 41, total: 41, uncovered: [] }
 */
export function generatePaths(machine: AnyStateMachine, graph: LifecycleGraph, options: GeneratePathsOptions = {}): PathsResult {
  // The clock is stopped once for the whole (synchronous) generation rather than at every step: swapping a global
  // per step costs V8 its optimised code.
  return atFixedTime(() => generate(machine, graph, options));
}

function generate(machine: AnyStateMachine, graph: LifecycleGraph, options: GeneratePathsOptions): PathsResult {
  const o = { ...DEFAULTS, ...definedOnly(options) };
  const began = realNow();
  const deadline = began + o.maxTimeMs;
  const space = exploreStateSpace(machine, graph, { catalogue: o.catalogue, identity: o.identity, maxStates: o.maxStates, deadline });
  checkIdentity(o.identity, space.nodes.flatMap((n) => (n.snapshot ? [n.snapshot.context] : [])));
  let edgePaths: number[][];
  let bounded = space.truncated;
  let pairs: PairSpace | undefined;
  // Every cover but states and simple paths takes every transition it can (guards and pairs on top of that).
  const everyTransition = o.cover === 'transitions' || o.cover === 'guards' || o.cover === 'pairs';
  if (o.cover === 'states') edgePaths = stateCover(space);
  else if (o.cover === 'pairs') edgePaths = pairCover((pairs = pairSpace(space, o.maxPairs)));
  else if (everyTransition) edgePaths = transitionCover(space);
  else {
    const simple = simplePaths(space, { maxDepth: o.maxDepth, maxPaths: o.maxPaths });
    edgePaths = simple.paths;
    bounded ||= simple.bounded;
  }
  // A pair cover cut by its bound may miss transitions beyond the cut: those are taken on their shortest paths.
  const wanted = o.cover === 'pairs' ? space.edges.flatMap((e) => e.transitions) : edgePaths.flatMap((p) => p.flatMap((e) => space.edges[e].transitions));
  const held: HeldPath[] = concretePaths(space, edgePaths, everyTransition ? new Set(wanted) : undefined);
  if (pairs) repairPairs(space, pairs, held);
  const spaces = [space];
  let search: GuardSearchReport | undefined;
  let found: FoundPath[] = [];
  let searchedSpaces: Searched[] = [];
  if (everyTransition && o.guardSearch && !space.truncated) {
    const taken = new Set(held.flatMap((p) => pathTransitions(toPath(space, p))));
    const missing = new Set(graph.transitions.filter((t) => !taken.has(t.id)).map((t) => t.id));
    const searched = searchGuards(machine, graph, o.catalogue, space, missing, 'taken', space.guardReads, Math.min(o.maxStates, SEARCH_MAX_STATES), deadline);
    if (searched) {
      search = searched.report;
      searchedSpaces = searched.spaces;
      spaces.push(...searched.spaces.map((x) => x.space));
      found = searched.paths;
    }
  }
  const guards = guardIndex(graph);
  if (o.cover === 'guards') {
    const seen = new Set(found.flatMap((p) => pathFalseGuards(guards, p).flat()));
    for (const p of held) for (const id of pathFalseGuards(guards, toPath(space, p)).flat()) seen.add(id);
    addGuardOutcomes(guards, space, held, seen);
    // What only the guard search saw false (in a context the first exploration merged away) gets a path there.
    found.push(...searchedSpaces.flatMap(({ space: sp, build }) => searchedOutcomes(guards, sp, build, seen)));
    // A guard never seen false, though every transition was taken (so the search above had nothing to look for):
    // its false outcome may need a context an earlier sample sets (a date changed to one in the past), which the
    // first exploration merged away. The same search, looking for a step that sees it false.
    const unseen = new Set(guards.guarded.filter((t) => !seen.has(t.id)).map((t) => t.id));
    const left = Math.min(o.maxStates, SEARCH_MAX_STATES) - (search?.exploredStates ?? 0);
    if (unseen.size && o.guardSearch && !space.truncated && left > 0) {
      const outcomes = searchGuards(machine, graph, o.catalogue, space, unseen, (sp) => [...observedFalse(guards, sp).keys()], space.guardReads, left, deadline);
      if (outcomes) {
        spaces.push(...outcomes.spaces.map((x) => x.space));
        found.push(...outcomes.spaces.flatMap(({ space: sp, build }) => searchedOutcomes(guards, sp, build, seen)));
      }
    }
  }
  const paths = [...held.map((p) => toPath(space, p)), ...found];
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
  // What threw and still matters: a start that failed only counts when no input started the machine.
  const started = (space.out[0]?.length ?? 0) > 0;
  const diagnostics = diagnose(graph, spaces).filter((d) => (d.event === 'start' ? !started : d.transitions.length === 0 || d.transitions.some((id) => !taken.has(id))));
  // The first exploration decides whether a bound cut the reasons short; the guard search is bounded by design.
  const coverage = {
    ...accountCoverage(graph, spaces, taken, visited, diagnostics, space.truncated, search?.cut === 'time'),
    guards: accountGuardOutcomes(guards, paths, spaces, diagnostics, space.truncated, o.cover),
    ...(pairs ? { pairs: accountPairs(pairs.pairs, pairs.cut, paths) } : {}),
  };
  const steps = paths.reduce((sum, p) => sum + p.steps.length, 0);
  const cut = space.cut ?? search?.cut;
  return {
    machine: graph.id,
    cover: o.cover,
    paths: paths.map(({ initialTransitions: _, ...p }) => p),
    coverage,
    stats: { paths: paths.length, steps, exploredStates: space.nodes.length, truncated: bounded, ...(cut ? { cut } : {}), ms: realNow() - began },
    diagnostics,
    ...(search ? { search } : {}),
    chosenGuards: [...new Set(spaces.flatMap((sp) => sp.chosenGuards))].sort(),
  };
}

/**
 * The guard search: the first exploration merges states that share a state value, so a guard that reads context
 * set by an earlier sample (an output's status, an input flag, a retry counter) may only ever be evaluated in the
 * context that arrived first. From each state the first exploration reached that can lead towards an untaken
 * transition, this explores again, telling states apart by the context keys guards read, in a small bounded
 * search; a transition found is taken by the first exploration's shortest path to that state and the search's path
 * from there. Searching from reached states, not from the start, keeps it from drowning in the combinations of
 * every earlier sample.
 */
function searchGuards(
  machine: AnyStateMachine,
  graph: LifecycleGraph,
  catalogue: EventCatalogue | undefined,
  first: StateSpace,
  missing: Set<string>,
  found: 'taken' | ((space: StateSpace) => Iterable<string>),
  guardReads: string[],
  maxStates: number,
  deadline: number,
): { spaces: Searched[]; paths: FoundPath[]; report: GuardSearchReport } | undefined {
  // `missing`: the transitions to take ('taken'), or whose outcome a search's space must show (`found` says which
  // of them it shows: guards it sees false); the states that can lead to their sources are searched.
  const taking = found === 'taken';
  // Only what guards read can make a guard decide otherwise: the state value and those context keys tell states
  // apart (a counter or a timestamp that no guard reads would make every state new).
  if (missing.size === 0 || guardReads.length === 0) return undefined;
  // Out of time before it began: said, so that what it would have looked for is not blamed on the samples.
  if (realNow() >= deadline) return { spaces: [], paths: [], report: { targets: missing.size, found: 0, exploredStates: 0, cut: 'time' } };
  const firstKeys = [...new Set([...(catalogue?.identity ?? []), ...guardReads])];
  // The searches from reached states tell states apart by more keys as they go: a guard that stops at its first
  // read (`alive.length === 0 || alive.every((id) => votes[id])`) showed only that read where the first exploration
  // called it, and a key it reads only in contexts a search reaches (votes recorded by self-loops in the guarded
  // state) would merge every state that differs by it, so the guard would never be tried after the steps that
  // change it. Only read keys are added, each once.
  const keys = new Set(firstKeys);
  const widened: string[] = [];
  const { good, expand } = hopeful(graph, first, missing);
  const via = shortestPathTree(first);
  const remaining = new Set(missing);
  const paths: FoundPath[] = [];
  const spaces: Searched[] = [];
  const settle = (space: StateSpace, build: Searched['build']) => {
    if (taking) paths.push(...takeShortest(space, remaining, build));
    else for (const id of found(space)) remaining.delete(id);
  };
  let budget = maxStates;
  let cut: GuardSearchReport['cut'];
  // Where to search from: the start with each input (inputs that start in the same state value merge in the first
  // exploration, so only the first one's context went further), then every reached state that can lead on.
  const starts: number[][] = (first.out[0] ?? []).map((e) => [e]);
  for (let i = 1; i < first.nodes.length; i++) {
    if (good.has(i) && first.nodes[i].status === 'active' && via[i] !== -2) starts.push(edgesTo(first, via, i));
  }
  for (const prefix of starts) {
    if (remaining.size === 0) break;
    if (budget <= 0 || realNow() >= deadline) {
      cut = budget <= 0 ? 'states' : 'time';
      break;
    }
    const from = first.replayTo(prefix);
    if (!from) continue;
    // From the same start again, telling states apart by the keys guards read there that no earlier search did
    // (each key once: at most as many searches again as the context has keys).
    for (let again = true; again; ) {
      const local = exploreStateSpace(machine, graph, { catalogue, identity: { context: [...keys] }, maxStates: Math.min(SEARCH_STATES_PER_START, budget), deadline, ...(taking ? { until: remaining } : {}), start: from, expand });
      budget -= local.nodes.length;
      const build = (held: HeldPath) => {
        const path = toPath(first, first.replay(prefix));
        for (const { edge: e, value } of held.slice(1)) path.steps.push(toStep(local, e, value));
        return path;
      };
      spaces.push({ space: local, build });
      settle(local, build);
      const learnt = local.guardReads.filter((k) => !keys.has(k));
      for (const k of learnt) (keys.add(k), widened.push(k));
      again = learnt.length > 0 && remaining.size > 0 && budget > 0 && realNow() < deadline;
    }
  }
  // What the searches from reached states did not find may need a combination of earlier samples (an input with
  // an output): one search from the start, with what is left of the budget. It tells states apart by the keys the
  // first exploration saw read: over the whole machine, a key read only somewhere (a record of runs) would split
  // every state and spend the budget far from what is missing. With the learnt keys only after that, on what is left.
  for (const context of widened.length ? [firstKeys, [...keys]] : [firstKeys]) {
    if (remaining.size === 0 || budget <= 0 || realNow() >= deadline) break;
    const whole = exploreStateSpace(machine, graph, { catalogue, identity: { context }, maxStates: budget, deadline, ...(taking ? { until: remaining } : {}), expand });
    budget -= whole.nodes.length;
    const build = (held: HeldPath) => toPath(whole, held);
    spaces.push({ space: whole, build });
    if (whole.cut) cut = whole.cut;
    settle(whole, build);
  }
  const explored = spaces.reduce((n, sp) => n + sp.space.nodes.length, 0);
  return {
    spaces,
    paths,
    report: { targets: missing.size, found: missing.size - remaining.size, exploredStates: explored, ...(widened.length ? { widened } : {}), ...(cut ? { cut } : {}) },
  };
}

type FoundPath = LifecyclePath & { initialTransitions: string[] };
/** A space the guard search explored, and how a path of its edges becomes a path from the machine's start. */
type Searched = { space: StateSpace; build: (held: HeldPath) => FoundPath };

/**
 * For each transition id still in `remaining`, the shortest path in `space` that takes it, replayed on real
 * snapshots and made into a path by `toFound`; the ids a path takes leave `remaining`.
 */
function takeShortest(space: StateSpace, remaining: Set<string>, toFound: (held: HeldPath) => FoundPath): FoundPath[] {
  const via = shortestPathTree(space);
  const out: FoundPath[] = [];
  for (const id of [...remaining]) {
    if (!remaining.has(id)) continue;
    const e = space.edges.findIndex((edge) => edge.transitions.includes(id) && via[edge.from] !== -2);
    if (e < 0) continue;
    const edges = [...edgesTo(space, via, space.edges[e].from), e];
    const held = space.replay(edges);
    if (held.length !== edges.length) continue;
    const path = toFound(held);
    out.push(path);
    for (const t of pathTransitions(path)) remaining.delete(t);
  }
  return out;
}

function pathTransitions(p: FoundPath): string[] {
  return [...p.initialTransitions, ...p.steps.flatMap((s) => s.transitions)];
}

/**
 * Which states are worth exploring in the guard search: those whose state value can lead, in the first
 * exploration's graph, to a state where a missing transition (or a transition into the source of one) can be
 * taken. A state value the first exploration never met is explored: it is new ground.
 */
function hopeful(graph: LifecycleGraph, first: StateSpace, missing: Set<string>): { good: Set<number>; expand: (value: StateValue) => boolean } {
  const wanted = new Set(graph.transitions.filter((t) => missing.has(t.id)).map((t) => t.source));
  for (let grew = true; grew; ) {
    grew = false;
    for (const t of graph.transitions) {
      if (wanted.has(t.source) || !t.targets.some((x) => wanted.has(x) || [...wanted].some((w) => w.startsWith(`${x}.`)))) continue;
      wanted.add(t.source);
      grew = true;
    }
  }
  const into: number[][] = first.nodes.map(() => []);
  for (const e of first.edges) into[e.to].push(e.from);
  const good = new Set<number>();
  const queue: number[] = [];
  first.nodes.forEach((n, i) => {
    if (n.value !== null && activeStateIds(graph.id, n.value).some((id) => wanted.has(id))) {
      good.add(i);
      queue.push(i);
    }
  });
  for (let q = 0; q < queue.length; q++) for (const from of into[queue[q]]) if (!good.has(from)) (good.add(from), queue.push(from));
  const known = new Map(first.nodes.map((n, i) => [JSON.stringify(n.value), i]));
  return {
    good,
    expand: (value) => {
      const i = known.get(JSON.stringify(value));
      return i === undefined || good.has(i);
    },
  };
}

function definedOnly<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/**
 * Replays every path on real snapshots and keeps what held. A `wanted` transition lost that way (or never in a
 * path) is taken on its shortest path: the breadth-first tree is how exploration found each state, so that path
 * holds by construction.
 */
function concretePaths(space: StateSpace, edgePaths: number[][], wanted?: Set<string>): HeldPath[] {
  const held = edgePaths.map((p) => space.replay(p)).filter((p) => p.length > 0);
  if (!wanted) return held;
  const covered = new Set(held.flatMap((p) => p.flatMap((s) => space.edges[s.edge].transitions)));
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

function toStep(space: StateSpace, e: number, value: StateValue): PathStep {
  const edge = space.edges[e];
  return { event: edge.event, state: value, transitions: edge.transitions, ...(edge.guards ? { guards: edge.guards } : {}) };
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
    steps: rest.map(({ edge, value }) => toStep(space, edge, value)),
  };
}
