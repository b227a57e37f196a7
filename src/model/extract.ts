import type { AnyStateMachine, AnyStateNode } from 'xstate';
import { findSteps } from './steps.ts';
import type {
  GraphGuard,
  GraphInvoke,
  GraphState,
  GraphTransition,
  LifecycleGraph,
  StateKind,
  TransitionKind,
} from './types.ts';

/**
 * Reads a machine into a `LifecycleGraph`. This module is the only place that touches XState's state-node
 * internals; everything downstream works on the plain graph.
 *
 * Pure: the machine is only read, never started.
 *
 * @example
 * const graph = extractGraph(installMachine);
 * graph.transitions.length; // every transition definition, guarded branches separately
 */
export function extractGraph(machine: AnyStateMachine): LifecycleGraph {
  const rootNode = machine.root as AnyStateNode;
  const idOf = new Map<AnyStateNode, string>();
  const nodes: AnyStateNode[] = [];
  collect(rootNode, machine.id, idOf, nodes);

  const invokeSrc = new Map<string, string>();
  for (const node of nodes) for (const inv of node.invoke) invokeSrc.set(inv.id, srcName(inv.src));

  const unresolved: LifecycleGraph['unresolved'] = [];
  const states = nodes.map((node) => toState(node, idOf, unresolved));
  const transitions: GraphTransition[] = [];
  for (const node of nodes) transitions.push(...nodeTransitions(node, idOf, invokeSrc));
  for (const [id, step] of findSteps(states, transitions)) states.find((s) => s.id === id)!.step = step;

  const events = [...new Set(transitions.filter((t) => t.kind === 'event').map((t) => t.event))].sort();
  const impl = (machine as unknown as { implementations?: Record<string, Record<string, unknown> | undefined> }).implementations ?? {};
  const names = (k: string) => Object.keys(impl[k] ?? {}).sort();
  for (const t of transitions) {
    if (t.invokeId !== undefined && t.service === undefined) {
      const spawned = spawnedSource(t.invokeId, names('actors'));
      if (spawned) t.service = spawned;
    }
  }

  return {
    id: machine.id,
    root: machine.id,
    ...(rootNode.description ? { description: rootNode.description } : {}),
    states,
    transitions,
    events,
    declared: { actors: names('actors'), guards: names('guards'), actions: names('actions'), delays: names('delays') },
    unresolved,
  };
}

function collect(node: AnyStateNode, id: string, idOf: Map<AnyStateNode, string>, out: AnyStateNode[]): void {
  idOf.set(node, id);
  out.push(node);
  for (const [key, child] of Object.entries(node.states as Record<string, AnyStateNode>)) collect(child, `${id}.${key}`, idOf, out);
}

function toState(node: AnyStateNode, idOf: Map<AnyStateNode, string>, unresolved: LifecycleGraph['unresolved']): GraphState {
  const id = idOf.get(node)!;
  const kind = node.type as StateKind;
  const state: GraphState = {
    id,
    key: node.parent ? node.key : id,
    path: [...node.path],
    ...(node.parent ? { parent: idOf.get(node.parent)! } : {}),
    kind,
    children: Object.values(node.states as Record<string, AnyStateNode>).map((c) => idOf.get(c)!),
    invoke: node.invoke.map((inv): GraphInvoke => ({
      id: inv.id,
      src: srcName(inv.src),
      explicitId: typeof node.config.invoke === 'object' && hasExplicitId(node.config.invoke, inv.id),
    })),
    entry: actionNames(node.entry),
    exit: actionNames(node.exit),
    tags: [...node.tags],
    order: node.order,
  };
  if (kind === 'history') state.history = node.history === 'deep' ? 'deep' : 'shallow';
  const defaultId = `${idOf.get(node.machine.root)!}.${node.path.join('.')}`;
  if (node.parent && node.id !== defaultId && node.config.id) state.customId = node.id;
  if (kind === 'compound') {
    try {
      state.initial = (node.initial.target as AnyStateNode[]).map((t) => idOf.get(t)!);
    } catch (error) {
      unresolved.push({ source: id, target: String(node.config.initial), message: oneLine(error) });
    }
  }
  if (kind === 'history' && node.config.target !== undefined) {
    const targets = ([] as string[]).concat(node.config.target as string | string[]);
    const resolved = targets.map((t) => resolveHistoryTarget(node, t, idOf));
    if (resolved.every((r): r is string => r !== undefined)) state.initial = resolved;
    else unresolved.push({ source: id, target: targets.join(', '), message: `history default target ${targets.join(', ')} does not exist` });
  }
  if (node.description) state.description = node.description;
  const meta = jsonSafe(node.meta);
  if (meta !== undefined) state.meta = meta;
  if (kind === 'final' && node.config.output !== undefined) state.hasOutput = true;
  return state;
}

