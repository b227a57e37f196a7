import type { EventObject, StateValue } from 'xstate';
import type { LifecycleGraph } from '../model/types.ts';
import { transitionTextById, triggerText } from './transition-text.ts';
import type { PathsResult } from './types.ts';

/** `a.b.c`, or `p.{r1.x, r2.y}` for parallel regions. */
export function formatStateValue(value: StateValue): string {
  if (typeof value === 'string') return value;
  const entries = Object.entries(value);
  if (entries.length === 1) {
    const [k, v] = entries[0];
    const inner = formatStateValue(v as StateValue);
    return inner ? `${k}.${inner}` : k;
  }
  return `{${entries.map(([k, v]) => { const inner = formatStateValue(v as StateValue); return inner ? `${k}.${inner}` : k; }).join(', ')}}`;
}

/** An event as a person reads it: `GO`, `done: download`, `error: <inline actor of pay.charging>`, `after backoff`. */
export function formatEvent(event: EventObject, graph: LifecycleGraph, transitions: string[] = []): string {
  const t = graph.transitions.find((x) => x.id === transitions[0]);
  if (t && t.kind !== 'event' && t.kind !== 'wildcard' && t.kind !== 'always') return triggerText(graph, t);
  const payload = Object.keys(event).filter((k) => k !== 'type');
  return payload.length ? `${event.type} ${JSON.stringify(Object.fromEntries(payload.map((k) => [k, (event as Record<string, unknown>)[k]])))}` : event.type;
}

/** The paths and the coverage summary, for people. */
export function formatPaths(result: PathsResult, graph: LifecycleGraph): string {
  const lines: string[] = [];
  result.paths.forEach((path, i) => {
    lines.push(`path ${i + 1} (${path.steps.length} step${path.steps.length === 1 ? '' : 's'}) from ${formatStateValue(path.initial)}`);
    const labels = path.steps.map((s) => formatEvent(s.event, graph, s.transitions));
    const width = Math.min(48, Math.max(...labels.map((l) => l.length), 0));
    path.steps.forEach((s, k) => lines.push(`  ${String(k + 1).padStart(3)}. ${labels[k].padEnd(width)}  → ${formatStateValue(s.state)}`));
  });
  const { states, transitions, guards, pairs } = result.coverage;
  lines.push('');
  lines.push(`transitions: ${transitions.covered}/${transitions.total} covered`);
  lines.push(`guard outcomes: ${guards.covered}/${guards.total} guarded transitions seen with the guard false`);
  if (pairs) lines.push(`transition pairs: ${pairs.covered}/${pairs.total} covered${pairs.cut ? ' (cut by the bound on pairs: raise --max-pairs)' : ''}`);
  lines.push(`states: ${states.covered}/${states.total} covered`);
  const cut = !result.stats.truncated ? '' : result.stats.cut === 'time' ? ' (time bound reached: exploration was cut; raise --max-time)' : ' (bound reached: exploration was cut; raise --max-states)';
  lines.push(`paths: ${result.stats.paths}, steps: ${result.stats.steps}, explored states: ${result.stats.exploredStates}${cut}`);
  if (result.search) {
    const s = result.search;
    const widened = s.widened?.length ? `, also by ${s.widened.join(', ')}, which guards read only in states it reached` : '';
    lines.push(`guard search: ${s.found} of ${s.targets} untaken transitions found by telling states apart by context (${s.exploredStates} states${widened}${s.cut ? `, cut by the ${s.cut === 'time' ? 'time bound: raise --max-time' : 'state bound'}` : ''})`);
  }
  for (const u of transitions.uncovered) lines.push(`uncovered: ${transitionTextById(graph, u.id)} (${u.reason}${u.detail ? `: ${u.detail}` : ''})`);
  for (const u of guards.uncovered) lines.push(`guard never seen false: ${transitionTextById(graph, u.id)} (${u.reason}${u.detail ? `: ${u.detail}` : ''})`);
  if (pairs?.uncovered.length) {
    const shown = pairs.uncovered.slice(0, 10).map((p) => `${transitionTextById(graph, p.first)} then ${transitionTextById(graph, p.then)}`);
    for (const p of shown) lines.push(`pair not taken: ${p}`);
    if (pairs.uncovered.length > shown.length) lines.push(`  … and ${pairs.uncovered.length - shown.length} more pairs (--json has them all)`);
  }
  const needs = [...new Set([...transitions.uncovered, ...guards.uncovered].flatMap((u) => (u.needs ? [u.needs] : [])))];
  if (needs.length) {
    lines.push('needs:');
    for (const n of needs.slice(0, 20)) lines.push(`  - ${n}`);
    if (needs.length > 20) lines.push(`  … and ${needs.length - 20} more (--json has them all)`);
  }
  return `${lines.join('\n')}\n`;
}
