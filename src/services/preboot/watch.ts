/**
 * The `watchHolds` service: a callback actor on a preboot server's hold registry. On start it tells the machine the
 * whole history (each hold's registration, then its settlement if it has settled: a re-invoked watcher repeats
 * itself, and the machine ignores reports about holds it no longer has pending), then every later event as it
 * happens. Stopping it only detaches; the server stays up.
 */
import { fromCallback, type EventObject } from 'xstate';
import type { WatchHoldsInput } from '../../../machines/preboot.ts';
import { holdRegistryOf, serverGone } from './servers.ts';

export const watchHolds = fromCallback<EventObject, WatchHoldsInput>(({ input, sendBack }) => {
  const registry = holdRegistryOf(input.serverId);
  if (!registry) throw serverGone(input.serverId);
  const unsubscribe = registry.subscribe(sendBack);
  for (const event of registry.history()) sendBack(event);
  return unsubscribe;
});
