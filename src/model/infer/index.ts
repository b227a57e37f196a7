import { relative } from 'node:path';
import type { AnyStateMachine } from 'xstate';
import type { EventCatalogue } from '../../../machines/catalogue.ts';
import { serviceIds } from '../query.ts';
import type { LifecycleGraph } from '../types.ts';
import { inferenceCache } from './cache.ts';
import { comparedLiterals } from './literals.ts';
import { readMachineTypes, type MachineTypes } from './machine-types.ts';
import { openTypedModule } from './program.ts';
import { saveCompilerCache } from './ts.ts';
import { sampleValues, type SampleHints } from './samples.ts';
import { printShape, type Shape } from './shape.ts';

/** A catalogue inferred from the machine's types, with where each entry came from. */
export interface InferredCatalogue {
  catalogue: EventCatalogue;
  /** Per entry (`input`, `events.PLAY`, `services.check.done`): a sentence saying what it was derived from. */
  origins: Record<string, string>;
  /** Whether the module's types could be read (false for plain JS or an untyped machine). */
  typed: boolean;
}

const MAX_EVENT_SAMPLES = 16;
const MAX_OUTPUT_SAMPLES = 16;
/** Inputs that reach the same state merge in the first exploration; the guard search tells them apart. */
const MAX_INPUTS = 8;

/**
 * Infers payload samples for a machine from the TypeScript types of the module that defines it: the events,
 * input and actor outputs that `setup({ types, actors })` or `createMachine({ types })` declare (or that TypeScript
 * infers, e.g. from a `fromPromise` function's return type), with literals its source compares fields with as
 * string and number candidates. A `.js` or untyped machine gets an empty catalogue (exploration then uses its
 * structural defaults).
 *
 * @example
 * const { catalogue } = inferCatalogue({ file: '/abs/jobs.ts', exportName: 'jobMachine', machine }, graph);
 * catalogue.services?.checkJob?.done; // [{ jobStatus: 'SUCCEEDED' }, { jobStatus: 'FAILED' }]
 */
export function inferCatalogue(target: { file: string; exportName: string; machine: AnyStateMachine }, graph: LifecycleGraph): InferredCatalogue {
  const cache = inferenceCache<InferredCatalogue>(target.file, target.exportName);
  const cached = cache.get();
  if (cached) return cached;
  const mod = openTypedModule(target.file);
  const where = relative(process.cwd(), target.file) || target.file;
  if (!mod) return untypedCatalogue(graph);
  const sources = mod.ownSources();
  const types = readMachineTypes(mod, target.exportName);
  const hints: SampleHints = { byField: comparedLiterals(sources, mod.checker), indexRange: indexRange(target.machine) };
  const result = types ? buildCatalogue(types, graph, hints, where) : untypedCatalogue(graph);
  cache.set(result, sources.map((s) => s.fileName));
  saveCompilerCache();
  return result;
}

