import { actorStandIn } from '../actor-stand-in.ts';
import type { Shape } from './shape.ts';

/** What the machine's source says about plausible values, by field name (see `literals.ts`). */
export interface SampleHints {
  /** Literals a field is compared with in the source (`context.jobStatus === 'DONE'` → jobStatus: ['DONE']). */
  byField: Map<string, (string | number | boolean | null)[]>;
  /** Lengths of arrays in the initial context: a number field may index them (0 … n-1). */
  indexRange?: number;
}

export interface SampleOptions {
  /** Most samples for one value (an event's payloads, a service's outputs). */
  max: number;
  /**
   * A lone literal field also takes the other literals of its kind that the source compares that field with: an
   * output type inferred from a stand-in implementation (`return { decision: 'Approved' as const }`) is narrower
   * than what the machine is written to handle (`decision === 'Denied'`), and one value none of them is (the branch
   * for anything else). Literal unions are left as written.
   */
  widenLiterals?: boolean;
}

const NO_HINTS: SampleHints = { byField: new Map() };

/**
 * Sample values of a shape: the first is the plausible default, the others vary one thing each (every member of a
 * literal union, both booleans, a few numbers, strings the source compares with, optional fields absent, arrays
 * empty and with one item), recursively and within `max`. Pure.
 *
 * @example
 * sampleValues({ kind: 'object', fields: [{ name: 'status', optional: false, shape: union('OK', 'FAILED') }] }, hints)
 * // → [{ status: 'OK' }, { status: 'FAILED' }]
 */
export function sampleValues(shape: Shape, hints: SampleHints = NO_HINTS, options: SampleOptions = { max: 16 }, field = ''): unknown[] {
  return dedupe(valuesOf(shape, hints, field, options.max, 0, options.widenLiterals ?? false)).slice(0, options.max);
}

function valuesOf(shape: Shape, hints: SampleHints, field: string, max: number, depth: number, widen = false): unknown[] {
  switch (shape.kind) {
    case 'literal': {
      if (!widen) return [shape.value];
      const value = shape.value;
      if (typeof value === 'boolean') return [value, !value];
      const others = (hints.byField.get(field) ?? []).filter((v) => v !== value && v !== null && typeof v === typeof value);
      // And one that is none of them, for the branch written for anything else (`else`, a default transition).
      const none = typeof value === 'string' ? '' : -1;
      return others.length ? [value, ...others, none] : [value];
    }
    case 'undefined':
      return [undefined];
    case 'actor': {
      // A ref whose snapshot's context is typed (`ActorRefFrom<typeof settingsMachine>`) holds that context's default.
      const context = shape.context && depth < 6 ? valuesOf(shape.context, hints, field, 1, depth + 1)[0] : undefined;
      return [context === undefined ? { [ACTOR]: true } : { [ACTOR]: true, context }];
    }
    case 'boolean':
      return [true, false];
    case 'number':
      return numbers(hints, field);
    case 'string':
      return strings(hints, field);
    case 'union': {
      // Every option's default first, so a small budget still sees every member; then their variants.
      // A union is written by its author (a discriminated one names each kind): its members are not widened.
      const per = shape.options.map((o) => valuesOf(o, hints, field, max, depth + 1));
      const out: unknown[] = per.map((v) => v[0]);
      for (const v of per) out.push(...v.slice(1));
      return dedupe(out).slice(0, Math.max(max, shape.options.length));
    }
    case 'array': {
      // One item, none, one of each kind of item together, and one array per other kind (a list of a union).
      const item = valuesOf(shape.item, hints, singular(field), max, depth + 1, widen);
      // A list of a closed set (`fields: ('email' | 'phone' | …)[]`) also holds every member at once, so that each
      // `includes` a guard asks is true in one sample (and false in the empty one).
      const each = item.slice(0, finite(shape.item) ? 8 : 4);
      // Lengths a guard compares the array's with (`items.length > 2`): one longer than each, of the first item.
      // Items after the first are renamed where a field names something (ids, names): a list of players is seldom
      // meant to hold the same one twice.
      const long = lengthsOf(hints, field).map((n) =>
        Array.from({ length: Math.min(n + 1, MAX_LENGTH_SAMPLE) }, (_, i) => (i === 0 ? item[0] : renamed(shape.item, item[i % Math.max(1, item.length)], i + 1, singular(field)))),
      );
      return [[item[0]], [], ...(each.length > 1 ? [each] : []), ...item.slice(1, 4).map((i) => [i]), ...long];
    }
    case 'tuple': {
      const items = shape.items.map((s) => valuesOf(s, hints, field, max, depth + 1, widen));
      return variants(items.map((v) => v), max, (vals) => vals);
    }
    case 'instance':
      return shape.of === 'Date' ? [{ [NEW]: 'Date', args: ['2026-01-01T00:00:00.000Z'] }] : [{ [NEW]: 'URL', args: ['https://example.com/'] }, { [NEW]: 'URL', args: ['https://other.example/'] }];
    case 'collection': {
      const key = valuesOf(shape.key, hints, singular(field), max, depth + 1, widen)[0];
      const entry = shape.value ? [key, valuesOf(shape.value, hints, singular(field), max, depth + 1, widen)[0]] : key;
      return [{ [NEW]: shape.of, args: [[entry]] }, { [NEW]: shape.of, args: [[]] }];
    }
    case 'record': {
      const value = valuesOf(shape.value, hints, field, max, depth + 1, widen);
      return [{}, { sample: value[0] }];
    }
    case 'object': {
      if (depth > 8) return [{}];
      if (shape.dispatch?.length || shape.returning?.length) return withStubs(shape, dispatchValues(shape, hints, max, depth), hints, depth);
      const fields = shape.fields;
      const per = fields.map((f) => {
        // An optional field of a type we cannot read (or of methods only) is best left out at first.
        if (f.optional && (f.shape.kind === 'unknown' || (f.shape.kind === 'union' && f.shape.options.every((o) => o.kind === 'unknown' || o.kind === 'undefined')))) return [undefined, {}];
        const vals = valuesOf(f.shape, hints, f.name, max, depth + 1, widen);
        // An optional field: present with its values, and absent (undefined drops it from the object).
        return f.optional && !vals.includes(undefined) ? [...vals, undefined] : vals;
      });
      const build = (vals: unknown[]) => {
        const o: Record<string, unknown> = {};
        fields.forEach((f, i) => {
          if (vals[i] !== undefined) o[f.name] = vals[i];
        });
        return o;
      };
      return variants(per, max, build, fields.map((f) => finite(f.shape)));
    }
    default:
      return [{}];
  }
}

