import { Option } from 'commander';
import { resolveCatalogue } from '../../src/model/catalogue.ts';
import { extractGraph } from '../../src/model/extract.ts';
import { loadMachine } from '../../src/model/load.ts';
import { formatPaths } from '../../src/paths/format.ts';
import { type CoverKind, generatePaths, type StateIdentity } from '../../src/paths/index.ts';
import { type Register, usageError } from '../io.ts';

export const registerPaths: Register = (program, { io }) => {
  program
    .command('paths')
    .description('generate event paths that cover every state, every transition, or the simple paths of a lifecycle')
    .argument('<machine>', 'built-in name or path/to/file.ts#exportName')
    .addOption(new Option('--cover <kind>', 'what the paths must cover').choices(['states', 'transitions', 'simple']).default('transitions'))
    .option('--json', 'print { machine, cover, paths, coverage, stats } as JSON')
    .option('--catalogue <ref>', 'event payload samples: file.json or file.ts#export (default: the built-in\'s, or the module\'s `catalogue` export)')
    .option('--identity <how>', "what tells two states apart: 'value', 'full' (value and context), or context keys 'a,b'")
    .option('--max-states <n>', 'stop exploring past this many states (reported)', '100000')
    .option('--max-depth <n>', 'simple paths: longest path', '12')
    .option('--max-paths <n>', 'simple paths: most paths', '1000')
    .addHelpText(
      'after',
      `
Examples:
  $ lifecycle paths install
  $ lifecycle paths upgrade --cover states --json
  $ lifecycle paths ./src/checkout.ts#checkoutMachine --catalogue ./src/checkout.catalogue.json`,
    )
    .action(async (ref: string, opts: { cover: CoverKind; json?: boolean; catalogue?: string; identity?: string; maxStates: string; maxDepth: string; maxPaths: string }) => {
      const loaded = await loadMachine(ref);
      const graph = extractGraph(loaded.machine);
      const catalogue = await resolveCatalogue(loaded, opts.catalogue);
      const result = generatePaths(loaded.machine, graph, {
        cover: opts.cover,
        catalogue,
        identity: parseIdentity(opts.identity),
        maxStates: positive('--max-states', opts.maxStates),
        maxDepth: positive('--max-depth', opts.maxDepth),
        maxPaths: positive('--max-paths', opts.maxPaths),
      });
      if (opts.json) {
        const { machine, cover, paths, coverage, stats } = result;
        io.stdout.write(`${JSON.stringify({ machine, cover, paths: paths.map((p) => ({ ...(p.input === undefined ? {} : { input: p.input }), steps: p.steps.map(({ event, state }) => ({ event, state })) })), coverage, stats }, null, 2)}\n`);
      } else io.stdout.write(formatPaths(result, graph));
    });
};

export function positive(flag: string, value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw usageError(`${flag} takes a whole number of at least 1, not '${value}'`);
  return n;
}

function parseIdentity(value: string | undefined): StateIdentity | undefined {
  if (value === undefined) return undefined;
  if (value === 'value' || value === 'full') return value;
  const keys = value.split(',').map((k) => k.trim()).filter(Boolean);
  if (!keys.length) throw usageError(`--identity takes 'value', 'full' or context keys 'a,b', not '${value}'`);
  return { context: keys };
}