function buildCatalogue(types: MachineTypes, graph: LifecycleGraph, hints: SampleHints, where: string): InferredCatalogue {
  const catalogue: EventCatalogue = {};
  const origins: Record<string, string> = {};

  if (types.input) {
    const inputs = sampleValues(types.input, hints, { max: MAX_INPUTS });
    if (inputs.length) {
      catalogue.inputs = inputs;
      origins.input = `from the machine's input type in ${where}: ${clip(printShape(types.input))}`;
    }
  }

  const descriptors = new Set(graph.transitions.filter((t) => t.kind === 'event' || t.kind === 'wildcard').map((t) => t.event));
  const events: Record<string, Record<string, unknown>[]> = {};
  for (const d of descriptors) {
    if (d === '*' || d.endsWith('.*')) {
      // A wildcard is sent as each declared event it matches, with that event's default payload.
      const prefix = d === '*' ? '' : d.slice(0, -1);
      const matching = types.events.filter((e) => e.type.startsWith(prefix) && (d === '*' || e.type !== prefix));
      const samples = matching.slice(0, MAX_EVENT_SAMPLES).map((e) => ({ type: e.type, ...(asObject(sampleValues(e.payload, hints, { max: 1 })[0])) }));
      if (samples.length) {
        events[d] = samples;
        origins[`events.${d}`] = `the declared event types ${d} matches (${matching.map((e) => e.type).slice(0, 6).join(', ')}${matching.length > 6 ? ', …' : ''})`;
      }
      continue;
    }
    const declared = types.events.find((e) => e.type === d);
    if (!declared || !hasFields(declared.payload)) continue;
    const samples = sampleValues(declared.payload, hints, { max: MAX_EVENT_SAMPLES }).map(asObject);
    events[d] = samples;
    origins[`events.${d}`] = `from the event type { type: '${d}' } & ${clip(printShape(declared.payload))}`;
  }
  if (Object.keys(events).length) catalogue.events = events;

  const services: NonNullable<EventCatalogue['services']> = {};
  const srcs = new Set(serviceIds(graph).values());
  for (const src of srcs) {
    const output = types.actors[src]?.output ?? declaredDoneOutput(types, graph, src);
    // `any` or `unknown` says as little as no type at all.
    if ((!output || output.kind === 'unknown') && src !== 'inline') {
      const guessed = contextFieldOutputs(types.context, hints);
      services[src] = { done: [...STRUCTURAL_OUTPUTS, ...guessed] };
      origins[`services.${src}.done`] = `structural default: the type of actor '${src}' says nothing of its output (none, and an empty object${guessed.length ? `, and ${guessed.length} objects with a value of a context field the machine compares or types with literals: ${guessed.slice(0, 3).map((g) => JSON.stringify(g)).join(', ')}${guessed.length > 3 ? ', …' : ''}` : ''})`;
      continue;
    }
    if (!output || output.kind === 'undefined') continue;
    services[src] = { done: sampleValues(output, hints, { max: MAX_OUTPUT_SAMPLES, widenLiterals: true }) };
    origins[`services.${src}.done`] = `from the output type of actor '${src}': ${clip(printShape(output))}`;
  }
  // An observable's snapshots carry what it emitted as their context (`event.snapshot.context` in onSnapshot).
  for (const src of srcs) {
    const emitted = types.actors[src]?.snapshotContext;
    if (!emitted || !graph.transitions.some((t) => t.kind === 'snapshot' && t.service === src)) continue;
    (services[src] ??= {}).snapshot = sampleValues(emitted, hints, { max: MAX_OUTPUT_SAMPLES }).map((context) => ({ status: 'active', context }));
    origins[`services.${src}.snapshot`] = `from the values actor '${src}' emits: ${clip(printShape(emitted))}`;
  }
  // Errors are untyped in XState; guards that tell errors apart compare a field such as `kind` or `code` with
  // literals the source names. Each such literal becomes an error sample beside the default one.
  const errors = errorSamples(hints);
  if (errors.length) {
    for (const src of srcs) {
      if (src === 'inline') continue;
      (services[src] ??= {}).error = [{ message: 'injected failure' }, ...errors];
      origins[`services.${src}.error`] = `error fields the source compares with literals (${errors.map((e) => JSON.stringify(e)).slice(0, 3).join(', ')}${errors.length > 3 ? ', …' : ''})`;
    }
  }
  if (Object.keys(services).length) catalogue.services = services;
  return { catalogue, origins, typed: true };
}

/** Fields errors are told apart by; `name` only with literals that name an error class (`AbortError`). */
const ERROR_FIELDS = ['kind', 'code', 'errorCode', 'errorType', 'statusCode', 'name', 'message'];
const MAX_ERROR_SAMPLES = 8;

