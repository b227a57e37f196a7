import { UserError } from '../../src/errors.ts';
import { openInBrowser } from '../../src/inspect/open.ts';
import { startInspectSession } from '../../src/inspect/session.ts';
import { loadMachine } from '../../src/model/load.ts';
import { type Register, usageError } from '../io.ts';
import { parseInputOption } from '../run-output.ts';

interface InspectOptions {
  port: string;
  host: string;
  open?: boolean;
  fakeServices?: boolean;
  stately?: boolean;
  input?: string;
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
    .option('--stately', "show the run in Stately's hosted inspector (needs internet) instead of the local page")
    .option('--input <json|file>', 'the run input: JSON, or the path of a JSON file (default: a sandboxed input, or an example with --fake-services)')
    .addHelpText(
      'after',
      `
The page works offline. Other programs attach with two lines (see docs/inspector.md):
  const inspector = createWebSocketInspector({ url: 'ws://127.0.0.1:PORT' });   // from @statelyai/inspect
  createActor(machine, { inspect: inspector.inspect }).start();

Examples:
  $ lifecycle inspect install --fake-services --open
  $ lifecycle inspect upgrade --port 4242
  $ lifecycle inspect ./src/checkout.ts#checkoutMachine --fake-services`,
    )
    .action(async (ref: string, opts: InspectOptions) => {
      const port = Number(opts.port);
      if (!Number.isInteger(port) || port < 0 || port > 65535) throw usageError(`--port must be an integer from 0 to 65535, got '${opts.port}'`);
      // The same --input as `run`: JSON text or the path of a JSON file.
      const input: unknown = opts.input === undefined ? undefined : parseInputOption(opts.input);
      const loaded = await loadMachine(ref);
      const session = await startInspectSession({
        machine: loaded.machine,
        builtin: loaded.origin === 'builtin' ? loaded.name : undefined,
        fakeServices: opts.fakeServices,
        input,
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
          `Ctrl-C to stop\n`,
      );
      actor.subscribe({
        complete: () => io.stderr.write(`inspect: ${loaded.name} finished (${JSON.stringify(actor.getSnapshot().value)}); the page stays up\n`),
        error: (error) => io.stderr.write(`inspect: ${loaded.name} failed: ${error instanceof Error ? error.message : String(error)}\n`),
      });
      if (opts.open && !(await openInBrowser(page))) io.stderr.write(`inspect: could not open a browser; open ${page}\n`);

      await new Promise<void>((resolve) => {
        const stop = () => {
          process.off('SIGINT', stop);
          process.off('SIGTERM', stop);
          resolve();
        };
        process.on('SIGINT', stop);
        process.on('SIGTERM', stop);
      });
      await session.close();
      io.stderr.write('inspect: stopped\n');
    });
};
