// CLI startup benchmark (issue 14). `npm run bench:cli` (RUNS=N, default 11)
// Whole-process wall time of every command, median of N runs, interleaved round by round so that a burst of load
// on the machine hits every command alike. Runs the build (dist/, `npm run build` first) as an installed package
// does, with `node -e 0` as the floor. Then `paths` on the 1,000-step chain machine against a plain Node script
// calling xstate/graph's getShortestPaths on the same machine module, both as whole processes, side by side.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../', import.meta.url));
const bin = join(root, 'bin/lifecycle.js');
const RUNS = Number(process.env.RUNS ?? 11);
if (!existsSync(join(root, 'dist/cli/main.js'))) throw new Error('no build: run `npm run build` first');

const dir = mkdtempSync(join(tmpdir(), 'bench-cli-'));
const store = join(dir, 'store');
// The chain of bench/chain.ts as a plain ES module, so that neither side pays for TypeScript.
const N = 1000;
writeFileSync(
  join(dir, 'chain.mjs'),
  `import { createMachine } from 'xstate';
const n = ${N};
const states = {};
const name = (i) => (i >= n ? 'done' : 's' + i);
for (let i = 0; i < n; i++) {
  states['s' + i] = { on: { NEXT: name(i + 1), ...(i + 2 <= n ? { SKIP: name(i + 2) } : {}), FAIL: 'e' + i } };
  states['e' + i] = { on: { RETRY: 's' + i } };
}
states.done = { type: 'final' };
export const machine = createMachine({ id: 'chain${N}', initial: 's0', states });
`,
);
writeFileSync(
  join(dir, 'shortest.mjs'),
  `import { getShortestPaths } from 'xstate/graph';
import { machine } from './chain.mjs';
const events = ['NEXT', 'SKIP', 'FAIL', 'RETRY'].map((type) => ({ type }));
const paths = getShortestPaths(machine, { events });
process.stdout.write(JSON.stringify(paths.map((p) => ({ state: p.state.value, steps: p.steps.map((s) => ({ event: s.event.type, state: s.state.value })) }))) + '\\n');
`,
);
// xstate resolved through node_modules beside the modules, as a project resolves its own.
const env = { ...process.env, LIFECYCLE_DEV: '0', NO_PROGRESS: '1' };
rmSync(join(dir, 'node_modules'), { force: true, recursive: true });
spawnSync('ln', ['-s', join(root, 'node_modules'), join(dir, 'node_modules')]);

interface Case {
  label: string;
  args: string[];
  cwd?: string;
}
const lifecycle = (label: string, ...args: string[]): Case => ({ label: `lifecycle ${label}`, args: [bin, ...args] });
const startup: Case[] = [
  { label: 'node -e 0 (floor)', args: ['-e', '0'] },
  lifecycle('--version', '--version'),
  lifecycle('--help', '--help'),
  lifecycle('diagram --help', 'diagram', '--help'),
  lifecycle('list', 'list'),
  lifecycle('diagram install', 'diagram', 'install'),
  lifecycle('diagram install -f dot', 'diagram', 'install', '-f', 'dot'),
  lifecycle('diagram install -f svg', 'diagram', 'install', '-f', 'svg'),
  lifecycle('validate install', 'validate', 'install'),
  lifecycle('paths install', 'paths', 'install'),
  lifecycle('catalogue install', 'catalogue', 'install'),
  lifecycle('testgen install --check', 'testgen', 'install', '-o', join(root, 'test/model'), '--check'),
  lifecycle('coverage install --planned', 'coverage', 'install', '--planned'),
  lifecycle('docs --check', 'docs', '--check'),
  lifecycle('status (empty store)', 'status', '--store', store),
  lifecycle('resume (empty store)', 'resume', '--store', store),
  lifecycle('run bogus (usage error)', 'run', 'bogus', '--store', store),
  lifecycle('inspect --help', 'inspect', '--help'),
];
const chain: Case[] = [
  { label: `lifecycle paths chain${N}.mjs --no-infer --json`, args: [bin, 'paths', join(dir, 'chain.mjs'), '--no-infer', '--json'] },
  { label: `lifecycle paths chain${N}.mjs --json`, args: [bin, 'paths', join(dir, 'chain.mjs'), '--json'] },
  { label: `node shortest.mjs (xstate/graph getShortestPaths)`, args: [join(dir, 'shortest.mjs')] },
];

function time(c: Case): number {
  const start = performance.now();
  const r = spawnSync(process.execPath, c.args, { cwd: c.cwd ?? root, env, stdio: ['ignore', 'ignore', 'pipe'], maxBuffer: 64 << 20 });
  const ms = performance.now() - start;
  if (r.status !== 0 && !/bogus|resume|status/.test(c.label)) throw new Error(`${c.label} exited ${r.status}: ${r.stderr}`);
  return ms;
}

function measure(cases: Case[]): number[][] {
  const samples = cases.map(() => [] as number[]);
  for (const c of cases) time(c); // warm the file cache (and the inference cache) once
  for (let round = 0; round < RUNS; round++) cases.forEach((c, i) => samples[i]!.push(time(c)));
  return samples;
}
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
};

function table(cases: Case[], samples: number[][]): void {
  const floor = median(samples[0]!);
  const rows = cases.map((c, i) => [c.label, `${(median(samples[i]!) / 1000).toFixed(3)} s`, `${((median(samples[i]!) - floor) / 1000).toFixed(3)} s`, `${(Math.min(...samples[i]!) / 1000).toFixed(3)} s`]);
  const head = ['command', `median of ${RUNS}`, 'over the floor', 'fastest'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join(' | ')} |`;
  console.log(line(head));
  console.log(`|${widths.map((w, i) => (i === 0 ? '-' : '') + '-'.repeat(w + 1) + (i === 0 ? '' : ':')).join('|')}|`);
  for (const r of rows) console.log(line(r));
}

try {
  console.log(`Startup, whole process (Node ${process.version}, the build in dist/):\n`);
  const floorAndStartup = measure(startup);
  table(startup, floorAndStartup);

  console.log(`\npaths on the ${N}-step chain vs getShortestPaths, whole processes side by side:\n`);
  const withFloor = [startup[0]!, ...chain];
  const chainSamples = measure(withFloor);
  table(withFloor, chainSamples);
  const xs = median(chainSamples[3]!);
  console.log(`\nratio lifecycle paths / getShortestPaths: ${(median(chainSamples[1]!) / xs).toFixed(2)}x (--no-infer), ${(median(chainSamples[2]!) / xs).toFixed(2)}x (default, inference cached)`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
