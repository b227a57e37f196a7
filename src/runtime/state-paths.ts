import type { AnyStateMachine, AnyStateNode, StateValue } from 'xstate';

/**
 * The active state paths of a state value, leaves only, dot-joined without the machine id.
 *
 * @example
 * leafPaths({ installing: { kibana_assets: 'running' } }) // ['installing.kibana_assets.running']
 * leafPaths({ trial: { agent: 'running', watcher: 'watching' } }) // ['trial.agent.running', 'trial.watcher.watching']
 */
export function leafPaths(value: StateValue | unknown, prefix: string[] = []): string[] {
  if (typeof value === 'string') return [[...prefix, value].join('.')];
  if (value === null || typeof value !== 'object') return prefix.length ? [prefix.join('.')] : [];
  const entries = Object.entries(value as Record<string, unknown>);
  if (entries.length === 0) return prefix.length ? [prefix.join('.')] : [];
  return entries.flatMap(([key, child]) => (child === undefined ? [[...prefix, key].join('.')] : leafPaths(child, [...prefix, key])));
}

/** Every active state path of a state value, ancestors included (`installing`, `installing.kibana_assets`, …). */
export function activePaths(value: StateValue | unknown): string[] {
  const all = new Set<string>();
  for (const leaf of leafPaths(value)) {
    const parts = leaf.split('.');
    for (let i = 1; i <= parts.length; i++) all.add(parts.slice(0, i).join('.'));
  }
  return [...all];
}

/** A state value as one short line: its leaf paths, comma-joined. */
export function describeValue(value: StateValue | unknown): string {
  return leafPaths(value).join(', ');
}

/** The machine's state nodes that are active in `value`: the root, then every active node, parents before children. */
export function activeStateNodes(machine: AnyStateMachine, value: StateValue | unknown): AnyStateNode[] {
  const nodes: AnyStateNode[] = [machine.root];
  const walk = (node: AnyStateNode, v: unknown) => {
    if (typeof v === 'string') {
      const child = node.states[v];
      if (child) nodes.push(child);
      return;
    }
    if (v === null || typeof v !== 'object') return;
    for (const [key, sub] of Object.entries(v as Record<string, unknown>)) {
      const child = node.states[key];
      if (!child) continue;
      nodes.push(child);
      walk(child, sub);
    }
  };
  walk(machine.root, value);
  return nodes;
}

/** A state node's path without the machine id, dot-joined (`''` for the root). */
export function nodePath(node: AnyStateNode): string {
  return node.path.join('.');
}
