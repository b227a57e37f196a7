import { createHash } from 'node:crypto';
import type { LifecycleGraph } from './types.ts';

/**
 * What a durable run needs to know of the machine it started on, to tell on resume whether a changed machine can
 * take it over: its states (with what they invoke and how they wait) and its transitions. Saved with the run
 * (`machine.json` in a directory store), so a resume compares without the old code.
 */
export interface MachineSummary {
  /** A stable hash of the summary below: equal for machines that differ only in formatting, comments or descriptions. */
  fingerprint: string;
  id: string;
  states: SummaryState[];
  /** `source --event [guard]--> targets` per transition, sorted. */
  transitions: string[];
}

export interface SummaryState {
  /** Dot-joined path without the machine id ('' for the root). */
  path: string;
  kind: string;
  initial?: string[];
  /** The invoked services: `id=src`. */
  invoke: string[];
  /** The `after` delays of transitions leaving it. */
  after: (number | string)[];
  tags: string[];
}

/** The summary and fingerprint of a graph model. Pure. */
export function summarizeMachine(graph: LifecycleGraph): MachineSummary {
  const pathOf = new Map(graph.states.map((s) => [s.id, s.path.join('.')]));
  const states: SummaryState[] = graph.states
    .map((s) => ({
      path: s.path.join('.'),
      kind: s.kind,
      ...(s.initial?.length ? { initial: s.initial.map((id) => pathOf.get(id) ?? id) } : {}),
      invoke: s.invoke.map((i) => `${i.explicitId ? i.id : '*'}=${i.src}`),
      after: graph.transitions.filter((t) => t.source === s.id && t.kind === 'after' && t.delay !== undefined).map((t) => t.delay!),
      tags: [...s.tags].sort(),
    }))
    .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  const transitions = graph.transitions
    .map((t) => `${pathOf.get(t.source) ?? t.source} --${t.event}${t.guard ? ` [${t.guard.label}]` : ''}${t.reenter ? ' (reenter)' : ''}--> ${t.targets.map((id) => pathOf.get(id) ?? id).join(', ')}${t.actions.length ? ` / ${t.actions.join(', ')}` : ''}`)
    .sort();
  const body = { id: graph.id, states, transitions };
  const fingerprint = createHash('sha256').update(JSON.stringify(body)).digest('hex').slice(0, 16);
  return { fingerprint, ...body };
}
