import type { EventCatalogue } from '../../machines/catalogue.ts';
import { UserError } from '../errors.ts';
import { boundedList, closest } from './suggest.ts';
import type { LifecycleGraph } from './types.ts';

/**
 * The checks of an event catalogue, whatever its source (JSON, a TS export, a built-in's). The shape checks mirror
 * `schema/catalogue.schema.json` key for key (a test runs both on the same catalogues); the machine checks are what
 * no schema can say: that each event and service named belongs to this machine.
 */

/** The keys a catalogue may have: EventCatalogue's, and `$schema` for editors. */
export const CATALOGUE_KEYS = ['$schema', 'input', 'inputs', 'events', 'services', 'identity', 'unchecked'] as const;
/** The keys of one service's outcomes. */
export const OUTCOME_KEYS = ['done', 'error', 'snapshot'] as const;

/** One thing wrong, at a key path (`events.APPROVE[0]`; `` for the whole catalogue). */
export interface CatalogueProblem {
  path: string;
  message: string;
  suggestion?: string;
  allowed?: readonly string[];
}

/**
 * Checks a catalogue and returns it typed, without `$schema`; throws a one-line `UserError` on the first problem,
 * naming `where` (`catalogue deploy.json`), the key path, what is wrong and what is allowed. Without `graph`, only
 * the shape is checked.
 *
 * @example
 * checkCatalogue(JSON.parse(text), 'catalogue deploy.json', graph)
 * // UserError: catalogue deploy.json: events.APROVE: not an event the machine accepts (did you mean 'APPROVE'?); allowed: APPROVE, CANCEL
 */
export function checkCatalogue(value: unknown, where: string, graph?: LifecycleGraph): EventCatalogue {
  const problems = shapeProblems(value);
  if (!problems.length && graph) problems.push(...machineProblems(value as EventCatalogue, graph));
  if (problems.length) {
    const more = problems.length > 1 ? ` (and ${problems.length - 1} more problem${problems.length > 2 ? 's' : ''})` : '';
    throw new UserError(`${where}: ${formatProblem(problems[0]!)}${more}`);
  }
  const { $schema: _ignored, ...catalogue } = value as EventCatalogue & { $schema?: string };
  return catalogue;
}

export function formatProblem(p: CatalogueProblem): string {
  const hint = p.suggestion !== undefined ? ` (did you mean '${p.suggestion}'?)` : '';
  const allowed = p.allowed ? `; allowed: ${p.allowed.length ? boundedList(p.allowed) : 'none'}` : '';
  return `${p.path ? `${p.path}: ` : ''}${p.message}${hint}${allowed}`;
}

/** What `schema/catalogue.schema.json` rejects, as problems. Pure. */
export function shapeProblems(value: unknown): CatalogueProblem[] {
  if (!isObject(value)) return [{ path: '', message: `must be an object with the keys ${CATALOGUE_KEYS.join(', ')}, not ${kind(value)}` }];
  const out: CatalogueProblem[] = [];
  for (const key of Object.keys(value)) {
    if (!(CATALOGUE_KEYS as readonly string[]).includes(key)) {
      out.push({ path: at('', key), message: 'not a catalogue key', suggestion: closest(key, CATALOGUE_KEYS), allowed: CATALOGUE_KEYS });
    }
  }
  const { $schema, inputs, events, services, identity, unchecked } = value;
  if ($schema !== undefined && typeof $schema !== 'string') out.push({ path: '$schema', message: `must be a string (the schema's path or URL), not ${kind($schema)}` });
  if (inputs !== undefined && !Array.isArray(inputs)) out.push({ path: 'inputs', message: `must be an array of inputs, not ${kind(inputs)} (one input goes under 'input')` });
  if (events !== undefined) out.push(...eventShapeProblems(events));
  if (services !== undefined) out.push(...serviceShapeProblems(services));
  for (const [key, list] of [['identity', identity], ['unchecked', unchecked]] as const) {
    if (list !== undefined && !Array.isArray(list)) out.push({ path: key, message: `must be an array of context keys (strings), not ${kind(list)}` });
    if (Array.isArray(list)) {
      const bad = list.findIndex((k) => typeof k !== 'string');
      if (bad >= 0) out.push({ path: `${key}[${bad}]`, message: `must be a string (a context key), not ${kind(list[bad])}` });
    }
  }
  return out;
}