/** A field whose value names one thing among many: two items of a list should not share it. */
const NAMING = /(^|[^a-z])(id|ids|key|uuid|name|username|nick(name)?|email|title|label|slug|handle)$|Id$|Name$|Key$/i;

/**
 * `value` (a sample of `shape`) made the `n`th of its kind: strings and numbers of naming fields get `n` added
 * (`{ id: 'id-1', role: 'spy' }` → `{ id: 'id-1-3', role: 'spy' }`, `user@example.com` → `user-3@example.com`),
 * recursively; anything else is kept, literals included.
 */
function renamed(shape: Shape, value: unknown, n: number, field: string, depth = 0): unknown {
  if (depth > 4) return value;
  if (shape.kind === 'string' && typeof value === 'string' && NAMING.test(field)) {
    if (value === '') return `${field}-${n}`;
    const at = value.indexOf('@');
    return at > 0 ? `${value.slice(0, at)}-${n}${value.slice(at)}` : `${value}-${n}`;
  }
  if (shape.kind === 'number' && typeof value === 'number' && NAMING.test(field)) return value + n;
  if (shape.kind === 'object' && value && typeof value === 'object' && !Array.isArray(value)) {
    const o = { ...(value as Record<string, unknown>) };
    for (const f of shape.fields) if (f.name in o) o[f.name] = renamed(f.shape, o[f.name], n, f.name, depth + 1);
    return o;
  }
  if (shape.kind === 'union') {
    const option = shape.options.find((opt) => opt.kind === 'object' || opt.kind === typeof value);
    return option ? renamed(option, value, n, field, depth + 1) : value;
  }
  return value;
}

/** Values of each handler tried per dispatching object (a `Right` with two different payloads, say). */
const VALUES_PER_HANDLER = 3;

/**
 * Objects whose dispatching methods call back one handler (`caseOf` calling `Right`), one per handler and value of
 * its parameter, as `{ $dispatch: [...] }` markers (data, so the inference cache keeps them) that
 * `hydrateDispatch` turns into objects with those methods. Every dispatching method of one object calls back the
 * handler of the same name (or position) as the first method's chosen one.
 */
