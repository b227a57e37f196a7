// Picture benchmark (issue 11): `npm run bench:diagram`. For each engine, the whole-process time of
// `lifecycle diagram <name> -f svg` and `-f png` for the built-ins and of `lifecycle docs` (into a temp dir),
// plus each overview's size and its readability measured in Chromium as shared/tools/diagram-quality.mjs does.
// Set RUNS (default 3) for the number of runs per command (the median is printed), ENGINES to pick engines.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { measureSvgs } from '../test/diagram/measure.ts';

const bin = fileURLToPath(new URL('../bin/lifecycle.js', import.meta.url));
const RUNS = Number(process.env.RUNS ?? 3);
const NAMES = ['install', 'upgrade', 'preboot', 'operator'];
const ENGINES = (process.env.ENGINES ?? 'graphviz,mermaid').split(',');
const dir = mkdtempSync(join(tmpdir(), 'lk-bench-diagram-'));

function timed(args: string[]): number {
  const times: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const start = performance.now();
    const r = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`lifecycle ${args.join(' ')} failed: ${r.stderr}`);
    times.push(performance.now() - start);
  }
  return times.sort((a, b) => a - b)[Math.floor(times.length / 2)]!;
}

const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
const header = ['engine', 'diagram', '-f svg', '-f png', 'svg size', 'png', 'svg width × height', 'width at 16 px text', 'labels on labels / states', 'docs'];
// Rows print as they are measured, so a long run shows progress (and a failure keeps what was measured).
const print = (r: string[]) => console.log(`| ${[...r, ...Array(header.length - r.length).fill('')].join(' | ')} |`);
print(header);
print(header.map(() => '---'));
for (const engine of ENGINES) {
  for (const name of NAMES) {
    const svg = join(dir, `${engine}-${name}.svg`);
    const png = join(dir, `${engine}-${name}.png`);
    const svgMs = timed(['diagram', name, '-f', 'svg', '--engine', engine, '-o', svg]);
    const pngMs = timed(['diagram', name, '-f', 'png', '--engine', engine, '-o', png]);
    const [q] = await measureSvgs([readFileSync(svg, 'utf8')]);
    print([engine, name, s(svgMs), s(pngMs), `${Math.round(statSync(svg).size / 1024)} KiB`, pngSize(readFileSync(png)), `${Math.round(q!.width)} × ${Math.round(q!.height)}`, String(q!.widthAt16px), `${q!.labelLabelOverlaps} / ${q!.labelStateOverlaps}`]);
  }
  const docsMs = timed(['docs', '--engine', engine, '--dir', join(dir, `docs-${engine}`)]);
  print([engine, 'docs (4 lifecycles, every picture)', '', '', '', '', '', '', '', s(docsMs)]);
}
print(['—', 'docs --check', '', '', '', '', '', '', '', s(timed(['docs', '--check', '--dir', join(dir, `docs-${ENGINES[0]}`)]))]);
console.log(`\nmedian of ${RUNS} runs per command (whole process, node ${process.version}); files in ${dir}`);

function pngSize(png: Buffer): string {
  return `${png.readUInt32BE(16)} × ${png.readUInt32BE(20)} px`;
}
