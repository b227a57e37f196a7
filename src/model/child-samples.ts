import type { AnyMachineSnapshot, AnyStateMachine, EventObject } from 'xstate';
import type { EventCatalogue } from '../../machines/catalogue.ts';
import { redispatched } from './dispatch-probe.ts';
import { isMachine } from './load.ts';
import { serviceIds } from './query.ts';
import { atFixedTime, createStepper, realNow } from './stepper.ts';
import type { LifecycleGraph } from './types.ts';

/** Most states of a child machine explored for its samples, and most samples kept per kind. */
const MAX_CHILD_STATES = 200;
const MAX_CHILD_MS = 250;
const MAX_SAMPLES = 8;

/**
 * Samples for invoked actors that are machines themselves, taken from the child machine as it runs: the outputs of
 * the final states it reaches and the snapshots it passes through (what `onDone` and `onSnapshot` receive), found by
 * exploring the child breadth-first with XState's pure transition (bounded, no service runs). A child's output
 * may be more than data (an `Either` whose `caseOf` the parent calls): only the child itself can make one. Pure but
 * for the time bound.
 *
 * @example
 * childMachineSamples(machine, graph).catalogue.services?.deviceStatus?.done; // [Right({ currentApp: 'BOLOS' })]
 */
export function childMachineSamples(machine: AnyStateMachine, graph: LifecycleGraph): { catalogue: EventCatalogue; origins: Record<string, string> } {
  const actors = (machine.implementations.actors ?? {}) as Record<string, unknown>;
  const services: NonNullable<EventCatalogue['services']> = {};
  const origins: Record<string, string> = {};
  for (const src of new Set(serviceIds(graph).values())) {
    const logic = actors[src];
    if (!isMachine(logic) || logic === machine) continue;
    let found: { outputs: unknown[]; snapshots: unknown[] };
    try {
      found = atFixedTime(() => exploreChild(logic));
    } catch {
      continue;
    }
    const entry: { done?: unknown[]; snapshot?: unknown[] } = {};
    if (found.outputs.length) {
      entry.done = found.outputs;
      origins[`services.${src}.done`] = `the outputs of the final states child machine '${logic.id}' reaches`;
    }
    if (found.snapshots.length) {
      entry.snapshot = found.snapshots;
      origins[`services.${src}.snapshot`] = `snapshots of child machine '${logic.id}' as it runs`;
    }
    if (entry.done || entry.snapshot) services[src] = entry;
  }
  return { catalogue: Object.keys(services).length ? { services } : {}, origins };
}

function exploreChild(child: AnyStateMachine): { outputs: unknown[]; snapshots: unknown[] } {
  const stepper = createStepper(child);
  const deadline = realNow() + MAX_CHILD_MS;
  const outputs = new Map<string, unknown>();
  const snapshots = new Map<string, unknown>();
  const seen = new Set<string>();
  const queue: AnyMachineSnapshot[] = [];
  const visit = (s: AnyMachineSnapshot) => {
    const key = keyOf({ status: s.status, value: s.value, context: s.context });
    if (seen.has(key) || seen.size >= MAX_CHILD_STATES) return;
    seen.add(key);
    if (s.status === 'error') return;
    // An output whose methods only dispatch (an `Either`) is made again as our own dispatching sample, which a
    // generated test can write as code (see `redispatched`); the child's own closures no file could hold.
    const output = s.status === 'done' ? redispatched(s.output) : undefined;
    if (snapshots.size < MAX_SAMPLES) snapshots.set(key, { status: s.status, value: s.value, context: redispatched(s.context), ...(s.status === 'done' ? { output } : {}) });
    if (s.status === 'done') {
      // Keyed by the final snapshot: outputs that differ only in what their closures hold (`Right(a)`, `Right(b)`) differ there.
      if (!outputs.has(key) && outputs.size < MAX_SAMPLES) outputs.set(key, output);
      return;
    }
    queue.push(s);
  };
  for (const input of [undefined, {}]) {
    try {
      const first = stepper.initial(input);
      if (!first.error) {
        visit(first.snapshot);
        break;
      }
    } catch {
      // a context factory that needs more of its input: try the next
    }
  }
  while (queue.length && realNow() < deadline) {
    const s = queue.shift()!;
    for (const event of childEvents(stepper.candidates(s))) {
      try {
        const next = stepper.step(s, event);
        if (next.taken.length && !next.error) visit(next.snapshot);
      } catch {
        // a guard or action that needs a payload the child's parent would send
      }
    }
  }
  return { outputs: [...outputs.values()], snapshots: [...snapshots.values()] };
}

/** Events that move a child along with no samples of its own: its timers, services finishing (with nothing, or an empty object) or failing, plain events. */
function childEvents(descriptors: string[]): EventObject[] {
  const out: EventObject[] = [];
  for (const d of descriptors) {
    if (d === '' || d.startsWith('xstate.done.state.')) continue;
    if (d.startsWith('xstate.done.actor.')) out.push({ type: d, output: undefined } as EventObject, { type: d, output: {} } as EventObject);
    else if (d.startsWith('xstate.error.actor.')) out.push({ type: d, error: { message: 'injected failure' } } as EventObject);
    else if (d === '*' || d.endsWith('.*')) out.push({ type: d === '*' ? 'lifecycle.any' : `${d.slice(0, -1)}any` });
    else if (!d.startsWith('xstate.snapshot.')) out.push({ type: d });
  }
  return out;
}

let unkeyed = 0;

/** A key telling values apart by content, functions by their source (two `Right` values with different data differ in context, not in closures). */
function keyOf(value: unknown): string {
  try {
    return JSON.stringify(value, (_k, v) => (typeof v === 'function' ? `fn:${String(v)}` : v instanceof Set ? [...v] : v instanceof Map ? [...v] : v)) ?? 'undefined';
  } catch {
    return `unkeyed:${unkeyed++}`;
  }
}