function dispatchValues(shape: Extract<Shape, { kind: 'object' }>, hints: SampleHints, max: number, depth: number): unknown[] {
  // Only stubs: the data fields vary as any object's do (and an object of stubs alone is that one object).
  if (!shape.dispatch?.length) return valuesOf({ kind: 'object', fields: shape.fields }, hints, '', max, depth);
  const [first, ...others] = shape.dispatch;
  const data = shape.fields.length ? (valuesOf({ kind: 'object', fields: shape.fields }, hints, '', max, depth)[0] as Record<string, unknown>) : {};
  const out: unknown[] = [];
  first.handlers.forEach((h, position) => {
    // The budget is given to valuesOf, not cut from its answer: every combination of a small object's fields, cut
    // to the first three, would vary only its last field.
    for (const value of valuesOf(h.param, hints, h.key ?? '', Math.min(max, VALUES_PER_HANDLER), depth + 1).slice(0, VALUES_PER_HANDLER)) {
      const calls = [{ method: first.method, index: h.index, ...(h.key ? { key: h.key } : {}), value }];
      for (const d of others) {
        const same = (h.key && d.handlers.find((o) => o.key === h.key)) || d.handlers[position];
        if (same) calls.push({ method: d.method, index: same.index, ...(same.key ? { key: same.key } : {}), value });
      }
      out.push({ ...data, [DISPATCH]: calls });
    }
  });
  return out;
}

/**
 * Each sample with the object's other methods as stubs (`{ method, index: -1, returns, value }` calls), returning the
 * first sample of their return type: what a machine reads from what they return (`ctx.toJSON().name`) is there.
 */
function withStubs(shape: Extract<Shape, { kind: 'object' }>, samples: unknown[], hints: SampleHints, depth: number): unknown[] {
  if (!shape.returning?.length) return samples;
  const stubs: DispatchCall[] = shape.returning.map((r) => ({
    method: r.method,
    index: -1,
    returns: r.async ? 'promise' : 'value',
    value: r.returns.kind === 'undefined' ? undefined : valuesOf(r.returns, hints, r.method, 1, depth + 1)[0],
  }));
  return samples.map((s) => {
    const o = (s && typeof s === 'object' ? s : {}) as Record<string, unknown>;
    const calls = Array.isArray(o[DISPATCH]) ? (o[DISPATCH] as DispatchCall[]) : [];
    return { ...o, [DISPATCH]: [...calls, ...stubs.filter((st) => !calls.some((c) => c.method === st.method))] };
  });
}

/** The marker key of a dispatching sample (see `hydrateDispatch`). */
export const DISPATCH = '$dispatch';
/**
 * The marker of a sample that is an instance of a built-in class, `{ $new: 'Map', args: [[['k', 1]]] }`, which
 * `hydrateDispatch` makes with `new` (data until then, so the inference cache keeps it).
 */
export const NEW = '$new';
const CONSTRUCTORS: Record<string, new (...args: never[]) => object> = { Map, Set, Date, URL };

/** The marker of an actor ref sample, `{ $actor: true, context? }`, which `hydrateDispatch` makes an `actorStandIn(context)`. */
export const ACTOR = '$actor';

/**
 * Turns `{ $dispatch: [{ method, index, key?, value }] }` markers in samples into objects whose methods call back
 * the handler they name with that value: `{ caseOf: (p) => p.Right(value) }`; `{ $actor: true }` into an actor
 * stand-in (see `actorStandIn`). Anything else is returned as it is
 * (new objects only where a marker is inside). Pure.
 *
 * @example
 * hydrateDispatch({ $dispatch: [{ method: 'caseOf', index: 0, key: 'Right', value: 1 }] }).caseOf({ Right: (v) => v + 1 }); // 2
 */
