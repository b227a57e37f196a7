import { createWebSocketInspector } from '@statelyai/inspect';
import type { InspectionEvent, Observer } from 'xstate';
import { toWire } from './serialize.ts';

/** The inspector client lifecycle-kit attaches its own actors with: `inspect` for `createActor`, `stop` to detach. */
export type InspectorClient = ReturnType<typeof createWebSocketInspector>;

/**
 * A `createWebSocketInspector` client for `url`, as any app would make, with settings that suit a local server:
 * errors keep their message ({@link toWire}), deep contexts are not cut at depth 10, and a burst before the socket
 * opens is not dropped after 200 events, and a failure XState does not inspect is reported ({@link withFailures}).
 * Its `stop()` never reconnects (the stock adapter reconnects after 5 s when
 * the socket errors, which closing a socket that is still connecting does).
 *
 * @example
 * const client = connectInspector('ws://127.0.0.1:4242');
 * createActor(machine, { inspect: client.inspect }).start();
 */
export function connectInspector(url: string): InspectorClient {
  const client = createWebSocketInspector({
    url,
    serialize: (event) => toWire(event, 40),
    serializationDepthLimit: 40,
    maxDeferredEvents: 100_000,
  });
  client.inspect = withFailures(client.inspect);
  const stop = client.stop;
  client.stop = () => {
    // The adapter's socket is private; if it is there, silence its reconnect-on-error before closing it.
    const socket = (client.adapter as unknown as { ws?: { onerror: unknown } }).ws;
    if (socket) socket.onerror = () => {};
    stop();
  };
  return client;
}

/**
 * XState inspects no snapshot when a guard or an assign throws, or the context factory cannot read the input: the
 * actor goes to `error` and only its observers' `error` hears of it, so a page would go on showing it active. After
 * each event an actor receives (and after it is created), its status is looked at once the event has been
 * processed; a failure no snapshot reported is reported as one, caused by that event, error message included.
 */
export function withFailures(inspect: Observer<InspectionEvent>): Observer<InspectionEvent> {
  const reported = new WeakSet<object>();
  return {
    next(event) {
      inspect.next?.(event);
      const actor = event.actorRef;
      if (event.type === '@xstate.snapshot' && (event.snapshot as { status?: string }).status === 'error') reported.add(actor);
      if (event.type !== '@xstate.event' && event.type !== '@xstate.actor') return;
      const cause = event.type === '@xstate.event' ? event.event : { type: 'xstate.init' };
      // XState processes the event synchronously after inspecting it: by the microtask it is done.
      queueMicrotask(() => {
        const snapshot = actor.getSnapshot() as { status?: string } | undefined;
        if (snapshot?.status !== 'error' || reported.has(actor)) return;
        reported.add(actor);
        inspect.next?.({ type: '@xstate.snapshot', actorRef: actor, rootId: event.rootId, snapshot: toWire(snapshot, 40) as never, event: cause });
      });
    },
  };
}
