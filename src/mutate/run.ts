/**
 * `lifecycle mutate`: runs a suite against each mutant of a machine and scores it. The suite must pass unmutated
 * first; then each mutant's run is a vitest child process with `LIFECYCLE_MUTANT=<id>` (the harness applies it),
 * a time limit, and as many side by side as there are cores.
 */
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { basename, join, relative, resolve } from 'node:path';
import { UserError } from '../errors.ts';
import { extractGraph } from '../model/extract.ts';
import { summarizeMachine } from '../model/fingerprint.ts';
import { type LoadedMachine, loadMachine } from '../model/load.ts';
import { DEFAULT_TESTS_DIR } from '../init/index.ts';
import { existingSuiteFiles } from '../testgen/index.ts';
import { APPLIED_LOG_ENV, UNKNOWN_MUTANT } from './apply.ts';
import { equivalenceChecker } from './equivalence.ts';
import { enumerateMutants, type Mutant } from './operators.ts';
import { type MutantResult, type MutationReport, REPORT_FORMAT } from './report.ts';
import { select, type Shard } from './select.ts';
import { findVitest, runSuite, type SuiteRun } from './vitest.ts';

export interface MutateOptions {
  /** A built-in name or `path/to/file.ts#exportName`. */
  machine: string;
  /** Test files or folders; default: the machine's generated suite in `test/model` (or `test/lifecycles`). */
  suite?: string[];
  /** Run a seeded sample of this many mutants. */
  max?: number;
  /** The sample's seed (default 1). */
  seed?: number;
  shard?: Shard;
  /** The limit of one mutant's run; default four times the unmutated run, at least 10 s. */
  timeoutMs?: number;
  /** Suites run side by side; default the number of cores. */
  jobs?: number;
  cwd?: string;
  signal?: AbortSignal;
  onProgress?(progress: { done: number; total: number; killed: number; survived: number }): void;
}

/** Where a machine's generated suite is looked for: `lifecycle testgen`'s default folder, then `lifecycle init`'s. */
const SUITE_DIRS = ['test/model', DEFAULT_TESTS_DIR];
/** The unmutated run's limit: it only has to finish. */
const BASELINE_LIMIT_MS = 30 * 60_000;

/**
 * Scores a suite by the mutants it fails on.
 *
 * @example
 * const report = await runMutation({ machine: 'install', max: 40, seed: 7 });
 * console.log(formatReport(report));
 */
export async function runMutation(options: MutateOptions): Promise<MutationReport> {
  const cwd = options.cwd ?? process.cwd();
  const loaded = await loadMachine(options.machine, cwd);
  const graph = extractGraph(loaded.machine);
  const all = enumerateMutants(loaded.machine, graph);
  const seed = options.seed ?? 1;
  const { picked, mine } = select(all, { ...options, seed });
  const files = suiteFiles(loaded, options.suite, cwd);
  const vitest = findVitest(cwd);
  const equivalent = equivalenceChecker(graph);
  const index = new Map(all.map((m, i) => [m.id, i]));
  const temp = mkdtempSync(join(tmpdir(), 'lifecycle-mutate-'));
  try {
    const baseEnv = childEnv();
    const base = await runSuite(vitest, files, { cwd, env: baseEnv, timeoutMs: BASELINE_LIMIT_MS, reportFile: join(temp, 'baseline.json'), signal: options.signal });
    throwIfAborted(options.signal);
    if (base.outcome !== 'passed') {
      const why = base.tests === 0 && base.outcome === 'failed' ? `vitest ran no test of ${files.join(', ')} (outside its include pattern?)` : base.failure;
      throw new UserError(`the suite fails without any mutant, so it cannot score one: ${why}; fix it first (npx vitest run ${files.join(' ')})`);
    }
    const timeoutMs = options.timeoutMs ?? Math.max(10_000, 4 * base.ms);
    const results: MutantResult[] = new Array(mine.length);
    let done = 0;
    const counts = { killed: 0, survived: 0 };
    options.onProgress?.({ done, total: mine.length, ...counts });
    const runOne = async (k: number) => {
      const mutant = mine[k]!;
      const result = await runMutant(mutant, { vitest, files, cwd, timeoutMs, temp, k, signal: options.signal, baseEnv });
      results[k] = { ...result, index: index.get(mutant.id)!, ...(result.status === 'survived' ? withEquivalence(equivalent(mutant.site)) : {}) };
      done++;
      if (result.status === 'survived') counts.survived++;
      else if (result.status !== 'error') counts.killed++;
      options.onProgress?.({ done, total: mine.length, ...counts });
    };
    await pool(mine.length, Math.max(1, options.jobs ?? availableParallelism()), runOne, options.signal);
    throwIfAborted(options.signal);
    return {
      format: REPORT_FORMAT,
      machine: { ref: options.machine, id: graph.id, fingerprint: summarizeMachine(graph).fingerprint },
      suite: files,
      selection: { total: all.length, selected: picked.length, ...(options.max !== undefined ? { max: options.max, seed } : {}) },
      shards: options.shard ? { count: options.shard.count, included: [options.shard.index] } : { count: 1, included: [1] },
      baselineMs: base.ms,
      timeoutMs,
      results,
    };
  } finally {
    rmSync(temp, { recursive: true, force: true });
  }
}

