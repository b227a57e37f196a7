import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DirectoryStore } from '../../src/runtime/directory-store.ts';
import { resolveLifecycle, type ResolvedLifecycle } from '../../src/runtime/resolve-lifecycle.ts';
import { startRun } from '../../src/runtime/runs.ts';
import type { RunControl } from '../../src/runtime/run-actor.ts';
import { type Register, usageError } from '../io.ts';
import { announceShutdown, createProgressPrinter, lazySamples, lifecycleRunOptions, parseInputOption, parseTimeout, reportRunEnd, settleSandbox, withInterruptSignal } from '../run-output.ts';

export const registerRun: Register = (program, { io, setExitCode }) => {
  program
    .command('run')
    .description('run a lifecycle durably: its snapshot and a journal line are saved after every transition, so a crashed run resumes')
    .argument('<lifecycle>', 'built-in name or path/to/file.ts#exportName')
    .option('--input <json|file>', "the run's input, as JSON text or a JSON file (without it: the services' sandbox input in a temp dir, if they have one)")
    .option('--services <file#export>', "your machine's services (actors, invariants, notes, progress): default, a 'services' export of the machine's module or of <file>.services.ts beside it")
    .option('--store <dir>', 'the directory that keeps the run', '.lifecycle')
    .option('--verify', 'check the state invariants after every transition; a violation fails the run')
    .option('--timeout <ms>', 'time limit of each service call (not for services of waiting states)', parseTimeout)
    .option('--inspect [port]', 'show the run live on the inspector page, which can send it events (port 0 or none picks a free one)')
    .option('--keep-sandbox', 'keep the temp directory of a sandboxed run once it has finished (it is removed by default)')
    .addHelpText(
      'after',
      `
Exit code: 0 when the run ends in a final state tagged 'success' (or one not marked either way: "ended"), 1 when it
fails or ends in a final state tagged 'failure' (or named like one: failed, cancelled, …), 130 when interrupted
(resume it). See docs/runtime.md for the convention.

A run in a state that only an event can leave waits for it, and says so with the command that sends one:
'lifecycle send [--store dir] <event json>' (or the inspector page, with --inspect). A run that nothing can move on
(a service finished with no onDone, a state with no way out) fails instead of hanging.

Ctrl-C or SIGTERM interrupts the run where it is (resumable). A lifecycle that runs until told to stop (preboot)
shuts down instead, as its machine models (STOP); a second Ctrl-C interrupts it.

Examples:
  $ lifecycle run install
  $ lifecycle run install --input '{"package":"examples/packages/nginx/1.0.0","target":"/tmp/stack"}' --verify
  $ lifecycle run upgrade --input upgrade.json --store /var/lib/agent/.lifecycle --timeout 60000
  $ lifecycle run ./lifecycles/deploy.ts#deployMachine --services ./lifecycles/deploy.services.ts --input '{"dir":"/srv/app"}'`,
    )
    .action(
      async (
        ref: string,
        opts: { input?: string; services?: string; store: string; verify?: boolean; timeout?: number; inspect?: string | boolean; keepSandbox?: boolean },
      ) => {
        // The input is checked before anything is loaded or written: a typo costs nothing.
        let input = opts.input === undefined ? undefined : parseInputOption(opts.input);
        const inspectPort = opts.inspect === undefined ? undefined : parsePort(opts.inspect);
        const lifecycle = await resolveLifecycle(ref, { services: opts.services });
        const services = lifecycle.services;
        if (opts.verify && Object.keys(services?.invariants ?? {}).length === 0) {
          throw usageError(`--verify: ${ref} has no invariants to check: give services with invariants (--services file.ts#export, or a 'services' export beside the machine), or leave --verify out`);
        }
        if (input !== undefined && services?.checkInput) input = services.checkInput(input, process.cwd());
        // Without --input a run with sandboxing services runs on a sandbox, made once the store is known to be free.
        let sandbox: string | undefined;
        const sandboxInput = services?.sandboxInput?.bind(services);
        const makeSandbox =
          opts.input === undefined && sandboxInput
            ? async () => {
                const dir = mkdtempSync(join(tmpdir(), `lifecycle-${lifecycle.loaded.name}-`));
                const made = await sandboxInput(dir).catch((error: unknown) => {
                  rmSync(dir, { recursive: true, force: true });
                  throw error;
                });
                sandbox = dir;
                io.stdout.write(`sandbox: ${sandbox}\ninput: ${JSON.stringify(made)}\n`);
                return made;
              }
            : undefined;
        const printer = createProgressPrinter(io, lifecycle.ref, services?.notes as never, services?.progress as never);
        const inspector = inspectPort === undefined ? undefined : await openInspector(lifecycle, inspectPort);
        if (inspector) io.stdout.write(`inspector: ${inspector.url}\n`);
        const startedAt = Date.now();
        try {
          const result = await withInterruptSignal(
            (signals) =>
              startRun({
                ...lifecycleRunOptions(io, lifecycle, printer, signals, { storeArg: opts.store, samples: lazySamples(lifecycle) }),
                store: new DirectoryStore(opts.store),
                input,
                makeInput: makeSandbox,
                verify: opts.verify ?? false,
                timeoutMs: opts.timeout ?? null,
                servicesRef: lifecycle.servicesRef,
                sandbox: () => sandbox,
                inspect: inspector ? (event) => inspector.inspect.next?.(event) : undefined,
                onControl: inspector ? (control) => inspector.attach(control) : undefined,
              }),
            announceShutdown(io, lifecycle.ref, services?.shutdownEvent, printer),
          );
          printer.stop();
          setExitCode(reportRunEnd(io, result, startedAt, opts.store));
          if (sandbox) settleSandbox(io, sandbox, result.snapshot?.status === 'done' && !opts.keepSandbox);
        } finally {
          printer.stop();
          // The run has ended and its actor stopped: close what the services still hold (e.g. preboot's servers),
          // or an interrupted run would keep the process alive.
          await services?.dispose?.();
          if (inspector) {
            // On a terminal the page stays up for a look at the finished run; in a script the command just ends.
            if (io.stdout.isTTY) {
              io.stdout.write(`the inspector stays at ${inspector.url} until Ctrl-C\n`);
              await new Promise<void>((resolve) => process.once('SIGINT', () => resolve()));
            }
            await inspector.close();
          }
        }
      },
    );
};

function parsePort(port: string | boolean): number {
  const n = port === true ? 0 : Number(port);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw usageError(`--inspect takes a port from 0 to 65535, not '${port}'`);
  return n;
}

/**
 * The live inspector for a durable run (`--inspect [port]`), loaded only when asked for. Events the page sends go
 * through the run's own checks (as `lifecycle send`'s do): a refused one never touches the run. Its event picker
 * and boxes offer the machine's samples.
 */
async function openInspector(lifecycle: ResolvedLifecycle, port: number) {
  const [{ attachInspector }, samples] = await Promise.all([import('../../src/inspect/attach.ts'), lazySamples(lifecycle)()]);
  let control: RunControl | undefined;
  const inspector = await attachInspector({
    machine: lifecycle.machine,
    port,
    samples,
    send: (event) => {
      if (!control) return 'the run has not started yet';
      const receipt = control.send(event);
      return receipt.accepted ? undefined : (receipt.reason ?? 'refused');
    },
  });
  return {
    ...inspector,
    attach(next: RunControl) {
      control = next;
    },
  };
}
