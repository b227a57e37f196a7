import { DirectoryStore } from '../../src/runtime/directory-store.ts';
import { resolveLifecycle } from '../../src/runtime/resolve-lifecycle.ts';
import { resumeRun } from '../../src/runtime/runs.ts';
import { UserError, toErrorLine } from '../../src/errors.ts';
import type { Register } from '../io.ts';
import { announceShutdown, createProgressPrinter, lifecycleRunOptions, parseTimeout, reportRunEnd, withInterruptSignal } from '../run-output.ts';

export const registerResume: Register = (program, { io, setExitCode }) => {
  program
    .command('resume')
    .description('continue the run in a store from its last saved snapshot (after a crash, a kill or Ctrl-C); the step in flight runs again')
    .option('--store <dir>', 'the directory that keeps the run', '.lifecycle')
    .option('--verify', 'check the state invariants after every transition (default: as the run started)')
    .option('--timeout <ms>', 'time limit of each service call (default: as the run started)', parseTimeout)
    .addHelpText(
      'after',
      `
Exit code: 0 when the run ends in a successful final state, 1 when it fails, 130 when interrupted again.
Ctrl-C behaves as in 'lifecycle run': it interrupts, or shuts down a lifecycle that runs until told to stop.

Examples:
  $ lifecycle resume
  $ lifecycle resume --store /var/lib/agent/.lifecycle`,
    )
    .action(async (opts: { store: string; verify?: boolean; timeout?: number }) => {
      const store = new DirectoryStore(opts.store);
      const meta = store.readMeta();
      if (!meta) throw new UserError(`no run in ${store.location}: start one with 'lifecycle run <lifecycle>'`);
      const lifecycle = await resolveLifecycle(meta.lifecycle);
      const printer = createProgressPrinter(io, lifecycle.ref, lifecycle.services?.notes as never);
      const startedAt = Date.now();
      try {
        const result = await withInterruptSignal(
          (signals) => resumeRun({ ...lifecycleRunOptions(io, lifecycle, printer, signals), store, verify: opts.verify, timeoutMs: opts.timeout }),
          announceShutdown(io, lifecycle.ref, lifecycle.services?.shutdownEvent, printer),
        );
        printer.stop();
        if (result.alreadyFinished) {
          io.stdout.write(`nothing to resume: the ${meta.lifecycle} run in ${store.location} already ${result.status}\n`);
          if (result.status === 'failed') io.stderr.write(`lifecycle: ${meta.lifecycle} failed: ${toErrorLine(result.error ?? 'unknown error')}\n`);
          setExitCode(result.status === 'succeeded' ? 0 : 1);
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
