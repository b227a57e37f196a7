import type { EventObject } from 'xstate';
import { sampleValues } from '../model/infer/samples.ts';

/** Array methods and fields: reading one says the value is an array. */
const ARRAY_KEYS = new Set(['length', 'map', 'forEach', 'filter', 'find', 'findIndex', 'some', 'every', 'reduce', 'includes', 'indexOf', 'slice', 'concat', 'join', 'at', 'flatMap', 'entries', 'keys', 'values', 'push', 'sort']);

/** String methods (not arrays'): calling one says the value is a string. */
const STRING_KEYS = new Set(['trim', 'trimStart', 'trimEnd', 'toLowerCase', 'toUpperCase', 'split', 'startsWith', 'endsWith', 'replace', 'replaceAll', 'padStart', 'padEnd', 'charAt', 'charCodeAt', 'substring', 'localeCompare', 'match', 'normalize', 'repeat']);

/** What a probe saw of one value: its kind, and its fields (or its items, for an array read by index). */
interface Seen {
  kind: 'object' | 'array' | 'string' | 'number';
  fields: Map<string, Seen>;
  /** Read where the value had no such field. */
  missing?: boolean;
}

/** Which part of an event carries what the machine reads: the event itself, or a service's output, error or snapshot. */
export function payloadField(event: EventObject): 'output' | 'error' | 'snapshot' | undefined {
  if (event.type.startsWith('xstate.done.actor.')) return 'output';
  if (event.type.startsWith('xstate.error.actor.')) return 'error';
  if (event.type.startsWith('xstate.snapshot.')) return 'snapshot';
  return undefined;
}

/**
 * A payload for an event whose samples say nothing of what the machine reads (an untyped event, a service with no
 * output type), learnt by stepping once with a payload that records every field read from it (`event.data.pool`,
 * `event.output.items[0].id`, `event.value > 3`) and answers each read with another recording value. The payload
 * built from the reads has a plain value at every leaf: a plausible string for its name, a number where it was
 * used as one, an array where one of its methods or an index was read. Returns undefined when nothing was read
 * beyond what the event already has. `step` is the step to probe; what it returns or throws is ignored.
 *
 * @example
 * probePayload((e) => stepper.step(snapshot, e), { type: 'set-pool' }); // { type: 'set-pool', data: { pool: 'sample' } }
 */
export function probePayload(step: (event: EventObject) => unknown, event: EventObject): EventObject | undefined {
  const field = payloadField(event);
  const root: Seen = { kind: 'object', fields: new Map() };
  const e = event as unknown as Record<string, unknown>;
  const given = field ? e[field] : e;
  const probe = overlay(isPlainObject(given) ? given : {}, root);
  try {
    step((field ? { ...event, [field]: probe } : probe) as EventObject);
  } catch {
    // what it read before it threw is what was wanted
  }
  if (!learnt(root)) return undefined;
  const value = merge(isPlainObject(given) ? given : {}, root, field ?? '') as Record<string, unknown>;
  return field ? ({ ...event, [field]: value } as EventObject) : ({ ...value, type: event.type } as EventObject);
}

/**
 * The same for a value a step is given whole (the machine's input, read by its context factory): `given` with the
 * fields `run` read beyond it filled in, or undefined when it read nothing more.
 *
 * @example
 * probeValue((input) => stepper.initial(input), {}); // { job: { id: 'id-1' } } for `context: ({ input }) => ({ id: input.job.id })`
 */
export function probeValue(run: (value: unknown) => unknown, given: unknown): unknown {
  const root: Seen = { kind: 'object', fields: new Map() };
  const base = isPlainObject(given) ? given : {};
  try {
    run(overlay(base, root));
  } catch {
    // as above
  }
  return learnt(root) ? merge(base, root, '') : undefined;
}

/** Whether a probe read anything the value did not have. */
function learnt(seen: Seen): boolean {
  return seen.kind !== 'object' || [...seen.fields.values()].some((f) => f.missing || learnt(f));
}

/**
 * A value that answers reads as `given` does where it has the field (plain objects wrapped in turn), and with a
 * recording value where it has not, noting every read in `seen`.
 */
