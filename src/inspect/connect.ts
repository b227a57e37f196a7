import { createWebSocketInspector } from '@statelyai/inspect';
import { toWire } from './serialize.ts';

/** The inspector client lifecycle-kit attaches its own actors with: `inspect` for `createActor`, `stop` to detach. */
export type InspectorClient = ReturnType<typeof createWebSocketInspector>;

/**
 * A `createWebSocketInspector` client for `url`, as any app would make, with settings that suit a local server:
 * errors keep their message ({@link toWire}), deep contexts are not cut at depth 10, and a burst before the socket
 * opens is not dropped after 200 events. Its `stop()` never reconnects (the stock adapter reconnects after 5 s when
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
  const stop = client.stop;
  client.stop = () => {
    // The adapter's socket is private; if it is there, silence its reconnect-on-error before closing it.
    const socket = (client.adapter as unknown as { ws?: { onerror: unknown } }).ws;
    if (socket) socket.onerror = () => {};
    stop();
  };
  return client;
}
