import { UserError } from '../../src/errors.ts';
import { extractGraph } from '../../src/model/extract.ts';
import { loadMachine } from '../../src/model/load.ts';
import { assertJournalOf, formatReplay, readReplayJournal, replayJournal } from '../../src/replay/index.ts';
import type { Register } from '../io.ts';
import { parseInputOption } from '../run-output.ts';

export const registerReplay: Register = (program, { io, setExitCode }) => {
  program
    .command('replay')
    .description("replay a run's journal against the current machine, services stubbed from the journal, and report the first step that goes elsewhere")
    .argument('<machine>', 'built-in name or path/to/file.ts#exportName')
    .requiredOption('--journal <file|store>', "a run's journal.jsonl or its store folder (from `lifecycle run`; a store's compacted history is read first)")
    .option('--input <json|file>', "the run's input (default: the run.json of the journal's store)")
    .option('--json', 'print the result as JSON')
    .addHelpText(
      'after',
      `
Examples:
  $ lifecycle replay install --journal .lifecycle
  $ lifecycle replay ./src/deploy.ts#deployMachine --journal fixtures/runs/deploy-1/journal.jsonl --json   # in CI

Exit 0 when every step goes where the journal went ("replayed N steps: same"), 1 at the first step that goes
elsewhere, or that reads data the journal does not record (a service's output, an event's payload). Step k is
line k of the journal, its compacted history first.`,
    )
    .action(async (ref: string, opts: { journal: string; input?: string; json?: boolean }) => {
      const given = opts.input === undefined ? undefined : parseInputOption(opts.input);
      const loaded = await loadMachine(ref);
      const graph = extractGraph(loaded.machine);
      const journal = readReplayJournal(opts.journal);
      assertJournalOf(journal, graph.id, graph.states.filter((s) => s.path.length === 1).map((s) => s.path[0]!));
      if (given === undefined && !journal.hasInput && journal.lines[0]?.event === 'xstate.init' && needsInput(loaded.machine)) {
        throw new UserError(`no run.json beside ${journal.file} gives the run's input: give it with --input`);
      }
      const result = replayJournal(loaded.machine, journal.lines, given !== undefined ? given : journal.input);
      for (const warning of journal.warnings) if (!opts.json) io.stderr.write(`warning: ${warning}\n`);
      io.stdout.write(opts.json ? `${JSON.stringify({ machine: graph.id, file: journal.file, ...result, warnings: journal.warnings }, null, 2)}\n` : `${formatReplay(result)}\n`);
      if (result.result !== 'same') setExitCode(1);
    });
};

/** A machine whose context is a function (of its input) needs one to start as the run did. */
function needsInput(machine: { config: { context?: unknown } }): boolean {
  return typeof machine.config.context === 'function';
}
