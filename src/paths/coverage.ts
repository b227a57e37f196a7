import type { LifecycleGraph } from '../model/types.ts';
import type { StateSpace } from './explore.ts';
import type { GraphTransition } from '../model/types.ts';
import { stateText, transitionText, triggerText } from './transition-text.ts';
import type { Coverage, PathDiagnostic, UncoveredTransition } from './types.ts';

/**
 * Coverage of the graph's transition definitions and states by a set of taken transition ids, with a reason for
 * each uncovered transition, judged from the explored state spaces and what threw in them.
 */
export function accountCoverage(
  graph: LifecycleGraph,
  spaces: StateSpace[],
  taken: Iterable<string>,
  visitedValues: Iterable<string>,
  diagnostics: PathDiagnostic[] = [],
  truncated = spaces.some((s) => s.truncated),
  /** The guard search ran out of time before it was done (or before it began). */
  searchTimedOut = false,
): Pick<Coverage, 'states' | 'transitions'> {
  const covered = new Set(taken);
  const activeStates = new Set<string>();
  for (const space of spaces) for (const node of space.nodes) if (node.value !== null) for (const id of activeStateIds(graph.id, node.value)) activeStates.add(id);
  // A transient state never shows in a state value; a taken transition out of it shows it was entered.
  for (const t of graph.transitions) if (covered.has(t.id)) activeStates.add(t.source);
  const coveredStates = new Set<string>();
  for (const v of visitedValues) for (const id of activeStateIds(graph.id, JSON.parse(v))) coveredStates.add(id);
  // Transient states (left at once by an eventless transition) never show in a state value: a taken transition
  // from or into them covers them.
  for (const t of graph.transitions) {
    if (!covered.has(t.id)) continue;
    coveredStates.add(t.source);
    for (const target of t.targets) coveredStates.add(target);
  }
  const threw = new Map<string, PathDiagnostic>();
  for (const d of diagnostics) for (const id of d.transitions) if (!threw.has(id)) threw.set(id, d);
  const start = diagnostics.find((d) => d.event === 'start');
  const countable = graph.states.filter((s) => s.kind !== 'history');
  const uncovered = graph.transitions
    .filter((t) => !covered.has(t.id))
    .map((t): UncoveredTransition => {
      const base = { id: t.id, source: t.source, event: t.event };
      const d = threw.get(t.id);
      if (d) return { ...base, reason: 'threw', detail: `${d.culprit} threw in ${d.state} on ${d.event}: ${d.message}`, needs: d.needs };
      if (!activeStates.has(t.source)) {
        if (activeStates.size === 0 && start) return { ...base, reason: 'threw', detail: `the machine never started: ${start.culprit === 'context factory' ? "the context factory" : start.culprit} threw: ${start.message}`, needs: start.needs };
        if (truncated) return { ...base, reason: 'bound reached', detail: 'exploration was cut before reaching its source (raise --max-states or --max-time)' };
        return { ...base, reason: 'unreachable source', detail: entryDetail(graph, t.source, covered) };
      }
      if (truncated) return { ...base, reason: 'bound reached', detail: 'exploration was cut (raise --max-states or --max-time)' };
      if (t.guard && searchTimedOut) {
        return { ...base, reason: 'bound reached', detail: `guard ${t.guard.label} is false whenever ${shortId(graph, t.source)} gets ${eventName(graph, t)} so far: the guard search ran out of time (raise --max-time)`, needs: guardNeeds(t) };
      }
      if (t.guard) {
        return { ...base, reason: "guard never true with the catalogue's payloads", detail: `guard ${t.guard.label} is false whenever ${shortId(graph, t.source)} gets ${eventName(graph, t)}`, needs: guardNeeds(t) };
      }
      return { ...base, reason: 'not taken', detail: `an earlier branch for ${eventName(graph, t)} in ${shortId(graph, t.source)} always won` };
    });
  return {
    states: { covered: countable.filter((s) => coveredStates.has(s.id)).length, total: countable.length },
    transitions: { covered: graph.transitions.length - uncovered.length, total: graph.transitions.length, uncovered },
  };
}

/** Why a state was never entered: the uncovered transitions into it (or into the state whose initial it is). */
function entryDetail(graph: LifecycleGraph, source: string, covered: Set<string>): string {
  // Into the state itself, a state whose initial it is, or one of its children (entering a child enters it).
  const into = graph.transitions.filter((t) => t.targets.some((x) => x === source || source.startsWith(`${x}.`) || x.startsWith(`${source}.`)) && !covered.has(t.id));
  if (!into.length) return `${shortId(graph, source)} is never entered: no transition leads into it`;
  const names = into.slice(0, 3).map((t) => transitionText(graph, t));
  return `${shortId(graph, source)} is never entered: ${names.join(', ')}${into.length > 3 ? ', …' : ''} ${into.length === 1 ? 'is' : 'are'} not taken`;
}

function guardNeeds(t: GraphTransition): string {
  if (t.kind === 'done.actor') return `services.${t.service ?? '<src>'}.done: an output that makes ${t.guard?.label} true`;
  if (t.kind === 'error.actor') return `services.${t.service ?? '<src>'}.error: an error that makes ${t.guard?.label} true`;
  if (t.kind === 'snapshot') return `services.${t.service ?? '<src>'}.snapshot: a snapshot that makes ${t.guard?.label} true`;
  if (t.kind === 'event' || t.kind === 'wildcard') return `events.${t.event}: a payload that makes ${t.guard?.label} true (or an input / earlier samples giving the context it reads)`;
  return `input or earlier samples: a context that makes ${t.guard?.label} true`;
}

/** What a person calls the trigger of `t` in a sentence: `PLAY`, `done: check`, `after 1s`, `no event (always)`. */
export function eventName(graph: LifecycleGraph, t: GraphTransition): string {
  if (t.kind === 'always') return 'no event (always)';
  if (t.kind === 'after') return `after ${t.delay ?? ''}`.trim();
  return triggerText(graph, t);
}

const shortId = stateText;

/** Ids of the states active in a state value (`{ a: { b: 'c' } }` → root, a, a.b, a.b.c). */
export function activeStateIds(rootId: string, value: unknown): string[] {
  const out = [rootId];
  const walk = (prefix: string, v: unknown) => {
    if (typeof v === 'string') out.push(`${prefix}.${v}`);
    else if (v && typeof v === 'object') {
      for (const [k, child] of Object.entries(v)) {
        out.push(`${prefix}.${k}`);
        walk(`${prefix}.${k}`, child);
      }
    }
  };
  walk(rootId, value);
  return out;
}