interface MutantRunContext {
  vitest: string;
  files: string[];
  cwd: string;
  timeoutMs: number;
  temp: string;
  k: number;
  baseEnv: NodeJS.ProcessEnv;
  signal?: AbortSignal;
}

async function runMutant(mutant: Mutant, ctx: MutantRunContext): Promise<Omit<MutantResult, 'index'>> {
  const head = { id: mutant.id, operator: mutant.operator, location: mutant.location, description: mutant.description };
  const started = Date.now();
  try {
    mutant.build(); // a mutant XState refuses would fail every test for a reason that is no test's merit
  } catch (error) {
    return { ...head, status: 'error', detail: `XState refuses the mutant: ${firstLine(error)}`, ms: Date.now() - started };
  }
  const log = join(ctx.temp, `${ctx.k}.applied`);
  const once = (timeoutMs: number): Promise<SuiteRun> =>
    runSuite(ctx.vitest, ctx.files, {
      cwd: ctx.cwd,
      env: { ...ctx.baseEnv, LIFECYCLE_MUTANT: mutant.id, [APPLIED_LOG_ENV]: log },
      timeoutMs,
      reportFile: join(ctx.temp, `${ctx.k}.json`),
      signal: ctx.signal,
    });
  let run = await once(ctx.timeoutMs);
  // A busy machine can stretch a run past the limit: a timeout counts only when a second run, allowed twice as
  // long, times out too (on a loaded 2-core machine a mutant that fails in 2 s once ran past 10 s).
  if (run.outcome === 'timeout' && !ctx.signal?.aborted) run = await once(2 * ctx.timeoutMs);
  const ms = run.ms;
  if (run.outcome === 'timeout') return { ...head, status: 'timeout', detail: run.failure, ms };
  if (run.failure?.includes(UNKNOWN_MUTANT) || run.output.includes(UNKNOWN_MUTANT)) {
    return { ...head, status: 'error', detail: 'the suite loads another machine than the one named (the mutant id is not one of its)', ms };
  }
  if (!applied(log, mutant.id)) {
    // Without the mutant applied, a pass says nothing and a failure is the suite's own (a flaky test?).
    return { ...head, status: 'error', detail: `the mutant was never applied: the suite does not load the machine through lifecycle-kit/testing's createPathRunner${run.outcome === 'failed' ? `, and failed anyway: ${run.failure}` : ''}`, ms };
  }
  if (run.outcome === 'passed') return { ...head, status: 'survived', ms };
  return { ...head, status: 'killed', ...(run.failure ? { detail: run.failure } : {}), ms };
}

/** The files of the suite: the given ones (each must exist), else the generated suite `lifecycle testgen` writes. */
export function suiteFiles(loaded: LoadedMachine, given: string[] | undefined, cwd: string): string[] {
  const rel = (p: string) => relative(cwd, p) || '.';
  if (given?.length) {
    return given.map((f) => {
      const path = resolve(cwd, f);
      try {
        statSync(path);
      } catch {
        throw new UserError(`suite file not found: ${f}`);
      }
      return rel(path);
    });
  }
  const stem = suiteStem(loaded);
  for (const dir of SUITE_DIRS) {
    const files = existingSuiteFiles(join(cwd, dir), stem);
    if (files.length) return files.map(rel);
  }
  const ref = loaded.origin === 'builtin' ? loaded.name : `${rel(loaded.origin)}${loaded.exportName ? `#${loaded.exportName}` : ''}`;
  throw new UserError(
    `no generated suite of ${loaded.machine.id} in ${SUITE_DIRS.join(' or ')} (${stem}.paths*.test.ts): write it with 'lifecycle testgen ${ref}', or name your tests with --suite`,
  );
}

/** The name `lifecycle testgen` gives a machine's suite files (`<stem>.paths.test.ts`), as buildSuite does. */
function suiteStem(loaded: LoadedMachine): string {
  if (loaded.origin === 'builtin') return loaded.name;
  return `${basename(loaded.origin).replace(/\.[cm]?[jt]s$/, '')}${loaded.name === 'machine' ? '' : `.${loaded.name}`}`;
}

/** The environment of a child run: no mutant and no coverage recording inherited from ours. */
function childEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0' };
  for (const key of ['LIFECYCLE_MUTANT', APPLIED_LOG_ENV, 'LIFECYCLE_COVERAGE', 'LIFECYCLE_COVERAGE_DIR']) delete env[key];
  return env;
}

function applied(log: string, id: string): boolean {
  try {
    return readFileSync(log, 'utf8').split('\n').includes(id);
  } catch {
    return false;
  }
}

function withEquivalence(reason: string | undefined): { equivalent?: string } {
  return reason ? { equivalent: reason } : {};
}

/** Runs `task(0..count-1)` with at most `jobs` at a time; stops starting new ones once `signal` aborts. */
async function pool(count: number, jobs: number, task: (k: number) => Promise<void>, signal?: AbortSignal): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < count && !signal?.aborted) await task(next++);
  };
  await Promise.all(Array.from({ length: Math.min(jobs, count) }, worker));
}

function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new UserError('interrupted: no report', 130);
}

function firstLine(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).split('\n')[0]!;
}
