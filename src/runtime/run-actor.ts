import { createActor, type AnyActorLogic, type EventObject, type InspectionEvent, type AnyActorRef, type AnyMachineSnapshot, type AnyStateMachine } from 'xstate';
import { UserError } from '../errors.ts';
import { extractGraph } from '../model/extract.ts';
import type { Invariant, InvariantProbe } from '../services/types.ts';
import { checkInvariants, formatViolations } from './check-invariants.ts';
import { guardService } from './guard-service.ts';
import type { InboxReceipt } from './inbox.ts';
import { explainOutcome, journalEntry, outcomeOf, progressOf, type ProgressSelector } from './progress-view.ts';
import { restartDelays, type RestartedDelay } from './restart-delays.ts';
import { activeStateNodes, describeValue } from './state-paths.ts';
import { createTransitionRecorder } from './transition-ids.ts';
import { withTransitionHooks } from './transition-hooks.ts';
import type { JournalEntry, RunStore } from './types.ts';
import { waitInfo, type WaitInfo } from './waiting.ts';

/** How often a run looks at its inbox and checks it is not stuck. */
const POLL_MS = 200;
/** Inbox ids a snapshot remembers as delivered (a resume settles a message found there without sending it). */
const DELIVERED_KEPT = 100;

/** How one actor run is set up: the machine, its services, and the runtime's guards. */
export interface ActorRunOptions {
  store: RunStore;
  /** Names the machine in messages. */
  lifecycle: string;
  machine: AnyStateMachine;
  /** Real implementations of the actors the machine names (a `LifecycleServices`' actors). */
  actors?: Record<string, AnyActorLogic>;
  /** Per-state invariants, checked after every transition when `verify` is on. */
  invariants?: Record<string, Invariant>;
  /**
   * Check the invariants of every active state after every transition, before that state's services start; a
   * violation fails the run.
   */
  verify?: boolean;
  /**
   * The time any one service instance may take, in ms (null: no limit). Not applied to services of states tagged
   * `waiting`, which are long-lived by design (a server, a watcher); name those in `timeouts` to limit them.
   */
  timeoutMs?: number | null;
  /** Time limits by actor name, over `timeoutMs` (0: no limit). */
  timeouts?: Record<string, number>;
  /** Aborting stops the run: the actor is stopped, its services cleaned up, nothing more is saved. */
  signal?: AbortSignal;
  /**
   * Aborting asks the machine to shut down: `shutdown.event` is sent, as soon as the current state accepts it, and
   * the run goes on to wherever the machine takes it, saved as usual. For lifecycles that run until told to stop.
   */
  shutdown?: { signal: AbortSignal; event: EventObject };
  /** After every saved transition (and the start or resume), with its journal line. */
  onTransition?(entry: JournalEntry, snapshot: AnyMachineSnapshot): void;
  /** Every snapshot the actor emits, progress-only ones included: for a live progress line. */
  onSnapshot?(snapshot: AnyMachineSnapshot): void;
  /**
   * On a resume, before the restored actor starts: re-opens what its state names but what died with the process
   * that ran it (a `LifecycleServices.restore`). A throw fails the resume with nothing saved.
   */
  restore?(state: InvariantProbe): Promise<void>;
  /** What a person should know as it happens (a timer a resume started again, an archived run, a repaired journal). */
  onNotice?(notice: Notice): void;
  /** Another inspection observer (the live inspector of `run --inspect`), given every inspection event. */
  inspect?(event: InspectionEvent): void;
  /** Reads step, attempts and last error from a state (a `LifecycleServices.progress`); default: the step fields. */
  progress?: ProgressSelector;
  /**
   * When the run comes to rest in a state only an event (or a timer) can leave, once per such state: what it
   * accepts, so a person can send it (`lifecycle send`).
   */
  onWaiting?(wait: WaitInfo): void;
  /** Once the actor runs: a way to send it events from this process (the inspector page), checked like the inbox's. */
  onControl?(control: RunControl): void;
}

/** Sends an event to a running run, as `lifecycle send` does through the inbox. */
export interface RunControl {
  /** Delivers an event if the current state takes it; never fails the run (a throwing guard is a refusal). */
  send(event: unknown): Omit<InboxReceipt, 'id' | 'time'>;
  /** The running actor (to attach an inspector's controls to). */
  actor: AnyActorRef;
}

