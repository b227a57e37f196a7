/**
 * The result of a mutation run as data (what `--json` prints and `--merge` reads back), its score, and its text form.
 */
import { UserError } from '../errors.ts';
import { OPERATORS, type Operator } from './operators.ts';

export const REPORT_FORMAT = 'lifecycle-kit mutate 1';

/** killed: a test failed; timeout: the suite ran past the limit (a loop), which counts as killed too. */
export type MutantStatus = 'killed' | 'timeout' | 'survived' | 'error';

export interface MutantResult {
  id: string;
  /** Its place in the machine's list of mutants (`enumerateMutants`). */
  index: number;
  operator: Operator;
  location: string;
  description: string;
  status: MutantStatus;
  /** killed: the first failing test and why; error: what went wrong (the mutant is left out of the score). */
  detail?: string;
  /** Set when no run can tell the mutant from the machine, with the reason (see equivalence.ts). */
  equivalent?: string;
  ms: number;
}

export interface MutationReport {
  format: typeof REPORT_FORMAT;
  /** The machine as named, its id and the fingerprint of its graph (merged shards must agree on it). */
  machine: { ref: string; id: string; fingerprint: string };
  /** The test files run, relative to the directory it ran in. */
  suite: string[];
  /** How many mutants the machine has, and which were picked (`--max`, `--seed`) before sharding. */
  selection: { total: number; selected: number; max?: number; seed?: number };
  /** The shards this report covers (a run without `--shard` is shard 1 of 1). */
  shards: { count: number; included: number[] };
  /** How long the suite took unmutated, and the limit of one mutant's run. */
  baselineMs: number;
  timeoutMs: number;
  results: MutantResult[];
}

export interface Score {
  killed: number;
  survived: number;
  /** Survivors that are provably equivalent. */
  equivalent: number;
  errors: number;
  /** killed / (killed + survived). */
  percent: number;
}

export function scoreOf(results: readonly MutantResult[]): Score {
  const killed = results.filter((r) => r.status === 'killed' || r.status === 'timeout').length;
  const survived = results.filter((r) => r.status === 'survived').length;
  const equivalent = results.filter((r) => r.status === 'survived' && r.equivalent).length;
  const errors = results.filter((r) => r.status === 'error').length;
  return { killed, survived, equivalent, errors, percent: percent(killed, killed + survived) };
}

/** The score of each operator that has mutants, in operator order. */
export function scoreByOperator(results: readonly MutantResult[]): { operator: Operator; score: Score }[] {
  return OPERATORS.flatMap((operator) => {
    const own = results.filter((r) => r.operator === operator);
    return own.length ? [{ operator, score: scoreOf(own) }] : [];
  });
}

