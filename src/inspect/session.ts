/**
 * `lifecycle inspect`: the inspector server plus the lifecycle running in-process under it, attached the way any
 * app attaches (`createWebSocketInspector` pointed at the server), with real services or controllable fakes.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createActor, type AnyActorLogic, type AnyActorRef, type AnyStateMachine } from 'xstate';
import type { ViewOptions } from '../diagram/view.ts';
import { UserError } from '../errors.ts';
import type { EventCatalogue } from '../model/catalogue.ts';
import { extractGraph } from '../model/extract.ts';
import { SERVICES } from '../services/index.ts';
import type { BuiltinServices, LifecycleServices } from '../services/types.ts';
import { EXAMPLE_INPUTS, EXAMPLE_OUTPUTS } from './examples.ts';
import { createFakeServices, type FakeServices } from './fake-services.ts';
import { connectInspector } from './connect.ts';
import { catalogueInput, inspectorSamples } from './samples.ts';
import { startInspectorServer, type InspectorServer } from './server.ts';

export interface InspectSessionOptions {
  machine: AnyStateMachine;
  /** The built-in's name (`install`), when the machine is a built-in: its real services and examples are used. */
  builtin?: string;
  /** Controllable fakes for every invoked service instead of real ones. */
  fakeServices?: boolean;
  /**
   * The run's input. Default: a built-in's sandboxed input (real services) or example input (fakes); for any other
   * machine the catalogue's `input` (or the first of its `inputs`).
   */
  input?: unknown;
  /**
   * The machine's samples (`resolveSamples(...).catalogue`: hand-written and inferred): the page offers their event
   * payloads, pre-fills a fake service's Resolve and Fail boxes with their outputs and errors, and the run starts
   * from their input when none is given.
   */
  samples?: EventCatalogue;
  /** How the page draws the machine (default: steps collapsed, the active one open). */
  view?: ViewOptions;
  host?: string;
  port?: number;
  onNotice?: (line: string) => void;
  /** A user's machine's real services (`--services`, or found beside it): used as a built-in's are. */
  services?: LifecycleServices;
  /** Loads a built-in's real services; default: the `SERVICES` registry in `src/services/index.ts`. */
  loadServices?: (name: string) => Promise<BuiltinServices>;
}

export interface InspectSession {
  server: InspectorServer;
  actor: AnyActorRef;
  fakes?: FakeServices;
  /** The sandbox directory of a real-services run, removed on close. */
  sandbox?: string;
  /** Stops the actor, detaches, closes the server, removes the sandbox. Safe to call twice. */
  close(): Promise<void>;
}

/**
 * Starts the server and the lifecycle under it. The actor is started once the server listens, so the page sees
 * the run from its first snapshot.
 *
 * @example
 * const session = await startInspectSession({ machine: installMachine, builtin: 'install', fakeServices: true });
 * console.log(session.server.url);
 * // ... later
 * await session.close();
 */
export async function startInspectSession(options: InspectSessionOptions): Promise<InspectSession> {
  const { machine } = options;
  const graph = extractGraph(machine);
  let actors: Record<string, AnyActorLogic> | undefined;
  let fakes: FakeServices | undefined;
  let input = options.input;
  let sandbox: string | undefined;
  const samples = inspectorSamples(options.samples);

  if (options.fakeServices) {
    fakes = createFakeServices(graph, options.builtin ? EXAMPLE_OUTPUTS[options.builtin] : {}, samples);
    actors = fakes.actors;
    if (input === undefined && options.builtin) input = EXAMPLE_INPUTS[options.builtin];
  } else if (options.builtin || options.services) {
    const services: LifecycleServices = options.services ?? (await (options.loadServices ?? loadRegisteredServices)(options.builtin!));
    actors = services.actors;
    // Real services act on the machine: a given input is checked as `lifecycle run` checks it (one line naming the field).
    if (input !== undefined && services.checkInput) input = services.checkInput(input, process.cwd());
    if (input === undefined && services.sandboxInput) {
      sandbox = await mkdtemp(join(tmpdir(), `lifecycle-inspect-${options.builtin ?? graph.id}-`));
      const dir = sandbox;
      input = await services.sandboxInput(dir).catch(async (error: unknown) => {
        await rm(dir, { recursive: true, force: true });
        throw error;
      });
    }
  }
  // A user's machine without --fake-services runs with its own implementations.
  // Without an input, a machine that reads one fails at once: start from the catalogue's.
  if (input === undefined) input = catalogueInput(options.samples);

  // A server that cannot listen (a port another inspect holds) must not leave the sandbox behind.
  const server = await startInspectorServer({
    host: options.host,
    port: options.port,
    machine,
    graph,
    view: options.view,
    title: `${graph.id}${fakes ? ' (fake services)' : ''}`,
    onNotice: options.onNotice,
  }).catch(async (error: unknown) => {
    if (sandbox) await rm(sandbox, { recursive: true, force: true });
    throw error;
  });
  const inspector = connectInspector(server.mainSourceUrl);
  const provided = actors ? machine.provide({ actors }) : machine;
  const actor = createActor(provided, { input, inspect: inspector.inspect });
  const release = server.control({ actor, graph, fakes, samples });
  actor.start();

  let closing: Promise<void> | undefined;
  return {
    server,
    actor,
    ...(fakes ? { fakes } : {}),
    ...(sandbox ? { sandbox } : {}),
    close() {
      closing ??= (async () => {
        try {
          release();
          actor.stop();
          // Let the inspector flush what the stop produced, then detach before the server goes.
          await new Promise((r) => setTimeout(r, 20));
          inspector.stop();
          await server.close();
        } finally {
          if (sandbox) await rm(sandbox, { recursive: true, force: true });
        }
      })();
      return closing;
    },
  };
}

/** The built-ins' real services, from the registry (`SERVICES[name]()` loads one lifecycle's services). */
async function loadRegisteredServices(name: string): Promise<BuiltinServices> {
  const load = SERVICES[name];
  if (!load) throw new UserError(`no real services for '${name}': run it with --fake-services and settle services from the page`);
  return load();
}
