import { join, relative } from 'node:path';
import { BUILTINS } from '../../machines/index.ts';
import { buildDocs, type DocEntry, staleDocs } from '../../src/diagram/docs.ts';
import { writeFileAtomic } from '../../src/io/atomic-write.ts';
import { extractGraph } from '../../src/model/extract.ts';
import type { Register } from '../io.ts';

export const registerDocs: Register = (program, { io, setExitCode }) => {
  program
    .command('docs')
    .description('write docs/lifecycles/<name>.md and .svg for the built-in lifecycles, or check that they are fresh')
    .option('--check', 'exit 1 if a committed page or diagram differs from what the machines give now')
    .option('--dir <dir>', 'the docs directory', 'docs/lifecycles')
    .addHelpText('after', '\nExamples:\n  $ lifecycle docs\n  $ lifecycle docs --check   # in CI')
    .action(async (opts: { check?: boolean; dir: string }) => {
      const entries: DocEntry[] = BUILTINS.map((b) => ({ name: b.name, description: b.description, graph: extractGraph(b.machine) }));
      if (opts.check) {
        const stale = staleDocs(entries, opts.dir);
        for (const path of stale) io.stderr.write(`stale: ${relative(process.cwd(), path)}\n`);
        if (stale.length) {
          io.stderr.write(`lifecycle: ${stale.length} generated doc file(s) are stale: run 'npx lifecycle docs' and commit the result\n`);
          setExitCode(1);
        } else io.stdout.write(`docs are fresh (${entries.length * 2} files in ${opts.dir})\n`);
        return;
      }
      const files = await buildDocs(entries);
      for (const file of files) {
        const path = join(opts.dir, file.path);
        writeFileAtomic(path, file.data);
        io.stdout.write(`wrote ${relative(process.cwd(), path)}\n`);
      }
    });
};
