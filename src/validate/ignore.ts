/**
 * Switching a rule off for one state: `meta: { lifecycle: { ignore: ['dead-end'] } }` on a state node silences
 * that rule's findings for the state and every state inside it. Written in the machine, beside the state it
 * excuses, so the exception is reviewed with it (a CLI flag would silence the rule everywhere).
 */
import { ancestors, statePath } from '../model/query.ts';
import type { GraphState } from '../model/types.ts';
import type { GraphIndex } from './reachability.ts';
import type { Finding } from './rules.ts';

/** Where the convention lives in a state's meta, for messages and help. */
export const IGNORE_KEY = 'meta.lifecycle.ignore';

/** The rule names a state's own meta asks to ignore (any value that is not an array of strings: none). */
export function ownIgnores(state: GraphState): string[] {
  const lifecycle = (state.meta as { lifecycle?: { ignore?: unknown } } | undefined)?.lifecycle;
  const ignore = lifecycle && typeof lifecycle === 'object' ? lifecycle.ignore : undefined;
  if (typeof ignore === 'string') return [ignore];
  return Array.isArray(ignore) ? ignore.filter((r): r is string => typeof r === 'string') : [];
}

/** Splits findings into those reported and those a state (or one around it) ignores. */
export function applyIgnores(findings: Finding[], index: GraphIndex): { reported: Finding[]; ignored: Finding[] } {
  const byPath = new Map([...index.states.values()].map((s) => [statePath(s), s]));
  const reported: Finding[] = [];
  const ignored: Finding[] = [];
  for (const f of findings) {
    const state = byPath.get(f.state);
    const excused = state && [state, ...ancestors(index.states, state.id)].some((s) => ownIgnores(s).includes(f.rule));
    (excused ? ignored : reported).push(f);
  }
  return { reported, ignored };
}
