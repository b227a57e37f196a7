import { join, relative } from 'node:path';
import { Option } from 'commander';
import { CONFIG_FILE, DEFAULT_DOCS_DIR, type DocsTarget, readDocsConfig } from '../../src/diagram/docs-config.ts';
import { orphanedPictures, realDocsDir, removeOrphans, writeProblem } from '../../src/diagram/docs-files.ts';
import { BUILTIN_TARGETS, loadDocEntries } from '../../src/diagram/docs-sources.ts';
import { buildDocs, docPaths, staleDocs } from '../../src/diagram/docs.ts';
import { DEFAULT_ENGINE, ENGINES, type Engine } from '../../src/diagram/engines/index.ts';
import { UserError } from '../../src/errors.ts';
import { writeFileAtomic } from '../../src/io/atomic-write.ts';
import { type Register, usageError } from '../io.ts';

interface DocsOptions {
  check?: boolean;
  dir?: string;
  builtins?: boolean;
  force?: boolean;
  engine: Engine;
}

export const registerDocs: Register = (program, { io, setExitCode }) => {
  program
    .command('docs')
    .description('write a Markdown page, an overview picture and one picture per compound state for each of your lifecycles (or the built-ins), or check that they are fresh')
    .argument('[machines...]', `path/to/file.ts#exportName or a built-in name (default: the "lifecycles" of ${CONFIG_FILE})`)
    .option('--check', 'exit 1 if a page or picture differs from what the machines give now, listing them (no layout runs)')
    .option('-o, --dir <dir>', `the docs directory (default: "docs" of ${CONFIG_FILE}, else ${DEFAULT_DOCS_DIR})`)
    .option('--builtins', 'document the built-in lifecycles too (install, upgrade, preboot, operator)')
    .option('--force', 'overwrite files at the pages\' paths that lifecycle docs did not write')
    .addOption(new Option('--engine <engine>', 'layout engine for the pictures').choices(Object.keys(ENGINES)).default(DEFAULT_ENGINE))
    .addHelpText(
      'after',
      `
Each lifecycle gets <dir>/<name>.md, <dir>/<name>.svg and <dir>/<name>/<state>.svg per compound state. The name is
the machine's id (createMachine({ id: 'deploy' })), else its export name; a config entry's "name" overrides it.

Without machine arguments, the lifecycles come from ${CONFIG_FILE} in the current directory:
  { "lifecycles": ["src/deploy.ts#deployMachine", { "machine": "src/jobs.ts#jobs", "name": "jobs" }], "docs": "docs/lifecycles" }

Nothing is written outside the docs directory, over a file lifecycle docs did not write (unless --force), or through a
symbolic link; a drill-down picture it wrote that no compound state needs any more is removed.

Examples:
  $ lifecycle docs ./src/deploy.ts#deployMachine -o docs/lifecycles
  $ lifecycle docs                   # the lifecycles of ${CONFIG_FILE}
  $ lifecycle docs --check           # in CI: exit 1 listing stale files
  $ lifecycle docs --builtins        # the built-in lifecycles`,
    )
    .action(async (machines: string[], opts: DocsOptions) => {
      const cwd = process.cwd();
      const config = readDocsConfig(cwd);
      const targets: DocsTarget[] = [...(machines.length ? machines.map((m) => ({ machine: m })) : (config?.lifecycles ?? [])), ...(opts.builtins ? BUILTIN_TARGETS : [])];
      if (!targets.length) {
        throw usageError(`nothing to document: name your machines (lifecycle docs ./src/deploy.ts#deployMachine), list them in ${CONFIG_FILE} as { "lifecycles": [...] }, or pass --builtins`);
      }
      const dir = opts.dir ?? config?.docs ?? DEFAULT_DOCS_DIR;
      const entries = await loadDocEntries(targets, cwd);
      const show = (path: string) => relative(cwd, path) || '.';
      const current = new Set(docPaths(entries));

      if (opts.check) {
        const realDir = realDocsDir(dir, false);
        const stale = [...staleDocs(entries, dir), ...orphanedPictures(dir, realDir, entries, current)];
        for (const path of stale) io.stderr.write(`stale: ${show(path)}\n`);
        if (stale.length) {
          io.stderr.write(`lifecycle: ${stale.length} generated doc file(s) are stale: run '${fixCommand(machines, opts)}' and commit the result\n`);
          setExitCode(1);
        } else io.stdout.write(`docs are fresh (${current.size} files in ${dir})\n`);
        return;
      }

      const realDir = realDocsDir(dir, true);
      const problem = [...current].map((rel) => writeProblem(dir, realDir, rel, opts.force === true)).find(Boolean);
      if (problem) throw new UserError(problem);
      const orphans = orphanedPictures(dir, realDir, entries, current);
      const files = await buildDocs(entries, { engine: opts.engine });
      for (const file of files) {
        const path = join(dir, file.path);
        writeFileAtomic(path, file.data);
        io.stdout.write(`wrote ${show(path)}\n`);
      }
      removeOrphans(orphans, realDir);
      for (const path of orphans) io.stdout.write(`removed ${show(path)} (no compound state draws it any more)\n`);
    });
};

/** The command that rewrites what `--check` found stale: the same machines, directory and built-ins. */
function fixCommand(machines: string[], opts: DocsOptions): string {
  const quote = (s: string) => (/^[\w./#@:-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`);
  return ['npx lifecycle docs', ...machines.map(quote), ...(opts.dir ? ['-o', quote(opts.dir)] : []), ...(opts.builtins ? ['--builtins'] : [])].join(' ');
}
