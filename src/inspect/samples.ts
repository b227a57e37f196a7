/**
 * The machine's samples (its event catalogue, hand-written and inferred) in the shape the page offers them: event
 * payloads for the send picker, outputs and errors for a fake service's Resolve and Fail boxes, and an input to
 * start from. A guard that reads `event.by.name` throws on a bare `{ type }`; a sample lets the user send what the
 * machine expects instead of killing the actor.
 */
import type { EventObject } from 'xstate';
import type { EventCatalogue } from '../model/catalogue.ts';

/** Samples kept per event or service: an inferred catalogue lists every union member, the page needs a few. */
export const MAX_SAMPLES = 20;

export interface InspectorSamples {
  /** Whole events (`{ type, ...payload }`) per event type. */
  events: Record<string, EventObject[]>;
  /** Outputs a service may finish with, by `src`. `undefined` (a service with no output) is kept as such. */
  outputs: Record<string, unknown[]>;
  /** Errors a service may fail with, by `src`. */
  errors: Record<string, ServiceError[]>;
}

export interface ServiceError {
  message: string;
  kind?: string;
}

/**
 * Reads a catalogue into page samples: payloads become whole events, error samples `{ message, kind }` (`code`
 * counts as the kind), each list deduplicated and cut at {@link MAX_SAMPLES}.
 *
 * @example
 * inspectorSamples({ events: { APPROVE: [{ by: 'ops' }] } }).events.APPROVE; // [{ type: 'APPROVE', by: 'ops' }]
 */
export function inspectorSamples(catalogue: EventCatalogue | undefined): InspectorSamples {
  const out: InspectorSamples = { events: {}, outputs: {}, errors: {} };
  for (const [type, payloads] of Object.entries(catalogue?.events ?? {})) {
    if (!Array.isArray(payloads)) continue;
    out.events[type] = unique(payloads.filter(isRecord).map((p) => ({ ...p, type })));
  }
  for (const [src, outcomes] of Object.entries(catalogue?.services ?? {})) {
    if (!isRecord(outcomes)) continue;
    if (Array.isArray(outcomes.done)) out.outputs[src] = unique(outcomes.done);
    if (Array.isArray(outcomes.error)) out.errors[src] = unique(outcomes.error.map(toServiceError));
  }
  return out;
}

/** The input a run starts from when none is given: the catalogue's `input`, else the first of its `inputs`. */
export function catalogueInput(catalogue: EventCatalogue | undefined): unknown {
  if (!catalogue) return undefined;
  if (catalogue.input !== undefined) return catalogue.input;
  return Array.isArray(catalogue.inputs) ? catalogue.inputs[0] : undefined;
}

function toServiceError(sample: unknown): ServiceError {
  if (typeof sample === 'string') return { message: sample };
  if (isRecord(sample)) {
    const message = typeof sample.message === 'string' && sample.message !== '' ? sample.message : JSON.stringify(sample);
    const kind = typeof sample.kind === 'string' ? sample.kind : typeof sample.code === 'string' ? sample.code : undefined;
    return { message, ...(kind ? { kind } : {}) };
  }
  return { message: String(sample) };
}

function unique<T>(items: T[]): T[] {
  const seen = new Set<string>();
  const out: T[] = [];
  for (const item of items) {
    const key = keyOf(item);
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(item);
    if (out.length >= MAX_SAMPLES) break;
  }
  return out;
}

function keyOf(item: unknown): string {
  try {
    return JSON.stringify(item) ?? String(item);
  } catch {
    return String(item); // a cycle: told apart by nothing better
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
