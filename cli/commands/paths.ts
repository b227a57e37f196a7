import { Option } from 'commander';
import { extractGraph } from '../../src/model/extract.ts';
import { resolveSamples } from '../../src/model/samples.ts';
import { loadMachine } from '../../src/model/load.ts';
import { formatPaths } from '../../src/paths/format.ts';
import { type CoverKind, generatePaths, type StateIdentity } from '../../src/paths/index.ts';
import { type Register, usageError } from '../io.ts';
import { belowTarget, parseMinCoverage } from '../min-coverage.ts';

export const registerPaths: Register = (program, { io, setExitCode }) => {
  program
    .command('paths')
    .description('generate event paths that cover every state, every transition (and every guard outcome, or every transition pair), or the simple paths of a lifecycle')
    .argument('<machine>', 'built-in name or path/to/file.ts#exportName')
    .addOption(new Option('--cover <kind>', 'what the paths must cover').choices(['states', 'transitions', 'guards', 'pairs', 'simple']).default('transitions'))
    .option('--json', 'print { machine, cover, paths, coverage, stats } as JSON')
    .option('--catalogue <ref>', 'event payload samples: file.json or file.ts#export (default: the built-in\'s, or the module\'s `catalogue` export)')
    .option('--identity <how>', "what tells two states apart: 'value', 'full' (value and context), or context keys 'a,b'")
    .option('--no-infer', "use only the hand-written catalogue: no samples inferred from the machine's TypeScript types")
    .option('--max-states <n>', 'stop exploring past this many states (reported)', '100000')
    .option('--max-time <s>', 'stop exploring after this many seconds (reported)', '20')
    .option('--max-depth <n>', 'simple paths: longest path', '12')
    .option('--max-paths <n>', 'simple paths: most paths', '1000')
    .option('--max-pairs <n>', 'pairs: most pairs examined (reported when cut)', '100000')
    .option('--min-coverage <pct>', 'exit 1 when the paths take fewer transitions than this percentage (for CI)')
    .addHelpText(
      'after',
      `
Examples:
  $ lifecycle paths install
  $ lifecycle paths upgrade --cover states --json
  $ lifecycle paths ./src/checkout.ts#checkoutMachine --catalogue ./src/checkout.catalogue.json
  $ lifecycle paths install --min-coverage 100
  $ lifecycle paths operator --cover guards
  $ lifecycle paths preboot --cover pairs --json

Covers: 'transitions' takes every transition definition (guarded branches, timers, eventless, service
done/error); 'guards' also has, for every guarded transition, a step where its guard is evaluated and false
(the event is sent, or the eventless transition checked) and asserts where the machine goes instead (another
branch, or nowhere): the default of 'lifecycle testgen'; 'pairs' takes every two consecutive transitions (t1 into
a state, t2 out of it) the explored space holds; 'states' reaches every state; 'simple' lists the simple paths.
Guard outcomes are reported with every cover: the whole guard counts ('and(a, b)' false is one outcome), a
transition after an unguarded branch is never evaluated.

Payload samples come from the hand-written catalogue first, then an exported sample input, then what the machine's
TypeScript types say (literal unions, booleans, numbers and strings its guards compare with); 'lifecycle catalogue'
prints the merged catalogue to start editing from. Uncovered transitions are listed with what stood in the way,
and 'needs:' names the catalogue entry that would let a path take them.`,
    )
    .action(async (ref: string, opts: { cover: CoverKind; json?: boolean; catalogue?: string; infer: boolean; identity?: string; maxStates: string; maxTime: string; maxDepth: string; maxPaths: string; maxPairs: string; minCoverage?: string }) => {
      const maxTimeMs = seconds('--max-time', opts.maxTime);
      const min = parseMinCoverage(opts.minCoverage);
      const loaded = await loadMachine(ref, undefined, { atModelTime: true });
      const graph = extractGraph(loaded.machine);
      const { catalogue } = await resolveSamples(loaded, graph, { catalogueRef: opts.catalogue, infer: opts.infer });
      const result = generatePaths(loaded.machine, graph, {
        cover: opts.cover,
        catalogue,
        identity: parseIdentity(opts.identity),
        maxStates: positive('--max-states', opts.maxStates),
        maxTimeMs,
        maxDepth: positive('--max-depth', opts.maxDepth),
        maxPaths: positive('--max-paths', opts.maxPaths),
        maxPairs: positive('--max-pairs', opts.maxPairs),
      });
      if (opts.json) {
        const { machine, cover, paths, coverage, stats, diagnostics, search } = result;
        const json = { machine, cover, paths: paths.map((p) => ({ ...(p.input === undefined ? {} : { input: p.input }), steps: p.steps.map(({ event, state }) => ({ event, state })) })), coverage, stats, diagnostics, ...(search ? { search } : {}) };
        io.stdout.write(`${JSON.stringify(json, null, 2)}\n`);
      } else io.stdout.write(formatPaths(result, graph));
      const t = result.coverage.transitions;
      const below = belowTarget('transition coverage of the paths', t.covered, t.total, min);
      if (below) {
        io.stderr.write(`lifecycle: ${below}\n`);
        setExitCode(1);
      }
    });
};

export function positive(flag: string, value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw usageError(`${flag} takes a whole number of at least 1, not '${value}'`);
  return n;
}

/** A positive number of seconds, as milliseconds. */
export function seconds(flag: string, value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw usageError(`${flag} takes a positive number of seconds, not '${value}'`);
  return Math.round(n * 1000);
}

function parseIdentity(value: string | undefined): StateIdentity | undefined {
  if (value === undefined) return undefined;
  if (value === 'value' || value === 'full') return value;
  const keys = value.split(',').map((k) => k.trim()).filter(Boolean);
  if (!keys.length) throw usageError(`--identity takes 'value', 'full' or context keys 'a,b', not '${value}'`);
  return { context: keys };
}
