/**
 * Crash consistency of `lifecycle run upgrade`: the real binary is SIGKILLed at every step boundary and inside
 * every step (download, extraction, hand-off, migration, swap, agent start, the watcher's health checks), then
 * `lifecycle resume --verify` finishes it, checking the upgrade invariants after every transition, and the agent
 * home holds exactly what an uninterrupted upgrade leaves (times, pids, ports and logs aside).
 *
 * LIFECYCLE_CRASH_POINTS=more|all as in crash-install.test.ts.
 */
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { stopHomeAgent, upgradeServices } from '../../src/services/upgrade/index.ts';
import { crashMode, runCrashScenario } from './crash-harness.ts';

const MODE = crashMode();

/**
 * Kill points after which the resumed upgrade does NOT end as an uninterrupted one: bugs of the upgrade services
 * (src/services/upgrade), found by this test and kept here so that the suite stays green while they are open. The
 * test fails when one of them is fixed (remove it here) and when any other kill point fails.
 */
const KNOWN_SERVICE_BUGS: Record<string, string> = {};

/** Fields that name a moment or a process, and so differ between any two runs. */
const VOLATILE = new Set(['pid', 'port', 'startedAt', 'handedOffAt', 'updatedAt', 'last']);

function normalize(rel: string, data: Buffer, dir: string): Buffer {
  if (rel.split('/').includes('logs')) return Buffer.from('(log)');
  let text = data.toString('utf8').split(dir).join('<run dir>');
  if (rel.endsWith('.json')) {
    const json = JSON.parse(text, (key, value) => (VOLATILE.has(key) ? undefined : value)) as Record<string, unknown>;
    // How many times the agent was started is history: a run killed in its trial starts it again.
    if (rel.endsWith('state/run/starts.json')) delete json.count;
    text = JSON.stringify(json);
  }
  return Buffer.from(text);
}

describe('crash consistency: upgrade (real binary, SIGKILL, resume --verify)', () => {
  it('upgrade 1.0.0 → 1.1.0: killed at every step boundary and inside every step, resume ends as an uninterrupted run', async () => {
    // One sandbox (artifacts and the installed 1.0.0), copied for every run, so that every run upgrades the same bytes.
    const template = mkdtempSync(join(tmpdir(), 'lk-crash-upgrade-template-'));
    onTestFinished(() => rmSync(template, { recursive: true, force: true }));
    const input = JSON.stringify(await upgradeServices.sandboxInput(template));
    const report = await runCrashScenario({
      lifecycle: 'upgrade',
      mode: MODE,
      final: 'completed',
      normalize,
      setup() {
        const dir = mkdtempSync(join(tmpdir(), 'lk-crash-upgrade-'));
        cpSync(template, dir, { recursive: true, verbatimSymlinks: true });
        return { dir, store: join(dir, 'store'), target: join(dir, 'agent'), input: input.split(template).join(dir) };
      },
      async teardown({ dir }) {
        await stopHomeAgent(join(dir, 'agent')).catch(() => undefined);
        rmSync(dir, { recursive: true, force: true }); // an agent a killed run left behind exits once its home is gone
      },
    });
    const unreached = report.unreached.length ? ` (${report.unreached.length} in a later round of the health-check loop than the run reached)` : '';
    console.log(`crash points tried (upgrade): ${report.points.length - report.unreached.length} of ${report.candidates.length} chosen, ${report.ops} filesystem calls${unreached}`);
    for (const f of report.failures) {
      console.warn(`${KNOWN_SERVICE_BUGS[f.label] ? `known upgrade service bug (${KNOWN_SERVICE_BUGS[f.label]})` : 'FAILED'}: ${f.label} (op ${f.n}): ${f.problem}`);
    }
    expect(report.failures.map((f) => f.label).sort()).toEqual(Object.keys(KNOWN_SERVICE_BUGS).sort());
    // Even there the resume itself succeeded and the invariants held: what differs is files left or lost.
    for (const f of report.failures) expect(f.problem).toMatch(/^differs from an uninterrupted run: /);
    if (MODE !== 'all') {
      expect(report.candidates.filter((p) => p.label.startsWith('saved')).length).toBeGreaterThanOrEqual(10);
      expect(report.candidates.filter((p) => p.label.startsWith('inside')).length).toBeGreaterThanOrEqual(4);
    }
  }, 1_800_000);
});
