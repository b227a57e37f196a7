import type { EventObject, StateValue } from 'xstate';

/** One step of a path: send `event`, then the machine is in `state`, having taken `transitions`. */
export interface PathStep {
  event: EventObject;
  state: StateValue;
  /** Graph transition ids taken by this step (eventless follow-ups included). */
  transitions: string[];
  /** Outcomes chosen for guards whose implementation throws (placeholders); the test provides them. */
  guards?: Record<string, boolean>;
}

/** A path from the initial state: plain data. */
export interface LifecyclePath {
  /** Put before the path's events in its test name (`walk 7/2`). */
  label?: string;
  /** The input the run starts with. */
  input?: unknown;
  /** The state value the path starts from (the initial state). */
  initial: StateValue;
  /** Guard outcomes chosen for the start (eventless transitions out of the initial state). */
  initialGuards?: Record<string, boolean>;
  steps: PathStep[];
}

/**
 * What the paths must cover: every explored state; every transition; every transition and every guard's false
 * outcome (`guards`); every pair of consecutive transitions the explored space holds (`pairs`); or the simple paths.
 */
export type CoverKind = 'states' | 'transitions' | 'guards' | 'pairs' | 'simple';

export type UncoveredReason = 'unreachable source' | 'guard never true with the catalogue\'s payloads' | 'bound reached' | 'not taken' | 'threw';

/** A transition no path takes, and why. */
export interface UncoveredTransition {
  id: string;
  source: string;
  event: string;
  reason: UncoveredReason;
  /** What stood in the way, naming the guard, action or state (`guard isReady never true`, `assign threw: …`). */
  detail?: string;
  /** The catalogue entry that would let a path take it (`services.checkJob.done`, `events.PLAY`, `input`). */
  needs?: string;
}

export type UncoveredGuardReason =
  | 'unreachable source'
  | 'bound reached'
  | 'threw'
  | 'never evaluated'
  | "guard never false with the catalogue's payloads"
  | 'not in a path';

/** A guarded transition no path sees with its guard false, and why (see `falseGuards` for what counts). */
export interface UncoveredGuardOutcome {
  id: string;
  source: string;
  event: string;
  /** The guard as printed (`isReady`, `!a && b`). */
  guard: string;
  reason: UncoveredGuardReason;
  detail?: string;
  /** The catalogue entry that would make the guard false where it is evaluated. */
  needs?: string;
}

/** Pairs of consecutive transitions (t1 then t2, as a run takes them) that the explored space holds. */
export interface PairCoverage {
  covered: number;
  /** Distinct pairs in the explored space (a lower bound when `cut`). */
  total: number;
  /** Set when the bound on pairs stopped the count (`--max-pairs`). */
  cut?: boolean;
  uncovered: { first: string; then: string }[];
}

export interface Coverage {
  states: { covered: number; total: number };
  transitions: {
    covered: number;
    total: number;
    uncovered: UncoveredTransition[];
  };
  /** Guard outcomes: each guarded transition seen with its guard false by some path step. */
  guards: {
    covered: number;
    total: number;
    uncovered: UncoveredGuardOutcome[];
  };
  /** For `--cover pairs`. */
  pairs?: PairCoverage;
}

/** Something that threw during exploration, grouped: where, what, and what would fix it. */
export interface PathDiagnostic {
  /** The state it happened in (`a.b`, or `(start)` for the context factory). */
  state: string;
  /** The event sent (`PLAY`, `done: checkJob`, `lifecycle.start`). */
  event: string;
  /** Transition ids that event could take there. */
  transitions: string[];
  /** The functions involved: `context factory`, `guard isValid`, `actions assignJob, inline`. */
  culprit: string;
  message: string;
  /** The catalogue entry that would satisfy it and what it should hold. */
  needs: string;
  /** How many explored steps hit it. */
  count: number;
}

/** The second search for guarded transitions the first exploration left untaken. */
export interface GuardSearchReport {
  /** Transitions searched for. */
  targets: number;
  /** Of those, how many it found a path to. */
  found: number;
  /** States explored, told apart by their whole context. */
  exploredStates: number;
  /**
   * Context keys guards read only in states the search reached (not where the first exploration called them): the
   * search went on telling states apart by them too, from the start where they showed up.
   */
  widened?: string[];
  /** Set when a bound stopped it. */
  cut?: 'states' | 'time';
}

export interface PathsResult {
  machine: string;
  /** `random`: seeded random walks (`testgen --strategy random`), not a cover. */
  cover: CoverKind | 'random';
  paths: LifecyclePath[];
  coverage: Coverage;
  stats: { paths: number; steps: number; exploredStates: number; truncated: boolean; cut?: 'states' | 'time'; ms?: number };
  /** Functions that threw while exploring, with the catalogue entry that would satisfy them. */
  diagnostics: PathDiagnostic[];
  /** The guard search, when it ran. */
  search?: GuardSearchReport;
  /**
   * Named guards whose implementation throws (placeholders the app provides): explored with both outcomes; the
   * generated tests provide the outcome each step needs.
   */
  chosenGuards: string[];
}
