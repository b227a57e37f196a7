import { DirectoryStore } from '../../src/runtime/directory-store.ts';
import { isProcessAlive } from '../../src/runtime/lock-file.ts';
import { activePaths, describeValue } from '../../src/runtime/state-paths.ts';
import type { RunMeta } from '../../src/runtime/types.ts';
import { UserError } from '../../src/errors.ts';
import { type Register, usageError } from '../io.ts';

/** How long a wait looks for a run to appear in a store that has none yet. */
const NO_RUN_GRACE_MS = 10_000;

/** Exit code of a wait that ran out of time (as timeout(1) has it). */
const TIMED_OUT = 124;

export const registerWait: Register = (program, { io, setExitCode }) => {
  program
    .command('wait')
    .description('wait until the run in a store reaches a state, a tag or its end')
    .requiredOption('--until <state|tag:name|done>', "a state path (awaitingApproval, installing.kibana_assets), 'tag:<name>' for a state with that tag, or 'done' for the run's end")
    .option('--store <dir>', 'the directory that keeps the run', '.lifecycle')
    .option('--timeout <ms>', 'give up after this long (default: wait as long as it takes)', parseMs)
    .addHelpText(
      'after',
      `
It reads the store (no lock), so it works beside a running 'lifecycle run' and across a resume.

Exit code: 0 when the run got there (it prints the state), 1 when the run ended elsewhere without getting there
(or there is no run), ${TIMED_OUT} when --timeout ran out, 2 for usage.

Examples:
  $ lifecycle wait --until awaitingApproval && lifecycle send '{"type":"APPROVE","by":"ops"}'
  $ lifecycle wait --until tag:waiting --timeout 60000
  $ lifecycle wait --until done --store /var/lib/agent/.lifecycle`,
    )
    .action(async (opts: { until: string; store: string; timeout?: number }) => {
      const goal = parseGoal(opts.until);
      const store = new DirectoryStore(opts.store);
      const deadline = opts.timeout === undefined ? Infinity : Date.now() + opts.timeout;
      const noRunUntil = Date.now() + NO_RUN_GRACE_MS;
      for (;;) {
        const meta = store.readMeta();
        if (!meta) {
          // A wait started beside the `run` that makes the store may be there first: give the run a moment.
          if (Date.now() < Math.min(deadline, noRunUntil)) {
            await new Promise((r) => setTimeout(r, 100));
            continue;
          }
          throw new UserError(`no run in ${store.location}: start one with 'lifecycle run <lifecycle>'`);
        }
        const saved = store.loadSnapshot();
        const value = (saved?.snapshot as { value?: unknown } | undefined)?.value;
        const finished = meta.status === 'succeeded' || meta.status === 'failed' || meta.status === 'ended';
        if (goal.kind === 'done' ? finished : value !== undefined && reached(goal, value, meta)) {
          io.stdout.write(`${finished ? `the run ${meta.status}` : 'reached'}${value !== undefined ? ` in ${describeValue(value)}` : ''}\n`);
          return;
        }
        if (finished) {
          io.stderr.write(`lifecycle: the ${meta.lifecycle} run ${meta.status} in ${describeValue(value)} without reaching ${opts.until}\n`);
          setExitCode(1);
          return;
        }
        if (goal.kind === 'state' && !knownState(meta, goal.path)) {
          throw usageError(`--until ${goal.path}: the run's machine has no such state${meta.machine ? ` (states: ${meta.machine.states.map((s) => s.path).filter(Boolean).slice(0, 10).join(', ')}${meta.machine.states.length > 11 ? ', …' : ''})` : ''}`);
        }
        if (Date.now() >= deadline) {
          const alive = meta.status === 'running' && isProcessAlive(meta.pid);
          io.stderr.write(`lifecycle: the run did not reach ${opts.until} within ${opts.timeout} ms (it is in ${describeValue(value) || 'its start'}${alive ? '' : ', and not running: resume it'})\n`);
          setExitCode(TIMED_OUT);
          return;
        }
        await new Promise((r) => setTimeout(r, 100));
      }
    });
};

type Goal = { kind: 'done' } | { kind: 'tag'; tag: string } | { kind: 'state'; path: string };

function parseGoal(until: string): Goal {
  if (until === 'done') return { kind: 'done' };
  if (until.startsWith('tag:')) {
    const tag = until.slice(4);
    if (!tag) throw usageError("--until tag: needs a tag name, e.g. --until tag:waiting");
    return { kind: 'tag', tag };
  }
  if (!/^[^\s]+$/.test(until)) throw usageError(`--until takes a state path, tag:<name> or done, not '${until}'`);
  return { kind: 'state', path: until.replace(/^#?[^.]*#/, '') };
}

/** Whether the saved state value is at the goal: the state path active, or a state with the tag active. */
function reached(goal: Goal, value: unknown, meta: RunMeta): boolean {
  const active = activePaths(value);
  if (goal.kind === 'state') return active.includes(goal.path) || active.some((p) => p.endsWith(`.${goal.path}`));
  if (goal.kind === 'tag') {
    const tagged = new Set((meta.machine?.states ?? []).filter((s) => s.tags.includes(goal.tag)).map((s) => s.path));
    return active.some((p) => tagged.has(p));
  }
  return false;
}

function knownState(meta: RunMeta, path: string): boolean {
  if (!meta.machine) return true;
  return meta.machine.states.some((s) => s.path === path || s.path.endsWith(`.${path}`));
}

function parseMs(value: string): number {
  const ms = Number(value);
  if (!Number.isInteger(ms) || ms < 0) throw usageError(`--timeout must be a number of milliseconds, got '${value}'`);
  return ms;
}
