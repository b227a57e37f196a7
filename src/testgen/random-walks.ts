/**
 * Property walks (`lifecycle testgen --strategy random`): seeded random walks from the machine's start, each of
 * at most `length` steps, drawn among the steps a test can follow (walk-model.ts). The property every walk checks
 * on the model while it is generated: the machine never fails (XState throws, or the snapshot ends in `error`),
 * and replaying the walk gives the same states (else no test could follow it). A walk that breaks it is shrunk to a
 * minimal one (shrink.ts), reported, and written into the suite in its shrunk form, where it fails until the
 * machine is fixed. The walks come out as `LifecyclePath`s, so `generateTests` writes them like any path.
 */
import type { AnyStateMachine, EventObject, StateValue } from 'xstate';
import type { EventCatalogue } from '../../machines/catalogue.ts';
import { UserError } from '../errors.ts';
import { atFixedTime } from '../model/stepper.ts';
import type { LifecycleGraph } from '../model/types.ts';
import { activeStateIds } from '../paths/coverage.ts';
import { formatStateValue } from '../paths/format.ts';
import { guardIndex, pathFalseGuards } from '../paths/guard-outcomes.ts';
import type { Coverage, LifecyclePath, PathsResult, PathStep } from '../paths/types.ts';
import { seededRandom, type Random } from './prng.ts';
import { type PlanStep, shrinkWalk, type WalkPlan } from './shrink.ts';
import { createWalkModel, type Failure, isFailure, type Outcome, type Start, type WalkModel } from './walk-model.ts';

export interface WalkOptions {
  seed: number;
  /** Most steps per walk; a walk stops sooner at a final state, or where a test can do nothing. */
  length: number;
  /** Walks per seed. */
  walks: number;
  catalogue?: EventCatalogue;
  /** Most replays spent shrinking one failing walk. Default 2000. */
  shrinkBudget?: number;
}

/** A walk that broke the property. */
export interface WalkFailure {
  /** `walk 7/2`: seed and walk number. */
  walk: string;
  /** `threw`/`error`: the machine failed on a step; `diverged`: replaying it went elsewhere. */
  kind: Failure['kind'] | 'diverged';
  message: string;
  /** Steps of the walk as drawn, up to and including the failing one. */
  original: number;
  /** The shrunk walk as written into the suite (its last step is the failing one). */
  path: LifecyclePath;
  /** Set when an earlier walk shrank to the same case: its name (the case is written once). */
  sameAs?: string;
}

export interface WalksResult {
  /** The walks as paths, failing ones shrunk, for `generateTests`. */
  result: PathsResult;
  failures: WalkFailure[];
  /** Indices into `result.paths` of the failing cases. */
  failing: ReadonlySet<number>;
  /** Passing walks left out as the same as an earlier one. */
  repeated: number;
  /** `random walks (--seed 7 --length 20 --walks 10)`: how the file was made. */
  summary: string;
}

/**
 * The walks of one seed. Deterministic: the same machine, catalogue and options give the same walks.
 *
 * @example
 * const { result, failures } = randomWalks(machine, extractGraph(machine), { seed: 7, length: 20, walks: 10 });
 */
export function randomWalks(machine: AnyStateMachine, graph: LifecycleGraph, options: WalkOptions): WalksResult {
  // One stopped clock for the whole (synchronous) generation, as generatePaths does.
  return atFixedTime(() => walksOf(machine, graph, options));
}

interface Drawn {
  start: number;
  outcomes: Outcome[];
}

