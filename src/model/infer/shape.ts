/**
 * A plain description of a TypeScript type, as far as sampling needs it. Produced from the checker by
 * `machine-types.ts`; consumed by `samples.ts`, which knows nothing of TypeScript.
 */
export type Shape =
  | { kind: 'literal'; value: string | number | boolean | null }
  | { kind: 'undefined' }
  | { kind: 'string' }
  | { kind: 'number' }
  | { kind: 'boolean' }
  | { kind: 'union'; options: Shape[] }
  /** `methods`: the type has methods (not sampled: samples are data), e.g. a promise-like `{ resolve(): void }`. */
  | { kind: 'object'; fields: ShapeField[]; methods?: boolean; dispatch?: DispatchMethod[]; returning?: ReturningMethod[] }
  | { kind: 'array'; item: Shape }
  | { kind: 'tuple'; items: Shape[] }
  | { kind: 'record'; value: Shape }
  /** A `Map<K, V>` or `Set<T>` (`value` undefined), sampled as the real thing, empty and with one entry. */
  | { kind: 'collection'; of: 'Map' | 'Set'; key: Shape; value?: Shape }
  /** A `Date` or a `URL`, sampled as one made from a plausible text. */
  | { kind: 'instance'; of: 'Date' | 'URL' }
  /**
   * An actor ref (`AnyActorRef`, `ActorRefFrom<…>`): sampled as a stand-in actor that takes every event, whose
   * snapshot holds a sample of `context` when its type says what that is.
   */
  | { kind: 'actor'; context?: Shape }
  /** any, unknown, a function, a class instance we cannot build: sampled structurally. */
  | { kind: 'unknown' };

/**
 * A method that calls back one of the handlers it is given, the way a result type is matched
 * (`either.caseOf({ Left: (e) => …, Right: (v) => … })`, `result.match(onOk, onErr)`): each handler is an argument
 * (`index`) or a property of one (`key`), called with a value of `param`.
 */
export interface DispatchMethod {
  method: string;
  handlers: { index: number; key?: string; param: Shape }[];
}

/**
 * Any other method, made as a stub that returns a sample of its return type (`toJSON(): { name: string }`,
 * `finalize(): Issue[]`, `log(msg: string): void`), resolved when it returns a promise: a machine that calls a
 * method of its input or context in an action (`context.ctx.toJSON()`) then runs instead of throwing.
 */
export interface ReturningMethod {
  method: string;
  returns: Shape;
  async: boolean;
}

export interface ShapeField {
  name: string;
  shape: Shape;
  optional: boolean;
}

/** A short printable form, for the comments of `lifecycle catalogue` (`{ jobStatus: 'SUCCEEDED' | 'FAILED' }`). */
export function printShape(shape: Shape, depth = 0): string {
  if (depth > 3) return '…';
  switch (shape.kind) {
    case 'literal':
      return JSON.stringify(shape.value);
    case 'union':
      return shape.options.map((o) => printShape(o, depth + 1)).join(' | ');
    case 'object': {
      const fields = shape.fields.map((f) => `${f.name}${f.optional ? '?' : ''}: ${printShape(f.shape, depth + 1)}`);
      const methods = (shape.dispatch ?? []).map((d) => `${d.method}(${d.handlers.map((h) => `${h.key ?? `#${h.index}`}: ${printShape(h.param, depth + 1)}`).join(' | ')})`);
      const returning = (shape.returning ?? []).map((r) => `${r.method}(): ${r.async ? 'Promise<' : ''}${printShape(r.returns, depth + 1)}${r.async ? '>' : ''}`);
      return `{ ${[...fields, ...methods, ...returning].join('; ')} }`;
    }
    case 'array':
      return `${printShape(shape.item, depth + 1)}[]`;
    case 'tuple':
      return `[${shape.items.map((i) => printShape(i, depth + 1)).join(', ')}]`;
    case 'record':
      return `Record<string, ${printShape(shape.value, depth + 1)}>`;
    case 'collection':
      return shape.value ? `Map<${printShape(shape.key, depth + 1)}, ${printShape(shape.value, depth + 1)}>` : `Set<${printShape(shape.key, depth + 1)}>`;
    case 'instance':
      return shape.of;
    default:
      return shape.kind;
  }
}
