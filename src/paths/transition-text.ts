import { eventLabel } from '../diagram/labels.ts';
import type { GraphTransition, LifecycleGraph } from '../model/types.ts';

/** A state id without the machine id (`pay.charging`), `(root)` for the root: how people name states. */
export function stateText(graph: LifecycleGraph, id: string): string {
  return id === graph.id ? '(root)' : id.startsWith(`${graph.id}.`) ? id.slice(graph.id.length + 1) : id;
}

/**
 * The service a done/error/snapshot transition waits on. XState names an actor given in place
 * (`invoke: { src: fromPromise(...) }`) `xstate.invoke.<index>.<state id>`, an internal name nobody wrote:
 * it reads `<inline actor of pay.charging>` instead.
 */
export function serviceText(graph: LifecycleGraph, t: GraphTransition): string {
  const name = t.service ?? t.invokeId ?? '?';
  const inline = /^xstate\.invoke\.\d+\.(.+)$/.exec(name);
  if (!inline && name !== 'inline') return name;
  const state = inline?.[1] ?? t.source;
  return `<inline actor of ${stateText(graph, graph.states.some((s) => s.id === state) ? state : t.source)}>`;
}

/** What triggers `t`, as the diagrams say it (`after 1s`, `done: reserve`), with inline actors named readably. */
export function triggerText(graph: LifecycleGraph, t: GraphTransition): string {
  if (t.kind === 'done.actor') return `done: ${serviceText(graph, t)}`;
  if (t.kind === 'error.actor') return `error: ${serviceText(graph, t)}`;
  if (t.kind === 'snapshot') return `snapshot: ${serviceText(graph, t)}`;
  return eventLabel(t);
}

/**
 * A transition as people read it, instead of its id: `idle --APPROVE [small]--> pay`,
 * `pay.charging --done: <inline actor of pay.charging>--> paid`, `idle --TICK--> (no target)`.
 */
export function transitionText(graph: LifecycleGraph, t: GraphTransition): string {
  const targets = t.targets.length ? t.targets.map((x) => stateText(graph, x)).join(', ') : '(no target)';
  return `${stateText(graph, t.source)} --${triggerText(graph, t)}${t.guard ? ` [${t.guard.label}]` : ''}--> ${targets}`;
}

/** `transitionText` by id; an id the graph does not have is printed as it is. */
export function transitionTextById(graph: LifecycleGraph, id: string): string {
  const t = graph.transitions.find((x) => x.id === id);
  return t ? transitionText(graph, t) : id;
}
