import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { UserError } from '../../src/errors.ts';
import { writeFileAtomic } from '../../src/io/atomic-write.ts';
import { catalogueSource } from '../../src/model/catalogue-source.ts';
import { extractGraph } from '../../src/model/extract.ts';
import { loadMachine } from '../../src/model/load.ts';
import { resolveSamples } from '../../src/model/samples.ts';
import { type Register, usageError } from '../io.ts';

export const registerCatalogue: Register = (program, { io }) => {
  program
    .command('catalogue')
    .description('print the event catalogue paths use for a machine: hand-written entries plus samples inferred from its types, as a TypeScript module to edit')
    .argument('<machine>', 'built-in name or path/to/file.ts#exportName')
    .option('-o, --out <file>', 'write the module to a file (.ts) instead of stdout; refuses to overwrite one')
    .option('--force', 'with -o: overwrite an existing file')
    .option('--json', 'print { catalogue, origins } as JSON')
    .option('--catalogue <ref>', 'the hand-written catalogue to start from: file.json or file.ts#export')
    .option('--no-infer', 'only the hand-written catalogue')
    .addHelpText(
      'after',
      `
Examples:
  $ lifecycle catalogue ./src/jobs.ts#jobMachine -o src/jobs.catalogue.ts
  $ lifecycle paths ./src/jobs.ts#jobMachine --catalogue src/jobs.catalogue.ts#catalogue
  $ lifecycle catalogue install --json

Each entry has a comment saying where it came from. Undefined values (a service that finishes with nothing) are
kept in the TypeScript module and become null in --json.`,
    )
    .action(async (ref: string, opts: { out?: string; force?: boolean; json?: boolean; catalogue?: string; infer: boolean }) => {
      if (opts.out && opts.json) throw usageError('--json prints to stdout: leave out -o, or leave out --json');
      if (opts.out && !/\.[cm]?ts$/.test(opts.out)) throw usageError(`-o writes a TypeScript module: give a file ending in .ts, not '${opts.out}'`);
      const loaded = await loadMachine(ref);
      const graph = extractGraph(loaded.machine);
      const { catalogue, origins } = await resolveSamples(loaded, graph, { catalogueRef: opts.catalogue, infer: opts.infer });
      if (opts.json) {
        io.stdout.write(`${JSON.stringify({ catalogue, origins }, null, 2)}\n`);
        return;
      }
      const source = catalogueSource(catalogue, origins, { machine: ref });
      if (!opts.out) {
        io.stdout.write(source);
        return;
      }
      const path = resolve(opts.out);
      if (existsSync(path) && !opts.force) throw new UserError(`${opts.out} exists: it may hold your edits; pass --force to overwrite it, or choose another file`);
      writeFileAtomic(path, source);
      io.stdout.write(`wrote ${opts.out}\n`);
    });
};
