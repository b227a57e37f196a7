import { Option } from 'commander';
import { defaultReadDir } from '../../src/coverage/file.ts';
import { emptyMeasured, type Measured, readCoverageFiles, readJournal } from '../../src/coverage/read.ts';
import { coverageDotOptions, coverageOnView, coverageOptions, dashUntakenEdges } from '../../src/diagram/coverage.ts';
import { renderImage } from '../../src/diagram/engines/index.ts';
import { render as toMermaid } from '../../src/diagram/mermaid.ts';
import { buildView } from '../../src/diagram/view.ts';
import { UserError } from '../../src/errors.ts';
import { writeFileAtomic } from '../../src/io/atomic-write.ts';
import { resolveSamples } from '../../src/model/samples.ts';
import { extractGraph } from '../../src/model/extract.ts';
import { type LoadedMachine, loadMachine } from '../../src/model/load.ts';
import type { LifecycleGraph } from '../../src/model/types.ts';
import { activeStateIds, generatePaths } from '../../src/paths/index.ts';
import { transitionText } from '../../src/paths/transition-text.ts';
import { type Register, usageError } from '../io.ts';
import { belowTarget, formatPercent, parseMinCoverage } from '../min-coverage.ts';
import { addPictureOptions, type PictureFlags, viewFromFlags } from './diagram.ts';

interface CoverageFlags extends PictureFlags {
  from?: string;
  journal?: string[];
  planned?: boolean;
  minCoverage?: string;
  format: string;
  output?: string;
  catalogue?: string;
}

export const registerCoverage: Register = (program, { io, setExitCode }) => {
  const command = program
    .command('coverage')
    .description('show which transitions the generated tests or runs really took (recorded), or --planned: what the generated paths would take')
    .argument('<machine>', 'built-in name or path/to/file.ts#exportName')
    .option('--from <dir|file>', 'coverage recorded by the generated tests (default: $LIFECYCLE_COVERAGE_DIR or .lifecycle-coverage)')
    .option('--journal <file|store>', "a run's journal.jsonl or its store folder (from `lifecycle run`); repeat for several runs", (v: string, all: string[] = []) => [...all, v])
    .option('--planned', 'what the generated paths would take: recomputed, not measured')
    .option('--min-coverage <pct>', 'exit 1 when fewer transitions than this percentage were taken')
    .addOption(new Option('-f, --format <format>', 'output').choices(['text', 'json', 'mermaid', 'svg']).default('text'))
    .option('-o, --output <file>', 'write to a file (atomically) instead of stdout')
    .option('--catalogue <ref>', 'with --planned: event payload samples, file.json or file.ts#export');
  addPictureOptions(command)
    .addHelpText(
      'after',
      `
Examples:
  $ LIFECYCLE_COVERAGE=1 npx vitest run test/model && lifecycle coverage install
  $ lifecycle coverage install --journal .lifecycle -f svg -o coverage.svg
  $ lifecycle coverage install --min-coverage 90        # in CI, after the tests
  $ lifecycle coverage install --planned

The generated tests record the transitions they take only when asked: LIFECYCLE_COVERAGE=1 (into
.lifecycle-coverage/) or LIFECYCLE_COVERAGE_DIR=<dir>. A test file's recording replaces its earlier one.
Coverage files or journals of another machine are refused. Steps are drawn collapsed (an arrow is taken when
every transition it stands for is); with --journal, the step the run ended in is drawn expanded.`,
    )
    .action(async (ref: string, opts: CoverageFlags) => {
      const journals = opts.journal ?? [];
      const min = parseMinCoverage(opts.minCoverage);
      if (opts.planned && (opts.from || journals.length)) throw usageError('--planned recomputes the generated paths: it takes no --from or --journal');
      const loaded = await loadMachine(ref);
      const graph = extractGraph(loaded.machine);
      const measured = opts.planned ? await planned(loaded, graph, opts.catalogue) : measure(graph, opts.from, journals, loaded.origin === 'builtin');
      const untaken = graph.transitions.filter((t) => !measured.taken.has(t.id));
      const taken = graph.transitions.length - untaken.length;
      const total = graph.transitions.length;
      const source = opts.planned ? 'planned: the generated paths, not measured' : `measured: ${measured.sources.join(', ')}`;
      let out: string;
      if (opts.format === 'json') {
        const summary = {
          machine: graph.id,
          source: opts.planned ? 'planned' : 'measured',
          from: measured.sources,
          transitions: { taken, total, percent: Number.parseFloat(formatPercent(taken, total)), untaken: untaken.map((t) => ({ id: t.id, transition: transitionText(graph, t) })) },
          ...(measured.steps.total ? { steps: { ...measured.steps, percentReal: Number.parseFloat(formatPercent(measured.steps.real, measured.steps.total)) } } : {}),
        };
        out = `${JSON.stringify(summary, null, 2)}\n`;
      } else if (opts.format === 'text') {
        const verb = opts.planned ? 'would be taken' : 'taken';
        out = `${graph.id} (${source}): transitions ${taken}/${total} ${verb} (${formatPercent(taken, total)})\n${untaken.map((t) => `untaken: ${transitionText(graph, t)}\n`).join('')}${realStepsText(measured)}`;
      } else out = await picture(graph, measured, opts);
      if (opts.output) writeFileAtomic(opts.output, out);
      else io.stdout.write(out);
      const below = belowTarget(opts.planned ? 'planned transition coverage' : 'measured transition coverage', taken, total, min);
      if (below) {
        io.stderr.write(`lifecycle: ${below}\n`);
        setExitCode(1);
      }
    });
};

