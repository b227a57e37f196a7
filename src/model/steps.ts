import { readStepMarker } from '../steps/marker.ts';
import type { GraphState, GraphStep, GraphTransition } from './types.ts';

/**
 * Finds the steps of a machine: states declared with `retryingStep` (their `meta` mark), and compound states
 * that have a step's shape without it — exactly two children, one that invokes a service and fails (an
 * `error.actor` transition) into the other, which invokes nothing and goes back to the first after a delay.
 * The shape is what a retry loop is, whatever the states, services, guards or delays are called.
 *
 * Pure: reads the states and transitions, returns the step of each state id that is one.
 *
 * @example
 * findSteps(graph.states, graph.transitions).get('install.installing.kibana_assets');
 * // { source: 'declared', name: 'kibana_assets', attempt: '…running', backoff: '…retrying', services: [...], ... }
 */
export function findSteps(states: GraphState[], transitions: GraphTransition[]): Map<string, GraphStep> {
  const byId = new Map(states.map((s) => [s.id, s]));
  const bySource = new Map<string, GraphTransition[]>();
  for (const t of transitions) bySource.set(t.source, [...(bySource.get(t.source) ?? []), t]);
  const out = new Map<string, GraphStep>();
  for (const state of states) {
    if (state.kind !== 'compound') continue;
    const children = state.children.map((c) => byId.get(c)!);
    const mark = readStepMarker(state.meta);
    const pairs: [GraphState, GraphState][] = mark
      ? children.flatMap((a) => children.filter((b) => a.key === mark.attempt && b.key === mark.backoff).map((b) => [a, b] as [GraphState, GraphState]))
      : children.length === 2
        ? [[children[0]!, children[1]!], [children[1]!, children[0]!]]
        : [];
    for (const [attempt, backoff] of pairs) {
      const loop = retryLoop(attempt, backoff, bySource);
      if (!loop) continue;
      out.set(state.id, {
        source: mark ? 'declared' : 'recognised',
        name: mark?.name ?? state.key,
        attempt: attempt.id,
        backoff: backoff.id,
        services: attempt.invoke.map((i) => i.src),
        ...(loop.delay !== undefined ? { delay: loop.delay } : {}),
        ...(mark ? { retry: { ...mark.retry } } : {}),
      });
      break;
    }
  }
  return out;
}

/** Whether `attempt` fails into `backoff` and `backoff` waits and goes back: the delay of the wait, or undefined. */
function retryLoop(attempt: GraphState, backoff: GraphState, bySource: Map<string, GraphTransition[]>): { delay?: number | string } | undefined {
  if (attempt.kind !== 'atomic' || backoff.kind !== 'atomic') return undefined;
  if (attempt.invoke.length === 0 || backoff.invoke.length > 0) return undefined;
  const fails = (bySource.get(attempt.id) ?? []).some((t) => t.kind === 'error.actor' && t.targets.includes(backoff.id));
  const back = (bySource.get(backoff.id) ?? []).find((t) => t.kind === 'after' && t.targets.includes(attempt.id));
  if (!fails || !back) return undefined;
  return back.delay !== undefined ? { delay: back.delay } : {};
}
