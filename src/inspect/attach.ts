/**
 * The inspector for a runtime that owns its actor (`lifecycle run ... --inspect`): start the server, get an
 * `inspect` observer for `createActor`, and optionally let the page send events to that actor.
 */
import type { AnyActorRef, AnyStateMachine, InspectionEvent, Observer } from 'xstate';
import { extractGraph } from '../model/extract.ts';
import type { LifecycleGraph } from '../model/types.ts';
import { connectInspector } from './connect.ts';
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
   * `inspect`. Without it the page only watches. Returns a function that undoes it.
   */
  control(actor: AnyActorRef): () => void;
  /** Detaches and closes the server. Safe to call twice. */
  close(): Promise<void>;
}

/**
 * Starts an inspector server and returns the observer that feeds it.
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
  const server = await startInspectorServer({
    host: options.host,
    port: options.port,
    machine: options.machine,
    graph,
    title: options.title ?? graph?.id,
    onNotice: options.onNotice,
  });
  const client = connectInspector(server.mainSourceUrl);
  let closing: Promise<void> | undefined;
  return {
    inspect: client.inspect,
    url: server.url,
    wsUrl: server.wsUrl,
    control(actor) {
      if (!graph) throw new Error('attachInspector: pass the machine to let the page send events');
      return server.control({ actor, graph });
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
