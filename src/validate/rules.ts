import { ancestors, statePath } from '../model/query.ts';
import type { GraphState, LifecycleGraph } from '../model/types.ts';
import { IGNORE_KEY, ownIgnores } from './ignore.ts';
import { enabledTransitions, type GraphIndex, reachableStates, statesThatCanFinish } from './reachability.ts';

export type Severity = 'error' | 'warning';

/** One problem found in a machine. */
export interface Finding {
  rule: RuleName;
  severity: Severity;
  /** The state's path without the machine id (`steps.kibana_assets`). */
  state: string;
  /** The transition concerned, if any. */
  transition?: string;
  message: string;
}

export type RuleName =
  | 'unreachable-state'
  | 'dead-end'
  | 'no-final-reachable'
  | 'no-error-path'
  | 'shadowed-transition'
  | 'unresolved-target'
  | 'undeclared-implementation'
  | 'unknown-ignore';

export interface RuleContext {
  graph: LifecycleGraph;
  index: GraphIndex;
  /** The tag that marks a documented waiting state (allowed to wait forever). */
  waitingTag: string;
}

type Rule = (ctx: RuleContext) => Finding[];

const finding = (rule: RuleName, severity: Severity, state: GraphState, message: string, transition?: string): Finding => ({
  rule,
  severity,
  state: statePath(state),
  ...(transition ? { transition } : {}),
  message,
});

const isWaiting = (ctx: RuleContext, s: GraphState) =>
  s.tags.includes(ctx.waitingTag) || ancestors(ctx.index.states, s.id).some((a) => a.tags.includes(ctx.waitingTag));

/** States no sequence of transitions can enter. */
export const unreachableState: Rule = (ctx) => {
  const reached = reachableStates(ctx.graph, ctx.index);
  const unreachable = ctx.graph.states.filter((s) => !reached.has(s.id));
  const set = new Set(unreachable.map((s) => s.id));
  // Report the outermost unreachable state only; its children follow from it.
  return unreachable
    .filter((s) => !s.parent || !set.has(s.parent))
    .map((s) => finding('unreachable-state', 'error', s, 'no transition or initial state leads here'));
};

/** Non-final atomic states with no transition that leaves them. */
export const deadEnd: Rule = (ctx) =>
  ctx.graph.states
    .filter((s) => s.kind === 'atomic' && !isWaiting(ctx, s))
    .filter((s) => !enabledTransitions(ctx.index, s).some((t) => t.targets.length > 0))
    .map((s) =>
      finding('dead-end', 'error', s, `not a final state and no transition leaves it (make it final, add a way out, or tag it '${ctx.waitingTag}')`),
    );

/** States from which neither a final state of the machine nor a documented waiting state can be reached. */
export const noFinalReachable: Rule = (ctx) => {
  const good = statesThatCanFinish(ctx.graph, ctx.waitingTag, ctx.index);
  const deadEnds = new Set(deadEnd(ctx).map((f) => f.state));
  const reached = reachableStates(ctx.graph, ctx.index);
  return ctx.graph.states
    .filter((s) => (s.kind === 'atomic' || s.kind === 'final') && s.id !== ctx.graph.root)
    .filter((s) => reached.has(s.id) && !good.has(s.id) && !deadEnds.has(statePath(s)))
    .map((s) =>
      finding('no-final-reachable', 'error', s, `no final state of the machine can be reached from here (tag it '${ctx.waitingTag}' if it waits on purpose)`),
    );
};

/** Invoked services whose failure no transition handles. */
export const noErrorPath: Rule = (ctx) => {
  const out: Finding[] = [];
  for (const s of ctx.graph.states) {
    const candidates = [s, ...ancestors(ctx.index.states, s.id)];
    for (const inv of s.invoke) {
      const event = `xstate.error.actor.${inv.id}`;
      const handled = candidates.some((c) =>
        (ctx.index.bySource.get(c.id) ?? []).some((t) => t.event === event || t.event === '*' || (t.event.endsWith('.*') && event.startsWith(t.event.slice(0, -1)))),
      );
      if (!handled) out.push(finding('no-error-path', 'error', s, `invoked service '${inv.src}' has no onError: its failure is not handled`));
    }
  }
  return out;
};

/** Transitions that can never be taken because an earlier unguarded one for the same event always wins. */
export const shadowedTransition: Rule = (ctx) => {
  const out: Finding[] = [];
  for (const [source, list] of ctx.index.bySource) {
    const firstUnguarded = new Map<string, string>();
    for (const t of list) {
      const earlier = firstUnguarded.get(t.event);
      if (earlier !== undefined) {
        out.push(
          finding('shadowed-transition', 'error', ctx.index.states.get(source)!, `transition ${t.id} can never fire: ${earlier} handles the same event first without a guard`, t.id),
        );
      } else if (!t.guard) firstUnguarded.set(t.event, t.id);
    }
  }
  return out;
};

/** Targets XState resolves lazily that name no state. */
export const unresolvedTarget: Rule = (ctx) =>
  ctx.graph.unresolved.map((u) => finding('unresolved-target', 'error', ctx.index.states.get(u.source)!, `target '${u.target}' does not resolve: ${u.message}`));

/** Guards and services named in the machine but not declared in `setup` (they fail only when reached). */
export const undeclaredImplementation: Rule = (ctx) => {
  const out: Finding[] = [];
  const { actors, guards } = ctx.graph.declared;
  if (actors.length) {
    for (const s of ctx.graph.states) {
      for (const inv of s.invoke) {
        if (inv.src !== 'inline' && !actors.includes(inv.src)) {
          out.push(finding('undeclared-implementation', 'warning', s, `service '${inv.src}' is not declared in setup({ actors }) (declared: ${actors.join(', ')})`));
        }
      }
    }
  }
  if (guards.length) {
    for (const t of ctx.graph.transitions) {
      for (const name of t.guard?.names ?? []) {
        if (!guards.includes(name)) {
          out.push(finding('undeclared-implementation', 'warning', ctx.index.states.get(t.source)!, `guard '${name}' of ${t.id} is not declared in setup({ guards }) (declared: ${guards.join(', ')})`, t.id));
        }
      }
    }
  }
  return out;
};

/** A state's `meta.lifecycle.ignore` naming no rule: a typo would otherwise silence nothing without a word. */
export const unknownIgnore: Rule = (ctx) =>
  ctx.graph.states.flatMap((s) =>
    ownIgnores(s)
      .filter((name) => !(name in RULES))
      .map((name) => finding('unknown-ignore', 'warning', s, `${IGNORE_KEY} names '${name}', which is no rule (rules: ${Object.keys(RULES).join(', ')})`)),
  );

/** Every rule, in the order findings are reported. */
export const RULES: Record<RuleName, Rule> = {
  'unresolved-target': unresolvedTarget,
  'unreachable-state': unreachableState,
  'dead-end': deadEnd,
  'no-final-reachable': noFinalReachable,
  'no-error-path': noErrorPath,
  'shadowed-transition': shadowedTransition,
  'undeclared-implementation': undeclaredImplementation,
  'unknown-ignore': unknownIgnore,
};