/** What was recorded: the journals given, and the coverage files (`--from`, else the default folder unless only journals were given). */
function measure(graph: LifecycleGraph, from: string | undefined, journals: string[], builtin: boolean): Measured {
  const measured = emptyMeasured();
  for (const journal of journals) readJournal(journal, graph, measured);
  if (from || !journals.length) {
    const dir = from ?? defaultReadDir();
    const { read, others } = readCoverageFiles(dir, graph, measured);
    if (!read) {
      const tests = builtin ? `test/model/${graph.id}.paths.test.ts` : '<its generated tests>';
      throw new UserError(
        `no recorded coverage of ${graph.id} in ${dir}${others.length ? ` (only of ${others.join(', ')})` : ''}: run its generated tests with LIFECYCLE_COVERAGE=1 (LIFECYCLE_COVERAGE=1 npx vitest run ${tests}), give a run's journal with --journal, or see what the generated paths would take with --planned`,
      );
    }
  }
  return measured;
}

/** The transitions the generated transition-cover paths take, recomputed (nothing ran). */
async function planned(loaded: LoadedMachine, graph: LifecycleGraph, catalogueRef: string | undefined): Promise<Measured> {
  const measured = emptyMeasured();
  const { catalogue } = await resolveSamples(loaded, graph, { catalogueRef });
  const result = generatePaths(loaded.machine, graph, { cover: 'transitions', catalogue });
  for (const p of result.paths) {
    for (const id of activeStateIds(graph.id, p.initial)) measured.visited.add(id);
    for (const s of p.steps) {
      for (const id of s.transitions) measured.taken.add(id);
      for (const id of activeStateIds(graph.id, s.state)) measured.visited.add(id);
    }
  }
  return measured;
}

async function picture(graph: LifecycleGraph, measured: Measured, opts: CoverageFlags): Promise<string> {
  // The step the run is in (or ended in) is drawn open, so its attempt/backoff states show.
  const flags = viewFromFlags(opts);
  const active = graph.states.filter((s) => s.step && measured.last.includes(s.id)).map((s) => s.id);
  const expand = flags.expand === true ? true : [...(Array.isArray(flags.expand) ? flags.expand : []), ...active];
  const view = buildView(graph, { ...flags, ...(expand === true || expand.length ? { expand } : {}) });
  const cov = coverageOnView(view, measured.taken, measured.visited);
  if (opts.format === 'mermaid') return toMermaid(graph, { ...coverageOptions(view.graph, cov.taken, cov.visited), view });
  if (opts.engine === 'mermaid') {
    const svg = (await renderImage(graph, { format: 'svg', engine: 'mermaid', view, mermaid: coverageOptions(view.graph, cov.taken, cov.visited) })) as string;
    return dashUntakenEdges(svg);
  }
  return (await renderImage(graph, { format: 'svg', engine: 'graphviz', view, dot: coverageDotOptions(view.graph, cov.taken, cov.visited) })) as string;
}

/** How much of the suites ran against the real services, and the reasons paths left them, most frequent first. */
function realStepsText(measured: Measured): string {
  const { total, real, stopped } = measured.steps;
  if (!total) return '';
  const reasons = Object.entries(stopped).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
  return `steps against the real services: ${real}/${total} (${formatPercent(real, total)})\n${reasons.map(([why, n]) => `left the real system (${n} path${n === 1 ? '' : 's'}): ${why}\n`).join('')}`;
}
