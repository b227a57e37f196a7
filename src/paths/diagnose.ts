import type { StateValue } from 'xstate';
import type { GraphTransition, LifecycleGraph } from '../model/types.ts';
import { activeStateIds } from './coverage.ts';
import { START_EVENT, type StateSpace } from './explore.ts';
import { formatStateValue } from './format.ts';
import { serviceText } from './transition-text.ts';
import type { PathDiagnostic } from './types.ts';

const MAX_DIAGNOSTICS = 50;

/**
 * Groups what threw during exploration into diagnostics a person can act on: the state, the event, the transitions
 * it could take, the guards and actions involved, the message, and the catalogue entry that would satisfy them.
 */
export function diagnose(graph: LifecycleGraph, spaces: StateSpace[]): PathDiagnostic[] {
  const byKey = new Map<string, PathDiagnostic>();
  for (const space of spaces) {
    for (const err of space.errors) {
      const node = space.nodes[err.node];
      const value = err.event === START_EVENT ? undefined : (node?.value as StateValue | undefined);
      const candidates = value === undefined ? [] : candidateTransitions(graph, value, err.event);
      const d = describe(graph, err.event, candidates, err.errored === true, err.at);
      // A ReferenceError is no missing sample: the code names something that does not exist where it runs.
      const undefinedName = /^([\w$]+) is not defined$/.exec(err.message)?.[1];
      if (undefinedName) d.needs = `no sample: ${d.culprit} reads '${undefinedName}', which is not defined where the machine runs (a browser or app global, or a typo for a parameter): define it before the machine runs, or fix the reference`;
      const state = value === undefined ? '(start)' : formatStateValue(value);
      const key = `${d.event}|${d.culprit}|${err.message}`;
      const known = byKey.get(key);
      if (known) {
        known.count++;
        for (const t of candidates) if (!known.transitions.includes(t.id)) known.transitions.push(t.id);
        continue;
      }
      if (byKey.size >= MAX_DIAGNOSTICS) continue;
      byKey.set(key, { state, event: d.event, transitions: candidates.map((t) => t.id), culprit: d.culprit, message: clip(err.message), needs: d.needs, count: 1 });
    }
  }
  return [...byKey.values()];
}

/** The graph transitions an event could take in a state: by exact event, wildcard, or the invoke's done/error. */
export function candidateTransitions(graph: LifecycleGraph, value: StateValue, event: string): GraphTransition[] {
  const active = new Set(activeStateIds(graph.id, value));
  return graph.transitions.filter((t) => active.has(t.source) && matches(t, event));
}

function matches(t: GraphTransition, event: string): boolean {
  if (t.event === event) return true;
  if (t.kind !== 'wildcard') return false;
  if (t.event === '*') return true;
  return event.startsWith(t.event.slice(0, -1));
}

function describe(graph: LifecycleGraph, event: string, candidates: GraphTransition[], errored: boolean, at?: 'context factory' | 'entry actions'): { event: string; culprit: string; needs: string } {
  if (event === START_EVENT) {
    if (at === 'entry actions') return { event: 'start', culprit: 'an entry action of the initial state', needs: "input: a value the initial state's entry actions can use, through the context it starts with (catalogue `input`, or export `input` beside the machine)" };
    return { event: 'start', culprit: 'context factory', needs: "input: a value the machine's context factory can read (catalogue `input`, or export `input` beside the machine)" };
  }
  const guards = [...new Set(candidates.flatMap((t) => (t.guard ? [t.guard.label] : [])))];
  const actions = [...new Set(candidates.flatMap((t) => t.actions))];
  const culprit = [
    !errored && guards.length ? `guard${guards.length > 1 ? 's' : ''} ${guards.join(', ')}` : '',
    actions.length ? `action${actions.length > 1 ? 's' : ''} ${actions.join(', ')}` : '',
  ]
    .filter(Boolean)
    .join(' or ') || 'an entry or exit action';
  const named = candidates.find((t) => t.service);
  const service = named?.service ?? serviceOf(graph, event);
  // People read `<inline actor of pay.charging>`; the catalogue key (`needs`) stays the name XState gives it.
  const shown = named ? serviceText(graph, named) : (service ?? event);
  if (event.startsWith('xstate.done.actor.')) {
    return { event: `done: ${shown}`, culprit, needs: `services.${service ?? '<src>'}.done: an output with the fields its onDone ${culprit} read${guards.length ? ', and values that make the guard true' : ''}` };
  }
  if (event.startsWith('xstate.error.actor.')) {
    return { event: `error: ${shown}`, culprit, needs: `services.${service ?? '<src>'}.error: an error with the fields its onError ${culprit} read` };
  }
  if (event.startsWith('xstate.snapshot.')) {
    return { event: `snapshot: ${shown}`, culprit, needs: `services.${service ?? '<src>'}.snapshot: a snapshot with the fields its onSnapshot ${culprit} read` };
  }
  if (event.startsWith('xstate.after.')) {
    return { event: 'after', culprit, needs: 'input or earlier samples: the context the delay, guard or actions read' };
  }
  const descriptor = candidates.find((t) => t.kind === 'wildcard')?.event ?? event;
  return { event, culprit, needs: `events.${descriptor}: a payload with the fields ${culprit} read` };
}

function serviceOf(graph: LifecycleGraph, event: string): string | undefined {
  const id = event.replace(/^xstate\.(done|error)\.actor\.|^xstate\.snapshot\./, '');
  for (const s of graph.states) for (const inv of s.invoke) if (inv.id === id) return inv.src;
  return undefined;
}

function clip(text: string): string {
  return text.length > 200 ? `${text.slice(0, 197)}…` : text;
}