/** Something a person should know that does not stop the run. */
export interface Notice {
  level: 'info' | 'warning';
  message: string;
}

/** How an actor run ended. */
export interface ActorRunEnd {
  /** `ended`: a final state the machine marks neither as a success nor as a failure (`outcomeOf`). */
  status: 'succeeded' | 'failed' | 'ended' | 'interrupted';
  snapshot: AnyMachineSnapshot;
  /** Why it failed: the machine's last error, a violated invariant, or an error of the runtime. */
  error: string | null;
  /** `after` timers a resume started again. */
  restartedDelays: RestartedDelay[];
}

/**
 * Runs `machine` as an XState actor until it reaches a final state (or fails, or is interrupted), saving its
 * persisted snapshot and a journal line to `store` after every transition. With `saved`, the actor is restored from
 * that persisted snapshot and continues: invoked services that were in flight start again, and so do `after`
 * timers. The store must be locked by the caller.
 */
export async function runActor(options: ActorRunOptions & { input: unknown; saved?: unknown; delivered?: string[] }): Promise<ActorRunEnd> {
  const { store, lifecycle, machine, input, saved } = options;
  const resuming = saved !== undefined;
  const delivered = [...(options.delivered ?? [])];
  /** The message of the last error event a service sent (for a failure the context does not explain). */
  let lastServiceError: string | null = null;
  let actor: AnyActorRef;
  let verification: Promise<void> | null = null;
  let violation: string | null = null;
  const notify = (entry: JournalEntry, snapshot: AnyMachineSnapshot) => {
    try {
      options.onTransition?.(entry, snapshot);
    } catch {
      // A printer's failure must not break a transition that is already saved.
    }
  };

  /**
   * Saves a transition: its journal line, then its snapshot. The snapshot is made before the line is written, and a
   * snapshot that cannot be written (a full disk) takes the line back, so a failure leaves no line for a transition
   * that was never saved.
   */
  const persist = (entry: JournalEntry, snapshot: AnyMachineSnapshot | null) => {
    let persisted: unknown;
    if (snapshot) {
      try {
        persisted = hooked.getPersistedSnapshot(snapshot);
      } catch (error) {
        throw new UserError(
          `cannot save the state of ${lifecycle}: ${(error as Error).message} (name every invoked actor in setup({ actors }) so that a resume can find it)`,
        );
      }
    }
    store.appendJournal(entry);
    if (!snapshot) return;
    try {
      const { step, attempts, lastError } = progressOf(snapshot.context, options.progress, snapshot.value);
      store.saveSnapshot({
        version: 1,
        savedAt: new Date().toISOString(),
        snapshot: persisted,
        progress: { step, attempts, lastError },
        ...(delivered.length ? { delivered: delivered.slice(-DELIVERED_KEPT) } : {}),
      });
    } catch (error) {
      try {
        store.retractJournal?.();
      } catch {
        // The line stays: at-least-once, as after a crash between the two writes.
      }
      throw error;
    }
  };

  // --verify: each check runs after the one before, and gates the services of the state it checks.
  const verify = (snapshot: AnyMachineSnapshot, event: string) => {
    if (!options.verify || !options.invariants) return;
    const probe = { input, context: snapshot.context, value: snapshot.value };
    verification = (verification ?? Promise.resolve()).then(async () => {
      if (violation) return;
      const found = await checkInvariants(options.invariants!, probe);
      if (found.length === 0) return;
      violation = `invariant violated in ${describeValue(snapshot.value)} (after ${event}): ${formatViolations(found)}`;
      if (actor.getSnapshot().status === 'active') actor.stop();
    });
  };

  const timeoutFor = (name: string, self: AnyActorRef): number | null => {
    const named = options.timeouts?.[name];
    if (named !== undefined) return named > 0 ? named : null;
    if (!options.timeoutMs) return null;
    const invoker = activeStateNodes(machine, (actor.getSnapshot() as AnyMachineSnapshot).value).find((node) =>
      node.invoke.some((inv) => inv.id === self.id),
    );
    return invoker?.tags.includes('waiting') ? null : options.timeoutMs;
  };
  const implementations = { ...(machine.implementations.actors as Record<string, AnyActorLogic>), ...(options.actors ?? {}) };
  const guarded = Object.fromEntries(
    Object.entries(implementations).map(([name, logic]) => [
      name,
      guardService(name, logic, { timeoutFor: (self) => timeoutFor(name, self), gate: () => verification }),
    ]),
  );

  const provided = machine.provide({ actors: guarded } as never);
  const recorder = createTransitionRecorder(provided);
  const hooked = withTransitionHooks(provided, {
    onStart(snapshot) {
      if (resuming) {
        const entry = { ...journalEntry(snapshot, snapshot, { type: 'lifecycle.resume' }, undefined, undefined, options.progress) };
        delete entry.error;
        persist(entry, null);
        notify(entry, snapshot);
      } else {
        const entry = journalEntry(null, snapshot, { type: 'xstate.init' }, recorder.take(), undefined, options.progress);
        persist(entry, snapshot);
        notify(entry, snapshot);
      }
      verify(snapshot, resuming ? 'resume' : 'start');
    },
    onTransition(previous, next, event) {
      // Journal first: a crash between the two leaves a line whose transition a resume repeats (at-least-once),
      // never a saved state the journal does not mention; a torn line means the snapshot was not saved either.
      // The retry's own transition (`lifecycle.retry`, added by retryRun) is not the machine's: left out of the ids.
      const entry = journalEntry(previous, next, event, recorder.take().filter((id) => !id.includes(':lifecycle.retry:')), undefined, options.progress);
      if (event.type.startsWith('xstate.error.actor.')) {
        const error = (event as { error?: unknown }).error;
        lastServiceError = `${event.type.slice('xstate.error.actor.'.length)} failed: ${error instanceof Error ? error.message : String(error)}`;
      }
      persist(entry, next);
      notify(entry, next);
      verify(next, event.type);
    },
  });

  const inspect = options.inspect
    ? (event: InspectionEvent) => {
        recorder.inspect(event);
        options.inspect!(event);
      }
    : recorder.inspect;
  actor = createActor(hooked, { input, inspect, ...(resuming ? { snapshot: saved as never } : {}) });
  const initial = actor.getSnapshot() as AnyMachineSnapshot;
  if (initial.status === 'error') {
    const reason = (initial.error as Error | undefined)?.message ?? String(initial.error);
    throw new UserError(
      resuming
        ? `the saved snapshot in ${store.location} does not fit the ${lifecycle} machine (${reason}): nothing was changed`
        : `${lifecycle} cannot start: ${reason}`,
    );
  }

  if (resuming && options.restore) {
    try {
      await options.restore({ input, context: initial.context, value: initial.value });
    } catch (error) {
      throw new UserError(`cannot resume ${lifecycle} in ${describeValue(initial.value)}: ${(error as Error).message}; the run was not resumed (resume it again once that is fixed)`);
    }
  }

  return new Promise<ActorRunEnd>((resolve) => {
    let restartedDelays: RestartedDelay[] = [];
    let ended = false;
    const end = async (status: ActorRunEnd['status'] | null, error: string | null) => {
      if (ended) return;
      ended = true;
      clearInterval(poller);
      options.signal?.removeEventListener('abort', onAbort);
      shutdown?.signal.removeEventListener('abort', onShutdown);
      await verification?.catch(() => undefined);
      const snapshot = actor.getSnapshot() as AnyMachineSnapshot;
      if (violation) return resolve({ status: 'failed', snapshot, error: violation, restartedDelays });
      const outcome = status ?? outcomeOf(snapshot) ?? 'failed';
      const lastError = progressOf(snapshot.context, options.progress, snapshot.value).lastError;
      const reason =
        error ??
        (outcome === 'failed'
          ? lastError
            ? `${lastError.step ? `${lastError.step}${lastError.attempt ? ` (attempt ${lastError.attempt})` : ''}: ` : ''}${lastError.message}`
            : (lastServiceError ?? `the final state ${describeValue(snapshot.value)} is ${explainOutcome(snapshot)?.because ?? 'not final'}`)
          : null);
      resolve({ status: outcome, snapshot, error: reason, restartedDelays });
    };
    const onAbort = () => {
      actor.stop();
      void end('interrupted', null);
    };
    // A shutdown asked for while the state does not accept the event (or during a transition) waits for a state
    // that does: it is tried again at every snapshot, and sent once.
    const shutdown = options.shutdown;
    let shutdownState: 'none' | 'pending' | 'sent' = 'none';
    const trySendShutdown = (snapshot: AnyMachineSnapshot) => {
      if (shutdownState !== 'pending' || snapshot.status !== 'active' || !snapshot.can(shutdown!.event)) return;
      shutdownState = 'sent';
      actor.send(shutdown!.event);
    };
    const onShutdown = () => {
      if (shutdownState === 'none') shutdownState = 'pending';
      trySendShutdown(actor.getSnapshot() as AnyMachineSnapshot);
    };

    actor.subscribe({
      next(snapshot: AnyMachineSnapshot) {
        try {
          options.onSnapshot?.(snapshot);
        } catch {
          // As above: display only.
        }
        if (snapshot.status === 'done') void end(null, null);
        else trySendShutdown(snapshot);
      },
      error(error: unknown) {
        void end('failed', error instanceof Error ? error.message : String(error));
      },
      complete() {
        // Stopped by a violation: `end` reports it.
        if (violation) void end('failed', violation);
      },
    });
    // Events from outside, checked before they reach the machine: a refused one never touches the run.
    const deliver = (event: unknown, id?: string): Omit<InboxReceipt, 'id' | 'time'> => {
      const snapshot = actor.getSnapshot() as AnyMachineSnapshot;
      const from = describeValue(snapshot.value);
      const type = event && typeof event === 'object' && typeof (event as { type?: unknown }).type === 'string' ? (event as { type: string }).type : null;
      const refuse = (reason: string) => ({ accepted: false, ...(type ? { event: type } : {}), from, reason });
      if (ended || snapshot.status !== 'active') return refuse('the run is not running');
      if (!type || Array.isArray(event)) return refuse('an event is a JSON object with a string "type"');
      if (type.startsWith('xstate.')) return refuse(`${type} is an event of XState itself; send one of the machine's events`);
      const refusal = refusalOf(machine, snapshot, event as EventObject);
      if (refusal) return refuse(refusal);
      if (id) delivered.push(id);
      actor.send(event as EventObject);
      return { accepted: true, event: type, from, to: describeValue((actor.getSnapshot() as AnyMachineSnapshot).value) };
    };
    const inbox = store.inbox;
    const settled = new Set(delivered);
    const readInbox = () => {
      if (!inbox) return;
      for (const message of inbox.read()) {
        if (ended) return;
        const receipt = settled.has(message.id)
          ? { accepted: true, reason: 'delivered before the run stopped' }
          : message.error
            ? { accepted: false, reason: message.error }
            : deliver(message.event, message.id);
        settled.add(message.id);
        try {
          inbox.settle(message.id, { id: message.id, time: new Date().toISOString(), ...receipt });
        } catch (error) {
          options.onNotice?.({ level: 'warning', message: `cannot settle inbox message ${message.id}: ${(error as Error).message}` });
        }
        options.onNotice?.({
          level: receipt.accepted ? 'info' : 'warning',
          message: receipt.accepted
            ? `  (${'event' in receipt ? receipt.event : 'an event'} was sent with lifecycle send)`
            : `refused a sent event: ${receipt.reason}`,
        });
      }
    };
    // At rest in a state only an event or a timer can leave: said once per state. At rest where nothing can move
    // the run (a service that finished with no onDone, a non-final state with no way out): a failure, not a hang.
    // A step's backoff waits on its timer; that it also takes CANCEL does not make it a state waiting for a person.
    const backoffs = backoffStates(machine);
    let lastWaitKey = '';
    let stuckSince: string | null = null;
    const checkRest = () => {
      const snapshot = actor.getSnapshot() as AnyMachineSnapshot;
      if (ended || snapshot.status !== 'active') return;
      const wait = waitInfo(machine, snapshot);
      const key = `${wait.kind}:${JSON.stringify(snapshot.value)}`;
      if (wait.kind === 'stuck') {
        // Two polls in a row: a service starting in the same tick is not yet a child.
        if (stuckSince === key) {
          actor.stop();
          void end('failed', `stuck in ${wait.state}: nothing runs there${wait.notRunning.length ? ` (${wait.notRunning.join(', ')} not running)` : ''} and no event or timer can leave it`);
        }
        stuckSince = key;
        return;
      }
      stuckSince = null;
      const retrying = activeStateNodes(machine, snapshot.value).some((node) => backoffs.has(node.id) || node.tags.includes('retrying'));
      if (wait.kind === 'waiting' && key !== lastWaitKey && wait.events.length > 0 && !(wait.timers && retrying)) {
        try {
          options.onWaiting?.(wait);
        } catch {
          // Display only.
        }
      }
      lastWaitKey = key;
    };
    // The poller also keeps the process alive while the run waits for an event: without it a run at rest would
    // leave Node with nothing to do, and it would exit (13, "unsettled top-level await") in the middle of a run.
    const poller = setInterval(() => {
      readInbox();
      checkRest();
    }, POLL_MS);

    if (options.signal?.aborted) return void end('interrupted', null);
    options.signal?.addEventListener('abort', onAbort, { once: true });
    actor.start();
    options.onControl?.({ send: (event) => deliver(event), actor });
    if (shutdown?.signal.aborted) onShutdown();
    else shutdown?.signal.addEventListener('abort', onShutdown, { once: true });
    if (resuming) {
      restartedDelays = restartDelays(actor, hooked);
      for (const d of restartedDelays) {
        options.onNotice?.({ level: 'info', message: `timer of ${d.state} started again: ${d.delay} ms (timers are not saved, so a resume restarts them in full)` });
      }
    }
  });
}

