/**
 * What generated tests compare of a machine's context, output and services' inputs: a plain JSON value, the same
 * whether it was computed by the model when the suite was written or read from the running actor when it runs.
 * Errors become `{ message, ...fields }`, dates their ISO text, functions and actors a label, maps and sets arrays;
 * `undefined` fields are left out, as JSON leaves them.
 */
export type Comparable = null | boolean | number | string | Comparable[] | { [key: string]: Comparable };

const MAX_DEPTH = 32;

const UNNAMED_ACTOR = /^x:\d+$/;

export function comparable(value: unknown, leaveOut: readonly string[] = []): Comparable | undefined {
  const seen = new Set<object>();
  const out = (v: unknown, depth: number): Comparable | undefined => {
    if (v === null) return null;
    switch (typeof v) {
      case 'undefined':
        return undefined;
      case 'boolean':
        return v;
      case 'string':
        // An unnamed actor's id or session id kept as a string (`requestId: self.id`): as the actor itself.
        return UNNAMED_ACTOR.test(v) ? '[actor]' : v;
      case 'number':
        return Number.isFinite(v) ? v : String(v);
      case 'bigint':
        return `${v}n`;
      case 'symbol':
        return v.toString();
      case 'function':
        // Opaque: a function's name is how it was made (a method, an arrow assigned to a field), not what it does,
        // and a sample written into a test is made otherwise than the model's.
        return '[function]';
    }
    const o = v as object;
    if (seen.has(o)) return '[cycle]';
    if (depth > MAX_DEPTH) return '[too deep]';
    if (o instanceof Date) return Number.isNaN(o.getTime()) ? 'Invalid Date' : o.toISOString();
    // XState numbers unnamed actors by creation order in their system (`x:3`), which no two runs share.
    if (isActorRef(o)) return actorLabel(o);
    seen.add(o);
    try {
      if (Array.isArray(o)) return o.map((x) => out(x, depth + 1) ?? null);
      if (o instanceof Map) return [...o].map(([k, x]) => [out(k, depth + 1) ?? null, out(x, depth + 1) ?? null]);
      if (o instanceof Set) return [...o].map((x) => out(x, depth + 1) ?? null);
      const fields: Record<string, Comparable> = {};
      if (o instanceof Error) {
        if (o.name !== 'Error') fields.name = o.name;
        fields.message = o.message;
      }
      let made = 0;
      for (const [k, x] of Object.entries(o)) {
        if (o instanceof Error && k === 'stack') continue;
        const c = out(x, depth + 1);
        // A record of spawned children keyed by their made-up ids: keyed by their label and order instead.
        const key = x && typeof x === 'object' && isActorRef(x) && (x as { id: string }).id === k && madeUpId(x) ? `${actorLabel(x)} #${++made}` : k;
        if (c !== undefined) fields[key] = c;
      }
      return fields;
    } finally {
      seen.delete(o);
    }
  };
  const result = out(value, 0);
  return leaveOut.length ? without(result, leaveOut) : result;
}

/** `value` without the dotted paths `paths` (`startedAt`, `progress.updatedAt`; through arrays, each item). */
export function without(value: Comparable | undefined, paths: readonly string[]): Comparable | undefined {
  const drop = (v: Comparable | undefined, keys: string[]): Comparable | undefined => {
    if (v === null || typeof v !== 'object' || !keys.length) return v;
    if (Array.isArray(v)) return v.map((x) => drop(x, keys) ?? null);
    const [head, ...rest] = keys as [string, ...string[]];
    if (!(head in v)) return v;
    const copy = { ...v };
    if (rest.length) copy[head] = drop(copy[head], rest) ?? null;
    else delete copy[head];
    return copy;
  };
  return paths.reduce((v, p) => drop(v, p.split('.')), value);
}

/** The top-level fields of `next` that differ from `prev` (`set`), and those it no longer has (`unset`). */
export function contextChange(prev: Comparable | undefined, next: Comparable | undefined): { set: Record<string, Comparable>; unset: string[] } | { whole: Comparable | null } {
  if (!isRecord(prev) || !isRecord(next)) return { whole: next ?? null };
  const set: Record<string, Comparable> = {};
  for (const [k, v] of Object.entries(next)) if (!equal(prev[k], v)) set[k] = v;
  return { set, unset: Object.keys(prev).filter((k) => !(k in next)) };
}

/** Where two comparable values differ, as short lines (`attempts: expected 0, got 1`), at most `max` of them. */
export function differences(expected: Comparable | undefined, actual: Comparable | undefined, max = 6): string[] {
  const lines: string[] = [];
  const walk = (e: Comparable | undefined, a: Comparable | undefined, at: string) => {
    if (lines.length >= max || equal(e, a)) return;
    if (isRecord(e) && isRecord(a)) {
      for (const k of new Set([...Object.keys(e), ...Object.keys(a)])) walk(e[k], a[k], at ? `${at}.${k}` : k);
      return;
    }
    if (Array.isArray(e) && Array.isArray(a) && e.length === a.length) {
      e.forEach((x, i) => walk(x, a[i], `${at}[${i}]`));
      return;
    }
    lines.push(`${at || '(whole)'}: expected ${brief(e)}, got ${brief(a)}`);
  };
  walk(expected, actual, '');
  return lines;
}

export function equal(a: Comparable | undefined, b: Comparable | undefined): boolean {
  if (a === b) return true;
  if (a === null || b === null || typeof a !== 'object' || typeof b !== 'object') return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) return a.length === (b as Comparable[]).length && a.every((x, i) => equal(x, (b as Comparable[])[i]));
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  return ka.length === kb.length && ka.every((k) => k in b && equal((a as Record<string, Comparable>)[k], (b as Record<string, Comparable>)[k]));
}

function brief(v: Comparable | undefined): string {
  if (v === undefined) return '(missing)';
  const text = JSON.stringify(v);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

function isRecord(v: Comparable | undefined): v is Record<string, Comparable> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/**
 * How an actor compares: by its id, except where no two runs share the id. XState numbers unnamed actors by
 * creation order in their system (`x:3`); a spawned child's id is often its actor's name and a counter or a random
 * suffix (`Worker.11`, `InstallMachine.k3j2h`), which a module's state or `Math.random` decides: those compare by
 * the actor's name (`[actor Worker…]`).
 */
function actorLabel(o: object): string {
  const id = (o as { id: string }).id;
  if (UNNAMED_ACTOR.test(id)) return '[actor]';
  return madeUpId(o) ? `[actor ${(o as { src: string }).src}…]` : `[actor ${id}]`;
}

/** An id that is the spawned actor's name with a suffix made when it was spawned. */
function madeUpId(o: object): boolean {
  const { id, src } = o as { id: string; src?: unknown };
  return typeof src === 'string' && src !== '' && id !== src && id.startsWith(src);
}

function isActorRef(o: object): boolean {
  return typeof (o as { send?: unknown }).send === 'function' && typeof (o as { getSnapshot?: unknown }).getSnapshot === 'function' && typeof (o as { id?: unknown }).id === 'string';
}
