/**
 * How many bugs in the built-ins' real services the generated suites alone catch. Each mutant in
 * `scripts/service-mutants.json` is one small edit of a file under `src/services/` (a write skipped, a check
 * dropped, success returned early); it is applied to a copy of the committed tree, the lifecycle's generated suite
 * (`test/model/<lifecycle>.paths*.test.ts`, nothing else) runs against it, and a failing suite kills the mutant.
 *
 *   npm run mutants:services [-- --lifecycle install --only install-skip-asset-write --json]
 *
 * The copy is a `git worktree` of HEAD (node_modules linked), so uncommitted edits are not measured and the
 * working tree is never touched. A mutant whose `find` no longer occurs exactly once is reported stale, not run.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

interface Mutant {
  id: string;
  lifecycle: string;
  file: string;
  /** Exact text, which must occur once in `file`. */
  find: string;
  replace: string;
  what: string;
}

const ROOT = new URL('../', import.meta.url).pathname;
const { values } = parseArgs({ options: { lifecycle: { type: 'string' }, only: { type: 'string' }, json: { type: 'boolean' }, timeout: { type: 'string', default: '180' } } });
const all = JSON.parse(readFileSync(join(ROOT, 'scripts/service-mutants.json'), 'utf8')) as Mutant[];
const mutants = all.filter((m) => (!values.lifecycle || m.lifecycle === values.lifecycle) && (!values.only || m.id === values.only));

const tree = mkdtempSync(join(tmpdir(), 'lk-service-mutants-'));
execFileSync('git', ['worktree', 'add', '--detach', tree, 'HEAD'], { cwd: ROOT, stdio: 'ignore' });
symlinkSync(join(ROOT, 'node_modules'), join(tree, 'node_modules'));
const results: { id: string; lifecycle: string; what: string; outcome: 'killed' | 'survived' | 'stale' | 'timeout'; seconds: number }[] = [];
try {
  // The suites must pass unmutated, or a kill means nothing.
  for (const lifecycle of [...new Set(mutants.map((m) => m.lifecycle))]) {
    const base = runSuite(lifecycle);
    if (base.outcome !== 'survived') throw new Error(`the ${lifecycle} suite does not pass unmutated (${base.outcome}): ${base.tail}`);
  }
  for (const m of mutants) {
    const path = join(tree, m.file);
    const original = existsSync(path) ? readFileSync(path, 'utf8') : '';
    if (original.split(m.find).length !== 2) {
      results.push({ id: m.id, lifecycle: m.lifecycle, what: m.what, outcome: 'stale', seconds: 0 });
      continue;
    }
    writeFileSync(path, original.replace(m.find, m.replace));
    try {
      const r = runSuite(m.lifecycle);
      results.push({ id: m.id, lifecycle: m.lifecycle, what: m.what, outcome: r.outcome === 'survived' ? 'survived' : r.outcome === 'timeout' ? 'timeout' : 'killed', seconds: r.seconds });
    } finally {
      writeFileSync(path, original);
    }
    if (!values.json) process.stderr.write(`${results.at(-1)!.outcome.padEnd(8)} ${m.id}\n`);
  }
} finally {
  execFileSync('git', ['worktree', 'remove', '--force', tree], { cwd: ROOT, stdio: 'ignore' });
  rmSync(tree, { recursive: true, force: true });
}

if (values.json) process.stdout.write(`${JSON.stringify(results, null, 2)}\n`);
else {
  const rows = [...new Set(results.map((r) => r.lifecycle))].map((l) => {
    const of = results.filter((r) => r.lifecycle === l && r.outcome !== 'stale');
    const killed = of.filter((r) => r.outcome === 'killed' || r.outcome === 'timeout').length;
    return `| ${l.padEnd(9)} | ${String(killed).padStart(6)} | ${String(of.length).padStart(7)} | ${pct(killed, of.length).padStart(6)} |`;
  });
  const counted = results.filter((r) => r.outcome !== 'stale');
  const killed = counted.filter((r) => r.outcome !== 'survived').length;
  process.stdout.write(['| lifecycle | killed | mutants | score  |', '| --------- | ------ | ------- | ------ |', ...rows, `| all       | ${String(killed).padStart(6)} | ${String(counted.length).padStart(7)} | ${pct(killed, counted.length).padStart(6)} |`, ''].join('\n'));
  for (const r of results.filter((x) => x.outcome === 'survived' || x.outcome === 'stale')) process.stdout.write(`${r.outcome}: ${r.id} (${r.what})\n`);
}

function runSuite(lifecycle: string): { outcome: 'survived' | 'failed' | 'timeout'; seconds: number; tail: string } {
  const start = performance.now();
  const r = spawnSync(process.execPath, [join(tree, 'node_modules/vitest/vitest.mjs'), 'run', `test/model/${lifecycle}.paths`, '--reporter', 'dot'], {
    cwd: tree,
    encoding: 'utf8',
    timeout: Number(values.timeout) * 1000,
    env: { ...process.env, LIFECYCLE_COVERAGE: '', LIFECYCLE_COVERAGE_DIR: '', CI: '1' },
  });
  const seconds = Math.round((performance.now() - start) / 100) / 10;
  const tail = `${r.stdout ?? ''}${r.stderr ?? ''}`.split('\n').slice(-15).join('\n');
  if (r.error && (r.error as NodeJS.ErrnoException).code === 'ETIMEDOUT') return { outcome: 'timeout', seconds, tail };
  return { outcome: r.status === 0 ? 'survived' : 'failed', seconds, tail };
}

function pct(n: number, d: number): string {
  return d ? `${((100 * n) / d).toFixed(0)}%` : '-';
}
