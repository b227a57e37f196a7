import { readFileSync } from 'node:fs';
import { UserError } from '../../src/errors.ts';
import { extractGraph } from '../../src/model/extract.ts';
import { loadMachine } from '../../src/model/load.ts';
import { enumerateMutants } from '../../src/mutate/operators.ts';
import { formatReport, type MutationReport, mergeReports, scoreOf } from '../../src/mutate/report.ts';
import { runMutation } from '../../src/mutate/run.ts';
import { parseShard, select, type Shard } from '../../src/mutate/select.ts';
import { type Io, type Register, usageError } from '../io.ts';
import { parseMinCoverage } from '../min-coverage.ts';
import { positive } from './paths.ts';

interface MutateOpts {
  suite?: string[];
  max?: string;
  seed?: string;
  timeout?: string;
  shard?: string;
  jobs?: string;
  json?: boolean;
  list?: boolean;
  merge?: string[];
  minScore?: string;
}

export const registerMutate: Register = (program, { io, setExitCode }) => {
  program
    .command('mutate')
    .description('score a test suite by the mutants of the machine it fails on (small bugs: a dropped transition, a negated guard, a changed delay, ...), listing the survivors and where they are')
    .argument('[machine]', 'built-in name or path/to/file.ts#exportName')
    .option('--suite <files...>', "the tests to score (files or folders): default the machine's generated suite in test/model (or test/lifecycles, where init puts it)")
    .option('--max <n>', 'run a seeded sample of this many mutants')
    .option('--seed <n>', 'the seed of the --max sample', '1')
    .option('--timeout <ms>', "stop one mutant's run after this long (killed if a second try, twice as long, times out too); default 4x the unmutated run, at least 10 s")
    .option('--shard <i/n>', 'run only part i of n of the mutants (a CI matrix runs each part, then --merge)')
    .option('--jobs <n>', 'suites run side by side (default: the number of cores)')
    .option('--list', 'list the mutants a run would take (id, state, what changes) without running anything')
    .option('--json', 'print the result as JSON (what --merge reads)')
    .option('--merge <reports...>', 'combine the --json reports of the shards of one run into one report')
    .option('--min-score <pct>', 'exit 1 when fewer than this percentage of the mutants are killed')
    .addHelpText(
      'after',
      `
Examples:
  $ lifecycle mutate install                                   # the generated suite test/model/install.paths*.test.ts
  $ lifecycle mutate ./src/deploy.ts#deployMachine --suite test/deploy --max 50 --seed 3
  $ lifecycle mutate install --shard 2/4 --json > mutate-2.json   # in each job of a CI matrix
  $ lifecycle mutate --merge mutate-*.json --min-score 80          # then once, over the shards' reports

The suite must pass unmutated. Each mutant is the machine with one bug; the suite runs against it (vitest, with
LIFECYCLE_MUTANT=<id>, which lifecycle-kit/testing's createPathRunner applies) and kills it by failing. Survivors
are listed with where they are; one that no run can tell from the machine (an unreachable state, a transition an
earlier unguarded one always beats) is marked equivalent. Operators: drop-transition, retarget-transition,
drop-guard, negate-guard, swap-guarded, drop-onerror, retarget-ondone, drop-action, drop-entry, drop-exit,
change-delay, change-initial.`,
    )
    .action(async (ref: string | undefined, opts: MutateOpts) => {
      const min = parseMinScore(opts.minScore);
      if (opts.merge) {
        if (ref !== undefined) throw usageError(`--merge combines reports: it takes no machine ('${ref}')`);
        const used = (['suite', 'max', 'timeout', 'shard', 'jobs', 'list'] as const).filter((k) => opts[k] !== undefined);
        if (used.length) throw usageError(`--merge combines reports: --${used[0]} is for a run`);
        const report = mergeReports(opts.merge.map((file) => ({ file, report: readJson(file) })));
        if (report.shards.included.length < report.shards.count) {
          const missing = Array.from({ length: report.shards.count }, (_, i) => i + 1).filter((i) => !report.shards.included.includes(i));
          io.stderr.write(`warning: shard${missing.length === 1 ? '' : 's'} ${missing.join(', ')} of ${report.shards.count} missing: the report covers only the others\n`);
        }
        return finish(io, report, opts.json === true, min, setExitCode);
      }
      if (ref === undefined) throw usageError("name a machine (lifecycle mutate <machine>), or combine shards' reports with --merge");
      const shard = opts.shard === undefined ? undefined : parseShard(opts.shard);
      if (opts.shard !== undefined && !shard) throw usageError(`--shard takes i/n with 1 <= i <= n (e.g. 2/4), not '${opts.shard}'`);
      const max = opts.max === undefined ? undefined : positive('--max', opts.max);
      const seed = wholeNumber('--seed', opts.seed ?? '1');
      if (opts.list) return list(io, ref, opts.json === true, { max, seed, shard });

      const controller = new AbortController();
      const stop = () => controller.abort();
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
      const live = io.stderr.isTTY === true && !process.env.NO_PROGRESS;
      try {
        const report = await runMutation({
          machine: ref,
          suite: opts.suite,
          max,
          seed,
          shard,
          timeoutMs: opts.timeout === undefined ? undefined : positive('--timeout', opts.timeout),
          jobs: opts.jobs === undefined ? undefined : positive('--jobs', opts.jobs),
          signal: controller.signal,
          onProgress: live ? (p) => io.stderr.write(`\r\u001b[2Kmutate ${ref}: ${p.done}/${p.total} run, ${p.killed} killed, ${p.survived} survived`) : undefined,
        });
        if (live) io.stderr.write('\r\u001b[2K');
        finish(io, report, opts.json === true, min, setExitCode);
      } finally {
        process.off('SIGINT', stop);
        process.off('SIGTERM', stop);
      }
    });
};

/** The mutants a run with the same options would take. */
async function list(io: Io, ref: string, json: boolean, selection: { max?: number; seed: number; shard?: Shard }): Promise<void> {
  const { machine } = await loadMachine(ref);
  const mutants = select(enumerateMutants(machine, extractGraph(machine)), selection).mine.map(({ id, operator, location, description }) => ({ id, operator, location, description }));
  if (json) io.stdout.write(`${JSON.stringify(mutants, null, 2)}\n`);
  else for (const m of mutants) io.stdout.write(`${m.id}\n    ${m.location}: ${m.description}\n`);
}

function finish(io: Io, report: MutationReport, json: boolean, min: number | undefined, setExitCode: (code: number) => void): void {
  io.stdout.write(json ? `${JSON.stringify(report, null, 2)}\n` : formatReport(report));
  const score = scoreOf(report.results);
  if (min !== undefined && score.percent < min) {
    io.stderr.write(`lifecycle: mutation score ${score.percent}% (${score.killed}/${score.killed + score.survived}) is below --min-score ${min}%\n`);
    setExitCode(1);
  }
}

function parseMinScore(value: string | undefined): number | undefined {
  try {
    return parseMinCoverage(value);
  } catch {
    throw usageError(`--min-score takes a percentage from 0 to 100, not '${value}'`);
  }
}

function wholeNumber(flag: string, value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || value.trim() === '') throw usageError(`${flag} takes a whole number, not '${value}'`);
  return n;
}

function readJson(file: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    throw new UserError(`report not found: ${file}`);
  }
  try {
    return JSON.parse(text);
  } catch {
    throw new UserError(`${file} is not JSON: give the reports 'lifecycle mutate --json' printed`);
  }
}
