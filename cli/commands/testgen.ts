import { Option } from 'commander';
import { rmSync } from 'node:fs';
import { relative } from 'node:path';
import { writeFileAtomic } from '../../src/io/atomic-write.ts';
import { extractGraph } from '../../src/model/extract.ts';
import { resolveSamples } from '../../src/model/samples.ts';
import { loadMachine } from '../../src/model/load.ts';
import { buildSuite, existingSuiteFiles, staleSuiteFiles } from '../../src/testgen/index.ts';
import { UserError } from '../../src/errors.ts';
import { transitionTextById } from '../../src/paths/transition-text.ts';
import { type Register, usageError } from '../io.ts';
import { findServicesBeside, loadServicesRef } from '../../src/services/load-user.ts';
import { belowTarget, parseMinCoverage } from '../min-coverage.ts';
import { positive } from './paths.ts';
import { reportWalks, walkFlags, walkOptions } from './testgen-walks.ts';

export const registerTestgen: Register = (program, { io, setExitCode }) => {
  program
    .command('testgen')
    .description('write vitest files that drive the lifecycle along paths taking every transition and guard outcome, checking states, context, inputs, delays and output (and the real services, where it has a sandbox)')
    .argument('<machine>', 'built-in name or path/to/file.ts#exportName')
    .option('-o, --out <dir>', 'directory of the generated tests', 'test/model')
    .option('--check', 'exit 1 if the committed generated tests differ from what the machine gives now')
    .option('--catalogue <ref>', 'event payload samples: file.json or file.ts#export')
    .option('--no-infer', "use only the hand-written catalogue: no samples inferred from the machine's TypeScript types")
    .option('--harness <module>', 'module the tests import the harness from', 'lifecycle-kit/testing')
    .option('--max-steps-per-file <n>', 'split larger suites into several files (for vitest --shard)', '400')
    .option('--services <file#export>', "your machine's real services: the suite imports them and runs sandboxed paths against them (default: those found beside the machine)")
    .option('--min-coverage <pct>', 'exit 1, writing nothing, when the paths take fewer transitions than this percentage')
    .addOption(new Option('--strategy <kind>', 'transitions: paths taking every transition; random: seeded random walks (<stem>.walks.test.ts)').choices(['transitions', 'random']).default('transitions'))
    .option('--seed <n>', 'random: the seed (0 to 4294967295); the same seed writes the same walks')
    .option('--length <n>', 'random: most steps per walk (default 20)')
    .option('--walks <n>', 'random: walks per seed (default 10)')
    .addHelpText(
      'after',
      `
Examples:
  $ lifecycle testgen install                 # writes test/model/install.paths.test.ts
  $ lifecycle testgen ./src/checkout.ts#checkoutMachine -o test/generated
  $ lifecycle testgen install --check --min-coverage 100   # in CI
  $ lifecycle testgen ./src/counter.ts --strategy random --seed 7 --length 30 --walks 20
                                              # writes test/model/counter.walks.test.ts

Random walks check the machine as they are drawn: a walk on which it throws or ends in error is shrunk to a
minimal one, printed, and written into the suite as a test that fails until the machine is fixed (exit 1).

A machine no path can be found for gets no suite (exit 1, nothing written).`,
    )
    .action(async (ref: string, opts: { out: string; check?: boolean; catalogue?: string; infer: boolean; harness: string; maxStepsPerFile: string; minCoverage?: string; services?: string; strategy: string; seed?: string; length?: string; walks?: string }) => {
      const min = parseMinCoverage(opts.minCoverage);
      const walks = walkOptions(opts);
      // The suite runs under vitest, which sets NODE_ENV=test: a machine that reads it (a debounce of 0 ms in tests)
      // is modelled as the suite will meet it.
      process.env.NODE_ENV ??= 'test';
      const loaded = await loadMachine(ref, undefined, { atModelTime: true });
      if (opts.services && loaded.origin === 'builtin') throw usageError(`--services is for your own machines: the built-in ${loaded.name} brings its own services`);
      // A user's services, given or found beside the machine: the suite runs its sandboxed paths against them.
      const found = loaded.origin === 'builtin' ? null : opts.services ? await loadServicesRef(opts.services, loaded.machine) : await findServicesBeside(loaded);
      const graph = extractGraph(loaded.machine);
      const { catalogue, origins } = await resolveSamples(loaded, graph, { catalogueRef: opts.catalogue, infer: opts.infer });
      // The default scenario runs against the user's services only when a person wrote its input (a catalogue or an
      // exported input, which by convention describe a fresh sandbox): an input inferred from the types carries made-up
      // settings (a retry count, a fault switch) that the real services would obey and the path does not expect.
      const inputByHand = origins.input !== undefined && !origins.input.startsWith('inferred');
      const suite = walks ? 'walks' : 'paths';
      const { files, stem, coverage, walks: walked } = buildSuite(loaded, graph, {
        outDir: opts.out,
        ...(walks ? { walks } : {}),
        catalogue,
        harness: opts.harness,
        maxStepsPerFile: positive('--max-steps-per-file', opts.maxStepsPerFile),
        ...(found ? { services: { ref: found.ref, sandbox: typeof found.services.sandboxInput === 'function' && inputByHand } } : {}),
      });
      const rel = (p: string) => relative(process.cwd(), p);
      const t = coverage.transitions;
      const below = belowTarget('transition coverage of the paths', t.covered, t.total, min);
      if (below && !opts.check) throw new UserError(`${below}: nothing written`);
      if (below) {
        io.stderr.write(`lifecycle: ${below}\n`);
        setExitCode(1);
      }
      if (opts.check) {
        const stale = staleSuiteFiles(files, opts.out, stem, suite);
        for (const path of stale) io.stderr.write(`stale: ${rel(path)}\n`);
        if (stale.length) {
          io.stderr.write(`lifecycle: generated tests for ${loaded.name} are stale: run 'npx lifecycle testgen ${ref}${opts.out === 'test/model' ? '' : ` -o ${opts.out}`}${walks ? ` ${walkFlags(walks)}` : ''}' and commit the result\n`);
          setExitCode(1);
        } else io.stdout.write(`generated tests for ${loaded.name} are fresh (${files.length} file${files.length === 1 ? '' : 's'})\n`);
        if (walked && reportWalks(walked.failures, files, graph, io)) setExitCode(1);
        return;
      }
      const wanted = new Set(files.map((f) => f.path));
      for (const old of existingSuiteFiles(opts.out, stem, suite)) if (!wanted.has(old)) rmSync(old);
      for (const f of files) {
        writeFileAtomic(f.path, f.source);
        io.stdout.write(`wrote ${rel(f.path)}\n`);
      }
      if (walked) {
        const repeats = walked.repeated ? `; ${walked.repeated} walk${walked.repeated === 1 ? '' : 's'} the same as an earlier one, written once` : '';
        io.stdout.write(`${walked.summary}: ${t.covered}/${t.total} transitions taken${t.uncovered.length ? ' (more --walks or a longer --length may take the rest)' : ''}${repeats}\n`);
        if (reportWalks(walked.failures, files, graph, io)) setExitCode(1);
      } else io.stdout.write(`transitions: ${t.covered}/${t.total} covered\nguard outcomes: ${coverage.guards.covered}/${coverage.guards.total} guarded transitions seen with the guard false\n`);
      if (found?.services.sandboxInput && !inputByHand) {
        io.stdout.write('no path runs against your services: the input is inferred from the types; give the catalogue an input (or export one beside the machine) and the paths run in a sandbox against them\n');
      }
      if (!walked) for (const u of t.uncovered) io.stdout.write(`uncovered: ${transitionTextById(graph, u.id)} (${u.reason}${u.detail ? `: ${u.detail}` : ''})\n`);
      io.stdout.write(`measure what they take: LIFECYCLE_COVERAGE=1 npx vitest run ${rel(opts.out) || '.'} && npx lifecycle coverage ${ref}\n`);
    });
};
