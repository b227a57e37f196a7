/**
 * An event catalogue: the sample payloads that let path generation satisfy guards reading the event, the
 * context or a service's output. Plain data, one per machine; the four built-ins ship theirs beside the machine.
 */
export interface EventCatalogue {
  /** The input a run starts from (paths start from it). */
  input?: unknown;
  /** Several inputs to explore from (e.g. with and without `force`); each path says which it uses. Overrides `input`. */
  inputs?: unknown[];
  /**
   * Payload samples per user event type (the event without `type`). An event with no samples is sent as
   * `{ type }`. Wildcard descriptors (`*`, `reconnect.*`) may be given samples here too, under their descriptor.
   */
  events?: Record<string, Record<string, unknown>[]>;
  /**
   * Outcomes per invoked service, by its `src` name: the outputs it may finish with (`done`), the errors it may
   * fail with (`error`, e.g. `{ message: 'disk full', kind: 'ENOSPC' }`) and snapshots it may emit.
   * Defaults: done `[undefined]`, error `[{ message: 'injected failure' }]`, snapshot `[{}]`.
   */
  services?: Record<string, { done?: unknown[]; error?: unknown[]; snapshot?: unknown[] }>;
  /** Context keys that, with the state value, tell two states apart during exploration; dotted paths reach inside
   * (`holds.id`: the id of every item of `holds`). */
  identity?: string[];
  /**
   * Context paths the generated tests do not compare (dotted: `startedAt`, `progress.updatedAt`): values a run
   * makes anew each time, like ids from a random source. The tests fix the clock, so `Date.now()` needs no entry.
   */
  unchecked?: string[];
}