function overlay(given: Record<string, unknown>, seen: Seen): unknown {
  return new Proxy(given, {
    get(target, key, receiver) {
      if (typeof key === 'symbol' || key in target) {
        const v = Reflect.get(target, key, receiver);
        if (typeof key === 'string' && isPlainObject(v)) return overlay(v, child(seen, key, false));
        return v;
      }
      if (key === 'then' || key === 'toJSON') return undefined;
      return recorder(child(seen, key, true));
    },
    has(target, key) {
      if (typeof key === 'string' && !(key in target)) child(seen, key, true);
      return true;
    },
    // An empty object whose entries are asked for (`Object.entries(event.output)[0]`) is given one.
    ownKeys(target) {
      const own = Reflect.ownKeys(target);
      if (own.length) return own;
      child(seen, ENTRY, true);
      return [ENTRY];
    },
    getOwnPropertyDescriptor(target, key) {
      if (key === ENTRY && !(key in target)) return { value: recorder(child(seen, ENTRY, true)), enumerable: true, configurable: true, writable: true };
      return Reflect.getOwnPropertyDescriptor(target, key);
    },
  });
}

/** The key of the one entry an empty object is given when its entries are read. */
const ENTRY = 'sample';

function child(seen: Seen, key: string, missing: boolean): Seen {
  let c = seen.fields.get(key);
  if (!c) seen.fields.set(key, (c = { kind: 'object', fields: new Map(), missing }));
  return c;
}

function recorder(seen: Seen): unknown {
  return new Proxy({} as Record<PropertyKey, unknown>, {
    get(_target, key) {
      if (key === Symbol.toPrimitive) {
        return (hint: string) => {
          if (seen.kind === 'object' && seen.fields.size === 0) seen.kind = hint === 'number' ? 'number' : 'string';
          return hint === 'number' ? 1 : 'sample';
        };
      }
      if (typeof key === 'symbol' || key === 'then' || key === 'toJSON' || key === 'constructor') return undefined;
      if (key === 'toString' || key === 'valueOf') return () => 'sample';
      if (key === 'toFixed' || key === 'toPrecision' || key === 'toExponential') {
        seen.kind = 'number';
        const v = Reflect.get(Number.prototype, key) as (...a: unknown[]) => unknown;
        return v.bind(1);
      }
      if (STRING_KEYS.has(key)) {
        seen.kind = 'string';
        const v = Reflect.get(String.prototype, key) as (...a: unknown[]) => unknown;
        return v.bind('sample');
      }
      if (ARRAY_KEYS.has(key)) {
        seen.kind = 'array';
        const empty: unknown[] = [];
        const v = Reflect.get(empty, key) as unknown;
        return typeof v === 'function' ? v.bind(empty) : v;
      }
      if (/^\d+$/.test(key)) seen.kind = 'array';
      return recorder(child(seen, key, true));
    },
    has(_target, key) {
      if (typeof key === 'string') child(seen, key, true);
      return true;
    },
    ownKeys() {
      if (seen.kind === 'object') child(seen, ENTRY, true);
      return seen.kind === 'object' ? [ENTRY] : [];
    },
    getOwnPropertyDescriptor(_target, key) {
      if (key !== ENTRY || seen.kind !== 'object') return undefined;
      return { value: recorder(child(seen, ENTRY, true)), enumerable: true, configurable: true, writable: true };
    },
  });
}

/** `given` with every field the probe found missing filled in (plain values at the leaves). */
function merge(given: unknown, seen: Seen, name: string, depth = 0): unknown {
  // Code that walks a chain of fields (`while (node.parent) node = node.parent`) reads without end: a bound.
  if (depth > MAX_MERGE_DEPTH) return undefined;
  if (isPlainObject(given)) {
    const out: Record<string, unknown> = { ...given };
    for (const [k, f] of seen.fields) out[k] = merge(given[k], f, k, depth + 1);
    return out;
  }
  if (given !== undefined) return given;
  if (seen.kind === 'number') return 1;
  if (seen.kind === 'string') return plausibleString(name);
  if (seen.kind === 'array') {
    const items = [...seen.fields.values()];
    return items.length ? [merge(undefined, items[0], singular(name), depth + 1)] : [];
  }
  // A leaf nothing more was read of: a plausible string for its name.
  if (seen.fields.size === 0) return plausibleString(name);
  return Object.fromEntries([...seen.fields].map(([k, v]) => [k, merge(undefined, v, k, depth + 1)]));
}

const MAX_MERGE_DEPTH = 12;

function plausibleString(name: string): unknown {
  return sampleValues({ kind: 'string' }, undefined, { max: 1 }, name)[0];
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return !!v && typeof v === 'object' && !Array.isArray(v) && (Object.getPrototypeOf(v) === Object.prototype || Object.getPrototypeOf(v) === null);
}

function singular(field: string): string {
  return field.endsWith('s') ? field.slice(0, -1) : field;
}
