// Path generation benchmark (issue: model-based tests). `npm run bench:paths`
// Transition cover (ours) vs @xstate/graph's getShortestPaths (state cover) on synthetic chain machines, each
// measurement in a fresh process so that peak RSS is its own. getSimplePaths is tried at N = 50 with a time cap.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const worker = fileURLToPath(new URL('./paths-worker.ts', import.meta.url));
const tsx = fileURLToPath(new URL('../node_modules/tsx/dist/cli.mjs', import.meta.url));
const SIMPLE_CAP_S = Number(process.env.SIMPLE_CAP_S ?? 60);

interface Row { algorithm: string; n: number; ms: number; paths: number; steps: number; transitions: number; taken: number; maxRssMb: number }

function measure(algorithm: string, n: number, timeoutMs: number): Row | 'timeout' {
  const r = spawnSync(process.execPath, [tsx, worker, algorithm, String(n)], { encoding: 'utf8', timeout: timeoutMs, maxBuffer: 1 << 20 });
  if (r.error && (r.error as NodeJS.ErrnoException).code === 'ETIMEDOUT') return 'timeout';
  if (r.status !== 0) throw new Error(`${algorithm} N=${n} failed: ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as Row;
}

const rows: string[][] = [];
const ratios: string[] = [];
for (const n of [50, 200, 1000, 10000]) {
  const ours = measure('ours', n, 600_000);
  const shortest = measure('shortest', n, 600_000);
  if (ours === 'timeout' || shortest === 'timeout') throw new Error(`N=${n} timed out`);
  rows.push([
    String(n),
    String(ours.transitions),
    `${ours.ms.toFixed(0)} ms`,
    String(ours.paths),
    String(ours.steps),
    (ours.steps / ours.transitions).toFixed(3),
    `${ours.taken}/${ours.transitions}`,
    `${ours.maxRssMb.toFixed(0)} MB`,
    `${shortest.ms.toFixed(0)} ms`,
    String(shortest.paths),
    `${((100 * shortest.taken) / shortest.transitions).toFixed(1)}%`,
    (ours.ms / shortest.ms).toFixed(2),
  ]);
  ratios.push(`N=${n}: ours/getShortestPaths time ${(ours.ms / shortest.ms).toFixed(2)}x`);
}
const head = ['N', 'transitions', 'cover time', 'paths', 'steps', 'steps/transitions', 'covered', 'peak RSS', 'getShortestPaths time', 'its paths', 'its transitions taken', 'time ratio'];
const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
const line = (cells: string[]) => `| ${cells.map((c, i) => c.padStart(widths[i])).join(' | ')} |`;
console.log(line(head));
console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
for (const r of rows) console.log(line(r));

const simple = measure('simple', 50, SIMPLE_CAP_S * 1000);
console.log(
  simple === 'timeout'
    ? `\ngetSimplePaths, N=50: did not finish within ${SIMPLE_CAP_S} s (killed)`
    : `\ngetSimplePaths, N=50: ${simple.ms.toFixed(0)} ms, ${simple.paths} paths`,
);
