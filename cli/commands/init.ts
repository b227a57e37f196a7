import { existsSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { DEFAULT_MACHINES_DIR, DEFAULT_TESTS_DIR, initLifecycle } from '../../src/init/index.ts';
import { toErrorLine } from '../../src/errors.ts';
import type { Register } from '../io.ts';

export const registerInit: Register = (program, { io, setExitCode }) => {
  program
    .command('init')
    .description('scaffold a lifecycle in your project: the machine, its services, a catalogue, the generated test, npm scripts and a docs entry')
    .argument('<name>', 'the lifecycle\'s name, kebab-case or camelCase (deploy, nightly-backup): its file names and machine id')
    .option('--dir <dir>', 'the project folder (default: the current directory)')
    .addHelpText(
      'after',
      `
Writes, in the project folder:
  ${DEFAULT_MACHINES_DIR}/<name>.ts               the machine (steps from lifecycle-kit/steps, a state that waits for APPROVE)
  ${DEFAULT_MACHINES_DIR}/<name>.services.ts      its real services (files under the input's dir), invariants, sandbox input
  ${DEFAULT_MACHINES_DIR}/<name>.catalogue.json   the samples its guards need ($schema for editors)
  ${DEFAULT_TESTS_DIR}/<name>.<camelName>Machine.paths.test.ts   the generated test (lifecycle testgen)
and adds the npm scripts lifecycle:test, lifecycle:docs and lifecycle:docs:check to package.json (if there is one;
existing scripts are kept) and the machine to lifecycle.config.json (created if missing).
Nothing is written over an existing file: init stops first, naming it. Needs lifecycle-kit, xstate and vitest installed.

Examples:
  $ lifecycle init deploy
  $ lifecycle init nightly-backup --dir ./services/backup`,
    )
    .action(async (name: string, opts: { dir?: string }) => {
      const root = resolve(opts.dir ?? '.');
      const result = await initLifecycle({ name, root });
      const show = (p: string) => relative(process.cwd(), p) || '.';
      for (const path of result.written) io.stdout.write(`wrote ${show(path)}\n`);
      for (const u of result.updates) io.stdout.write(`${u.summary}\n`);
      if ('error' in result.suite) {
        io.stderr.write(`lifecycle: ${toErrorLine(result.suite.error)}\n`);
        setExitCode(1);
        return;
      }
      const t = result.suite.transitions;
      io.stdout.write(`the test takes ${t.covered}/${t.total} transitions in ${result.suite.tests} test${result.suite.tests === 1 ? '' : 's'}\n`);
      const cd = root === process.cwd() ? '' : `  cd ${show(root)}\n`;
      io.stdout.write(
        `next:\n${cd}  ${existsSync(join(root, 'package.json')) ? 'npm run lifecycle:test' : `npx vitest run ${show(dirname(result.written.at(-1)!))}`}\n  npx lifecycle run ${result.machineRef}     # waits for approval: npx lifecycle send '{"type":"APPROVE","by":"you"}'\n` +
          `  ${result.testgen}   # after editing the machine\n`,
      );
    });
};