/**
 * Throws a `UserError` when a saved snapshot cannot be restored into `machine` (a state that no longer exists, a
 * snapshot from another machine), before a resume writes anything.
 */
export function assertRestorable(options: Pick<ActorRunOptions, 'store' | 'lifecycle' | 'machine' | 'actors'>, saved: unknown): void {
  const machine = options.actors ? options.machine.provide({ actors: options.actors } as never) : options.machine;
  const snapshot = createActor(machine, { snapshot: saved as never }).getSnapshot() as AnyMachineSnapshot;
  if (snapshot.status === 'error') {
    const reason = (snapshot.error as Error | undefined)?.message ?? String(snapshot.error);
    throw new UserError(`the saved snapshot in ${options.store.location} does not fit the ${options.lifecycle} machine (${reason}): nothing was changed`);
  }
}

/** The ids of the backoff states of the machine's steps (declared with the step helper, or recognised by shape). */
function backoffStates(machine: AnyStateMachine): Set<string> {
  try {
    return new Set(extractGraph(machine).states.flatMap((s) => (s.step ? [s.step.backoff] : [])));
  } catch {
    return new Set();
  }
}

/**
 * Why `snapshot` would refuse an event from outside, or null when it takes it: the state must take its type and
 * the guard must hold; a guard that throws (a missing payload field) is a refusal, never a failed run.
 */
export function refusalOf(machine: AnyStateMachine, snapshot: AnyMachineSnapshot, event: EventObject): string | null {
  const from = describeValue(snapshot.value);
  const type = event.type;
  let accepted: boolean;
  try {
    accepted = snapshot.can(event);
  } catch (error) {
    // XState says "Unable to evaluate guard 'g' in transition …:\n<the guard's own error>": keep both, one line.
    const message = (error as Error).message ?? String(error);
    const guard = /guard '([^']+)'/.exec(message)?.[1];
    const cause = message.split('\n').pop()!.trim();
    return `${guard ? `the guard '${guard}'` : 'a guard'} of ${type} in ${from} threw (${cause}): send the fields it reads`;
  }
  if (accepted) return null;
  const wait = waitInfo(machine, snapshot);
  const takes = wait.events.includes(type) || wait.events.some((d) => d === '*' || (d.endsWith('.*') && type.startsWith(d.slice(0, -1))));
  return takes
    ? `${from} takes ${type} only when its guard holds, and it does not for this event`
    : `${from} does not take ${type}${wait.events.length ? ` (it takes ${wait.events.join(', ')})` : ' (it takes no events)'}`;
}
