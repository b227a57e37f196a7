import { join, relative } from 'node:path';
import { Option } from 'commander';
import { BUILTINS } from '../../machines/index.ts';
import { buildDocs, type DocEntry, docPaths, staleDocs } from '../../src/diagram/docs.ts';
import { DEFAULT_ENGINE, ENGINES, type Engine } from '../../src/diagram/engines/index.ts';
import { writeFileAtomic } from '../../src/io/atomic-write.ts';
import { extractGraph } from '../../src/model/extract.ts';
import type { Register } from '../io.ts';

export const registerDocs: Register = (program, { io, setExitCode }) => {
  program
    .command('docs')
    .description('write docs/lifecycles/<name>.md, its overview picture and one picture per compound state for the built-in lifecycles, or check that they are fresh')
    .option('--check', 'exit 1 if a committed page or picture differs from what the machines give now (no layout runs)')
    .option('--dir <dir>', 'the docs directory', 'docs/lifecycles')
    .addOption(new Option('--engine <engine>', 'layout engine for the pictures').choices(Object.keys(ENGINES)).default(DEFAULT_ENGINE))
    .addHelpText('after', '\nExamples:\n  $ lifecycle docs\n  $ lifecycle docs --check   # in CI')
    .action(async (opts: { check?: boolean; dir: string; engine: Engine }) => {
      const entries: DocEntry[] = BUILTINS.map((b) => ({ name: b.name, description: b.description, graph: extractGraph(b.machine) }));
      if (opts.check) {
        const stale = staleDocs(entries, opts.dir);
        for (const path of stale) io.stderr.write(`stale: ${relative(process.cwd(), path)}\n`);
        if (stale.length) {
          io.stderr.write(`lifecycle: ${stale.length} generated doc file(s) are stale: run 'npx lifecycle docs' and commit the result\n`);
          setExitCode(1);
        } else io.stdout.write(`docs are fresh (${docPaths(entries).length} files in ${opts.dir})\n`);
        return;
      }
      const files = await buildDocs(entries, { engine: opts.engine });
      for (const file of files) {
        const path = join(opts.dir, file.path);
        writeFileAtomic(path, file.data);
        io.stdout.write(`wrote ${relative(process.cwd(), path)}\n`);
      }
    });
};
