import { existsSync, readFileSync } from 'node:fs';
import { Option } from 'commander';
import { coverageDotOptions, coverageOnView, coverageOptions, dashUntakenEdges } from '../../src/diagram/coverage.ts';
import { renderImage } from '../../src/diagram/engines/index.ts';
import { render as toMermaid } from '../../src/diagram/mermaid.ts';
import { buildView } from '../../src/diagram/view.ts';
import { UserError } from '../../src/errors.ts';
import { writeFileAtomic } from '../../src/io/atomic-write.ts';
import { resolveSamples } from '../../src/model/samples.ts';
import { extractGraph } from '../../src/model/extract.ts';
import { loadMachine } from '../../src/model/load.ts';
import { activeStateIds, generatePaths } from '../../src/paths/index.ts';
import type { Register } from '../io.ts';
import { addPictureOptions, type PictureFlags, viewFromFlags } from './diagram.ts';
import { fsUserError } from '../../src/io/fs-errors.ts';

export const registerCoverage: Register = (program, { io }) => {
  const command = program
    .command('coverage')
    .description('show which transitions the generated suite (or a recorded run journal) takes')
    .argument('<machine>', 'built-in name or path/to/file.ts#exportName')
    .option('--journal <file>', "a run's journal.jsonl (from `lifecycle run`) instead of the generated suite")
    .addOption(new Option('-f, --format <format>', 'output').choices(['text', 'json', 'mermaid', 'svg']).default('text'))
    .option('-o, --output <file>', 'write to a file (atomically) instead of stdout')
    .option('--catalogue <ref>', 'event payload samples: file.json or file.ts#export');
  addPictureOptions(command)
    .addHelpText(
      'after',
      `
Examples:
  $ lifecycle coverage install
  $ lifecycle coverage install --journal .lifecycle/journal.jsonl -f svg -o coverage.svg

Steps are drawn collapsed (an arrow is taken when every transition it stands for is); with --journal, the step
the run ended in is drawn expanded.`,
    )
    .action(async (ref: string, opts: PictureFlags & { journal?: string; format: string; output?: string; catalogue?: string }) => {
      const loaded = await loadMachine(ref);
      const graph = extractGraph(loaded.machine);
      const taken = new Set<string>();
      const visited = new Set<string>();
      let last: string[] = [];
      if (opts.journal) {
        for (const line of readJournal(opts.journal)) {
          for (const id of line.transitions ?? []) taken.add(id);
          if (line.to !== undefined) {
            last = activeStateIds(graph.id, line.to);
            for (const id of last) visited.add(id);
          }
        }
      } else {
        const result = generatePaths(loaded.machine, graph, { cover: 'transitions', catalogue: (await resolveSamples(loaded, graph, { catalogueRef: opts.catalogue })).catalogue });
        for (const p of result.paths) {
          for (const id of activeStateIds(graph.id, p.initial)) visited.add(id);
          for (const s of p.steps) {
            for (const id of s.transitions) taken.add(id);
            for (const id of activeStateIds(graph.id, s.state)) visited.add(id);
          }
        }
      }
      const untaken = graph.transitions.filter((t) => !taken.has(t.id));
      const summary = { machine: graph.id, source: opts.journal ? 'journal' : 'generated suite', transitions: { taken: graph.transitions.length - untaken.length, total: graph.transitions.length, untaken: untaken.map((t) => t.id) } };
      let out: string;
      if (opts.format === 'json') out = `${JSON.stringify(summary, null, 2)}\n`;
      else if (opts.format === 'text') {
        out = `${graph.id} (${summary.source}): transitions ${summary.transitions.taken}/${summary.transitions.total} taken\n${untaken.map((t) => `untaken: ${t.id}\n`).join('')}`;
      } else {
        // The step the run is in (or ended in) is drawn open, so its attempt/backoff states show.
        const flags = viewFromFlags(opts);
        const active = graph.states.filter((s) => s.step && last.includes(s.id)).map((s) => s.id);
        const expand = flags.expand === true ? true : [...(Array.isArray(flags.expand) ? flags.expand : []), ...active];
        const view = buildView(graph, { ...flags, ...(expand === true || expand.length ? { expand } : {}) });
        const cov = coverageOnView(view, taken, visited);
        if (opts.format === 'mermaid') out = toMermaid(graph, { ...coverageOptions(view.graph, cov.taken, cov.visited), view });
        else if (opts.engine === 'mermaid') {
          const svg = (await renderImage(graph, { format: 'svg', engine: 'mermaid', view, mermaid: coverageOptions(view.graph, cov.taken, cov.visited) })) as string;
          out = dashUntakenEdges(svg);
        } else out = (await renderImage(graph, { format: 'svg', engine: 'graphviz', view, dot: coverageDotOptions(view.graph, cov.taken, cov.visited) })) as string;
      }
      if (opts.output) writeFileAtomic(opts.output, out);
      else io.stdout.write(out);
    });
};

interface JournalLine {
  transitions?: string[];
  to?: unknown;
}

function readJournal(file: string): JournalLine[] {
  if (!existsSync(file)) throw new UserError(`journal not found: ${file}`);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw fsUserError(error, file, 'read the journal');
  }
  const lines = text.split('\n').filter((l) => l.trim());
  return lines.flatMap((line, i) => {
    try {
      return [JSON.parse(line) as JournalLine];
    } catch {
      // A torn last line (a crash mid-append) is expected; anything earlier is a corrupt journal.
      if (i === lines.length - 1) return [];
      throw new UserError(`journal ${file} line ${i + 1} is not valid JSON`);
    }
  });
}
