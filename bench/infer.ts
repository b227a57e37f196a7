// Inference cost benchmark (issue 9: "inference adds at most 1 s to `paths` on a built-in"). `npm run bench:infer`
// (RUNS=N, default 7). Whole-process wall time of `lifecycle paths <built-in> --cover transitions`, median of N runs,
// interleaved round by round so that a burst of load hits every case alike, in four cases:
//   --no-infer          the baseline;
//   cached              the inferred catalogue is in node_modules/.cache (every run after the first);
//   after an edit       the inferred catalogue is gone, the compiler's code cache is kept (the first run after
//                       editing the machine or anything it imports);
//   nothing cached      LIFECYCLE_NO_CACHE=1 (the very first run after `npm ci`).
// Runs the build (dist/, `npm run build` first) from a scratch folder with its own node_modules/.cache, so the
// project's cache is neither used nor touched.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../', import.meta.url));
const bin = join(root, 'bin/lifecycle.js');
const RUNS = Number(process.env.RUNS ?? 7);
const LIFECYCLES = (process.env.LIFECYCLES ?? 'install,upgrade,preboot,operator').split(',');
if (!existsSync(join(root, 'dist/cli/main.js'))) throw new Error('no build: run `npm run build` first');

const dir = mkdtempSync(join(tmpdir(), 'bench-infer-'));
const cache = join(dir, 'node_modules', '.cache', 'lifecycle-kit');
mkdirSync(cache, { recursive: true });
const baseEnv: NodeJS.ProcessEnv = { ...process.env, LIFECYCLE_DEV: '0', NO_PROGRESS: '1' };
delete baseEnv.LIFECYCLE_NO_CACHE;

type Case = 'no-infer' | 'cached' | 'after an edit' | 'nothing cached';
const CASES: Case[] = ['no-infer', 'cached', 'after an edit', 'nothing cached'];

function run(lifecycle: string, c: Case): number {
  if (c === 'after an edit') for (const f of readdirSync(cache)) if (f.startsWith('infer-')) rmSync(join(cache, f));
  const args = [bin, 'paths', lifecycle, '--cover', 'transitions', ...(c === 'no-infer' ? ['--no-infer'] : [])];
  const env = c === 'nothing cached' ? { ...baseEnv, LIFECYCLE_NO_CACHE: '1' } : baseEnv;
  const start = performance.now();
  const r = spawnSync(process.execPath, args, { cwd: dir, env, stdio: ['ignore', 'ignore', 'pipe'] });
  const ms = performance.now() - start;
  if (r.status !== 0) throw new Error(`paths ${lifecycle} (${c}) exited ${r.status}: ${r.stderr}`);
  return ms;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

try {
  const rows: string[][] = [];
  for (const lc of LIFECYCLES) {
    // The first run fills the inference cache and the compiler's code cache, as a first `paths` would.
    run(lc, 'cached');
    const samples = new Map<Case, number[]>(CASES.map((c) => [c, []]));
    // 'cached' runs right after 'after an edit', which refills the cache.
    const order: Case[] = ['no-infer', 'after an edit', 'cached', 'nothing cached'];
    for (let round = 0; round < RUNS; round++) for (const c of order) samples.get(c)!.push(run(lc, c));
    const base = median(samples.get('no-infer')!);
    for (const c of CASES) {
      const m = median(samples.get(c)!);
      rows.push([c === 'no-infer' ? lc : '', c, s(m), c === 'no-infer' ? '' : `${m - base >= 0 ? '+' : ''}${s(m - base)}`]);
    }
  }
  const head = ['lifecycle', 'case', `median of ${RUNS}`, 'inference adds'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => (i < 2 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join(' | ')} |`;
  console.log(`\`lifecycle paths <lifecycle> --cover transitions\`, whole process (Node ${process.version}, the build in dist/):\n`);
  console.log(line(head));
  console.log(`|${widths.map((w, i) => (i < 2 ? '-'.repeat(w + 2) : '-'.repeat(w + 1) + ':')).join('|')}|`);
  for (const r of rows) console.log(line(r));
} finally {
  rmSync(dir, { recursive: true, force: true });
}