function eventShapeProblems(events: unknown): CatalogueProblem[] {
  if (!isObject(events)) return [{ path: 'events', message: `must be an object of sample lists by event type ({ "APPROVE": [{ ... }] }), not ${kind(events)}` }];
  const out: CatalogueProblem[] = [];
  for (const [type, samples] of Object.entries(events)) {
    const path = at('events', type);
    if (!Array.isArray(samples)) {
      out.push({ path, message: `must be an array of payloads (${isObject(samples) ? `[${short(samples)}]` : '[{ ... }]'}), not ${kind(samples)}` });
      continue;
    }
    samples.forEach((sample, i) => {
      if (!isObject(sample)) out.push({ path: `${path}[${i}]`, message: `must be an object (the event's fields without 'type'), not ${kind(sample)}` });
    });
  }
  return out;
}

function serviceShapeProblems(services: unknown): CatalogueProblem[] {
  if (!isObject(services)) return [{ path: 'services', message: `must be an object of outcomes by service src ({ "charge": { "done": [...] } }), not ${kind(services)}` }];
  const out: CatalogueProblem[] = [];
  for (const [src, outcomes] of Object.entries(services)) {
    const path = at('services', src);
    if (!isObject(outcomes)) {
      out.push({ path, message: `must be an object with ${OUTCOME_KEYS.join(', ')} (each an array), not ${kind(outcomes)}` });
      continue;
    }
    for (const [key, samples] of Object.entries(outcomes)) {
      if (!(OUTCOME_KEYS as readonly string[]).includes(key)) {
        out.push({ path: at(path, key), message: 'not an outcome of a service', suggestion: closest(key, OUTCOME_KEYS), allowed: OUTCOME_KEYS });
      } else if (!Array.isArray(samples)) {
        out.push({ path: at(path, key), message: `must be an array of samples ([${short(samples)}]), not ${kind(samples)}` });
      }
    }
  }
  return out;
}

/** Events and services the machine does not have. `catalogue` has passed the shape checks. Pure. */
export function machineProblems(catalogue: EventCatalogue, graph: LifecycleGraph): CatalogueProblem[] {
  const out: CatalogueProblem[] = [];
  const wildcards = [...new Set(graph.transitions.filter((t) => t.kind === 'wildcard').map((t) => t.event))].sort();
  const accepted = [...graph.events, ...wildcards];
  for (const type of Object.keys(catalogue.events ?? {})) {
    if (accepted.includes(type) || wildcards.some((w) => matchesWildcard(w, type))) continue;
    out.push({ path: at('events', type), message: 'not an event the machine accepts', suggestion: closest(type, accepted), allowed: accepted });
  }
  const invokes = graph.states.flatMap((s) => s.invoke);
  const srcs = [...new Set(invokes.map((i) => i.src))].sort();
  for (const src of Object.keys(catalogue.services ?? {})) {
    if (srcs.includes(src)) continue;
    const byId = invokes.find((i) => i.id === src);
    const message = byId
      ? `is an invoke id: outcomes go under the invoked src '${byId.src}'`
      : graph.declared.actors.includes(src)
        ? 'declared in setup({ actors }) but never invoked by a state'
        : 'not a service the machine invokes';
    out.push({ path: at('services', src), message, ...(byId ? {} : { suggestion: closest(src, srcs) }), allowed: srcs });
  }
  return out;
}

/** XState's wildcards: `*` matches every event; `a.b.*` matches `a.b` and every `a.b.<more>`. */
function matchesWildcard(descriptor: string, type: string): boolean {
  if (descriptor === '*') return true;
  const prefix = descriptor.slice(0, -2);
  return type === prefix || type.startsWith(`${prefix}.`);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function kind(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return 'an object';
  if (typeof value === 'string') return `the string ${short(value)}`;
  if (typeof value === 'number' || typeof value === 'boolean') return `${typeof value} ${String(value)}`;
  return typeof value;
}

/** A value as JSON, short enough to quote in an error line. */
function short(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length <= 40 ? text : `${text.slice(0, 37)}...`;
}

/** `events.APPROVE`; a key that a dot would make ambiguous is bracketed: `events["reconnect.*"]`. */
function at(path: string, key: string): string {
  if (/^[A-Za-z_$][\w$-]*$/.test(key)) return path ? `${path}.${key}` : key;
  return `${path}[${JSON.stringify(key)}]`;
}
