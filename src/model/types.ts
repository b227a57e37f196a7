/**
 * The graph model: one plain, serializable description of a machine that every output is a function of.
 * Nothing here holds a live XState object; `JSON.parse(JSON.stringify(graph))` is the same graph.
 */

/** The kinds of state node XState v5 has. */
export type StateKind = 'atomic' | 'compound' | 'parallel' | 'final' | 'history';

/** A service invoked while a state is active. */
export interface GraphInvoke {
  /** The invoke's id: the one given, or XState's generated `<index>.<state id>`. */
  id: string;
  /** The actor's name in `setup({ actors })`, or `inline` when the logic was given in place. */
  src: string;
  /** Whether `id` was given in the machine (a generated id is not stable across edits). */
  explicitId: boolean;
}

/** A state node. */
export interface GraphState {
  /** Unique id: the machine id and the path, dot-joined (`install.steps.kibana_assets`). The root's is the machine id. */
  id: string;
  /** The state's own key (`kibana_assets`); the root's is the machine id. */
  key: string;
  /** Keys from the root's child down to this state; `[]` for the root. */
  path: string[];
  /** Parent state id; absent for the root. */
  parent?: string;
  kind: StateKind;
  /** For history states: how much they remember. */
  history?: 'shallow' | 'deep';
  /** For compound states: the initial child's id. For history states: the default target ids, if declared. */
  initial?: string[];
  /** Child state ids in document order. */
  children: string[];
  /** The XState `id` when the machine sets one explicitly (the target of `#id`). */
  customId?: string;
  invoke: GraphInvoke[];
  /** Entry action names (XState's own `after` timer bookkeeping left out). */
  entry: string[];
  exit: string[];
  tags: string[];
  description?: string;
  /** The state's `meta`, made JSON-safe. */
  meta?: unknown;
  /** Whether a final state declares `output`. */
  hasOutput?: boolean;
  /** Document order in the machine (XState's `order`). */
  order: number;
  /**
   * Set when the state is a retried step: declared with `retryingStep` (`lifecycle-kit/steps`), or recognised by
   * its shape (a compound whose invoking child fails into a sibling that waits on `after` and loops back).
   */
  step?: GraphStep;
}

/** A retry policy as the model knows it: every field optional, since a recognised step only shows its delay. */
export interface GraphRetryPolicy {
  /** Total attempts, first one included. */
  maxAttempts?: number;
  /** Delay before the second attempt, in ms. */
  initialIntervalMs?: number;
  /** Each further delay is multiplied by this. */
  backoffRate?: number;
  /** Upper bound of a delay, in ms. */
  maxIntervalMs?: number;
  /** 0..1: how much of a delay is drawn at random. */
  jitter?: number;
  /** Error kinds that are never retried. */
  nonRetryable?: string[];
  /** Whether the run may override it (the built-ins read the policy from their input). */
  overridable?: boolean;
}

/** A step: one service run with attempts and a backoff between them. */
export interface GraphStep {
  /** `declared`: marked by `retryingStep`; `recognised`: found by its shape. */
  source: 'declared' | 'recognised';
  /** The step's name (the helper's `step`, else the state's key). */
  name: string;
  /** The child state that runs the service. */
  attempt: string;
  /** The child state that waits before the next attempt. */
  backoff: string;
  /** The services the attempt invokes (`src` names). */
  services: string[];
  /** The delay of the backoff wait: ms or the name of a delay in `setup({ delays })`. */
  delay?: number | string;
  /** The retry policy, when declared. */
  retry?: GraphRetryPolicy;
}

/** What produced a transition, derived from its event. */
export type TransitionKind =
  | 'event' //           a user event, by name
  | 'wildcard' //        `*` or `prefix.*`
  | 'always' //          eventless
  | 'after' //           a delayed transition
  | 'done.actor' //      an invoked service finished
  | 'error.actor' //     an invoked service failed
  | 'snapshot' //        an invoked service emitted a snapshot
  | 'done.state'; //     a compound/parallel state reached its final state(s)

/** A guard, reduced to what can be printed and counted. */
export interface GraphGuard {
  /** Printable form: `isValid`, `!isValid`, `a && b`, `atLeast(n: 3)`, `inline`. */
  label: string;
  /** Names of the named guards it uses (from `setup({ guards })`), without duplicates. */
  names: string[];
  /** Whether it contains an inline function (its condition is not visible in the model). */
  inline: boolean;
}

/** One transition definition of the machine; guarded branches are separate transitions. */
export interface GraphTransition {
  /**
   * Stable id: `<source id>:<event>:<branch index>`, e.g. `install.download:xstate.error.actor.download:1`.
   * Coverage counts these.
   */
  id: string;
  source: string;
  /** The event as XState sees it (`RETRY`, `xstate.after.backoff.install.wait`, `xstate.done.actor.dl`, `` for always). */
  event: string;
  kind: TransitionKind;
  /** Target state ids; empty for a targetless transition. */
  targets: string[];
  guard?: GraphGuard;
  actions: string[];
  reenter: boolean;
  /** For `after`: the delay in ms, or the name of the delay in `setup({ delays })`. */
  delay?: number | string;
  /** For done/error/snapshot of an invoke: the invoke id and its `src`. */
  invokeId?: string;
  service?: string;
  description?: string;
  meta?: unknown;
  /** Position among the transitions of the same source and event (0 is tried first). */
  branch: number;
}

/** A machine, read once. */
export interface LifecycleGraph {
  /** The machine's id. */
  id: string;
  /** The root state id (equals `id`). */
  root: string;
  description?: string;
  /** Every state node, root first, in document order. */
  states: GraphState[];
  /** Every transition definition, by source document order, then event, then branch. */
  transitions: GraphTransition[];
  /** Every user event type the machine handles (not XState's internal ones), sorted. */
  events: string[];
  /** Names of the services, guards, actions and delays declared in `setup`, sorted. */
  declared: { actors: string[]; guards: string[]; actions: string[]; delays: string[] };
  /**
   * Targets XState resolves lazily (a compound state's `initial`, a history state's default) that name no state.
   * XState throws on other bad targets when the machine is created, so those never reach the model.
   */
  unresolved: { source: string; target: string; message: string }[];
}
