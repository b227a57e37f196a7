import type { AnyActorLogic, EventObject } from 'xstate';
import type { SelectedProgress } from '../runtime/progress-view.ts';

/** What a check of the real system sees: the run's input and the machine's current context and state. */
export interface InvariantProbe<TInput = unknown, TContext = unknown> {
  input: TInput;
  context: TContext;
  /** The state value (`snapshot.value`). */
  value: unknown;
}

/**
 * A check of the real system that must hold whenever the machine is in a state. Returns the violations found
 * (empty when it holds), each one sentence naming what was expected and what was found.
 */
export type Invariant<TInput = unknown, TContext = unknown> = (probe: InvariantProbe<TInput, TContext>) => Promise<string[]> | string[];

/** What a fault hook returns: `false` when it cannot make the failure, a function that undoes it, or nothing. */
export type FaultResult = boolean | void | (() => void | Promise<void>);

/** What a fault or scenario set-up is given: where the run is and what the service is about to get. */
export interface ArrangeArgs<TInput = unknown> {
  /** The input the service is about to run with. */
  input: unknown;
  /** The run's input (from `sandboxInput`, with the path's settings). */
  runInput: TInput;
  /** The sandbox directory of this path (fresh per path, removed after it). */
  dir: string;
  /** How many times this actor ran before in this path (0 the first time). */
  calls: number;
}

/**
 * A lifecycle's real side effects: the actors its machine names, and per-state invariants. The machine stays
 * pure; `machine.provide({ actors: services.actors })` runs it for real. Every field is optional: a user's
 * machine may run with the actors of its own `setup` and still give invariants, notes or a progress selector.
 * Write them with `defineServices(machine, { ... })`, which types them from the machine.
 */
export interface LifecycleServices<TInput = unknown, TContext = unknown> {
  /** A name for messages (defaults to the machine's reference). */
  lifecycle?: string;
  /** Real implementations, by the actor names declared in the machine's `setup({ actors })`. */
  actors?: Record<string, AnyActorLogic>;
  /**
   * Invariants by state path (dot-joined, without the machine id, e.g. `installing.kibana_assets`): a check
   * applies whenever that state is active (so a check on a compound state applies to all its children).
   * `run --verify` and the generated suites' sandboxed paths check them.
   */
  invariants?: Record<string, Invariant<TInput, TContext>>;
  /**
   * Failures the generated suites inject into the real services, by actor name, so that a path step "service X
   * fails" runs the real X, which fails for real, and the path goes on against the real system (its rollback, its
   * retry, its invariants) instead of leaving it. Called just before the real X runs in a sandboxed path, with the
   * input X is about to get and the error the path's sample gives: arrange the world (corrupt a file, take a port,
   * arm a fault point) so that this run of X throws. Return `false` when this fault cannot be made; the path then
   * goes on with the sample and stops checking the real system. Return a function to undo a fault that passes (a
   * lock another process held): it is called once X has failed. Optional, per actor; keyed by an event type
   * instead (`'DOWNLOAD.FAILED'`), it arranges the failure a callback service reports, before that service starts.
   */
  faults?: Record<string, (fault: ArrangeArgs<TInput> & { error: unknown }) => FaultResult | Promise<FaultResult>>;
  /**
   * Set-ups that make the real services return what a path's sample says they return, by actor name (an older
   * version installed first, a spec file with new parameters): called just before the real X runs in a sandboxed
   * path, with the output the path needs (keyed by an event type instead, it makes the real system send that event,
   * as a hold released over HTTP). Return `false` when the sandbox cannot be made to give it; the path then
   * goes on with the sample and stops checking the real system. Once a set-up is given, X's real output must equal
   * the sample (the test fails otherwise). Without one, a real output other than the sample ends the real part of
   * the path quietly (a sample the real system cannot produce). Optional, per actor.
   */
  scenarios?: Record<string, (scenario: ArrangeArgs<TInput> & { output: unknown }) => boolean | void | Promise<boolean | void>>;
  /**
   * Output fields each real service makes anew on every run (a process id, a random token), by actor name, as
   * dotted paths (`pid`, `agent.port`). A generated suite compares a real output with the path's sample leaving
   * them out; the machine then goes on with the real values, and wherever they appear later (the context, a
   * service's input) they are read back as the sample's before comparing. Optional.
   */
  unchecked?: Record<string, string[]>;
  /**
   * Makes an input whose every side effect stays under `dir` (a fresh temp directory) and on loopback, for
   * demos and tests: e.g. an example package and an empty target directory. `run` without `--input` uses it.
   */
  sandboxInput?(dir: string): Promise<TInput>;
  /**
   * Checks an input a user gave (`--input`) before anything runs and makes its relative paths absolute against
   * `cwd` (the input is saved with the run; a resume may run elsewhere). Throws a `UserError` naming the field.
   * Optional: without it the input is passed as given.
   */
  checkInput?(input: unknown, cwd: string): TInput;
  /**
   * Releases what the services hold in this process (servers, sockets, timers kept outside the machine's actors),
   * so that the process can exit. Called by whoever ran the machine (the `run` and `resume` commands) when a run
   * ends — succeeded, failed or interrupted — after the actor stopped. Idempotent; optional (services that keep
   * nothing open need none). A resumed run in a new process must not depend on what it released.
   */
  dispose?(): Promise<void>;
  /**
   * Opens again what a saved state says is open but what lived only in the process that ran it (the preboot
   * lifecycle's servers): called when a run resumes in a new process, after the snapshot is restored and before its
   * services start again, so that they, the invariants and the world outside find what the context names. Optional
   * (services whose every effect is on disk need none). Throws when it cannot: the resume then fails, saving nothing.
   */
  restore?(state: InvariantProbe<TInput, TContext>): Promise<void>;
  /**
   * What a person watching a run needs to know about the state it just entered, a line each: where to reach what it
   * waits on (a URL, the request that releases a hold), what runs now. The `run` and `resume` commands print them
   * under a transition whenever they change. Optional; pure (no I/O).
   */
  notes?(state: { context: TContext; value: unknown }): string[];
  /**
   * For a lifecycle that runs until told to stop (a server): the event a first Ctrl-C or SIGTERM sends, so that it
   * shuts down the way its machine models (preboot: `STOP`, which releases every socket and ends in `stopped`)
   * instead of being interrupted half-way. A second signal interrupts at once (resumable). Without it, a signal
   * interrupts the run.
   */
  shutdownEvent?: EventObject;
  /**
   * What `status`, the live line and the journal show as the run's step, attempts and last error, read from a
   * state. Without it they are read from the step helper's context fields (`step`, `attempts`, `lastError`:
   * `lifecycle-kit/steps`), when the context has them. Pure.
   */
  progress?(state: { context: TContext; value: unknown }): SelectedProgress;
}

/** The services of a built-in lifecycle: everything a sandboxed demo, `--verify` and the generated suites use. */
export interface BuiltinServices<TInput = unknown, TContext = unknown> extends LifecycleServices<TInput, TContext> {
  lifecycle: string;
  actors: Record<string, AnyActorLogic>;
  invariants: Record<string, Invariant<TInput, TContext>>;
  sandboxInput(dir: string): Promise<TInput>;
}
