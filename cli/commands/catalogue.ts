import { existsSync } from 'node:fs';
import { dirname, relative, resolve, sep } from 'node:path';
import { UserError } from '../../src/errors.ts';
import { writeFileAtomic } from '../../src/io/atomic-write.ts';
import { catalogueSource, dataOnly } from '../../src/model/catalogue-source.ts';
import { extractGraph } from '../../src/model/extract.ts';
import { loadMachine } from '../../src/model/load.ts';
import { resolveSamples } from '../../src/model/samples.ts';
import { PACKAGE_ROOT } from '../../src/package-root.ts';
import { type Register, usageError } from '../io.ts';

export const registerCatalogue: Register = (program, { io }) => {
  program
    .command('catalogue')
    .description('print the event catalogue paths use for a machine: hand-written entries plus samples inferred from its types, as a TypeScript module to edit')
    .argument('<machine>', 'built-in name or path/to/file.ts#exportName')
    .option('-o, --out <file>', 'write it to a file instead of stdout: a module (.ts), or a JSON catalogue with $schema (.json); refuses to overwrite one')
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
  $ lifecycle catalogue ./src/jobs.ts#jobMachine -o src/jobs.catalogue.json
  $ lifecycle catalogue install --json

Each entry of the module has a comment saying where it came from. Undefined values (a service that finishes with
nothing) are kept in the TypeScript module and become null in JSON. A .json file names the package's JSON Schema
(schema/catalogue.schema.json) in $schema, for editors.`,
    )
    .action(async (ref: string, opts: { out?: string; force?: boolean; json?: boolean; catalogue?: string; infer: boolean }) => {
      if (opts.out && opts.json) throw usageError('--json prints to stdout: leave out -o, or leave out --json');
      if (opts.out && !/\.([cm]?ts|json)$/.test(opts.out)) throw usageError(`-o writes a TypeScript module or a JSON catalogue: give a file ending in .ts or .json, not '${opts.out}'`);
      const loaded = await loadMachine(ref, undefined, { atModelTime: true });
      const graph = extractGraph(loaded.machine);
      const { catalogue, origins } = await resolveSamples(loaded, graph, { catalogueRef: opts.catalogue, infer: opts.infer });
      if (opts.json) {
        io.stdout.write(`${JSON.stringify({ catalogue, origins }, null, 2)}\n`);
        return;
      }
      const json = opts.out?.endsWith('.json');
      const source = json ? catalogueJson(dataOnly(catalogue).catalogue, resolve(opts.out!)) : catalogueSource(catalogue, origins, { machine: ref });
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

/** A JSON catalogue whose `$schema` is the package's schema, by a path relative to the file (editors resolve it). */
function catalogueJson(catalogue: object, file: string): string {
  const schema = relative(dirname(file), resolve(PACKAGE_ROOT, 'schema/catalogue.schema.json')).split(sep).join('/');
  return `${JSON.stringify({ $schema: schema.startsWith('.') ? schema : `./${schema}`, ...catalogue }, null, 2)}\n`;
}
