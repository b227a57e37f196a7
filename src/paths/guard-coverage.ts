import type { GraphTransition } from '../model/types.ts';
import { activeStateIds, eventName } from './coverage.ts';
import type { StateSpace } from './explore.ts';
import { type GuardIndex, type ObservedPath, observedFalse, pathFalseGuards } from './guard-outcomes.ts';
import { stateText } from './transition-text.ts';
import type { Coverage, CoverKind, PathDiagnostic, UncoveredGuardOutcome } from './types.ts';

/**
 * Guard-outcome coverage: of the guarded transitions, those some path step sees with the guard false (see
 * `falseGuards`), and for each other one why not, judged from the explored spaces: explored but in no path, never
 * false, never evaluated (an earlier branch always won), its source never reached, or a bound cut exploration.
 */
export function accountGuardOutcomes(
  index: GuardIndex,
  paths: readonly ObservedPath[],
  spaces: readonly StateSpace[],
  diagnostics: readonly PathDiagnostic[],
  truncated: boolean,
  cover: CoverKind,
): Coverage['guards'] {
  const covered = new Set(paths.flatMap((p) => pathFalseGuards(index, p).flat()));
  const missing = index.guarded.filter((t) => !covered.has(t.id));
  const total = index.guarded.length;
  if (missing.length === 0) return { covered: total, total, uncovered: [] };
  const explored = new Map<string, 'first' | 'search'>();
  const taken = new Set<string>();
  const active = new Set<string>();
  for (const [i, space] of spaces.entries()) {
    for (const id of observedFalse(index, space).keys()) if (!explored.has(id)) explored.set(id, i === 0 ? 'first' : 'search');
    for (const e of space.edges) for (const id of e.transitions) taken.add(id);
    for (const n of space.nodes) if (n.value !== null) for (const id of activeStateIds(index.graph.id, n.value)) active.add(id);
  }
  for (const id of taken) active.add(index.byId.get(id)?.source ?? '');
  const threw = new Map<string, PathDiagnostic>();
  for (const d of diagnostics) for (const id of d.transitions) if (!threw.has(id)) threw.set(id, d);
  const uncovered = missing.map((t): UncoveredGuardOutcome => {
    const base = { id: t.id, source: t.source, event: t.event, guard: t.guard!.label };
    const where = `${eventName(index.graph, t)} in ${stateText(index.graph, t.source)}`;
    const seen = explored.get(t.id);
    if (seen) {
      const why =
        seen === 'search'
          ? 'only by the guard search (telling states apart by context), whose paths are kept for the transitions they take'
          : cover === 'guards'
            ? 'but no path from the start replays to it (states that share a value merged different contexts)'
            : 'but no path takes it (--cover guards adds one)';
      return { ...base, reason: 'not in a path', detail: `a step with ${t.guard!.label} false was explored (${where}), ${why}` };
    }
    if (!active.has(t.source)) return { ...base, reason: truncated ? 'bound reached' : 'unreachable source', detail: `${stateText(index.graph, t.source)} is never entered${truncated ? ' before the bound (raise --max-states or --max-time)' : ''}` };
    if (truncated) return { ...base, reason: 'bound reached', detail: 'exploration was cut (raise --max-states or --max-time)' };
    const d = threw.get(t.id);
    if (d && !taken.has(t.id)) return { ...base, reason: 'threw', detail: `${d.culprit} threw in ${d.state} on ${d.event}: ${d.message}`, needs: d.needs };
    if (taken.has(t.id)) return { ...base, reason: "guard never false with the catalogue's payloads", detail: `${t.guard!.label} is true whenever it is evaluated (${where})`, needs: falseNeeds(t) };
    return { ...base, reason: 'never evaluated', detail: neverEvaluated(index, t, where) };
  });
  return { covered: total - uncovered.length, total, uncovered };
}

function neverEvaluated(index: GuardIndex, t: GraphTransition, where: string): string {
  const earlier = index.candidates(t.source, t.kind === 'always' ? '' : t.event).find((c) => c.branch < t.branch && c.event === t.event && !c.guard);
  if (earlier) return `${where}: the earlier unguarded branch always wins, so ${t.guard!.label} is never asked`;
  return `${t.guard!.label} is never asked: for ${where} an earlier branch, or a transition of a state inside it, always won`;
}

function falseNeeds(t: GraphTransition): string {
  const label = t.guard!.label;
  if (t.kind === 'done.actor') return `services.${t.service ?? '<src>'}.done: an output that makes ${label} false`;
  if (t.kind === 'error.actor') return `services.${t.service ?? '<src>'}.error: an error that makes ${label} false`;
  if (t.kind === 'snapshot') return `services.${t.service ?? '<src>'}.snapshot: a snapshot that makes ${label} false`;
  if (t.kind === 'event' || t.kind === 'wildcard') return `events.${t.event}: a payload that makes ${label} false (or an input / earlier samples giving the context it reads)`;
  return `input or earlier samples: a context that makes ${label} false`;
}
