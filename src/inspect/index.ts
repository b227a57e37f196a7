/**
 * The live inspector: a local server that speaks `@statelyai/inspect`'s WebSocket protocol, buffers every actor's
 * history and serves a page (offline) that draws the machine, its active states, coverage and log.
 *
 * - `session.ts`  `lifecycle inspect`: the server with the lifecycle running under it (real or fake services)
 * - `attach.ts`   `attachInspector()`: the server for a runtime that owns its actor (`lifecycle run --inspect`)
 * - `server.ts`   HTTP + WebSocket server, Host/Origin checks, the page's commands
 * - `history.ts`  per-actor buffer, enriched with active states, from → to, coverage and errors
 * - `protocol.ts` both wire formats; `serialize.ts` error-preserving JSON; `connect.ts` the client we attach with
 * - `target.ts`   what the page's commands act on: an actor, or a run that takes events through `send`
 * - `samples.ts`  the catalogue as the page offers it (event payloads, service outputs and errors, input)
 * - `pictures.ts` which picture a snapshot is drawn with (steps collapsed, the active one open)
 * - `graph-view.ts`, `coverage.ts`, `controls.ts`, `fake-services.ts`, `examples.ts`, `open.ts`; `page/` the page
 */
export { startInspectSession, type InspectSession, type InspectSessionOptions } from './session.ts';
export { attachInspector, type AttachInspectorOptions, type AttachedInspector } from './attach.ts';
export { startInspectorServer, type InspectorServer, type InspectorServerOptions, type ControlTarget, type ActorTarget, type RunTarget } from './server.ts';
export { inspectorSamples, type InspectorSamples } from './samples.ts';
export { connectInspector } from './connect.ts';
export { createFakeServices, type FakeServices } from './fake-services.ts';
export { toWire } from './serialize.ts';
export { PAGE_PATH, type ServerMessage, type PageCommand, type Entry, type ActorInfo, type ControlState } from './protocol.ts';
