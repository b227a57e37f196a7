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
  /** A whole number ≥ 1. */
  | 'positive'
  /** A delay in ms: a whole number from 0 to {@link MAX_DURATION_MS} (a longer timer fires at once in Node). */
  | 'duration'
  /** A TCP port: 0 (any free one) to 65535. */
  | 'port'
  /** A loopback host: 127.x.x.x, localhost or ::1. */
  | 'loopback-host'
  /** 64 hexadecimal digits. */
  | 'sha256'
  /** A semantic version such as 1.2.3. */
  | 'version'
  /** An ISO-8601 date that `Date.parse` reads. */
  | 'date'
  | 'boolean'
  | 'strings'
  /** A retry policy: `{ maxAttempts?, initialIntervalMs?, backoffRate?, maxIntervalMs?, jitter?, nonRetryable? }`. */
  | 'retry'
  /** A JSON object (checked by the machine). */
  | 'object';

export interface Field {
  kind: FieldKind;
  required?: boolean;
  /** A further check of a value of the right kind: a sentence saying what is wrong, or null. */
  check?: (value: never) => string | null;
}

/** The longest delay Node's timers keep (2^31 - 1 ms, ~24.8 days); a longer one fires after 1 ms. */
export const MAX_DURATION_MS = 2_147_483_647;

/** Most attempts a retry policy may ask for: a permanent fault must end the run in bounded time. */
export const MAX_ATTEMPTS = 1000;

const KIND_NAMES: Record<FieldKind, string> = {
  path: 'a path',
  'path-or-url': 'a path or a URL',
  string: 'a string',
  count: 'a whole number ≥ 0',
  positive: 'a whole number ≥ 1',
  duration: `a whole number of ms from 0 to ${MAX_DURATION_MS}`,
  port: 'a port from 0 to 65535',
  'loopback-host': 'a loopback host (127.0.0.1, localhost or ::1)',
  sha256: 'a sha256: 64 hexadecimal digits',
  version: 'a semantic version such as "1.2.3"',
  date: 'an ISO-8601 date such as "2024-03-01T00:00:00Z"',
  boolean: 'true or false',
  strings: 'an array of strings',
  retry: 'a retry policy object { maxAttempts?, initialIntervalMs?, backoffRate?, maxIntervalMs?, jitter?, nonRetryable? }',
  object: 'a JSON object',
};

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);
const isWhole = (v: unknown, min: number, max: number) => Number.isInteger(v) && (v as number) >= min && (v as number) <= max;
const SEMVER = /^\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?$/;
const LOOPBACK_HOST = /^(?:127(?:\.\d{1,3}){3}|localhost|::1|\[::1\])$/i;

