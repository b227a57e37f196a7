/**
 * The inspector for a runtime that owns its actor (`lifecycle run ... --inspect`): start the server, get an
 * `inspect` observer for `createActor`, and optionally let the page send events to the run, either straight to an
 * actor (`control(actor)`) or through the runtime (`send`).
 */
import type { AnyActorRef, AnyStateMachine, EventObject, InspectionEvent, Observer } from 'xstate';
import type { ViewOptions } from '../diagram/view.ts';
import type { EventCatalogue } from '../model/catalogue.ts';
import { extractGraph } from '../model/extract.ts';
import type { LifecycleGraph } from '../model/types.ts';
import { connectInspector } from './connect.ts';
import { inspectorSamples } from './samples.ts';
import { startInspectorServer } from './server.ts';

export interface AttachInspectorOptions {
  /** The machine the run uses: its diagram and exact coverage on the page. */
  machine?: AnyStateMachine;
  /** Its graph, if already extracted. */
  graph?: LifecycleGraph;
  /** Interface to bind; default `127.0.0.1`. */
  host?: string;
  /** Port; 0 (the default) picks a free one. */
  port?: number;
  title?: string;
  onNotice?: (line: string) => void;
  /**
   * The machine's samples (`resolveSamples(...).catalogue`): the page offers their payloads for each event the
   * current state accepts, so that a guard reading the payload gets one.
   */
  samples?: EventCatalogue;
  /**
   * Lets the page drive a run whose actor the runtime keeps to itself. The page's events are checked first, as
   * for `control` (a user event the current state handles, on the newest actor of `machine` this inspector's
   * `inspect` saw without a parent, read back with `machine`; one that would make a guard or assign throw is refused); then
   * `send` gets the event. Return a string to refuse it (shown on the page, e.g. `'the run is saving: try
   * again'`), nothing when delivered; a throw is shown as a refusal too. Needs `machine` (as the run provides it,
   * guards included). Without `send` or `control` the page only watches.
   */
  send?: (event: EventObject) => void | string;
  /** How the page draws the machine: default steps collapsed as `lifecycle diagram` draws them, the active one open. */
  view?: ViewOptions;
}

export interface AttachedInspector {
  /** Pass to `createActor(machine, { inspect })`. */
  inspect: Observer<InspectionEvent>;
  /** The page. */
  url: string;
  /** Where other programs attach with `createWebSocketInspector({ url: wsUrl })`. */
  wsUrl: string;
  /**
   * Lets the page send events (checked against what the current state accepts) to `actor`, the one created with
   * `inspect`, instead of through `send`. Without either the page only watches. Returns a function that undoes it.
   */
  control(actor: AnyActorRef): () => void;
  /** Detaches and closes the server. Safe to call twice. */
  close(): Promise<void>;
}

/**
 * Starts an inspector server and returns the observer that feeds it.
 *
 * @example
 * // A runtime that owns the actor and journals every event: the page's events go through it.
 * const inspector = await attachInspector({ machine, samples: catalogue, send: (event) => run.send(event) });
 * startRun({ ..., inspect: inspector.inspect });
 *
 * @example
 * const inspector = await attachInspector({ machine: installMachine });
 * const actor = createActor(installMachine.provide({ actors }), { input, inspect: inspector.inspect });
 * inspector.control(actor);
 * actor.start();
 * console.error(`inspector: ${inspector.url}`);
 * // ... when the run ends
 * await inspector.close();
 */
export async function attachInspector(options: AttachInspectorOptions = {}): Promise<AttachedInspector> {
  const graph = options.graph ?? (options.machine ? extractGraph(options.machine) : undefined);
  if (options.send && !(options.machine && graph)) throw new TypeError('attachInspector: `send` needs the machine, to check what the page sends');
  const samples = inspectorSamples(options.samples);
  const server = await startInspectorServer({
    host: options.host,
    port: options.port,
    machine: options.machine,
    graph,
    view: options.view,
    title: options.title ?? graph?.id,
    onNotice: options.onNotice,
  });
  if (options.send && options.machine && graph) server.control({ machine: options.machine, graph, send: options.send, samples });
  const client = connectInspector(server.mainSourceUrl);
  let closing: Promise<void> | undefined;
  return {
    inspect: client.inspect,
    url: server.url,
    wsUrl: server.wsUrl,
    control(actor) {
      if (!graph) throw new Error('attachInspector: pass the machine to let the page send events');
      return server.control({ actor, graph, samples });
    },
    close() {
      closing ??= (async () => {
        // Let pending inspection events (sent on the next tick) go out first.
        await new Promise((r) => setTimeout(r, 20));
        client.stop();
        await server.close();
      })();
      return closing;
    },
  };
}
