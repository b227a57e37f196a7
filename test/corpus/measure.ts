/**
 * Transition coverage of `lifecycle paths` on the corpus of third-party machines, with and without samples
 * inferred from their types (no hand-written catalogue: none of them has one). Prints a table.
 *
 *   npm run corpus:coverage            # every machine
 *   npm run corpus:coverage -- auth    # the machines whose file name contains "auth"
 *   npm run corpus:coverage -- --dir path/to/machines [filter]   # another folder of machines (a held-out set)
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { extractGraph } from '../../src/model/extract.ts';
import { loadMachine } from '../../src/model/load.ts';
import { resolveSamples } from '../../src/model/samples.ts';
import { generatePaths } from '../../src/paths/index.ts';

const args = process.argv.slice(2);
const dirAt = args.indexOf('--dir');
const dir = dirAt >= 0 ? args.splice(dirAt, 2)[1] : fileURLToPath(new URL('./machines/', import.meta.url));
const filter = args[0];
const files = readdirSync(dir).filter((f) => /\.(ts|js|mts)$/.test(f) && (!filter || f.includes(filter))).sort();

const rows: string[][] = [];
let totalAll = 0;
let coveredOff = 0;
let coveredOn = 0;
let under50 = 0;
let unexplained = 0;
for (const f of files) {
  let loaded;
  try {
    loaded = await loadMachine(join(dir, f));
  } catch (error) {
    rows.push([f, 'load failed', (error as Error).message.slice(0, 60)]);
    continue;
  }
  const graph = extractGraph(loaded.machine);
  const off = generatePaths(loaded.machine, graph, { catalogue: (await resolveSamples(loaded, graph, { infer: false })).catalogue, maxTimeMs: 10_000 });
  const t0 = Date.now();
  const samples = await resolveSamples(loaded, graph);
  const inferMs = Date.now() - t0;
  const on = generatePaths(loaded.machine, graph, { catalogue: samples.catalogue, maxTimeMs: 10_000 });
  const total = graph.transitions.length;
  totalAll += total;
  coveredOff += off.coverage.transitions.covered;
  coveredOn += on.coverage.transitions.covered;
  const pct = total ? (100 * on.coverage.transitions.covered) / total : 100;
  if (pct < 50) under50++;
  const noReason = on.coverage.transitions.uncovered.filter((u) => !u.detail).length;
  unexplained += noReason;
  rows.push([
    f,
    String(total),
    `${off.coverage.transitions.covered}`,
    `${on.coverage.transitions.covered} (${pct.toFixed(0)}%)`,
    samples.typed ? 'yes' : 'no',
    `${inferMs} ms`,
    `${on.stats.ms} ms${on.stats.cut ? ` cut:${on.stats.cut}` : ''}`,
    on.search ? `${on.search.found}/${on.search.targets}` : '-',
  ]);
}
const header = ['machine', 'transitions', 'covered (no inference)', 'covered (inferred)', 'typed', 'infer', 'paths', 'guard search'];
const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
const line = (r: string[]) => `| ${r.map((c, i) => (c ?? '').padEnd(widths[i])).join(' | ')} |`;
console.log(line(header));
console.log(`| ${widths.map((w) => '-'.repeat(w)).join(' | ')} |`);
for (const r of rows) console.log(line(r));
console.log('');
const pct = (n: number) => (totalAll ? ((100 * n) / totalAll).toFixed(1) : '100');
console.log(`${files.length} machines, ${totalAll} transitions: ${coveredOff} covered without inference (${pct(coveredOff)}%), ${coveredOn} with (${pct(coveredOn)}%); ${under50} under 50%; ${unexplained} uncovered without a reason`);