function errorSamples(hints: SampleHints): unknown[] {
  const out: unknown[] = [];
  // `event.error === Failure.SESSION_EXPIRED`: the error itself is the literal (a promise rejected with it).
  for (const lit of hints.byField.get('error') ?? []) {
    if (out.length >= MAX_ERROR_SAMPLES) return out;
    if (typeof lit === 'string' || typeof lit === 'number') out.push(lit);
  }
  for (const field of ERROR_FIELDS) {
    for (const lit of hints.byField.get(field) ?? []) {
      if (out.length >= MAX_ERROR_SAMPLES) return out;
      if (field === 'name' && !(typeof lit === 'string' && /Error$/.test(lit))) continue;
      // `(event.error as Error).message === 'Missing order id'`: the message is the literal.
      if (field === 'message') {
        if (typeof lit === 'string') out.push({ message: lit });
      } else if (typeof lit === 'string' || typeof lit === 'number') out.push({ message: `injected failure (${field} ${lit})`, [field]: lit });
    }
  }
  return out;
}

/**
 * The output type an event type of the machine declares for a service's done event (`{ type:
 * 'xstate.done.actor.InstallMachine.*'; output: InstallMachineOutput }`), where the actor's own type says nothing.
 */
function declaredDoneOutput(types: MachineTypes, graph: LifecycleGraph, src: string): Shape | undefined {
  for (const t of graph.transitions) {
    if (t.kind !== 'done.actor' || t.service !== src) continue;
    const declared = types.events.find((e) => e.type === t.event);
    const output = declared?.payload.kind === 'object' ? declared.payload.fields.find((f) => f.name === 'output') : undefined;
    if (output) return output.shape;
  }
  return undefined;
}

const MAX_GUESSED_OUTPUTS = 8;

/**
 * Outputs for a service whose output type says nothing (an actor given in `createMachine(config, { actors })`):
 * an output is often copied into the context field of the same name (`jobStatus: ({ event }) => event.output.jobStatus`)
 * that guards then compare, so each literal a context field is typed with (`'SUCCEEDED' | 'FAILED'`) or compared
 * with becomes an object with just that field.
 */
function contextFieldOutputs(context: Shape | undefined, hints: SampleHints): Record<string, unknown>[] {
  if (!context || context.kind !== 'object') return [];
  const out: Record<string, unknown>[] = [];
  for (const f of context.fields) {
    const literals = new Set<unknown>([...literalsOf(f.shape), ...(hints.byField.get(f.name) ?? [])]);
    for (const value of literals) {
      if (value === null || value === undefined || out.length >= MAX_GUESSED_OUTPUTS) continue;
      out.push({ [f.name]: value });
    }
  }
  return out;
}

function literalsOf(shape: Shape): unknown[] {
  if (shape.kind === 'literal') return [shape.value];
  if (shape.kind === 'union') return shape.options.flatMap(literalsOf);
  return [];
}

/** What a service with no readable output type may finish with: nothing, or an object whose fields read as undefined. */
const STRUCTURAL_OUTPUTS = [undefined, {}];

/** A machine without types (plain JS, or a module TypeScript cannot read): structural defaults only. */
function untypedCatalogue(graph: LifecycleGraph): InferredCatalogue {
  const services: NonNullable<EventCatalogue['services']> = {};
  const origins: Record<string, string> = {};
  for (const src of new Set(serviceIds(graph).values())) {
    if (src === 'inline') continue;
    services[src] = { done: STRUCTURAL_OUTPUTS };
    origins[`services.${src}.done`] = 'structural default: the machine has no types (none, and an empty object)';
  }
  return { catalogue: Object.keys(services).length ? { services } : {}, origins, typed: false };
}

/** Lengths of the arrays in a machine's static initial context (a board of 9 cells: an index is 0..8). */
function indexRange(machine: AnyStateMachine): number | undefined {
  const context = (machine.config as { context?: unknown }).context;
  if (!context || typeof context !== 'object') return undefined;
  let longest = 0;
  for (const v of Object.values(context as Record<string, unknown>)) if (Array.isArray(v)) longest = Math.max(longest, v.length);
  return longest || undefined;
}

function hasFields(shape: Shape): boolean {
  return shape.kind !== 'object' || shape.fields.length > 0;
}

function asObject(value: unknown): Record<string, unknown> {
  return value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

function clip(text: string): string {
  return text.length > 160 ? `${text.slice(0, 157)}…` : text;
}