function hasExplicitId(config: unknown, id: string): boolean {
  const list = Array.isArray(config) ? config : [config];
  return list.some((c) => c && typeof c === 'object' && (c as { id?: unknown }).id === id);
}

/** History defaults are resolved lazily by XState; resolve them here the way XState does (sibling key or `#id`). */
function resolveHistoryTarget(node: AnyStateNode, target: string, idOf: Map<AnyStateNode, string>): string | undefined {
  try {
    if (target.startsWith('#')) return idOf.get(node.machine.getStateNodeById(target.slice(1)) as AnyStateNode);
    let at: AnyStateNode | undefined = node.parent;
    for (const key of target.split('.')) at = at?.states[key] as AnyStateNode | undefined;
    return at ? idOf.get(at) : undefined;
  } catch {
    return undefined;
  }
}

function nodeTransitions(
  node: AnyStateNode,
  idOf: Map<AnyStateNode, string>,
  invokeSrc: Map<string, string>,
): GraphTransition[] {
  const source = idOf.get(node)!;
  const delays = new Map<string, number | string>(node.after.map((a) => [a.eventType, a.delay as number | string]));
  const out: GraphTransition[] = [];
  // XState's TransitionDefinition is generic over context and events; only these fields are read here.
  const defs = [...node.transitions] as unknown as [string, AnyTransition[]][];
  if (node.always?.length) defs.push(['', node.always as unknown as AnyTransition[]]);
  for (const [event, list] of defs) {
    list.forEach((t, branch) => {
      const kind = transitionKind(event);
      const transition: GraphTransition = {
        id: `${source}:${event === '' ? 'always' : event}:${branch}`,
        source,
        event,
        kind,
        targets: (t.target ?? []).map((n) => idOf.get(n)!),
        actions: actionNames(t.actions),
        reenter: Boolean(t.reenter),
        branch,
      };
      const guard = describeGuard(t.guard);
      if (guard) transition.guard = guard;
      if (kind === 'after') transition.delay = delays.get(event) ?? event.split('.')[2];
      if (kind === 'done.actor' || kind === 'error.actor' || kind === 'snapshot') {
        const invokeId = event.replace(/^xstate\.(done\.actor|error\.actor|snapshot)\./, '');
        transition.invokeId = invokeId;
        const src = invokeSrc.get(invokeId);
        if (src) transition.service = src;
      }
      if (typeof t.description === 'string') transition.description = t.description;
      const meta = jsonSafe(t.meta);
      if (meta !== undefined) transition.meta = meta;
      out.push(transition);
    });
  }
  return out;
}

/**
 * The actor a done, error or snapshot descriptor that no invoke has stands for: a spawned child, named by the
 * actor it spawns (`InstallMachine`), or by an id made of that name and a suffix, which a wildcard stands for
 * (`xstate.done.actor.InstallMachine.*` for `spawn('InstallMachine', { id: \`InstallMachine.${n}\` })`). The
 * longest matching name wins.
 */