/** A value as it may appear in a one-line message: JSON, cut to 60 characters. */
export function preview(value: unknown): string {
  let text: string;
  try {
    text = JSON.stringify(value) ?? String(value);
  } catch {
    text = String(value);
  }
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

function fits(kind: FieldKind, value: unknown): boolean {
  switch (kind) {
    case 'path':
    case 'path-or-url':
    case 'string':
      return typeof value === 'string' && value.trim() !== '' && !value.includes('\0');
    case 'count':
      return isWhole(value, 0, Number.MAX_SAFE_INTEGER);
    case 'positive':
      return isWhole(value, 1, Number.MAX_SAFE_INTEGER);
    case 'duration':
      return isWhole(value, 0, MAX_DURATION_MS);
    case 'port':
      return isWhole(value, 0, 65535);
    case 'loopback-host':
      return typeof value === 'string' && LOOPBACK_HOST.test(value);
    case 'sha256':
      return typeof value === 'string' && /^[0-9a-f]{64}$/i.test(value.trim());
    case 'version':
      return typeof value === 'string' && SEMVER.test(value);
    case 'date':
      return typeof value === 'string' && value.length <= 64 && !Number.isNaN(Date.parse(value));
    case 'boolean':
      return typeof value === 'boolean';
    case 'strings':
      return Array.isArray(value) && value.every((v) => typeof v === 'string');
    case 'retry':
    case 'object':
      return isObject(value);
  }
}

const RETRY_FIELDS: Record<string, { what: string; ok: (v: unknown) => boolean }> = {
  maxAttempts: { what: `a whole number from 1 to ${MAX_ATTEMPTS} (attempts, the first one included)`, ok: (v) => isWhole(v, 1, MAX_ATTEMPTS) },
  initialIntervalMs: { what: `a whole number of ms from 0 to ${MAX_DURATION_MS}`, ok: (v) => isWhole(v, 0, MAX_DURATION_MS) },
  maxIntervalMs: { what: `a whole number of ms from 0 to ${MAX_DURATION_MS}`, ok: (v) => isWhole(v, 0, MAX_DURATION_MS) },
  backoffRate: { what: 'a number from 1 to 100', ok: (v) => typeof v === 'number' && Number.isFinite(v) && v >= 1 && v <= 100 },
  jitter: { what: 'a number from 0 to 1', ok: (v) => typeof v === 'number' && Number.isFinite(v) && v >= 0 && v <= 1 },
  nonRetryable: { what: 'an array of error kinds (strings)', ok: (v) => Array.isArray(v) && v.every((k) => typeof k === 'string') },
};

/**
 * Checks a retry policy given in an input: every field optional, each of its type and range. Returns a sentence
 * naming the first wrong field (`retry.maxAttempts must be ...`), or null. Pure.
 *
 * @example
 * checkRetryPolicy({ maxAttempts: 'x' }, 'retry'); // 'retry.maxAttempts must be a whole number from 1 to 1000 ..., found "x"'
 */
export function checkRetryPolicy(policy: unknown, name = 'retry'): string | null {
  if (!isObject(policy)) return `${name} must be ${KIND_NAMES.retry}, found ${preview(policy)}`;
  const unknown = Object.keys(policy).filter((k) => !(k in RETRY_FIELDS));
  if (unknown.length > 0) return `${name} has unknown field${unknown.length > 1 ? 's' : ''} ${unknown.map((k) => preview(k)).join(', ')}; the fields are { ${Object.keys(RETRY_FIELDS).join(', ')} }`;
  for (const [field, rule] of Object.entries(RETRY_FIELDS)) {
    const value = policy[field];
    if (value !== undefined && !rule.ok(value)) return `${name}.${field} must be ${rule.what}, found ${preview(value)}`;
  }
  const { initialIntervalMs, maxIntervalMs } = policy as { initialIntervalMs?: number; maxIntervalMs?: number };
  if (initialIntervalMs !== undefined && maxIntervalMs !== undefined && maxIntervalMs < initialIntervalMs)
    return `${name}.maxIntervalMs (${maxIntervalMs}) must not be below ${name}.initialIntervalMs (${initialIntervalMs})`;
  return null;
}

/**
 * Returns the input with relative paths resolved against `cwd`, or throws a `UserError` naming what is wrong.
 *
 * @example
 * checkInput('install', { package: 'examples/packages/nginx/1.0.0', target: '/tmp/stack' },
 *   { package: { kind: 'path', required: true }, target: { kind: 'path', required: true }, force: { kind: 'boolean' } }, process.cwd());
 */
export function checkInput<T>(
  lifecycle: string,
  input: unknown,
  fields: Record<string, Field>,
  cwd: string,
  /** A check across fields, once each is right: a sentence naming the fields, or null. */
  across?: (checked: T) => string | null,
): T {
  const names = Object.keys(fields);
  const shape = names.map((n) => (fields[n]!.required ? n : `${n}?`)).join(', ');
  const fail = (what: string): never => {
    throw new UserError(`${lifecycle} input: ${what}`);
  };
  if (!isObject(input)) return fail(`expected a JSON object { ${shape} }, found ${Array.isArray(input) ? 'an array' : preview(input)}`);
  const unknown = Object.keys(input).filter((k) => !(k in fields));
  if (unknown.length > 0) fail(`unknown field${unknown.length > 1 ? 's' : ''} ${unknown.slice(0, 5).map((k) => (/^[\w.-]{1,40}$/.test(k) ? k : preview(k))).join(', ')}; the fields are { ${shape} }`);
  const checked: Record<string, unknown> = { ...input };
  for (const [name, field] of Object.entries(fields)) {
    const value = input[name];
    if (value === undefined) {
      if (field.required) fail(`${name} is required (${KIND_NAMES[field.kind]}); the fields are { ${shape} }`);
      continue;
    }
    if (!fits(field.kind, value)) fail(`${name} must be ${KIND_NAMES[field.kind]}, found ${preview(value)}`);
    const problem = field.kind === 'retry' ? checkRetryPolicy(value, name) : null;
    if (problem) fail(problem);
    const extra = field.check?.(value as never) ?? null;
    if (extra) fail(`${name}: ${extra}`);
    const isUrl = field.kind === 'path-or-url' && /^[a-z][a-z0-9+.-]*:\/\//i.test(value as string);
    if ((field.kind === 'path' || field.kind === 'path-or-url') && !isUrl && !isAbsolute(value as string)) checked[name] = resolve(cwd, value as string);
  }
  const problem = across?.(checked as T) ?? null;
  if (problem) fail(problem);
  return checked as T;
}