function walksOf(machine: AnyStateMachine, graph: LifecycleGraph, options: WalkOptions): WalksResult {
  const model = createWalkModel(machine, graph, options.catalogue);
  const { starts, failed } = model.starts();
  if (!starts.length) throw new UserError(`no walks for ${graph.id}: it cannot start${failed[0] ? `: ${failed[0]}` : ''}; nothing written`);
  const paths: LifecyclePath[] = [];
  const used: Start[] = [];
  const failures: WalkFailure[] = [];
  const failing = new Set<number>();
  const written = new Map<string, string>();
  let repeated = 0;
  for (let k = 1; k <= options.walks; k++) {
    const walk = `walk ${options.seed}/${k}`;
    const drawn = draw(model, starts, options.length, seededRandom(options.seed, k));
    const failure = checkWalk(model, starts, drawn);
    if (!failure) {
      // A walk the same as an earlier one (short walks to a final state often are) is written once.
      if (written.has(keyOf(toPlan(drawn)))) repeated++;
      else {
        written.set(keyOf(toPlan(drawn)), walk);
        paths.push(toPath(starts[drawn.start], drawn.outcomes, walk));
        used.push(starts[drawn.start]);
      }
      continue;
    }
    const { plan, outcomes } = failure.kind === 'diverged' ? { plan: toPlan(drawn), outcomes: drawn.outcomes } : shrunk(model, starts, drawn, options.shrinkBudget);
    const key = keyOf(plan);
    const label = failure.kind === 'diverged' ? `${walk}, goes elsewhere when replayed` : `${walk}, shrunk (the machine fails: ${clip(failure.message, 60)})`;
    const path = toPath(starts[plan.start], outcomes, label);
    const sameAs = written.get(key);
    if (sameAs === undefined) {
      written.set(key, walk);
      failing.add(paths.length);
      paths.push(path);
      used.push(starts[plan.start]);
    }
    failures.push({ walk, kind: failure.kind, message: failure.message, original: drawn.outcomes.length, path, ...(sameAs ? { sameAs } : {}) });
  }
  const steps = paths.reduce((n, p) => n + p.steps.length, 0);
  return {
    result: {
      machine: graph.id,
      cover: 'random',
      paths,
      coverage: coverageOf(graph, paths.map((path, i) => ({ path, start: used[i] }))),
      stats: { paths: paths.length, steps, exploredStates: new Set(paths.flatMap((p) => [p.initial, ...p.steps.map((s) => s.state)].map((v) => JSON.stringify(v)))).size, truncated: false },
      diagnostics: [],
      chosenGuards: [...new Set(paths.flatMap((p) => [...Object.keys(p.initialGuards ?? {}), ...p.steps.flatMap((s) => Object.keys(s.guards ?? {}))]))].sort(),
    },
    failures,
    failing,
    repeated,
    summary: `random walks (--seed ${options.seed} --length ${options.length} --walks ${options.walks})`,
  };
}

/**
 * One walk: a start, then at each step an event type drawn among those with a step a test can follow, and one of
 * its outcomes (payload samples × guard choices). Drawing the type first keeps an event with many samples from
 * crowding out the others.
 */
function draw(model: WalkModel, starts: Start[], length: number, random: Random): Drawn {
  const start = random.below(starts.length);
  const outcomes: Outcome[] = [];
  let position = starts[start].position;
  while (outcomes.length < length && position.snapshot.status === 'active') {
    const groups = model.events(position);
    let chosen: Outcome | undefined;
    while (!chosen && groups.length) {
      const [group] = groups.splice(random.below(groups.length), 1);
      const options = group.flatMap((event) => model.outcomes(position, event));
      if (options.length) chosen = options[random.below(options.length)];
    }
    if (!chosen) break; // nothing a test can do here
    outcomes.push(chosen);
    if (isFailure(chosen)) break;
    position = chosen.next;
  }
  return { start, outcomes };
}

/** The walk's steps as a plan to replay, each with the earlier samples of its event type to shrink towards. */
function toPlan(drawn: Drawn): WalkPlan {
  return { start: drawn.start, steps: drawn.outcomes.map((o) => ({ event: o.event, ...(o.guards ? { guards: o.guards } : {}) })) };
}

const keyOf = (plan: WalkPlan): string => JSON.stringify([plan.start, plan.steps.map((s) => [s.event, s.guards ?? null])]);

/** Replays a plan on the model: the outcomes, or undefined when a step cannot be followed. Stops at a failure or the end. */
function replay(model: WalkModel, starts: Start[], plan: WalkPlan): Outcome[] | undefined {
  const outcomes: Outcome[] = [];
  let position = starts[plan.start].position;
  for (const step of plan.steps) {
    if (position.snapshot.status !== 'active') break;
    const outcome = model.follow(position, step.event, step.guards);
    if (!outcome) return undefined;
    outcomes.push(outcome);
    if (isFailure(outcome)) break;
    position = outcome.next;
  }
  return outcomes;
}

