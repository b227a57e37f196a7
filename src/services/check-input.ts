/**
 * Checks a run's input (`lifecycle run <lifecycle> --input ...`) against the fields a built-in lifecycle takes,
 * before anything runs: a typo or a wrong type is one sentence naming the field, not a failed step later. Relative
 * paths are made absolute against the directory the command ran in, because the input is saved with the run and a
 * `lifecycle resume` may run from anywhere.
 *
 * Hand-written rather than a schema library: four flat inputs with a path kind no library knows, and messages that
 * must read as one line of the CLI.
 */
import { isAbsolute, resolve } from 'node:path';
import { UserError } from '../errors.ts';

export type FieldKind =
  /** A filesystem path: made absolute. */
  | 'path'
  /** A filesystem path or a URL (`scheme://...`): a path is made absolute, a URL kept. */
  | 'path-or-url'
  | 'string'
  /** A whole number ≥ 0. */
  | 'count'
  | 'boolean'
  | 'strings'
  /** A JSON object (checked by the machine, e.g. a retry policy). */
  | 'object';

export interface Field {
  kind: FieldKind;
  required?: boolean;
}

const KIND_NAMES: Record<FieldKind, string> = {
  path: 'a path',
  'path-or-url': 'a path or a URL',
  string: 'a string',
  count: 'a whole number ≥ 0',
  boolean: 'true or false',
  strings: 'an array of strings',
  object: 'a JSON object',
};

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

function fits(kind: FieldKind, value: unknown): boolean {
  switch (kind) {
    case 'path':
    case 'path-or-url':
    case 'string':
      return typeof value === 'string' && value.trim() !== '';
    case 'count':
      return Number.isInteger(value) && (value as number) >= 0;
    case 'boolean':
      return typeof value === 'boolean';
    case 'strings':
      return Array.isArray(value) && value.every((v) => typeof v === 'string');
    case 'object':
      return isObject(value);
  }
}

/**
 * Returns the input with relative paths resolved against `cwd`, or throws a `UserError` naming what is wrong.
 *
 * @example
 * checkInput('install', { package: 'examples/packages/nginx/1.0.0', target: '/tmp/stack' },
 *   { package: { kind: 'path', required: true }, target: { kind: 'path', required: true }, force: { kind: 'boolean' } }, process.cwd());
 */
export function checkInput<T>(lifecycle: string, input: unknown, fields: Record<string, Field>, cwd: string): T {
  const names = Object.keys(fields);
  const shape = names.map((n) => (fields[n]!.required ? n : `${n}?`)).join(', ');
  const fail = (what: string): never => {
    throw new UserError(`${lifecycle} input: ${what}`);
  };
  if (!isObject(input)) return fail(`expected a JSON object { ${shape} }, found ${Array.isArray(input) ? 'an array' : JSON.stringify(input)}`);
  const unknown = Object.keys(input).filter((k) => !(k in fields));
  if (unknown.length > 0) fail(`unknown field${unknown.length > 1 ? 's' : ''} ${unknown.join(', ')}; the fields are { ${shape} }`);
  const checked: Record<string, unknown> = { ...input };
  for (const [name, field] of Object.entries(fields)) {
    const value = input[name];
    if (value === undefined) {
      if (field.required) fail(`${name} is required (${KIND_NAMES[field.kind]}); the fields are { ${shape} }`);
      continue;
    }
    if (!fits(field.kind, value)) fail(`${name} must be ${KIND_NAMES[field.kind]}, found ${JSON.stringify(value)}`);
    const isUrl = field.kind === 'path-or-url' && /^[a-z][a-z0-9+.-]*:\/\//i.test(value as string);
    if ((field.kind === 'path' || field.kind === 'path-or-url') && !isUrl && !isAbsolute(value as string)) checked[name] = resolve(cwd, value as string);
  }
  return checked as T;
}
