/**
 * Crash consistency of `lifecycle run install`: the real binary is SIGKILLed at every step boundary and inside
 * every step, `lifecycle resume --verify` finishes the run (checking the install invariants after every
 * transition), and the target holds exactly what an uninterrupted run leaves.
 *
 * LIFECYCLE_CRASH_POINTS=more adds a kill between each journal line and its snapshot; =all kills before every
 * mutating filesystem call of the run instead of the chosen points.
 */
import { cpSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { chooseKillPoints, lifecycle, pool, treeOf, type Op } from './crash-harness.ts';

const PACKAGES = new URL('../../examples/packages/nginx/', import.meta.url).pathname;
const MODE = (process.env.LIFECYCLE_CRASH_POINTS ?? 'default') as 'default' | 'more' | 'all';

/** The installation record's update time is the only thing that differs between two runs. */
const normalize = (rel: string, data: Buffer) => {
  if (!rel.startsWith('.installations/') || !rel.endsWith('.json')) return data;
  const json = JSON.parse(data.toString('utf8')) as Record<string, unknown>;
  delete json.updatedAt;
  return Buffer.from(JSON.stringify(json));
};

interface Scenario {
  name: string;
  version: string;
  /** A target to copy before each run (an earlier version installed), or null for an empty one. */
  prepare: () => Promise<string | null>;
}

async function installedTarget(version: string): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'lk-crash-base-'));
  const r = await lifecycle(['run', 'install', '--store', join(dir, 'store'), '--input', JSON.stringify({ package: join(PACKAGES, version), target: join(dir, 'target') })]);
  expect(r.code, r.stderr).toBe(0);
  return join(dir, 'target');
}

async function crashScenario(s: Scenario) {
  const template = await s.prepare();
  const setup = () => {
    const dir = mkdtempSync(join(tmpdir(), 'lk-crash-'));
    if (template) cpSync(template, join(dir, 'target'), { recursive: true });
    const input = JSON.stringify({ package: join(PACKAGES, s.version), target: join(dir, 'target') });
    return { dir, store: join(dir, 'store'), target: join(dir, 'target'), input };
  };

  // The uninterrupted run: its filesystem calls (where to kill) and what it leaves.
  const base = setup();
  const trace = join(base.dir, 'trace.json');
  const clean = await lifecycle(['run', 'install', '--store', base.store, '--input', base.input, '--verify'], { trace });
  expect(clean.code, clean.stderr).toBe(0);
  const expected = treeOf(base.target, normalize);
  const ops = JSON.parse(readFileSync(trace, 'utf8')) as Op[];
  const points = chooseKillPoints(ops, base.store, MODE);

  const failures = await pool(points, async (point) => {
    const run = setup();
    const crashed = await lifecycle(['run', 'install', '--store', run.store, '--input', run.input], { crashAt: point.n });
    if (crashed.signal !== 'SIGKILL') return `${point.label} (op ${point.n}): not killed (exit ${crashed.code}): ${crashed.stderr}`;
    let resumed = await lifecycle(['resume', '--store', run.store, '--verify']);
    // Killed before the run's meta was written: there is no run to resume; running again is the answer.
    if (resumed.code === 1 && /no run in/.test(resumed.stderr)) {
      resumed = await lifecycle(['run', 'install', '--store', run.store, '--input', run.input, '--verify']);
    }
    if (resumed.code !== 0) return `${point.label} (op ${point.n}): resume exited ${resumed.code}: ${resumed.stderr.trim()}`;
    const meta = JSON.parse(readFileSync(join(run.store, 'run.json'), 'utf8')) as { status: string };
    const saved = JSON.parse(readFileSync(join(run.store, 'snapshot.json'), 'utf8')) as { snapshot: { value: unknown } };
    if (meta.status !== 'succeeded' || saved.snapshot.value !== 'installed') return `${point.label}: ${meta.status} in ${JSON.stringify(saved.snapshot.value)}`;
    const got = treeOf(run.target, normalize);
    if (JSON.stringify(got) !== JSON.stringify(expected)) {
      const diff = [...new Set([...Object.keys(got), ...Object.keys(expected)])].filter((k) => got[k] !== expected[k]);
      return `${point.label} (op ${point.n}): target differs from an uninterrupted run: ${diff.join(', ')}`;
    }
    return null;
  });
  return { points, failures: failures.filter((f): f is string => f !== null), ops: ops.length };
}

describe('crash consistency: install (real binary, SIGKILL, resume)', () => {
  it.each<Scenario>([
    { name: 'fresh install of nginx 1.0.0', version: '1.0.0', prepare: async () => null },
    { name: 'upgrade of nginx 1.0.0 to 1.1.0', version: '1.1.0', prepare: () => installedTarget('1.0.0') },
  ])('$name: killed at every step boundary and inside every step, resume ends as an uninterrupted run', async (s) => {
    const { points, failures, ops } = await crashScenario(s);
    console.log(`crash points tried (install, ${s.name}): ${points.length} of ${ops} filesystem calls`);
    expect(failures).toEqual([]);
    if (MODE !== 'all') {
      expect(points.filter((p) => p.label.startsWith('saved')).length).toBeGreaterThanOrEqual(9);
      expect(points.filter((p) => p.label.startsWith('inside')).length).toBeGreaterThanOrEqual(5);
    }
  }, 600_000);
});
