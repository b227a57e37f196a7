import { readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { UserError, toErrorLine } from '../src/errors.ts';
import { fsUserError, isUserFsError } from '../src/io/fs-errors.ts';
import { hasAbandonedLoad } from '../src/model/load.ts';
import { registerDiagram } from './commands/diagram.ts';
import { registerDocs } from './commands/docs.ts';
import { registerCoverage } from './commands/coverage.ts';
import { registerCatalogue } from './commands/catalogue.ts';
import { registerList } from './commands/list.ts';
import { registerPaths } from './commands/paths.ts';
import { registerTestgen } from './commands/testgen.ts';
import { registerValidate } from './commands/validate.ts';
import { registerInspect } from './commands/inspect.ts';
import { registerRun } from './commands/run.ts';
import { registerStatus } from './commands/status.ts';
import { registerResume } from './commands/resume.ts';
import type { Io } from './io.ts';

const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };

/**
 * Runs the `lifecycle` program on `argv` (without `node` and the script) and returns the exit code:
 * 0 success, 1 a failure or an error the user can fix, 2 a usage error.
 */
export async function run(argv: string[], io: Io): Promise<number> {
  const state = { exitCode: 0 };
  const program = new Command('lifecycle')
    .description('Diagrams, validation, model-based tests and a durable runtime from XState v5 lifecycle machines.')
    .version(pkg.version, '-V, --version', 'print the version')
    .option('--debug', 'print stack traces of unexpected errors')
    .exitOverride()
    .configureOutput({
      writeOut: (s) => io.stdout.write(s),
      writeErr: (s) => io.stderr.write(s),
      // Commander's parse errors read like every other error of the CLI: `lifecycle: <what is wrong>`.
      outputError: (s, write) => write(s.replace(/^error: /, 'lifecycle: ')),
    })
    .addHelpText(
      'after',
      `
A <machine> is a built-in lifecycle (install, upgrade, preboot, operator) or path/to/file.ts#exportName.

Examples:
  $ lifecycle list
  $ lifecycle diagram install
  $ lifecycle diagram ./src/checkout.ts#checkoutMachine --format svg -o checkout.svg
  $ lifecycle validate upgrade`,
    );

  const ctx = { io, setExitCode: (code: number) => (state.exitCode = code) };
  registerList(program, ctx);
  registerDiagram(program, ctx);
  registerValidate(program, ctx);
  registerDocs(program, ctx);
  registerInspect(program, ctx);
  registerPaths(program, ctx);
  registerCatalogue(program, ctx);
  registerTestgen(program, ctx);
  registerCoverage(program, ctx);
  registerRun(program, ctx);
  registerStatus(program, ctx);
  registerResume(program, ctx);

  try {
    await program.parseAsync(argv, { from: 'user' });
    return state.exitCode;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Help and version exit 0; every parse error is a usage error.
      if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version' || error.code === 'commander.help') return 0;
      if (error.code === 'commander.executeSubCommandAsync') return error.exitCode;
      return 2;
    }
    if (error instanceof UserError || isEnvironmentError(error)) {
      io.stderr.write(`lifecycle: ${toErrorLine((error as Error).message)}\n`);
      return error instanceof UserError ? error.exitCode : 1;
    }
    const debug = program.opts().debug === true || argv.includes('--debug');
    if (isUserFsError(error) && !debug) {
      // A filesystem error no code path turned into a UserError still names its path, the fault and the fix.
      const { path, syscall } = error;
      io.stderr.write(`lifecycle: ${fsUserError(error, path ?? 'the given path', SYSCALLS[syscall ?? ''] ?? syscall ?? 'use').message}\n`);
      return 1;
    }
    const message = error instanceof Error ? error.message.split('\n')[0] : String(error);
    io.stderr.write(`lifecycle: unexpected error: ${toErrorLine(message)}${debug ? '' : ' (run with --debug for details)'}\n`);
    if (debug && error instanceof Error && error.stack) io.stderr.write(`${error.stack}\n`);
    return 1;
  }
}

/** What a failed system call was doing, for a message. */
const SYSCALLS: Record<string, string> = {
  open: 'open',
  read: 'read',
  write: 'write',
  mkdir: 'create the folder',
  rename: 'rename',
  unlink: 'remove',
  rmdir: 'remove',
  scandir: 'list the folder',
  stat: 'look at',
  lstat: 'look at',
  copyfile: 'copy',
  link: 'link',
  symlink: 'link',
  fsync: 'write',
  ftruncate: 'write',
};

/**
 * True once a user's module was given up on while loading (timed out, awaited forever, tried to exit): the program
 * that called `run` should exit rather than wait for what that module left running.
 */
export function mustExit(): boolean {
  return hasAbandonedLoad();
}

/** Errors that say what to do about the machine's set-up or the input (a missing Chromium, a diagram Mermaid rejects). */
// By name, so that the CLI does not load the browser driver just to start.
function isEnvironmentError(error: unknown): boolean {
  return error instanceof Error && ['ChromiumMissingError', 'ChromiumLaunchError', 'DiagramSyntaxError'].includes(error.name);
}