/** Whether the drawn walk breaks the property: its failing step, or the first step a replay takes elsewhere. */
function checkWalk(model: WalkModel, starts: Start[], drawn: Drawn): { kind: WalkFailure['kind']; message: string } | undefined {
  const again = replay(model, starts, toPlan(drawn)) ?? [];
  for (const [i, o] of drawn.outcomes.entries()) {
    const r = again[i];
    const where = (x: Outcome) => JSON.stringify([stateOf(x), x.taken, isFailure(x) && x.message]);
    if (!r || where(r) !== where(o)) {
      const went = r ? formatStateValue(stateOf(r)) : 'nowhere a test can follow';
      return { kind: 'diverged', message: `step ${i + 1} went to ${went}, not ${formatStateValue(stateOf(o))}: the machine does not decide the same way twice` };
    }
  }
  const last = drawn.outcomes.at(-1);
  return last && isFailure(last) ? { kind: last.kind, message: last.message } : undefined;
}

function shrunk(model: WalkModel, starts: Start[], drawn: Drawn, budget?: number): { plan: WalkPlan; outcomes: Outcome[] } {
  const last = drawn.outcomes.at(-1) as Failure;
  const same = (o: Outcome | undefined) => o !== undefined && isFailure(o) && o.kind === last.kind && o.message === last.message;
  const plan = toPlan(drawn);
  // Each step may shrink towards the samples its event type had before it where it was drawn.
  let position = starts[drawn.start].position;
  plan.steps.forEach((step: PlanStep, i) => {
    const group = model.events(position).find((g) => g[0].type === step.event.type) ?? [];
    const at = group.findIndex((e) => JSON.stringify(e) === JSON.stringify(step.event));
    if (at > 0) step.simpler = group.slice(0, at);
    const o = drawn.outcomes[i];
    if (!isFailure(o)) position = o.next;
  });
  const { plan: best } = shrinkWalk(
    plan,
    (candidate) => {
      const outcomes = replay(model, starts, candidate);
      return outcomes && same(outcomes.at(-1)) ? { ...candidate, steps: candidate.steps.slice(0, outcomes.length) } : undefined;
    },
    budget,
  );
  // The walk replays (checkWalk said so), so the shrunk one, which failed the same way, does too.
  return { plan: best, outcomes: replay(model, starts, best) ?? drawn.outcomes };
}

function toPath(start: Start, outcomes: Outcome[], label: string): LifecyclePath {
  return {
    label,
    ...(start.input === undefined ? {} : { input: start.input }),
    initial: start.position.snapshot.value,
    ...(start.guards ? { initialGuards: start.guards } : {}),
    steps: outcomes.map((o): PathStep => ({ event: o.event as EventObject, state: stateOf(o), transitions: o.taken, ...(o.guards ? { guards: o.guards } : {}) })),
  };
}

const stateOf = (o: Outcome): StateValue => (isFailure(o) ? o.state : o.next.snapshot.value);

/** What the walks take and the guard outcomes they see, against the graph; what none took is just that. */
function coverageOf(graph: LifecycleGraph, walks: { path: LifecyclePath; start: Start }[]): Coverage {
  const observed = walks.map(({ path, start }) => ({ initial: path.initial, initialTransitions: start.taken, steps: path.steps }));
  const taken = new Set(observed.flatMap((p) => [...p.initialTransitions, ...p.steps.flatMap((s) => s.transitions)]));
  const visited = new Set(observed.flatMap((p) => [p.initial, ...p.steps.map((s) => s.state)]).flatMap((v) => activeStateIds(graph.id, v)));
  for (const t of graph.transitions) if (taken.has(t.id)) for (const id of [t.source, ...t.targets]) visited.add(id);
  const countable = graph.states.filter((s) => s.kind !== 'history');
  const more = 'more --walks or a longer --length may';
  const uncovered = graph.transitions
    .filter((t) => !taken.has(t.id))
    .map((t) => ({ id: t.id, source: t.source, event: t.event, reason: 'not taken' as const, detail: `no walk took it (${more})` }));
  const index = guardIndex(graph);
  const seenFalse = new Set(observed.flatMap((p) => pathFalseGuards(index, p).flat()));
  const unseen = index.guarded
    .filter((t) => !seenFalse.has(t.id))
    .map((t) => ({ id: t.id, source: t.source, event: t.event, guard: t.guard!.label, reason: 'not in a path' as const, detail: `no walk saw ${t.guard!.label} false (${more})` }));
  return {
    states: { covered: countable.filter((s) => visited.has(s.id)).length, total: countable.length },
    transitions: { covered: graph.transitions.length - uncovered.length, total: graph.transitions.length, uncovered },
    guards: { covered: index.guarded.length - unseen.length, total: index.guarded.length, uncovered: unseen },
  };
}

function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}