export function hydrateDispatch(value: unknown, depth = 0): unknown {
  if (!value || typeof value !== 'object' || depth > 20) return value;
  if (Array.isArray(value)) {
    const items = value.map((v) => hydrateDispatch(v, depth + 1));
    return items.some((v, i) => v !== value[i]) ? items : value;
  }
  const o = value as Record<string, unknown>;
  if (typeof o[NEW] === 'string' && Object.hasOwn(CONSTRUCTORS, o[NEW]) && Array.isArray(o.args)) {
    const args = (o.args as unknown[]).map((a) => hydrateDispatch(a, depth + 1));
    try {
      return new CONSTRUCTORS[o[NEW] as string]!(...(args as never[]));
    } catch {
      return value;
    }
  }
  if (o[ACTOR] === true) return actorStandIn(o.context === undefined ? undefined : hydrateDispatch(o.context, depth + 1));
  let changed = false;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o)) {
    if (k === DISPATCH) continue;
    out[k] = hydrateDispatch(v, depth + 1);
    if (out[k] !== v) changed = true;
  }
  const calls = o[DISPATCH];
  if (!Array.isArray(calls)) return changed ? out : value;
  const described: DispatchCall[] = [];
  for (const c of calls as DispatchCall[]) {
    const arg = hydrateDispatch(c.value, depth + 1);
    described.push({ method: c.method, index: c.index, ...(c.key !== undefined ? { key: c.key } : {}), ...(c.returns ? { returns: c.returns } : {}), value: arg });
    if (c.returns === 'value') {
      out[c.method] = () => arg;
      continue;
    }
    if (c.returns === 'promise') {
      out[c.method] = async () => arg;
      continue;
    }
    out[c.method] = (...args: unknown[]) => {
      const given = args[c.index] as Record<string, unknown> | ((v: unknown) => unknown) | undefined;
      const handler = c.key ? (given as Record<string, unknown> | undefined)?.[c.key] : given;
      return typeof handler === 'function' ? (handler as (v: unknown) => unknown)(arg) : undefined;
    };
  }
  DISPATCHING.set(out, described);
  return out;
}

/**
 * One method of a dispatching sample: `method` calls back the handler at argument `index` (its `key`) with `value`;
 * or, a stub (`returns`, index -1), returns `value` (resolves to it: 'promise').
 */
export interface DispatchCall {
  method: string;
  index: number;
  key?: string;
  returns?: 'value' | 'promise';
  value: unknown;
}

/** The objects `hydrateDispatch` made, with what their methods do (values hydrated), so they can be written as code. */
const DISPATCHING = new WeakMap<object, DispatchCall[]>();

/**
 * What the methods of a sample `hydrateDispatch` made do (their handler and the value they call it with), or
 * undefined for any other value: the methods are our own, so whoever writes the sample out (a generated test) can
 * write code that makes the same object again.
 *
 * @example
 * dispatchCallsOf(hydrateDispatch({ $dispatch: [{ method: 'caseOf', index: 0, key: 'Right', value: 1 }] })); // [{ method: 'caseOf', index: 0, key: 'Right', value: 1 }]
 */
export function dispatchCallsOf(value: unknown): readonly DispatchCall[] | undefined {
  return value && typeof value === 'object' ? DISPATCHING.get(value) : undefined;
}

/**
 * The default combination (every part's first value), then every combination when there are few, else each part's
 * other values one at a time (the rest at their defaults), then pairs of non-default values while the budget lasts:
 * guards that compare two fields (a version against another) need two to differ from the default at once.
 */
function variants<T>(per: unknown[][], max: number, build: (vals: unknown[]) => T, first: boolean[] = []): T[] {
  const defaults = per.map((v) => v[0]);
  const total = per.reduce((n, v) => n * Math.max(1, v.length), 1);
  if (total <= max) {
    const out: T[] = [];
    const walk = (i: number, acc: unknown[]) => {
      if (i === per.length) return void out.push(build(acc));
      for (const v of per[i].length ? per[i] : [undefined]) walk(i + 1, [...acc, v]);
    };
    walk(0, []);
    return out;
  }
  // Round-robin over the parts, so that every part varies before any varies twice (a budget spent on the first
  // field's twelve values would leave the second one at its default). Parts with a finite domain (literal unions,
  // booleans) go first: their values are what guards compare with; free strings and numbers are guesses.
  const out: T[] = [build(defaults)];
  for (const tier of [true, false]) {
    const parts = per.map((_, i) => i).filter((i) => (first[i] ?? false) === tier);
    const longest = Math.max(0, ...parts.map((i) => per[i].length));
    for (let r = 1; r < longest && out.length < max; r++) {
      for (const i of parts) {
        if (out.length >= max) break;
        if (r < per[i].length) out.push(build(defaults.map((d, k) => (k === i ? per[i][r] : d))));
      }
    }
  }
  for (let i = 0; i < per.length && out.length < max; i++) {
    for (let j = i + 1; j < per.length && out.length < max; j++) {
      for (const a of per[i].slice(1)) {
        for (const b of per[j].slice(1)) {
          if (out.length >= max) break;
          out.push(build(defaults.map((d, k) => (k === i ? a : k === j ? b : d))));
        }
      }
    }
  }
  return out;
}

