import { type AnyStateMachine, createMachine } from 'xstate';

/** The prefix of the names inline actors get here: XState reads any `xstate.invoke.<n>.<state>` name from the config. */
const PREFIX = 'lifecycle-kit.inline.';

/**
 * A copy of the machine whose actors given in place (`invoke: { src: fromPromise(...) }`) are named, so that
 * `provide({ actors })` can replace them as it replaces named ones. XState resolves an inline actor from the
 * state's config on every invoke, whatever `provide` says, so a test could not control it: it ran for real and
 * the path went elsewhere. Invoke ids, event types and transition ids stay as they were.
 *
 * Returns the copy and, by the name the graph model gives each inline actor (`xstate.invoke.0.pay.charging`), the
 * name to provide it under.
 */
export function withNamedInlineActors(machine: AnyStateMachine): { machine: AnyStateMachine; names: Map<string, string> } {
  const replaced = new Map<object, unknown[]>();
  const names = new Map<string, string>();
  const walk = (node: AnyStateMachine['root']) => {
    const config = node.config as { invoke?: unknown };
    const list = (config.invoke === undefined ? [] : Array.isArray(config.invoke) ? config.invoke : [config.invoke]) as { src?: unknown }[];
    if (list.some((inv) => typeof inv.src !== 'string')) {
      replaced.set(
        node.config,
        list.map((inv, i) => {
          if (typeof inv.src === 'string') return inv;
          const name = `${PREFIX}${node.invoke[i]!.src as string}`;
          names.set(node.invoke[i]!.src as string, name);
          return { ...inv, src: name };
        }),
      );
    }
    for (const child of Object.values(node.states)) walk(child as AnyStateMachine['root']);
  };
  walk(machine.root);
  if (!replaced.size) return { machine, names };
  const copy = (config: Record<string, unknown>): Record<string, unknown> => {
    const out: Record<string, unknown> = { ...config };
    if (replaced.has(config)) out.invoke = replaced.get(config);
    if (config.states && typeof config.states === 'object') {
      out.states = Object.fromEntries(Object.entries(config.states as Record<string, Record<string, unknown>>).map(([k, v]) => [k, copy(v)]));
    }
    return out;
  };
  return { machine: createMachine(copy(machine.config as Record<string, unknown>) as never, machine.implementations as never), names };
}
