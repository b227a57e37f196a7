/**
 * Reading and editing a machine's raw config (`machine.config`), the only way to change what a machine does: XState
 * builds its state nodes from the config on every `createMachine` and `provide`, so an edit there survives the
 * harness's own `provide`. Edits are copy-on-write along the path to the edited state: everything else (inline
 * guards, actions, actor logic, shared sub-objects such as a retry helper's transition) is the very same object, so
 * inline functions survive the rebuild untouched.
 */
import type { AnyStateMachine, AnyStateNode } from 'xstate';

export type StateConfig = Record<string, unknown>;
export type TransitionConfig = Record<string, unknown>;

/** Where in a state's config XState reads a list of transition candidates from. */
export type ListRef =
  | { kind: 'on'; key: string }
  | { kind: 'always' }
  | { kind: 'after'; key: string }
  | { kind: 'invoke'; index: number; field: 'onDone' | 'onError' | 'onSnapshot' }
  | { kind: 'onDone' };

/** One candidate of a graph transition: the config list it comes from and its index there. */
export interface Slot {
  list: ListRef;
  index: number;
}

export function toArray<T>(value: T | readonly T[] | undefined): T[] {
  return value === undefined ? [] : Array.isArray(value) ? [...value] : [value as T];
}

/** A state's invokes as a list (XState accepts one or an array). */
export function invokesOf(config: StateConfig): StateConfig[] {
  return toArray<StateConfig>(config.invoke as StateConfig | StateConfig[] | undefined);
}

/** XState's reading of a transition list: a string (or nothing) is `{ target }`. */
function toTransitions(value: unknown): TransitionConfig[] {
  return toArray(value).map((t) => (t === undefined || typeof t === 'string' ? { target: t } : (t as TransitionConfig)));
}

/** XState's event type of an `after` key: a numeric key is a number of ms, any other a named delay. */
export function afterEvent(key: string, stateNodeId: string): string {
  return `xstate.after.${Number.isNaN(+key) ? key : +key}.${stateNodeId}`;
}

/**
 * The candidates of each event of a state node, where XState found them in the config, in XState's order (its
 * `formatTransitions`: `on`, then the state's `onDone`, then each invoke's handlers, each replacing an earlier list of
 * the same event; `after` lists are appended), plus `always` under `''`. Index `b` of an event's list is the graph's
 * branch `b`.
 */
export function slotsOf(node: AnyStateNode): Map<string, Slot[]> {
  const config = node.config as StateConfig;
  const out = new Map<string, Slot[]>();
  const set = (event: string, list: ListRef, value: unknown) => out.set(event, toTransitions(value).map((_, index) => ({ list, index })));
  for (const key of Object.keys((config.on ?? {}) as object)) set(key, { kind: 'on', key }, (config.on as StateConfig)[key]);
  if (config.onDone !== undefined) set(`xstate.done.state.${node.id}`, { kind: 'onDone' }, config.onDone);
  invokesOf(config).forEach((inv, index) => {
    const id = node.invoke[index]?.id;
    if (!id) return;
    for (const [field, prefix] of [['onDone', 'done.actor'], ['onError', 'error.actor'], ['onSnapshot', 'snapshot']] as const) {
      if (inv[field]) set(`xstate.${prefix}.${id}`, { kind: 'invoke', index, field }, inv[field]);
    }
  });
  for (const key of Object.keys((config.after ?? {}) as object)) {
    const event = afterEvent(key, node.id);
    const list = out.get(event) ?? [];
    const value = (config.after as StateConfig)[key];
    list.push(...toTransitions(typeof value === 'string' ? { target: value } : value).map((_, index) => ({ list: { kind: 'after', key } as ListRef, index })));
    out.set(event, list);
  }
  if (config.always !== undefined) set('', { kind: 'always' }, config.always);
  return out;
}

/** The candidates of a list, as XState reads them. */
export function readList(config: StateConfig, ref: ListRef): TransitionConfig[] {
  switch (ref.kind) {
    case 'on':
      return toTransitions((config.on as StateConfig)[ref.key]);
    case 'after': {
      const value = (config.after as StateConfig)[ref.key];
      return toTransitions(typeof value === 'string' ? { target: value } : value);
    }
    case 'invoke':
      return toTransitions(invokesOf(config)[ref.index]![ref.field]);
    default:
      return toTransitions(config[ref.kind]);
  }
}

/** The state config with a list replaced; an empty list removes its key (the event is then the parent's to handle). */
export function writeList(config: StateConfig, ref: ListRef, list: TransitionConfig[]): StateConfig {
  const value = list.length ? list : undefined;
  switch (ref.kind) {
    case 'on':
      return { ...config, on: withKey(config.on as StateConfig, ref.key, value) };
    case 'after':
      return { ...config, after: withKey(config.after as StateConfig, ref.key, value) };
    case 'invoke': {
      const invokes = invokesOf(config);
      invokes[ref.index] = withKey(invokes[ref.index]!, ref.field, value);
      return { ...config, invoke: Array.isArray(config.invoke) ? invokes : invokes[0] };
    }
    default:
      return withKey(config, ref.kind, value);
  }
}

/** A copy of `object` with `key` set, in place (key order kept), or removed when `value` is undefined. */
export function withKey(object: StateConfig, key: string, value: unknown): StateConfig {
  const out = { ...object };
  if (value === undefined) delete out[key];
  else out[key] = value;
  return out;
}

/** The machine config with the state at `path` (keys from the root) replaced by `edit`'s result. */
export function editState(root: StateConfig, path: readonly string[], edit: (state: StateConfig) => StateConfig): StateConfig {
  if (path.length === 0) return edit(root);
  const [key, ...rest] = path;
  const states = root.states as Record<string, StateConfig>;
  return { ...root, states: { ...states, [key!]: editState(states[key!]!, rest, edit) } };
}

/** A machine from an edited config, with the original's implementations (or the given ones), on the same XState. */
export function rebuild(machine: AnyStateMachine, config: StateConfig, implementations: AnyStateMachine['implementations'] = machine.implementations): AnyStateMachine {
  // The machine's own class: a user's machine may come from their own copy of XState.
  const StateMachine = machine.constructor as new (config: unknown, implementations: unknown) => AnyStateMachine;
  return new StateMachine(config, implementations);
}

/**
 * A target string that, written on `source`, resolves to `target`: a path below the source's parent (XState's
 * reading of a plain target), else `#id`; undefined when neither resolves to it.
 */
export function targetFor(machine: AnyStateMachine, source: AnyStateNode, target: AnyStateNode): string | undefined {
  const base = source.parent ?? source;
  if (target.path.length > base.path.length && base.path.every((k, i) => target.path[i] === k)) {
    const relative = target.path.slice(base.path.length).join('.');
    return source.parent ? relative : `.${relative}`;
  }
  try {
    return machine.getStateNodeById(`#${target.id}`) === target ? `#${target.id}` : undefined;
  } catch {
    return undefined;
  }
}
