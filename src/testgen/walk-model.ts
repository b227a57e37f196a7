/**
 * What a random walk may do at each point: the events the machine's active states handle, with the catalogue's
 * payloads (the same alphabet exploration uses), stepped with XState's pure transition, keeping only the steps a
 * generated test can deliver in the same way. The test (harness.ts) settles a service once, and moves its clock
 * only for an `after` step, by that timer's delay; so a walk offers a service's done/error only while that very
 * invocation runs, and a timer only while it is armed, has not fired, was armed at the current instant (else its
 * delay from now would overshoot) and no other timer would fire first or along the way.
 */
import type { AnyMachineSnapshot, AnyStateMachine, EventObject, StateValue } from 'xstate';
import type { EventCatalogue } from '../../machines/catalogue.ts';
import { createStepper, EXPLORATION_TIME, type GuardChoices, type StepResult } from '../model/stepper.ts';
import type { GraphTransition, LifecycleGraph } from '../model/types.ts';
import { serviceIdFor, serviceIds } from '../model/query.ts';
import { alphabet, choosing } from '../paths/explore.ts';

/** A point of a walk: the model's snapshot, and the test's clock and services there. */
export interface Position {
  snapshot: AnyMachineSnapshot;
  /** Milliseconds the test's clock has moved since the start. */
  now: number;
  /** The active states' `after` timers, by event type. */
  timers: ReadonlyMap<string, Timer>;
  /** Invoked children whose done or error event a step delivered. */
  settled: ReadonlySet<object>;
}

interface Timer {
  /** When it fires (ms since the start); Infinity when its delay cannot be computed. */
  due: number;
  fired: boolean;
}

/** A step a test can follow. */
export interface Move {
  event: EventObject;
  guards?: GuardChoices;
  /** Graph transition ids it takes. */
  taken: string[];
  next: Position;
}

/** A step on which the machine fails: XState threw, or the machine ended in error. */
export interface Failure {
  event: EventObject;
  guards?: GuardChoices;
  kind: 'threw' | 'error';
  message: string;
  /** The state value it was left in (before the step, when XState threw). */
  state: StateValue;
  taken: string[];
}

export type Outcome = Move | Failure;

export const isFailure = (o: Outcome): o is Failure => !('next' in o);

/** A way the machine starts: an input, guard outcomes chosen for placeholder guards, and where it is then. */
export interface Start {
  input: unknown;
  guards?: GuardChoices;
  taken: string[];
  position: Position;
}

export interface WalkModel {
  /** The starts a test can follow, and why the others failed. */
  starts(): { starts: Start[]; failed: string[] };
  /** The events to try at a position, grouped by type, in the alphabet's order. */
  events(position: Position): EventObject[][];
  /** Every outcome of `event` a test can follow (one per guard choice for placeholder guards), failures included. */
  outcomes(position: Position, event: EventObject): Outcome[];
  /** The outcome of `event` with these guard choices, or undefined when a test could not deliver or follow it. */
  follow(position: Position, event: EventObject, guards?: GuardChoices): Outcome | undefined;
}

/** Timers of 0 ms one step may set off in a row (each arming the next) before the walk gives up on the step. */
const MAX_ZERO_TIMERS = 10;

/** A guard choice beyond what exploration chooses (see `choosing`): not the machine's failure. */
const PLACEHOLDER = /\bguard \S+ threw: /;

