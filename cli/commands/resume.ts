import { DirectoryStore } from '../../src/runtime/directory-store.ts';
import { resolveLifecycle } from '../../src/runtime/resolve-lifecycle.ts';
import { resumeRun, retryRun, type ResumeRunOptions } from '../../src/runtime/runs.ts';
import { importUserModule } from '../../src/model/load.ts';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { UserError, toErrorLine } from '../../src/errors.ts';
import { type Io, type Register, usageError } from '../io.ts';
import { announceShutdown, createProgressPrinter, lazySamples, lifecycleRunOptions, parseTimeout, reportRunEnd, settleSandbox, withInterruptSignal } from '../run-output.ts';

export const registerResume: Register = (program, { io, setExitCode }) => {
  program
    .command('resume')
    .description('continue the run in a store from its last saved snapshot (after a crash, a kill or Ctrl-C); the step in flight runs again')
    .option('--store <dir>', 'the directory that keeps the run', '.lifecycle')
    .option('--verify', 'check the state invariants after every transition (default: as the run started)')
    .option('--services <file#export>', "your machine's services (default: those the run started with)")
    .option('--keep-sandbox', 'keep the temp directory of a sandboxed run once it has finished (removed by default)')
    .option('--accept-changes', 'resume on a changed machine whose changes touch the run but that the check calls compatible')
    .option('--migrate <file#export>', 'a function ({ snapshot, from, to, input }) => snapshot that carries the run over to a changed machine')
    .option('--timeout <ms>', 'time limit of each service call (default: as the run started)', parseTimeout)
    .addHelpText(
      'after',
      `
A run saved on a machine that has changed since is checked first (its fingerprint is in the store): it resumes
when the changes leave it alone (and says what changed), needs --accept-changes when they touch where it is (a new
context field, a changed transition of its state), and is refused with one reason per line when it cannot resume
(its state or a running service is gone): give --migrate, or resume with the machine it started on.

Exit code: as 'lifecycle run': 0 when the run ends in a successful final state (or one marked neither way), 1 when
it fails, 130 when interrupted again. Events sent with 'lifecycle send' while the run was down are delivered now.
Ctrl-C behaves as in 'lifecycle run': it interrupts, or shuts down a lifecycle that runs until told to stop.

Examples:
  $ lifecycle resume
  $ lifecycle resume --store /var/lib/agent/.lifecycle`,
    )
    .action((opts: ContinueOptions) => continueRun(io, setExitCode, opts, 'resume'));
};

/**
 * `lifecycle retry`: redrives a failed run from the step that failed (the steps before it stay done), on the same
 * store, as `resume` continues an unfinished one.
 */
export const registerRetry: Register = (program, { io, setExitCode }) => {
  program
    .command('retry')
    .description('redrive a failed run from the step that failed, keeping what the steps before it did')
    .option('--store <dir>', 'the directory that keeps the run', '.lifecycle')
    .option('--verify', 'check the state invariants after every transition (default: as the run started)')
    .option('--services <file#export>', "your machine's services (default: those the run started with)")
    .option('--keep-sandbox', 'keep the temp directory of a sandboxed run once it has finished (removed by default)')
    .option('--timeout <ms>', 'time limit of each service call (default: as the run started)', parseTimeout)
    .addHelpText(
      'after',
      `
The run must have failed in a final state, and its machine must say which step failed: lastError.step, as the step
helper (lifecycle-kit/steps) records it, naming one of its steps. The step starts again from its beginning (its
attempts count from 1), with the context the run had; a run that stopped half-way is continued with 'resume'.

Exit code: as 'lifecycle run'.

Examples:
  $ lifecycle retry
  $ lifecycle retry --store /var/lib/agent/.lifecycle`,
    )
    .action((opts: ContinueOptions) => continueRun(io, setExitCode, opts, 'retry'));
};

interface ContinueOptions {
  store: string;
  verify?: boolean;
  timeout?: number;
  services?: string;
  acceptChanges?: boolean;
  migrate?: string;
  keepSandbox?: boolean;
}

async function continueRun(io: Io, setExitCode: (code: number) => void, opts: ContinueOptions, kind: 'resume' | 'retry'): Promise<void> {
  const store = new DirectoryStore(opts.store);
  const meta = store.readMeta();
  if (!meta) throw new UserError(`no run in ${store.location}: start one with 'lifecycle run <lifecycle>'`);
  // The services the run started with (a user's are recorded by file), unless told otherwise.
  const lifecycle = await resolveLifecycle(meta.lifecycle, { services: opts.services ?? meta.services });
  if (opts.verify && Object.keys(lifecycle.services?.invariants ?? {}).length === 0) {
    throw usageError(`--verify: ${meta.lifecycle} has no invariants to check: give services with invariants (--services file.ts#export), or leave --verify out`);
  }
  const migrate = opts.migrate ? await loadMigration(opts.migrate) : undefined;
  const printer = createProgressPrinter(io, lifecycle.ref, lifecycle.services?.notes as never, lifecycle.services?.progress as never);
  const startedAt = Date.now();
  try {
    const result = await withInterruptSignal(
      (signals) =>
        (kind === 'retry' ? retryRun : resumeRun)({
          ...lifecycleRunOptions(io, lifecycle, printer, signals, { storeArg: opts.store, samples: lazySamples(lifecycle) }),
          store,
          verify: opts.verify,
          timeoutMs: opts.timeout,
          acceptChanges: opts.acceptChanges,
          migrate,
        }),
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
    // The sandbox `run` made lives as long as the run: once it is over, it goes (unless asked to keep it).
    if (meta.sandbox && existsSync(meta.sandbox)) settleSandbox(io, meta.sandbox, result.snapshot?.status === 'done' && !opts.keepSandbox);
  } finally {
    printer.stop();
    // The run has ended and its actor stopped: close what the services still hold (e.g. preboot's servers).
    await lifecycle.services?.dispose?.();
  }
}

/** `--migrate file.ts#fn`: the user's function that carries a persisted snapshot over to a changed machine. */
async function loadMigration(ref: string): Promise<NonNullable<ResumeRunOptions['migrate']>> {
  const hash = ref.lastIndexOf('#');
  if (hash <= 0 || hash === ref.length - 1) throw usageError(`--migrate takes file.ts#exportName, not '${ref}'`);
  const file = ref.slice(0, hash);
  const name = ref.slice(hash + 1);
  const path = resolve(file);
  if (!existsSync(path)) throw new UserError(`--migrate: file not found: ${file}`);
  const mod = await importUserModule(path, file, 'migration module');
  const fn = mod[name];
  if (typeof fn !== 'function') throw new UserError(`--migrate: ${file} has no function export '${name}'`);
  return fn as NonNullable<ResumeRunOptions['migrate']>;
}
