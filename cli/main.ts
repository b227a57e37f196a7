import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PACKAGE_ROOT } from '../src/package-root.ts';
import { Command, CommanderError, Help } from 'commander';
import { UserError, toErrorLine } from '../src/errors.ts';
import { fsUserError, isUserFsError } from '../src/io/fs-errors.ts';
import { hasAbandonedLoad } from '../src/model/abandoned-load.ts';
import type { Io, Register } from './io.ts';

const pkg = JSON.parse(readFileSync(join(PACKAGE_ROOT, 'package.json'), 'utf8')) as { version: string };

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
  // Only the command named in argv is loaded (with what it imports); the others are listed by name for the help.
  const named = commandIn(argv);
  program.configureHelp({ subcommandTerm: (command) => COMMANDS.find((c) => c.name === command.name() && c.name !== named)?.term ?? defaultTerm(command) });
  for (const entry of COMMANDS) {
    if (entry.name === named) (await entry.load())(program, ctx);
    else program.command(entry.name).description(entry.description);
  }

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

/**
 * The commands, in the order help lists them: what help says of each (kept equal to the command's own registration
 * by test/package/commands.test.ts) and how to load it. A start loads commander and the one command it runs.
 */
export const COMMANDS: { name: string; term: string; description: string; load: () => Promise<Register> }[] = [
  { name: 'list', term: 'list [options]', description: 'list the built-in lifecycles', load: async () => (await import('./commands/list.ts')).registerList },
  {
    name: 'init',
    term: 'init [options] <name>',
    description: 'scaffold a lifecycle in your project: the machine, its services, a catalogue, the generated test, npm scripts and a docs entry',
    load: async () => (await import('./commands/init.ts')).registerInit,
  },
  {
    name: 'diagram',
    term: 'diagram [options] <machine>',
    description: 'draw a lifecycle as Mermaid, DOT, JSON, a Markdown page, SVG or PNG (steps drawn as one state unless --expand)',
    load: async () => (await import('./commands/diagram.ts')).registerDiagram,
  },
  {
    name: 'validate',
    term: 'validate [options] <machine>',
    description: 'lint a lifecycle: unreachable states, dead ends, states that cannot finish, unhandled service errors, shadowed transitions',
    load: async () => (await import('./commands/validate.ts')).registerValidate,
  },
  {
    name: 'diff',
    term: 'diff [options] <old> <new>',
    description: 'show what changed between two versions of a lifecycle (states, transitions, guards, services, delays), coloured on a picture, and which persisted states cannot resume; exit 1 when they differ',
    load: async () => (await import('./commands/diff.ts')).registerDiff,
  },
  {
    name: 'docs',
    term: 'docs [options] [machines...]',
    description: 'write a Markdown page, an overview picture and one picture per compound state for each of your lifecycles (or the built-ins), or check that they are fresh',
    load: async () => (await import('./commands/docs.ts')).registerDocs,
  },
  {
    name: 'inspect',
    term: 'inspect [options] <machine>',
    description: 'run a lifecycle under a live inspector page (state diagram, log, context, coverage, controls)',
    load: async () => (await import('./commands/inspect.ts')).registerInspect,
  },
  {
    name: 'paths',
    term: 'paths [options] <machine>',
    description: 'generate event paths that cover every state, every transition (and every guard outcome, or every transition pair), or the simple paths of a lifecycle',
    load: async () => (await import('./commands/paths.ts')).registerPaths,
  },
  {
    name: 'catalogue',
    term: 'catalogue [options] <machine>',
    description: 'print the event catalogue paths use for a machine: hand-written entries plus samples inferred from its types, as a TypeScript module to edit',
    load: async () => (await import('./commands/catalogue.ts')).registerCatalogue,
  },
  {
    name: 'testgen',
    term: 'testgen [options] <machine>',
    description: 'write vitest files that drive the lifecycle along paths taking every transition and guard outcome, checking states, context, inputs, delays and output (and the real services, where it has a sandbox)',
    load: async () => (await import('./commands/testgen.ts')).registerTestgen,
  },
  {
    name: 'coverage',
    term: 'coverage [options] <machine>',
    description: 'show which transitions the generated tests or runs really took (recorded), or --planned: what the generated paths would take',
    load: async () => (await import('./commands/coverage.ts')).registerCoverage,
  },
  {
    name: 'mutate',
    term: 'mutate [options] [machine]',
    description: 'score a test suite by the mutants of the machine it fails on (small bugs: a dropped transition, a negated guard, a changed delay, ...), listing the survivors and where they are',
    load: async () => (await import('./commands/mutate.ts')).registerMutate,
  },
  {
    name: 'replay',
    term: 'replay [options] <machine>',
    description: "replay a run's journal against the current machine, services stubbed from the journal, and report the first step that goes elsewhere",
    load: async () => (await import('./commands/replay.ts')).registerReplay,
  },
  {
    name: 'run',
    term: 'run [options] <lifecycle>',
    description: 'run a lifecycle durably: its snapshot and a journal line are saved after every transition, so a crashed run resumes',
    load: async () => (await import('./commands/run.ts')).registerRun,
  },
  {
    name: 'status',
    term: 'status [options]',
    description: 'show the run in a store: current state, latest executed step, attempts, last error and history',
    load: async () => (await import('./commands/status.ts')).registerStatus,
  },
  {
    name: 'resume',
    term: 'resume [options]',
    description: 'continue the run in a store from its last saved snapshot (after a crash, a kill or Ctrl-C); the step in flight runs again',
    load: async () => (await import('./commands/resume.ts')).registerResume,
  },
  {
    name: 'retry',
    term: 'retry [options]',
    description: 'redrive a failed run from the step that failed, keeping what the steps before it did',
    load: async () => (await import('./commands/resume.ts')).registerRetry,
  },
  {
    name: 'wait',
    term: 'wait [options]',
    description: 'wait until the run in a store reaches a state, a tag or its end',
    load: async () => (await import('./commands/wait.ts')).registerWait,
  },
  {
    name: 'send',
    term: 'send [options] <event>',
    description: 'send an event to the run in a store: delivered at once to a running run, or when a stopped one resumes',
    load: async () => (await import('./commands/send.ts')).registerSend,
  },
];

/** The command argv runs, or asks help for (`help <command>`): its first word that is not an option. */
function commandIn(argv: string[]): string | undefined {
  const words = argv.filter((a) => !a.startsWith('-'));
  return words[0] === 'help' ? words[1] : words[0];
}

function defaultTerm(command: Command): string {
  return new Help().subcommandTerm(command);
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
