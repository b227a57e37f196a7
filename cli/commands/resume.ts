import { DirectoryStore } from '../../src/runtime/directory-store.ts';
import { resolveLifecycle } from '../../src/runtime/resolve-lifecycle.ts';
import { resumeRun } from '../../src/runtime/runs.ts';
import { UserError, toErrorLine } from '../../src/errors.ts';
import { type Register, usageError } from '../io.ts';
import { announceShutdown, createProgressPrinter, lazySamples, lifecycleRunOptions, parseTimeout, reportRunEnd, withInterruptSignal } from '../run-output.ts';

export const registerResume: Register = (program, { io, setExitCode }) => {
  program
    .command('resume')
    .description('continue the run in a store from its last saved snapshot (after a crash, a kill or Ctrl-C); the step in flight runs again')
    .option('--store <dir>', 'the directory that keeps the run', '.lifecycle')
    .option('--verify', 'check the state invariants after every transition (default: as the run started)')
    .option('--services <file#export>', "your machine's services (default: those the run started with)")
    .option('--timeout <ms>', 'time limit of each service call (default: as the run started)', parseTimeout)
    .addHelpText(
      'after',
      `
Exit code: as 'lifecycle run': 0 when the run ends in a successful final state (or one marked neither way), 1 when
it fails, 130 when interrupted again. Events sent with 'lifecycle send' while the run was down are delivered now.
Ctrl-C behaves as in 'lifecycle run': it interrupts, or shuts down a lifecycle that runs until told to stop.

Examples:
  $ lifecycle resume
  $ lifecycle resume --store /var/lib/agent/.lifecycle`,
    )
    .action(async (opts: { store: string; verify?: boolean; timeout?: number; services?: string }) => {
      const store = new DirectoryStore(opts.store);
      const meta = store.readMeta();
      if (!meta) throw new UserError(`no run in ${store.location}: start one with 'lifecycle run <lifecycle>'`);
      // The services the run started with (a user's are recorded by file), unless told otherwise.
      const lifecycle = await resolveLifecycle(meta.lifecycle, { services: opts.services ?? meta.services });
      if (opts.verify && Object.keys(lifecycle.services?.invariants ?? {}).length === 0) {
        throw usageError(`--verify: ${meta.lifecycle} has no invariants to check: give services with invariants (--services file.ts#export), or leave --verify out`);
      }
      const printer = createProgressPrinter(io, lifecycle.ref, lifecycle.services?.notes as never, lifecycle.services?.progress as never);
      const startedAt = Date.now();
      try {
        const result = await withInterruptSignal(
          (signals) =>
            resumeRun({ ...lifecycleRunOptions(io, lifecycle, printer, signals, { storeArg: opts.store, samples: lazySamples(lifecycle) }), store, verify: opts.verify, timeoutMs: opts.timeout }),
          announceShutdown(io, lifecycle.ref, lifecycle.services?.shutdownEvent, printer),
        );
        printer.stop();
        if (result.alreadyFinished) {
          io.stdout.write(`nothing to resume: the ${meta.lifecycle} run in ${store.location} already ${result.status}\n`);
          if (result.status === 'failed') io.stderr.write(`lifecycle: ${meta.lifecycle} failed: ${toErrorLine(result.error ?? 'unknown error')}\n`);
          setExitCode(result.status === 'failed' ? 1 : 0);
          return;
        }
        setExitCode(reportRunEnd(io, result, startedAt, opts.store));
      } finally {
        printer.stop();
        // The run has ended and its actor stopped: close what the services still hold (e.g. preboot's servers).
        await lifecycle.services?.dispose?.();
      }
    });
};
