/**
 * Crash consistency of `lifecycle run install`: the real binary is SIGKILLed at every step boundary and inside
 * every step, `lifecycle resume --verify` finishes the run (checking the install invariants after every
 * transition), and the target holds exactly what an uninterrupted run leaves.
 *
 * By default every other boundary is tried (LIFECYCLE_CRASH_SEED=1 the others); LIFECYCLE_CRASH_POINTS=boundaries
 * tries them all, =more adds a kill between each journal line and its snapshot, =all kills before every mutating
 * filesystem call of the run instead of the chosen points.
 */
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { crashMode, lifecycle, runCrashScenario } from './crash-harness.ts';

const PACKAGES = new URL('../../examples/packages/nginx/', import.meta.url).pathname;
const MODE = crashMode();

/** The installation record's update time is the only thing that differs between two runs. */
const normalize = (rel: string, data: Buffer) => {
  if (!rel.startsWith('.installations/') || !rel.endsWith('.json')) return data;
  const json = JSON.parse(data.toString('utf8')) as Record<string, unknown>;
  delete json.updatedAt;
  return Buffer.from(JSON.stringify(json));
};

const bases: string[] = [];
afterAll(() => {
  for (const dir of bases.splice(0)) rmSync(dir, { recursive: true, force: true });
});

async function installedTarget(version: string): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'lk-crash-base-'));
  bases.push(dir);
  const input = JSON.stringify({ package: join(PACKAGES, version), target: join(dir, 'target') });
  const r = await lifecycle(['run', 'install', '--store', join(dir, 'store'), '--input', input]);
  expect(r.code, r.stderr).toBe(0);
  return join(dir, 'target');
}

describe('crash consistency: install (real binary, SIGKILL, resume --verify)', () => {
  it.each([
    { name: 'fresh install of nginx 1.0.0', version: '1.0.0', over: null },
    { name: 'upgrade of nginx 1.0.0 to 1.1.0', version: '1.1.0', over: '1.0.0' },
  ])('$name: killed at every step boundary and inside every step, resume ends as an uninterrupted run', async ({ name, version, over }) => {
    const template = over ? await installedTarget(over) : null;
    const report = await runCrashScenario({
      lifecycle: 'install',
      mode: MODE,
      final: 'installed',
      normalize,
      setup() {
        const dir = mkdtempSync(join(tmpdir(), 'lk-crash-install-'));
        if (template) cpSync(template, join(dir, 'target'), { recursive: true });
        const input = JSON.stringify({ package: join(PACKAGES, version), target: join(dir, 'target') });
        return { dir, store: join(dir, 'store'), target: join(dir, 'target'), input };
      },
      async teardown({ dir }) {
        rmSync(dir, { recursive: true, force: true });
      },
    });
    console.log(`crash points tried (install, ${name}): ${report.points.length - report.unreached.length} of ${report.candidates.length} chosen, ${report.ops} filesystem calls`);
    expect(report.failures.map((f) => `${f.label} (op ${f.n}): ${f.problem}`)).toEqual([]);
    if (MODE !== 'all') {
      expect(report.candidates.filter((p) => p.label.startsWith('saved')).length).toBeGreaterThanOrEqual(9);
      expect(report.candidates.filter((p) => p.label.startsWith('inside')).length).toBeGreaterThanOrEqual(5);
    }
  }, 900_000);
});
