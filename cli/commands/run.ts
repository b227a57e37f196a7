import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DirectoryStore } from '../../src/runtime/directory-store.ts';
import { resolveLifecycle } from '../../src/runtime/resolve-lifecycle.ts';
import { startRun } from '../../src/runtime/runs.ts';
import type { AnyStateMachine } from 'xstate';
import { type Register, usageError } from '../io.ts';
import { announceShutdown, createProgressPrinter, lifecycleRunOptions, parseInputOption, parseTimeout, reportRunEnd, withInterruptSignal } from '../run-output.ts';

export const registerRun: Register = (program, { io, setExitCode }) => {
  program
    .command('run')
    .description('run a lifecycle durably: its snapshot and a journal line are saved after every transition, so a crashed run resumes')
    .argument('<lifecycle>', 'built-in name or path/to/file.ts#exportName')
    .option('--input <json|file>', "the run's input, as JSON text or a JSON file (a built-in without it runs on a sandbox in a temp dir)")
    .option('--store <dir>', 'the directory that keeps the run', '.lifecycle')
    .option('--verify', 'check the state invariants after every transition; a violation fails the run')
    .option('--timeout <ms>', 'time limit of each service call (not for services of waiting states)', parseTimeout)
    .option('--inspect [port]', 'show the run live on the inspector page (port 0 or none picks a free one)')
    .addHelpText(
      'after',
      `
Exit code: 0 when the run ends in a successful final state, 1 when it fails, 130 when interrupted (resume it).
Ctrl-C or SIGTERM interrupts the run where it is (resumable). A lifecycle that runs until told to stop (preboot)
shuts down instead, as its machine models (STOP); a second Ctrl-C interrupts it.

Examples:
  $ lifecycle run install
  $ lifecycle run install --input '{"package":"examples/packages/nginx/1.0.0","target":"/tmp/stack"}' --verify
  $ lifecycle run upgrade --input upgrade.json --store /var/lib/agent/.lifecycle --timeout 60000
  $ lifecycle run ./lifecycles/checkout.ts#checkoutMachine --input '{"orderId":"42"}'`,
    )
    .action(async (ref: string, opts: { input?: string; store: string; verify?: boolean; timeout?: number; inspect?: string | boolean }) => {
      // The input is checked before anything is loaded or written: a typo costs nothing.
      let input = opts.input === undefined ? undefined : parseInputOption(opts.input);
      const inspectPort = opts.inspect === undefined ? undefined : parsePort(opts.inspect);
      const lifecycle = await resolveLifecycle(ref);
      const services = lifecycle.services;
      if (input !== undefined && services?.checkInput) input = services.checkInput(input, process.cwd());
      // Without --input a built-in runs on a sandbox, made once the store is known to be free.
      let sandbox: string | undefined;
      const makeSandbox =
        opts.input === undefined && services
          ? async () => {
              const dir = mkdtempSync(join(tmpdir(), `lifecycle-${lifecycle.ref}-`));
              const made = await services.sandboxInput(dir).catch((error: unknown) => {
                rmSync(dir, { recursive: true, force: true });
                throw error;
              });
              sandbox = dir;
              io.stdout.write(`sandbox: ${sandbox}\ninput: ${JSON.stringify(made)}\n`);
              return made;
            }
          : undefined;
      if (opts.verify && !lifecycle.services) io.stderr.write(`warning: --verify: ${ref} has no invariants to check\n`);
      const printer = createProgressPrinter(io, lifecycle.ref, lifecycle.services?.notes as never);
      const inspector = inspectPort === undefined ? undefined : await openInspector(lifecycle.machine, inspectPort);
      if (inspector) io.stdout.write(`inspector: ${inspector.url}\n`);
      const startedAt = Date.now();
      try {
        const result = await withInterruptSignal(
          (signals) =>
            startRun({
              ...lifecycleRunOptions(io, lifecycle, printer, signals),
              store: new DirectoryStore(opts.store),
              input,
              makeInput: makeSandbox,
              verify: opts.verify ?? false,
              timeoutMs: opts.timeout ?? null,
              inspect: inspector ? (event) => inspector.inspect.next?.(event) : undefined,
            }),
          announceShutdown(io, lifecycle.ref, services?.shutdownEvent, printer),
        );
        printer.stop();
        setExitCode(reportRunEnd(io, result, startedAt, opts.store));
        if (sandbox) io.stdout.write(`sandbox kept: ${sandbox} (remove it when done: an agent or app the run left running there exits once it is gone)\n`);
      } finally {
        printer.stop();
        // The run has ended and its actor stopped: close what the services still hold (e.g. preboot's servers),
        // or an interrupted run would keep the process alive.
        await lifecycle.services?.dispose?.();
        if (inspector) {
          // On a terminal the page stays up for a look at the finished run; in a script the command just ends.
          if (io.stdout.isTTY) {
            io.stdout.write(`the inspector stays at ${inspector.url} until Ctrl-C\n`);
            await new Promise<void>((resolve) => process.once('SIGINT', () => resolve()));
          }
          await inspector.close();
        }
      }
    });
};

function parsePort(port: string | boolean): number {
  const n = port === true ? 0 : Number(port);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw usageError(`--inspect takes a port from 0 to 65535, not '${port}'`);
  return n;
}

/** The live inspector for a durable run (`--inspect [port]`), loaded only when asked for. */
async function openInspector(machine: AnyStateMachine, port: number) {
  const { attachInspector } = await import('../../src/inspect/attach.ts');
  return attachInspector({ machine, port });
}
