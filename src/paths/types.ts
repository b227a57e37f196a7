import type { EventObject, StateValue } from 'xstate';

/** One step of a path: send `event`, then the machine is in `state`, having taken `transitions`. */
export interface PathStep {
  event: EventObject;
  state: StateValue;
  /** Graph transition ids taken by this step (eventless follow-ups included). */
  transitions: string[];
}

/** A path from the initial state: plain data. */
export interface LifecyclePath {
  /** The input the run starts with. */
  input?: unknown;
  /** The state value the path starts from (the initial state). */
  initial: StateValue;
  steps: PathStep[];
}

export type CoverKind = 'states' | 'transitions' | 'simple';

export type UncoveredReason = 'unreachable source' | 'guard never true with the catalogue\'s payloads' | 'bound reached' | 'not taken';

export interface Coverage {
  states: { covered: number; total: number };
  transitions: {
    covered: number;
    total: number;
    uncovered: { id: string; source: string; event: string; reason: UncoveredReason }[];
  };
}

export interface PathsResult {
  machine: string;
  cover: CoverKind;
  paths: LifecyclePath[];
  coverage: Coverage;
  stats: { paths: number; steps: number; exploredStates: number; truncated: boolean };
}