/** The report as people read it: the score, per operator, then each survivor with where it is. */
export function formatReport(report: MutationReport): string {
  const s = scoreOf(report.results);
  const lines: string[] = [];
  const { selection, shards } = report;
  const picked = selection.selected < selection.total ? ` (a sample of ${selection.selected} of ${selection.total}, seed ${selection.seed})` : '';
  const part = shards.count > 1 ? `, shard${shards.included.length > 1 ? 's' : ''} ${shards.included.join(', ')} of ${shards.count}` : '';
  lines.push(`mutate ${report.machine.id}: ${report.results.length} mutants${picked}${part}, suite ${report.suite.join(', ')}`);
  lines.push(`  unmutated it passes in ${seconds(report.baselineMs)}; a mutant's run is stopped after ${seconds(report.timeoutMs)} (killed, if a second try twice as long is too)`);
  const rest = s.killed + s.survived - s.equivalent;
  lines.push(
    `score: ${s.killed}/${s.killed + s.survived} killed (${s.percent}%)` +
      (s.equivalent ? `; ${s.equivalent} survivor${s.equivalent === 1 ? ' is' : 's are'} equivalent: ${s.killed}/${rest} (${percent(s.killed, rest)}%) of the others` : '') +
      (s.errors ? `; ${s.errors} could not be run (left out)` : ''),
  );
  const rows = scoreByOperator(report.results);
  const width = Math.max(...rows.map((r) => r.operator.length), 8);
  for (const { operator, score } of rows) {
    const eq = score.equivalent ? `  (${score.equivalent} equivalent)` : '';
    const ran = score.killed + score.survived;
    lines.push(`  ${operator.padEnd(width)}  ${`${score.killed}/${ran}`.padStart(7)}  ${(ran ? `${score.percent}%` : '-').padStart(4)}${eq}`);
  }
  const survivors = report.results.filter((r) => r.status === 'survived');
  if (survivors.length) {
    lines.push(`survivors (${survivors.length}): the suite passes with these bugs`);
    for (const r of survivors) {
      lines.push(`  ${r.location}: ${r.description}${r.equivalent ? ` [equivalent: ${r.equivalent}]` : ''}`);
      lines.push(`    ${r.id}`);
    }
  }
  const errors = report.results.filter((r) => r.status === 'error');
  if (errors.length) {
    lines.push(`not run (${errors.length}):`);
    for (const r of errors) lines.push(`  ${r.id}: ${r.detail ?? 'failed'}`);
  }
  if (survivors.length) lines.push(`run one: LIFECYCLE_MUTANT='${survivors[0]!.id}' npx vitest run ${report.suite.join(' ')}`);
  return `${lines.join('\n')}\n`;
}

/**
 * One report from the reports of the shards of one run. They must be of the same machine (same graph fingerprint),
 * the same selection and the same shard count; a shard given twice, or results that differ for one mutant, are
 * errors. Missing shards are allowed (the report says which it covers).
 */
export function mergeReports(reports: readonly { file: string; report: unknown }[]): MutationReport {
  if (!reports.length) throw new UserError('--merge needs at least one report');
  const checked = reports.map(({ file, report }) => ({ file, report: asReport(file, report) }));
  const first = checked[0]!.report;
  const results = new Map<string, MutantResult>();
  const included = new Set<number>();
  for (const { file, report } of checked) {
    const differs = (what: string, a: unknown, b: unknown) => {
      if (JSON.stringify(a) !== JSON.stringify(b)) {
        throw new UserError(`cannot merge ${file} with ${checked[0]!.file}: their ${what} differ (${JSON.stringify(b)} vs ${JSON.stringify(a)}): merge the shards of one run`);
      }
    };
    differs('machines', first.machine.fingerprint, report.machine.fingerprint);
    differs('selections', first.selection, report.selection);
    differs('shard counts', first.shards.count, report.shards.count);
    for (const i of report.shards.included) {
      if (included.has(i)) throw new UserError(`cannot merge ${file}: shard ${i} is given twice`);
      included.add(i);
    }
    for (const r of report.results) {
      if (results.has(r.id)) throw new UserError(`cannot merge ${file}: mutant ${r.id} is in two reports`);
      results.set(r.id, r);
    }
  }
  return {
    ...first,
    suite: [...new Set(checked.flatMap((c) => c.report.suite))],
    shards: { count: first.shards.count, included: [...included].sort((a, b) => a - b) },
    baselineMs: Math.max(...checked.map((c) => c.report.baselineMs)),
    timeoutMs: Math.max(...checked.map((c) => c.report.timeoutMs)),
    // The machine's order, as an unsharded run lists them.
    results: [...results.values()].sort((a, b) => a.index - b.index),
  };
}

function asReport(file: string, value: unknown): MutationReport {
  const r = value as Partial<MutationReport> | null;
  if (!r || typeof r !== 'object' || r.format !== REPORT_FORMAT || !Array.isArray(r.results) || !r.machine || !r.selection || !r.shards) {
    throw new UserError(`${file} is not a report of 'lifecycle mutate --json' (format '${REPORT_FORMAT}')`);
  }
  return r as MutationReport;
}

function percent(part: number, whole: number): number {
  return whole === 0 ? 100 : Math.floor((part * 1000) / whole) / 10;
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}
