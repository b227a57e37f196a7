import { extractGraph } from '../../src/model/extract.ts';
import { loadMachine } from '../../src/model/load.ts';
import { RULES, validate } from '../../src/validate/index.ts';
import type { Register } from '../io.ts';

export const registerValidate: Register = (program, { io, setExitCode }) => {
  program
    .command('validate')
    .description('lint a lifecycle: unreachable states, dead ends, states that cannot finish, unhandled service errors, shadowed transitions')
    .argument('<machine>', 'built-in name or path/to/file.ts#exportName')
    .option('--json', 'print the report as JSON')
    .option('--waiting-tag <tag>', 'tag that marks a state allowed to wait forever', 'waiting')
    .addHelpText(
      'after',
      `
Exit code: 1 when there is an error, 0 otherwise (warnings allowed).

Rules: ${Object.keys(RULES).join(', ')}.
To switch a rule off for one state (and the states inside it), say so on the state, where it is reviewed:
  waitingForApproval: { meta: { lifecycle: { ignore: ['dead-end', 'no-final-reachable'] } } }
Ignored findings are counted in the summary and listed under "ignored" with --json.

Examples:
  $ lifecycle validate install
  $ lifecycle validate ./machines/checkout.ts#checkoutMachine --json`,
    )
    .action(async (ref: string, opts: { json?: boolean; waitingTag: string }) => {
      const { machine } = await loadMachine(ref);
      const report = validate(extractGraph(machine), { waitingTag: opts.waitingTag });
      if (opts.json) io.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
      else {
        for (const f of report.findings) {
          io.stdout.write(`${f.severity.padEnd(7)} ${f.rule.padEnd(26)} ${f.state}: ${f.message}\n`);
        }
        const verdict = report.ok ? 'valid' : 'invalid';
        const ignored = report.ignored.length ? `, ${report.ignored.length} ignored by meta.lifecycle.ignore` : '';
        io.stdout.write(`${report.machine}: ${verdict} (${report.errors} error${report.errors === 1 ? '' : 's'}, ${report.warnings} warning${report.warnings === 1 ? '' : 's'}${ignored})\n`);
      }
      setExitCode(report.ok ? 0 : 1);
    });
};