function spawnedSource(id: string, actors: string[]): string | undefined {
  const base = id.endsWith('.*') ? id.slice(0, -2) : id;
  const matches = actors.filter((a) => base === a || (base.startsWith(a) && /^[.\-_:#/]/.test(base.slice(a.length))));
  return matches.sort((a, b) => b.length - a.length)[0];
}

interface AnyTransition {
  target?: AnyStateNode[];
  actions: unknown[];
  guard?: unknown;
  reenter?: boolean;
  description?: unknown;
  meta?: unknown;
}

function transitionKind(event: string): TransitionKind {
  if (event === '') return 'always';
  if (event.startsWith('xstate.after.')) return 'after';
  if (event.startsWith('xstate.done.actor.')) return 'done.actor';
  if (event.startsWith('xstate.error.actor.')) return 'error.actor';
  if (event.startsWith('xstate.snapshot.')) return 'snapshot';
  if (event.startsWith('xstate.done.state.')) return 'done.state';
  if (event === '*' || event.endsWith('.*')) return 'wildcard';
  return 'event';
}

/** Turns XState's guard forms (name, `{ type, params }`, inline function, `not`/`and`/`or`/`stateIn`) into a label. */
export function describeGuard(guard: unknown): GraphGuard | undefined {
  if (guard === undefined || guard === null) return undefined;
  const names = new Set<string>();
  let inline = false;
  const label = (g: unknown, nested: boolean): string => {
    if (typeof g === 'string') {
      names.add(g);
      return g;
    }
    if (typeof g === 'function') {
      const fn = g as { name?: string; check?: unknown; guards?: unknown[]; stateValue?: unknown };
      if (fn.check && Array.isArray(fn.guards)) {
        const parts = fn.guards.map((x) => label(x, true));
        if (fn.name === 'not') return `!${parts[0]}`;
        const joined = parts.join(fn.name === 'and' ? ' && ' : ' || ');
        return nested ? `(${joined})` : joined;
      }
      if (fn.check && 'stateValue' in fn) return `in(${typeof fn.stateValue === 'string' ? fn.stateValue : JSON.stringify(fn.stateValue)})`;
      inline = true;
      return 'inline';
    }
    if (typeof g === 'object') {
      const { type, params } = g as { type?: unknown; params?: unknown };
      if (typeof type === 'string') {
        names.add(type);
        if (params === undefined) return type;
        if (typeof params === 'function') return `${type}(…)`;
        return `${type}(${formatParams(params)})`;
      }
    }
    inline = true;
    return 'inline';
  };
  const text = label(guard, false);
  return { label: text, names: [...names], inline };
}

/** `{ n: 3, step: 'x' }` → `n: 3, step: x`: short, and free of quotes that diagrams would have to escape. */
function formatParams(params: unknown): string {
  if (params && typeof params === 'object' && !Array.isArray(params)) {
    return Object.entries(params as Record<string, unknown>)
      .map(([k, v]) => `${k}: ${typeof v === 'string' ? v : JSON.stringify(v)}`)
      .join(', ');
  }
  return typeof params === 'string' ? params : JSON.stringify(params);
}

/** Names JavaScript gives a function written in place: none, or the key of the machine config it was written under. */
const UNNAMED_FUNCTION = /^(anonymous|actions|entry|exit)$/;

/** Action names, leaving out the raise/cancel pairs XState adds for `after` timers. */
function actionNames(actions: readonly unknown[]): string[] {
  const out: string[] = [];
  for (const a of actions) {
    if (typeof a === 'string') out.push(a);
    else if (typeof a === 'function') {
      const fn = a as { type?: string; name?: string; id?: unknown; sendId?: unknown };
      if (fn.type === 'xstate.raise' && typeof fn.id === 'string' && fn.id.startsWith('xstate.after.')) continue;
      if (fn.type === 'xstate.cancel' && typeof fn.sendId === 'string' && fn.sendId.startsWith('xstate.after.')) continue;
      if (typeof fn.type === 'string' && fn.type.startsWith('xstate.')) out.push(fn.type.slice('xstate.'.length));
      // An arrow written in place (`actions: ({ context }) => …`) takes its name from the key it is written under.
      else out.push(fn.name && !UNNAMED_FUNCTION.test(fn.name) ? fn.name : 'inline');
    } else if (a && typeof a === 'object' && typeof (a as { type?: unknown }).type === 'string') {
      out.push((a as { type: string }).type);
    } else out.push('inline');
  }
  return out;
}

function srcName(src: unknown): string {
  if (typeof src === 'string') return src;
  const logic = src as { id?: unknown; config?: { id?: unknown } } | undefined;
  if (logic && typeof logic.id === 'string') return logic.id;
  return 'inline';
}

function jsonSafe(value: unknown): unknown {
  if (value === undefined) return undefined;
  try {
    const text = JSON.stringify(value, (_k, v) => (typeof v === 'function' ? undefined : typeof v === 'bigint' ? String(v) : v));
    return text === undefined ? undefined : JSON.parse(text);
  } catch {
    return String(value);
  }
}

function oneLine(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).replace(/\s*\n\s*/g, ' ');
}
