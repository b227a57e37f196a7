import type { LifecycleGraph } from '../model/types.ts';
import { applyIgnores } from './ignore.ts';
import { indexGraph } from './reachability.ts';
import { type Finding, RULES } from './rules.ts';

export type { Finding, RuleName, Severity } from './rules.ts';
export { RULES } from './rules.ts';
export { IGNORE_KEY } from './ignore.ts';

export interface ValidateOptions {
  /** The tag that marks a documented waiting state; default `waiting`. */
  waitingTag?: string;
}

export interface ValidationReport {
  machine: string;
  /** True when there is no error (warnings allowed). */
  ok: boolean;
  errors: number;
  warnings: number;
  findings: Finding[];
  /** Findings a state switched off with `meta: { lifecycle: { ignore: [rule] } }` (not counted above). */
  ignored: Finding[];
}

/**
 * Lints a graph: unreachable states, dead ends, states that cannot finish, services without an error path,
 * shadowed transitions, unresolved targets, undeclared implementations. A state's
 * `meta: { lifecycle: { ignore: ['dead-end'] } }` switches a rule off for it and the states inside it. Pure.
 *
 * @example
 * const report = validate(extractGraph(machine));
 * if (!report.ok) for (const f of report.findings) console.log(f.state, f.message);
 */
export function validate(graph: LifecycleGraph, options: ValidateOptions = {}): ValidationReport {
  const ctx = { graph, index: indexGraph(graph), waitingTag: options.waitingTag ?? 'waiting' };
  const { reported: findings, ignored } = applyIgnores(Object.values(RULES).flatMap((rule) => rule(ctx)), ctx.index);
  const errors = findings.filter((f) => f.severity === 'error').length;
  return { machine: graph.id, ok: errors === 0, errors, warnings: findings.length - errors, findings, ignored };
}
