import { DISPATCH, type DispatchCall, hydrateDispatch } from './infer/samples.ts';

/** Most handler arguments a probed method is given (`match(onOk, onErr, onOther)`). */
const PROBED_ARGS = 4;
const MAX_DEPTH = 8;

/**
 * A value a machine made (a child machine's output) whose methods only dispatch, the way a result type is matched
 * (`Right(v).caseOf({ Left, Right })` calls `Right` with `v` and returns what it returns), made again as the
 * samples inferred from types are (`hydrateDispatch`): the same fields, and methods that call back the same
 * handler with the same value. Exploration and the generated tests then use one object that a test file can write
 * as code, instead of a closure of the machine's that no file can hold. Each method is called once with recording
 * handlers: it dispatches when it calls exactly one of them, with one argument, and returns what that handler
 * returned. A value with any other method (one that maps to a new result, or reads a field) is returned as it is,
 * as is everything that is not a plain object or array. Pure, unless a method has side effects of its own.
 *
 * @example
 * const right = { caseOf: (p) => p.Right(1) };
 * redispatched(right).caseOf({ Left: () => 0, Right: (v) => v + 1 }); // 2, from an object dispatchCallsOf describes
 */
export function redispatched(value: unknown, depth = 0): unknown {
  if (!value || typeof value !== 'object' || depth > MAX_DEPTH) return value;
  if (Array.isArray(value)) {
    const items = value.map((v) => redispatched(v, depth + 1));
    return items.some((v, i) => v !== value[i]) ? items : value;
  }
  const proto = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) return value;
  const data: Record<string, unknown> = {};
  const calls: { method: string; index: number; key?: string; value: unknown }[] = [];
  let changed = false;
  for (const [k, v] of Object.entries(value)) {
    if (typeof v === 'function') {
      const call = probeDispatch(v as (...args: unknown[]) => unknown);
      if (!call) return value;
      calls.push({ method: k, ...call, value: redispatched(call.value, depth + 1) });
      continue;
    }
    data[k] = redispatched(v, depth + 1);
    if (data[k] !== v) changed = true;
  }
  if (!calls.length) return changed ? data : value;
  // Marker values are hydrated again: an already hydrated value inside stays as it is (it has no marker).
  return hydrateDispatch({ ...data, [DISPATCH]: calls });
}

/** The one handler `fn` calls back (argument `index`, or its property `key`) and with what, if it only dispatches. */
function probeDispatch(fn: (...args: unknown[]) => unknown): { index: number; key?: string; returns?: 'value'; value: unknown } | undefined {
  const seen: { index: number; key?: string; args: unknown[] }[] = [];
  const returned = Symbol('handler result');
  const handler = (index: number, key?: string) => (...args: unknown[]) => {
    seen.push({ index, ...(key !== undefined ? { key } : {}), args });
    return returned;
  };
  const probes = Array.from({ length: PROBED_ARGS }, (_, index) =>
    new Proxy(handler(index), {
      get: (target, key) => (typeof key === 'string' && key !== 'then' ? handler(index, key) : Reflect.get(target, key)),
    }),
  );
  let result: unknown;
  try {
    result = fn(...probes);
  } catch {
    return undefined;
  }
  // A stub that takes nothing and returns data (`toJSON: () => ({ name: 'x' })`, as `lifecycle catalogue` writes one).
  if (seen.length === 0 && fn.length === 0 && isData(result, 0)) return { index: -1, returns: 'value', value: result };
  if (result !== returned || seen.length !== 1 || seen[0].args.length > 1) return undefined;
  const [{ index, key, args }] = seen;
  return { index, ...(key !== undefined ? { key } : {}), value: args[0] };
}

/** Plain data: no functions, no promises, no class instances. */
function isData(value: unknown, depth: number): boolean {
  if (value === null || value === undefined || typeof value !== 'object') return typeof value !== 'function' && typeof value !== 'symbol';
  if (depth > MAX_DEPTH) return false;
  if (Array.isArray(value)) return value.every((v) => isData(v, depth + 1));
  const proto = Object.getPrototypeOf(value);
  return (proto === Object.prototype || proto === null) && Object.values(value).every((v) => isData(v, depth + 1));
}

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

/**
 * One method of a dispatching sample as source code, given its value's code: `(h: { Right(value: unknown): unknown
 * }) => h.Right(<value>)`, or positionally `(_0: unknown, h: (value: unknown) => unknown) => h(<value>)`. The
 * parameters are typed so that the file type-checks under `strict`. Pure.
 */
export function dispatchMethodSource(call: DispatchCall, value: string): string {
  if (call.returns) return `${call.returns === 'promise' ? 'async ' : ''}() => ${value === 'undefined' || !value.startsWith('{') ? value : `(${value})`}`;
  const params = Array.from({ length: call.index }, (_, i) => `_${i}: unknown`);
  const member = call.key === undefined ? '' : IDENTIFIER.test(call.key) ? `.${call.key}` : `[${JSON.stringify(call.key)}]`;
  params.push(call.key === undefined ? 'h: (value: unknown) => unknown' : `h: { ${propertyName(call.key)}(value: unknown): unknown }`);
  return `(${params.join(', ')}) => h${member}(${value})`;
}

/** A property name as an object literal writes it: bare when it is an identifier. */
export function propertyName(name: string): string {
  return IDENTIFIER.test(name) ? name : JSON.stringify(name);
}

/**
 * A catalogue with each sample `redispatched`: a hand-written sample whose methods only dispatch (the catalogue
 * `lifecycle catalogue` writes, edited) becomes our own dispatching object, which generated tests can write. The
 * same catalogue object when nothing changes. Pure, as `redispatched`.
 */
export function redispatchedCatalogue<C extends { input?: unknown; inputs?: unknown[]; events?: Record<string, unknown[]>; services?: Record<string, Record<string, unknown[] | undefined>> }>(catalogue: C): C {
  let changed = false;
  const list = (samples: unknown[] | undefined) => {
    if (!Array.isArray(samples)) return samples;
    const out = samples.map((v) => redispatched(v));
    if (out.every((v, i) => v === samples[i])) return samples;
    changed = true;
    return out;
  };
  const input = catalogue.input === undefined ? undefined : list([catalogue.input])![0];
  const out = {
    ...catalogue,
    ...(catalogue.input !== undefined ? { input } : {}),
    ...(catalogue.inputs ? { inputs: list(catalogue.inputs) } : {}),
    ...(catalogue.events ? { events: Object.fromEntries(Object.entries(catalogue.events).map(([e, s]) => [e, list(s)])) } : {}),
    ...(catalogue.services ? { services: Object.fromEntries(Object.entries(catalogue.services).map(([src, o]) => [src, Object.fromEntries(Object.entries(o).map(([k, s]) => [k, list(s)]))])) } : {}),
  };
  return changed ? out : catalogue;
}
