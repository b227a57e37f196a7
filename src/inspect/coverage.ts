/**
 * Which transitions a step took, worked out from what the inspection protocol carries (the previous snapshot,
 * the event, the new snapshot), so that any `@statelyai/inspect` client gets live coverage.
 *
 * - With the machine at hand (the inspected lifecycle), the step is replayed with XState's own pure transition
 *   logic ({@link createStepper}): exact, guards and eventless chains included. Nothing executes.
 * - With only a graph (rebuilt from a client's definition), it is inferred: the first transition for the event
 *   from an active state whose targets are active afterwards, then eventless transitions chained from there.
 */
import type { AnyMachineSnapshot, AnyStateMachine } from 'xstate';
import { createStepper } from '../model/stepper.ts';
import type { GraphTransition, LifecycleGraph } from '../model/types.ts';
import { activeStateIds } from './graph-view.ts';
import type { WireSnapshot } from './protocol.ts';

export interface CoverageTracker {
  /** `exact` when replayed with the machine, `inferred` otherwise. */
  readonly mode: 'exact' | 'inferred';
  /** Transition ids taken from `previous` (undefined for the first snapshot) to `next` through `event`. */
  taken(previous: WireSnapshot | undefined, event: { type: string }, next: WireSnapshot): string[];
}

/**
 * @example
 * const tracker = createCoverageTracker(graph, installMachine);
 * tracker.taken(prev, { type: 'RETRY_NOW' }, next); // ['install.installing.kibana_assets.retrying:RETRY_NOW:0']
 */
export function createCoverageTracker(graph: LifecycleGraph, machine?: AnyStateMachine): CoverageTracker {
  const stepper = machine ? createStepper(machine) : undefined;
  const known = new Set(graph.transitions.map((t) => t.id));
  return {
    mode: stepper ? 'exact' : 'inferred',
    taken(previous, event, next) {
      if (next.status === 'error' && previous?.status !== 'error' && event.type !== 'xstate.init') {
        // A throwing guard or action: XState keeps the old value; nothing was taken.
        return [];
      }
      if (stepper && machine) {
        try {
          const replayed =
            previous === undefined || event.type === 'xstate.init'
              ? stepper.initial((event as { input?: unknown }).input)
              : stepper.step(machine.resolveState({ value: previous.value as never, context: previous.context as never }) as AnyMachineSnapshot, event);
          if (!replayed.error && sameValue(replayed.snapshot.value, next.value)) {
            return replayed.taken.filter((id) => known.has(id));
          }
        } catch {
          // fall through to inference
        }
      }
      return inferTaken(graph, previous, event, next);
    },
  };
}

/** Inference from the two values alone (see the module comment). */
export function inferTaken(graph: LifecycleGraph, previous: WireSnapshot | undefined, event: { type: string }, next: WireSnapshot): string[] {
  const after = new Set(activeStateIds(graph, next.value));
  const before = new Set(previous ? activeStateIds(graph, previous.value) : [graph.root]);
  const taken: string[] = [];
  const bySource = new Map<string, GraphTransition[]>();
  for (const t of graph.transitions) bySource.set(t.source, [...(bySource.get(t.source) ?? []), t]);

  const lands = (t: GraphTransition) => t.targets.length > 0 && t.targets.every((id) => after.has(id));
  const matches = (t: GraphTransition) =>
    t.event === event.type ||
    t.event === '*' ||
    (t.event.endsWith('.*') && event.type.startsWith(t.event.slice(0, -1)));
  // A state and what entering it enters: its initial child (compound) or every region (parallel), recursively.
  const entering = (id: string): string[] => {
    const s = graph.states.find((x) => x.id === id);
    if (!s) return [];
    const inner = s.kind === 'parallel' ? s.children : s.kind === 'compound' ? (s.initial ?? []) : [];
    return [id, ...inner.flatMap(entering)];
  };
  /** Eventless transitions from the states `targets` enter that are not active afterwards, chained. */
  const eventless = (targets: string[]): string[] => {
    const chain: string[] = [];
    const seen = new Set<string>();
    const queue = targets.flatMap(entering);
    while (queue.length) {
      const id = queue.shift()!;
      if (seen.has(id) || after.has(id)) continue;
      seen.add(id);
      const t = (bySource.get(id) ?? []).find((x) => x.kind === 'always' && (lands(x) || reaches(x, seen)));
      if (t) {
        chain.push(t.id);
        queue.push(...t.targets.flatMap(entering));
      }
    }
    return chain;
  };
  /** Whether an eventless transition leads, through more eventless ones, to states active afterwards. */
  const reaches = (t: GraphTransition, seen: Set<string>, depth = 0): boolean =>
    depth < 16 &&
    t.targets.length > 0 &&
    t.targets.flatMap(entering).some(
      (id) => after.has(id) || (!seen.has(id) && (bySource.get(id) ?? []).some((x) => x.kind === 'always' && reaches(x, new Set([...seen, id]), depth + 1))),
    );

  if (previous && event.type !== 'xstate.init') {
    // Deepest active states first: XState prefers the innermost transition.
    for (const source of [...before].reverse()) {
      const candidates = (bySource.get(source) ?? []).filter(matches);
      const t =
        candidates.find((x) => lands(x)) ??
        candidates.find((x) => x.targets.length > 0 && reaches(x, new Set())) ??
        candidates.find((x) => x.targets.length === 0 && sameValue(previous.value, next.value));
      if (!t) continue;
      taken.push(t.id, ...eventless(t.targets));
      break;
    }
  } else {
    taken.push(...eventless([graph.root]));
  }
  return taken;
}

function sameValue(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}
