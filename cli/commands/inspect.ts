import { UserError } from '../../src/errors.ts';
import { openInBrowser } from '../../src/inspect/open.ts';
import { startInspectSession } from '../../src/inspect/session.ts';
import { findServicesBeside, loadServicesRef } from '../../src/services/load-user.ts';
import { extractGraph } from '../../src/model/extract.ts';
import { loadMachine } from '../../src/model/load.ts';
import { resolveSamples } from '../../src/model/samples.ts';
import { type Register, usageError } from '../io.ts';
import { parseInputOption } from '../run-output.ts';

interface InspectOptions {
  port: string;
  host: string;
  open?: boolean;
  fakeServices?: boolean;
  services?: string;
  stately?: boolean;
  input?: string;
  catalogue?: string;
  infer: boolean;
  expand?: boolean;
  depth?: string;
}

export const registerInspect: Register = (program, { io }) => {
  program
    .command('inspect')
    .description('run a lifecycle under a live inspector page (state diagram, log, context, coverage, controls)')
    .argument('<machine>', 'built-in name or path/to/file.ts#exportName')
    .option('-p, --port <port>', 'port to listen on (0 picks a free one)', '0')
    .option('--host <host>', 'interface to bind (loopback unless you say otherwise)', '127.0.0.1')
    .option('--open', 'open the page in a browser')
    .option('--fake-services', 'fake every invoked service: it stays pending until you resolve or fail it on the page')
    .option('--services <file#export>', "your machine's real services (default: a 'services' export of the machine's module or of <file>.services.ts beside it)")
    .option('--stately', "show the run in Stately's hosted inspector (needs internet) instead of the local page")
    .option('--input <json|file>', "the run input: JSON, or the path of a JSON file (default: a built-in's sandboxed or example input, else the catalogue's)")
    .option('--catalogue <ref>', "samples for the page's event picker and service boxes: file.json or file.ts#export (default: the built-in's, or the module's `catalogue` export)")
    .option('--no-infer', "use only the hand-written catalogue: no samples inferred from the machine's TypeScript types")
    .option('--expand', 'draw the inner states of every step (default: steps collapsed, the active one drawn open)')
    .option('--depth <n>', 'draw compound states deeper than n as one node (opened while active)')
    .addHelpText(
      'after',
      `
The page works offline. Event buttons offer the catalogue's payloads (hand-written, else inferred from the
machine's types), and fake services are pre-filled with its outputs and errors.
Other programs attach with two lines (see docs/inspector.md):
  const inspector = createWebSocketInspector({ url: 'ws://127.0.0.1:PORT' });   // from @statelyai/inspect
  createActor(machine, { inspect: inspector.inspect }).start();

Examples:
  $ lifecycle inspect install --fake-services --open
  $ lifecycle inspect upgrade --port 4242
  $ lifecycle inspect ./src/checkout.ts#checkoutMachine --fake-services
  $ lifecycle inspect ./src/deploy.ts#deployMachine --fake-services --catalogue ./src/deploy.catalogue.json`,
    )
    .action(async (ref: string, opts: InspectOptions) => {
      const port = Number(opts.port);
      if (!Number.isInteger(port) || port < 0 || port > 65535) throw usageError(`--port must be an integer from 0 to 65535, got '${opts.port}'`);
      // The same --input as `run`: JSON text or the path of a JSON file.
      const input: unknown = opts.input === undefined ? undefined : parseInputOption(opts.input);
      const depth = opts.depth === undefined ? undefined : Number(opts.depth);
      if (depth !== undefined && (!Number.isInteger(depth) || depth < 0 || depth > 99)) throw usageError(`--depth takes a whole number from 0 to 99, not '${opts.depth}'`);
      await inspect(ref, opts, port, depth, input);
    });

  async function inspect(ref: string, opts: InspectOptions, port: number, depth: number | undefined, input: unknown): Promise<void> {
    const loaded = await loadMachine(ref);
    if (opts.services && loaded.origin === 'builtin') throw usageError(`--services is for your own machines: the built-in ${loaded.name} brings its own services`);
    if (opts.services && opts.fakeServices) throw usageError('--services and --fake-services do not go together: choose real services or fakes');
    // A user's real services: given, or found beside the machine (none: the machine's own actors).
    const services = opts.fakeServices || loaded.origin === 'builtin' ? null : opts.services ? (await loadServicesRef(opts.services, loaded.machine)).services : ((await findServicesBeside(loaded))?.services ?? null);
    // The samples `paths` uses: the page offers them, so that a guard reading a payload or an output gets one.
    const { catalogue } = await resolveSamples(loaded, extractGraph(loaded.machine), { catalogueRef: opts.catalogue, infer: opts.infer });
    // Caught before the session makes its sandbox and kept until it is gone: a signal while the session starts
    // still stops it, and a second one during the cleanup (Ctrl-C twice, `timeout` after Ctrl-C) cannot cut it short.
    const signals = catchStopSignals(() => io.stderr.write('inspect: already stopping, cleaning up\n'));
    try {
      const session = await startInspectSession({
        machine: loaded.machine,
        builtin: loaded.origin === 'builtin' ? loaded.name : undefined,
        fakeServices: opts.fakeServices,
        ...(services ? { services } : {}),
        input,
        samples: catalogue,
        view: { ...(opts.expand ? { expand: true } : {}), ...(depth !== undefined ? { depth } : {}) },
        host: opts.host,
        port,
        onNotice: (line) => io.stderr.write(`inspect: ${line}\n`),
      }).catch((error: NodeJS.ErrnoException) => {
        if (error.code === 'EADDRINUSE') throw new UserError(`port ${port} is in use: choose another with --port, or 0 for a free one`);
        if (error.code === 'EADDRNOTAVAIL' || error.code === 'ENOTFOUND') throw new UserError(`cannot listen on ${opts.host}: no such local address`);
        throw error;
      });
      const { server, actor } = session;

      const page = opts.stately ? server.statelyUrl : server.url;
      io.stdout.write(
        `inspecting ${loaded.name}${opts.fakeServices ? ' with fake services' : ''}\n` +
          `  page:   ${page}\n` +
          (opts.stately ? `  (Stately's hosted inspector, fed by this server; the offline page is ${server.url})\n` : '') +
          `  attach: createWebSocketInspector({ url: '${server.wsUrl}' })\n` +
          (session.sandbox ? `sandbox: ${session.sandbox} (removed when inspect stops)\n` : '') +
          `Ctrl-C to stop\n`,
      );
      actor.subscribe({
        // XState completes an actor's observers when it is stopped too: only a done actor finished.
        complete: () => {
          const { status, value } = actor.getSnapshot();
          io.stderr.write(status === 'done' ? `inspect: ${loaded.name} finished (${JSON.stringify(value)}); the page stays up\n` : `inspect: ${loaded.name} stopped while in ${JSON.stringify(value)}\n`);
        },
        error: (error) => io.stderr.write(`inspect: ${loaded.name} failed: ${error instanceof Error ? error.message : String(error)}\n`),
      });
      if (opts.open && !(await openInBrowser(page))) io.stderr.write(`inspect: could not open a browser; open ${page}\n`);

      await signals.stopped;
      await session.close();
      io.stderr.write('inspect: stopped\n');
    } finally {
      signals.release();
    }
  }
};

/** SIGINT and SIGTERM, both: `stopped` settles on the first, `again` hears any later one; `release` lets them go. */
function catchStopSignals(again: () => void): { stopped: Promise<void>; release: () => void } {
  let resolve!: () => void;
  const stopped = new Promise<void>((r) => (resolve = r));
  let count = 0;
  const on = () => (count++ === 0 ? resolve() : again());
  process.on('SIGINT', on);
  process.on('SIGTERM', on);
  return { stopped, release: () => (process.off('SIGINT', on), process.off('SIGTERM', on)) };
}
