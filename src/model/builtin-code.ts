/** Whether a value is a built-in a sample can be (see `NEW` in infer/samples.ts), which JSON cannot write. */
export function isBuiltinInstance(value: unknown): value is Map<unknown, unknown> | Set<unknown> | Date | URL {
  return value instanceof Map || value instanceof Set || value instanceof Date || value instanceof URL;
}

/**
 * The code that makes a built-in instance again (`new Map([["k", 1]])`, `new Date("2026-01-01T00:00:00.000Z")`),
 * its entries written by `write`.
 *
 * @example
 * builtinCode(new Set(['a']), JSON.stringify); // 'new Set(["a"])'
 */
export function builtinCode(value: Map<unknown, unknown> | Set<unknown> | Date | URL, write: (v: unknown) => string): string {
  if (value instanceof Map) return `new Map(${write([...value])})`;
  if (value instanceof Set) return `new Set(${write([...value])})`;
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? 'new Date(NaN)' : `new Date(${JSON.stringify(value.toISOString())})`;
  return `new URL(${JSON.stringify(value.href)})`;
}
