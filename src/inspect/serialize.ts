/**
 * A JSON-safe copy of an inspection event that keeps what `JSON.stringify` loses: an Error's `name`, `message`
 * and own fields (`kind`, `code`), and `toJSON()` results (XState snapshots and actor refs).
 *
 * Pass it as the `serialize` option of `createWebSocketInspector` so that a failed service shows its message in
 * the inspector instead of `{ "name": "Error" }`.
 *
 * @example
 * createWebSocketInspector({ url, serialize: toWire });
 */
export function toWire<T>(value: T, maxDepth = 12): T {
  const seen = new WeakSet<object>();
  const walk = (v: unknown, depth: number): unknown => {
    if (v === null || typeof v !== 'object') {
      if (typeof v === 'function') return { type: v.name || 'anonymous' };
      if (typeof v === 'bigint') return v.toString();
      return v;
    }
    if (depth > maxDepth) return '[…]';
    if (seen.has(v)) return '[circular]';
    seen.add(v);
    try {
      if (v instanceof Error) {
        const out: Record<string, unknown> = { name: v.name, message: v.message };
        for (const [k, x] of Object.entries(v)) out[k] = walk(x, depth + 1);
        return out;
      }
      const toJSON = (v as { toJSON?: unknown }).toJSON;
      if (typeof toJSON === 'function' && !(v instanceof Date)) return walk(toJSON.call(v), depth + 1);
      if (v instanceof Date) return v.toISOString();
      if (Array.isArray(v)) return v.map((x) => walk(x, depth + 1));
      if (v instanceof Map) return Object.fromEntries([...v].map(([k, x]) => [String(k), walk(x, depth + 1)]));
      if (v instanceof Set) return [...v].map((x) => walk(x, depth + 1));
      const out: Record<string, unknown> = {};
      for (const [k, x] of Object.entries(v)) if (x !== undefined) out[k] = walk(x, depth + 1);
      return out;
    } finally {
      seen.delete(v);
    }
  };
  return walk(value, 0) as T;
}

/** One line describing an error as it arrived on the wire (`{ name, message }`, a string, or anything). */
export function describeWireError(error: unknown): string {
  if (typeof error === 'string') return error;
  if (error && typeof error === 'object') {
    const e = error as { name?: unknown; message?: unknown; kind?: unknown; code?: unknown };
    const kind = typeof e.kind === 'string' ? e.kind : typeof e.code === 'string' ? e.code : undefined;
    if (typeof e.message === 'string' && e.message !== '') {
      const name = typeof e.name === 'string' && e.name !== 'Error' ? `${e.name}: ` : '';
      return `${name}${e.message}${kind ? ` (${kind})` : ''}`;
    }
    if (typeof e.name === 'string') return `${e.name}${kind ? ` (${kind})` : ''}`;
  }
  return JSON.stringify(error) ?? String(error);
}
