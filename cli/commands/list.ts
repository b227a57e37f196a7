import { BUILTINS } from '../../machines/index.ts';
import type { Register } from '../io.ts';

export const registerList: Register = (program, { io }) => {
  program
    .command('list')
    .description('list the built-in lifecycles')
    .option('--json', 'print an array of { name, description }')
    .addHelpText('after', '\nExample:\n  $ lifecycle list --json')
    .action((opts: { json?: boolean }) => {
      if (opts.json) {
        io.stdout.write(`${JSON.stringify(BUILTINS.map(({ name, description }) => ({ name, description })), null, 2)}\n`);
        return;
      }
      const width = Math.max(...BUILTINS.map((b) => b.name.length));
      for (const b of BUILTINS) io.stdout.write(`${b.name.padEnd(width)}  ${b.description}\n`);
    });
};