export function createWalkModel(machine: AnyStateMachine, graph: LifecycleGraph, catalogue: EventCatalogue = {}): WalkModel {
  const stepper = createStepper(machine);
  const srcOf = serviceIds(graph);
  const owner = new Map(graph.transitions.filter((t) => t.kind === 'after').map((t) => [t.event, t.source]));
  const byId = new Map(graph.transitions.map((t) => [t.id, t]));
  const parent = new Map(graph.states.map((s) => [s.id, s.parent]));
  const inside = (id: string, ancestor: string): boolean => {
    for (let p = parent.get(id); p !== undefined; p = parent.get(p)) if (p === ancestor) return true;
    return false;
  };
  // XState's transition domain: the source, for a transition that stays inside it without re-entering; else the
  // nearest proper ancestor of the source containing every target. Active states inside the domain are exited.
  const domain = (t: GraphTransition): string => {
    if (!t.reenter && t.targets.every((x) => x === t.source || inside(x, t.source))) return t.source;
    for (let a = parent.get(t.source); a !== undefined; a = parent.get(a)) if (t.targets.every((x) => inside(x, a))) return a;
    return graph.root;
  };
  const reentered = (state: string, taken: string[]): boolean =>
    taken.some((id) => {
      const t = byId.get(id);
      return t !== undefined && t.targets.length > 0 && inside(state, domain(t));
    });

  const childOf = (snapshot: AnyMachineSnapshot, type: string): object | undefined => {
    const children = snapshot.children as Record<string, object | undefined>;
    const id = serviceIdFor(type.replace(/^xstate\.(done|error)\.actor\./, ''), Object.keys(children));
    return id === undefined ? undefined : children[id];
  };

  /** When a test can deliver `event` at `position`: the time it happens at; undefined when it cannot. */
  const deliverable = (position: Position, event: EventObject): number | undefined => {
    const { type } = event;
    if (type.startsWith('xstate.after.')) {
      const timer = position.timers.get(type);
      const delay = stepper.delayOf(position.snapshot, type);
      if (!timer || timer.fired || delay === undefined || timer.due !== position.now + delay) return undefined;
      for (const [other, t] of position.timers) if (other !== type && !t.fired && t.due <= timer.due) return undefined;
      return timer.due;
    }
    if (type.startsWith('xstate.done.actor.') || type.startsWith('xstate.error.actor.')) {
      const child = childOf(position.snapshot, type);
      if (!child || position.settled.has(child)) return undefined;
    }
    return position.now;
  };

  /** The active states' timers after a step that took `taken` (and fired `fired`), at time `at`. */
  const armed = (before: ReadonlyMap<string, Timer> | undefined, fired: string | undefined, at: number, result: StepResult): Map<string, Timer> => {
    const timers = new Map<string, Timer>();
    for (const d of stepper.candidates(result.snapshot)) {
      if (!d.startsWith('xstate.after.')) continue;
      const old = before?.get(d);
      const state = owner.get(d);
      if (old && state !== undefined && !reentered(state, result.taken)) timers.set(d, d === fired ? { ...old, fired: true } : old);
      else timers.set(d, { due: at + (stepper.delayOf(result.snapshot, d) ?? Number.POSITIVE_INFINITY), fired: false });
    }
    return timers;
  };

  /**
   * Where a step at time `at` lands. A timer it arms with a delay of 0 fires at once, as the test's settling fires
   * it, so it is part of the step (its transitions join the step's); a failure there is the step's.
   */
  const land = (
    position: Position | undefined,
    event: EventObject | undefined,
    at: number,
    first: StepResult,
  ): { next: Position; taken: string[] } | Pick<Failure, 'kind' | 'message' | 'state' | 'taken'> | undefined => {
    const settled = new Set(position?.settled);
    const child = event && position && /^xstate\.(done|error)\.actor\./.test(event.type) ? childOf(position.snapshot, event.type) : undefined;
    if (child) settled.add(child);
    let result = first;
    const taken = [...first.taken];
    let timers = armed(position?.timers, event?.type, at, result);
    for (let round = 0; ; round++) {
      const due = [...timers].find(([, t]) => !t.fired && t.due <= at)?.[0];
      if (due === undefined) return { next: { snapshot: result.snapshot, now: at, timers, settled }, taken };
      if (round >= MAX_ZERO_TIMERS || result.snapshot.status !== 'active') return undefined;
      try {
        result = stepper.step(result.snapshot, { type: due }, undefined, EXPLORATION_TIME + at);
      } catch (error) {
        const message = oneLine(error);
        return PLACEHOLDER.test(message) ? undefined : { kind: 'threw', message, state: result.snapshot.value, taken };
      }
      taken.push(...result.taken);
      if (result.error) return { kind: 'error', message: result.error, state: result.snapshot.value, taken };
      timers = armed(timers, due, at, result);
    }
  };

  const classify = (position: Position, event: EventObject, at: number, outcome: { result: StepResult; guards?: GuardChoices } | { message: string; guards?: GuardChoices }): Outcome | undefined => {
    const chosen = outcome.guards ? { guards: outcome.guards } : {};
    if ('message' in outcome) {
      if (PLACEHOLDER.test(outcome.message)) return undefined;
      return { event, ...chosen, kind: 'threw', message: outcome.message, state: position.snapshot.value, taken: [] };
    }
    const { result } = outcome;
    if (result.error) return { event, ...chosen, kind: 'error', message: result.error, state: result.snapshot.value, taken: result.taken };
    if (result.taken.length === 0) return undefined; // nothing happens: no step
    const landed = land(position, event, at, result);
    return landed && { event, ...chosen, ...landed };
  };

  const step = (position: Position, event: EventObject, at: number) => (guards?: GuardChoices) => stepper.step(position.snapshot, event, guards, EXPLORATION_TIME + at);

  return {
    starts() {
      const given = catalogue.inputs ?? (catalogue.input === undefined ? undefined : [catalogue.input]);
      const starts: Start[] = [];
      const failed: string[] = [];
      const tryInput = (input: unknown) => {
        for (const outcome of choosing((guards) => stepper.initial(input, guards))) {
          if ('message' in outcome) failed.push(outcome.message);
          else if (outcome.result.error) failed.push(outcome.result.error);
          else {
            const landed = land(undefined, undefined, 0, outcome.result);
            if (landed && 'next' in landed) starts.push({ input, ...(outcome.guards ? { guards: outcome.guards } : {}), taken: landed.taken, position: landed.next });
            else failed.push(landed ? landed.message : 'its 0 ms timers keep firing');
          }
        }
      };
      // As exploration does: every given input; without one (or when none starts), no input, else an empty object.
      for (const input of given ?? []) tryInput(input);
      if (starts.length === 0) for (const input of [undefined, {}]) if ((tryInput(input), starts.length)) break;
      return { starts, failed };
    },
    events(position) {
      const groups = new Map<string, EventObject[]>();
      for (const e of alphabet(stepper.candidates(position.snapshot), catalogue, srcOf)) {
        const group = groups.get(e.type);
        if (group) group.push(e);
        else groups.set(e.type, [e]);
      }
      return [...groups.values()];
    },
    outcomes(position, event) {
      const at = deliverable(position, event);
      if (at === undefined) return [];
      return choosing(step(position, event, at)).flatMap((o) => classify(position, event, at, o) ?? []);
    },
    follow(position, event, guards) {
      const at = deliverable(position, event);
      if (at === undefined) return undefined;
      const chosen = guards ? { guards } : {};
      let outcome: { result: StepResult; guards?: GuardChoices } | { message: string; guards?: GuardChoices };
      try {
        outcome = { result: step(position, event, at)(guards), ...chosen };
      } catch (error) {
        outcome = { message: oneLine(error), ...chosen };
      }
      return classify(position, event, at, outcome);
    },
  };
}

function oneLine(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).replace(/\s*\n\s*/g, ' ');
}
