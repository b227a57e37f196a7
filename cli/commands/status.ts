import { DirectoryStore } from '../../src/runtime/directory-store.ts';
import { readRunStatus } from '../../src/runtime/run-status.ts';
import { describeValue } from '../../src/runtime/state-paths.ts';
import { toErrorLine } from '../../src/errors.ts';
import type { Register } from '../io.ts';

export const registerStatus: Register = (program, { io }) => {
  program
    .command('status')
    .description('show the run in a store: current state, latest executed step, attempts, last error and history')
    .option('--store <dir>', 'the directory that keeps the run', '.lifecycle')
    .option('--json', 'print the status as JSON')
    .addHelpText('after', '\nExamples:\n  $ lifecycle status\n  $ lifecycle status --store /var/lib/agent/.lifecycle --json')
    .action((opts: { store: string; json?: boolean }) => {
      const report = readRunStatus(new DirectoryStore(opts.store));
      // With --json the warnings are in the JSON (`warnings`), so stdout stays the whole answer for a script.
      if (opts.json) {
        io.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
        return;
      }
      for (const warning of report.warnings) io.stderr.write(`warning: ${warning}\n`);
      const resume = `'lifecycle resume${opts.store === '.lifecycle' ? '' : ` --store ${opts.store}`}'`;
      const status =
        report.status === 'running' && !report.alive && report.pid !== process.pid
          ? `stopped without finishing (process ${report.pid} is gone): run ${resume}`
          : report.status === 'running'
            ? `running (pid ${report.pid})`
            : report.status === 'interrupted'
              ? `interrupted: continue with ${resume}`
              : report.status === 'ended'
                ? 'ended (in a final state marked neither as a success nor as a failure)'
                : report.status;
      const e = report.lastError;
      const rows: [string, string][] = [
        ['lifecycle', report.lifecycle],
        ...(report.fingerprint ? [['machine', `fingerprint ${report.fingerprint}`] as [string, string]] : []),
        ['status', status],
        ['started', `${report.started}${report.resumes ? ` (resumed ${report.resumes}×)` : ''}`],
        ['state', report.state ?? (report.snapshotUnreadable ? '(unknown: the saved snapshot is unreadable)' : '(not saved yet)')],
        ['step', report.step ? `${report.step}${report.attempts ? ` (attempt ${report.attempts})` : ''}` : '-'],
        ['last succeeded', report.latestExecutedState && report.latestExecutedState !== report.lastSucceededStep ? `${report.lastSucceededStep ?? '-'} (recorded: ${report.latestExecutedState})` : report.lastSucceededStep ?? '-'],
        [
          'last error',
          e
            ? `${[e.step, e.attempt ? `attempt ${e.attempt}` : '', e.kind ? `[${e.kind}]` : '', e.time ? `at ${e.time}` : ''].filter(Boolean).join(' ')}${e.step || e.attempt || e.kind || e.time ? ': ' : ''}${toErrorLine(e.message)}`
            : '-',
        ],
      ];
      if (report.error && report.status === 'failed') rows.push(['failed because', toErrorLine(report.error)]);
      for (const t of report.timers) rows.push(['timer', `${t.state}: ${typeof t.delay === 'number' ? `${t.delay} ms` : t.delay}${t.dueAt ? `, due ${t.dueAt}` : ''}`]);
      for (const [k, v] of rows) io.stdout.write(`${k.padEnd(15)} ${v}\n`);
      io.stdout.write(
        `history (${report.history.length} transitions${report.compactedSegments ? `; earlier ones compacted in ${report.compactedSegments} file${report.compactedSegments === 1 ? '' : 's'} under history/` : ''})\n`,
      );
      // Transitions that stay in the same state without an error (download progress, a re-entered step) are folded
      // into one line per run of them.
      const folded = { event: '', count: 0 };
      const flush = () => {
        if (folded.count) io.stdout.write(`  ${''.padEnd(24)}  … ${folded.count} × ${folded.event}\n`);
        folded.count = 0;
      };
      for (const h of report.history) {
        const [from, to] = [describeValue(h.from), describeValue(h.to)];
        if (h.from !== null && h.event !== 'lifecycle.resume' && from === to && !h.error) {
          if (folded.count && folded.event !== h.event) flush();
          folded.event = h.event;
          folded.count++;
          continue;
        }
        flush();
        const head = h.from === null ? `start → ${to}` : h.event === 'lifecycle.resume' ? `resume at ${to}` : `${from} → ${to}`;
        io.stdout.write(`  ${h.time}  ${head}${h.error ? `  ! ${toErrorLine(h.error.message)}` : ''}\n`);
      }
      flush();
    });
};