/** Whether a shape has a small closed set of values (literal unions, booleans, undefined). */
function finite(shape: Shape): boolean {
  if (shape.kind === 'literal' || shape.kind === 'boolean' || shape.kind === 'undefined') return true;
  if (shape.kind === 'union') return shape.options.every(finite);
  return false;
}

function numbers(hints: SampleHints, field: string): number[] {
  const out: number[] = [...plausibleNumbers(field)];
  for (const lit of hints.byField.get(field) ?? []) {
    if (typeof lit === 'number') out.push(lit, lit + 1, lit - 1);
  }
  if (hints.indexRange && /index|idx|cell|position|pos|slot|square|value|move|col|row|^i$|^n$/i.test(field)) {
    for (let i = 0; i < Math.min(hints.indexRange, 10); i++) out.push(i);
  }
  out.push(-1);
  return [...new Set(out)].slice(0, 12);
}

/** The suffix of a field's key in `SampleHints.byField` under which the lengths its value is compared with are kept. */
export const LENGTH_KEY = '#length';
const MAX_LENGTH_SAMPLE = 8;
const MAX_STRING_LENGTH = 256;

/** The lengths the source compares a field's length with (`text.trim().length >= 20` → [20]). */
function lengthsOf(hints: SampleHints, field: string): number[] {
  return (hints.byField.get(`${field}${LENGTH_KEY}`) ?? []).filter((n): n is number => typeof n === 'number' && Number.isInteger(n) && n >= 0).slice(0, 3);
}

function strings(hints: SampleHints, field: string): string[] {
  const compared = (hints.byField.get(field) ?? []).filter((v): v is string => typeof v === 'string');
  // A length a guard asks for (`>= 20`, `> 3`, `=== 6`): a value of that length and one longer, last.
  const lengths = lengthsOf(hints, field).flatMap((n) => [n, n + 1]).filter((n) => n <= MAX_STRING_LENGTH);
  const sized = lengths.map((n) => 'sample '.repeat(Math.ceil(n / 7)).slice(0, n));
  // A compared literal is what a guard looks for: one goes first unless the name says what a value looks like,
  // then a value that is none of them (the guard's other branch, within a small budget), then the other literals.
  const out =
    compared.length && !/version|url|uri|href|path|dir|file/i.test(field)
      ? [compared[0]!, ...plausible(field).filter((p) => !compared.includes(p)), ...compared.slice(1), '']
      : [...plausible(field), ...compared, ''];
  return [...new Set([...out.slice(0, 8 - Math.min(sized.length, 4)), ...sized.slice(0, 4)])].slice(0, 8);
}

/** Numbers a field of this name plausibly holds, the most plausible first (a limit of 1 allows no retry). */
function plausibleNumbers(field: string): number[] {
  const f = field.toLowerCase();
  if (/ms$|millis|timeout|delay|interval|duration|period|seconds?$/.test(f)) return [1000, 0];
  if (/rate|factor|multiplier/.test(f)) return [2, 1];
  if (/jitter|ratio|percent|fraction/.test(f)) return [0, 0.5];
  if (/max|limit|attempts|retries|count|size|total|capacity/.test(f)) return [3, 1, 0];
  return [1, 0];
}

/** Values a field of this name plausibly holds. */
function plausible(field: string): string[] {
  const f = field.toLowerCase();
  if (f.includes('version')) return ['1.0.0', '2.0.0', '0.1.0'];
  if (/url|uri|href|endpoint/.test(f)) return ['http://127.0.0.1:8080/'];
  if (/path|dir|file|folder/.test(f)) return ['./sample'];
  if (f.includes('email')) return ['user@example.com'];
  if (/(^|[^a-z])id$|id$|uuid|key|token/.test(f)) return ['id-1'];
  if (/date|time|at$/.test(f)) return ['2026-01-01T00:00:00.000Z'];
  return ['sample'];
}

function singular(field: string): string {
  return field.endsWith('s') ? field.slice(0, -1) : field;
}

function dedupe(values: unknown[]): unknown[] {
  const seen = new Set<string>();
  const out: unknown[] = [];
  for (const v of values) {
    const k = v === undefined ? 'undefined' : JSON.stringify(v);
    if (seen.has(k)) continue;
    seen.add(k);
    out.push(v);
  }
  return out;
}
