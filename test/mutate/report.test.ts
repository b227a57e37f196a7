import type { AnyStateMachine } from 'xstate';
import { describe, expect, it } from 'vitest';
import { extractGraph } from '../../src/model/extract.ts';
import { equivalenceChecker } from '../../src/mutate/equivalence.ts';
import { enumerateMutants } from '../../src/mutate/operators.ts';
import { formatReport, type MutantResult, type MutationReport, mergeReports, REPORT_FORMAT, scoreByOperator, scoreOf } from '../../src/mutate/report.ts';
import { machine as shadowed } from '../fixtures/machines/93-lint-shadowed.ts';
import { machine as unreachable } from '../fixtures/machines/91-lint-unreachable.ts';

const result = (index: number, operator: MutantResult['operator'], status: MutantResult['status'], extra: Partial<MutantResult> = {}): MutantResult => ({
  id: `${operator} m.s${index}`,
  index,
  operator,
  location: `s${index}`,
  description: `bug ${index}`,
  status,
  ms: 10,
  ...extra,
});

function report(results: MutantResult[], shards = { count: 1, included: [1] }): MutationReport {
  return {
    format: REPORT_FORMAT,
    machine: { ref: 'm.ts', id: 'm', fingerprint: 'f00' },
    suite: ['test/m.paths.test.ts'],
    selection: { total: 5, selected: 5 },
    shards,
    baselineMs: 1500,
    timeoutMs: 10_000,
    results,
  };
}

const RESULTS = [
  result(0, 'drop-transition', 'killed'),
  result(1, 'drop-transition', 'timeout'),
  result(2, 'drop-guard', 'survived'),
  result(3, 'drop-entry', 'survived', { equivalent: 'orphan is unreachable' }),
  result(4, 'drop-action', 'error', { detail: 'the mutant was never applied' }),
];

describe('the report', () => {
  it('scores kills (a timeout is one) against kills and survivors, errors left out', () => {
    expect(scoreOf(RESULTS)).toEqual({ killed: 2, survived: 2, equivalent: 1, errors: 1, percent: 50 });
    expect(scoreByOperator(RESULTS).map((r) => [r.operator, r.score.percent])).toEqual([
      ['drop-transition', 100],
      ['drop-guard', 0],
      ['drop-action', 100],
      ['drop-entry', 0],
    ]);
  });

  it('reads: the score, per operator, the survivors with where they are, and how to run one', () => {
    expect(formatReport(report(RESULTS))).toBe(
      [
        'mutate m: 5 mutants, suite test/m.paths.test.ts',
        "  unmutated it passes in 1.5 s; a mutant's run is stopped after 10.0 s (killed, if a second try twice as long is too)",
        'score: 2/4 killed (50%); 1 survivor is equivalent: 2/3 (66.6%) of the others; 1 could not be run (left out)',
        '  drop-transition      2/2  100%',
        '  drop-guard           0/1    0%',
        '  drop-action          0/0     -',
        '  drop-entry           0/1    0%  (1 equivalent)',
        'survivors (2): the suite passes with these bugs',
        '  s2: bug 2',
        '    drop-guard m.s2',
        '  s3: bug 3 [equivalent: orphan is unreachable]',
        '    drop-entry m.s3',
        'not run (1):',
        '  drop-action m.s4: the mutant was never applied',
        "run one: LIFECYCLE_MUTANT='drop-guard m.s2' npx vitest run test/m.paths.test.ts",
        '',
      ].join('\n'),
    );
  });

  it("merges the shards of one run in the machine's order, and refuses reports of different runs", () => {
    const one = report([RESULTS[0]!, RESULTS[2]!, RESULTS[4]!], { count: 2, included: [1] });
    const two = report([RESULTS[1]!, RESULTS[3]!], { count: 2, included: [2] });
    const merged = mergeReports([
      { file: 'b.json', report: two },
      { file: 'a.json', report: one },
    ]);
    expect(merged.results.map((r) => r.index)).toEqual([0, 1, 2, 3, 4]);
    expect(merged.shards).toEqual({ count: 2, included: [1, 2] });
    expect(scoreOf(merged.results)).toEqual(scoreOf(RESULTS));

    expect(() => mergeReports([{ file: 'a.json', report: one }, { file: 'c.json', report: { ...two, machine: { ...two.machine, fingerprint: 'bad' } } }])).toThrow(
      'cannot merge c.json with a.json: their machines differ',
    );
    expect(() => mergeReports([{ file: 'a.json', report: one }, { file: 'd.json', report: one }])).toThrow('cannot merge d.json: shard 1 is given twice');
    expect(() => mergeReports([{ file: 'e.json', report: { results: [] } }])).toThrow("e.json is not a report of 'lifecycle mutate --json'");
  });
});

describe('equivalent mutants', () => {
  it('are those of unreachable states and of transitions an unguarded earlier one always beats, and no others', () => {
    const marked = (machine: AnyStateMachine) => {
      const equivalent = equivalenceChecker(extractGraph(machine));
      return enumerateMutants(machine).flatMap((m) => {
        const why = equivalent(m.site);
        return why ? [`${m.id}: ${why}`] : [];
      });
    };
    expect(marked(unreachable)).toEqual([
      'drop-transition lint-unreachable.settings.advanced:BACK:0: settings.advanced is unreachable',
      'drop-transition lint-unreachable.orphan:GO:0: orphan is unreachable',
      'retarget-transition lint-unreachable.settings.advanced:BACK:0->lint-unreachable.settings.advanced: settings.advanced is unreachable',
      'retarget-transition lint-unreachable.orphan:GO:0->lint-unreachable.idle: orphan is unreachable',
    ]);
    expect(marked(shadowed)).toEqual([
      'drop-transition lint-shadowed.idle:NEXT:1: lint-shadowed.idle:NEXT:1 never fires: lint-shadowed.idle:NEXT:0 takes NEXT first, unguarded',
      'drop-transition lint-shadowed.b:BACK:1: lint-shadowed.b:BACK:1 never fires: lint-shadowed.b:BACK:0 takes BACK first, unguarded',
      'retarget-transition lint-shadowed.idle:NEXT:1->lint-shadowed.done: lint-shadowed.idle:NEXT:1 never fires: lint-shadowed.idle:NEXT:0 takes NEXT first, unguarded',
      'retarget-transition lint-shadowed.b:BACK:1->lint-shadowed.b: lint-shadowed.b:BACK:1 never fires: lint-shadowed.b:BACK:0 takes BACK first, unguarded',
      'drop-guard lint-shadowed.idle:NEXT:1: lint-shadowed.idle:NEXT:1 never fires: lint-shadowed.idle:NEXT:0 takes NEXT first, unguarded',
      'negate-guard lint-shadowed.idle:NEXT:1: lint-shadowed.idle:NEXT:1 never fires: lint-shadowed.idle:NEXT:0 takes NEXT first, unguarded',
    ]);
  });
});
