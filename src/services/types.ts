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
