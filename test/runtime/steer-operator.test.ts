/**
 * Issue 13: steering a run from the CLI. `lifecycle wait` and `lifecycle send` drive the operator built-in through
 * a spec change and a deletion as child processes, with a SIGKILL in between: the event sent while the run is down
 * is applied on resume; and preboot past its setup hold to running, then to stopped. `status --json` says where the
 * run is for a dashboard.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BIN, lifecycle } from './crash-harness.ts';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function background(args: string[]) {
  const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d));
  child.stderr.on('data', () => undefined);
  return { child, out: () => stdout, closed: new Promise<number | null>((r) => child.on('close', r)) };
}

describe('wait + send steer the operator (child processes)', () => {
  it('converges, takes a spec change, survives a kill with an event sent while down, and ends on DELETE', { timeout: 240_000 }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lk-steer-'));
    dirs.push(dir);
    const store = join(dir, 'store');
    const run = background(['run', 'operator', '--store', store, '--keep-sandbox']);
    expect((await lifecycle(['wait', '--store', store, '--until', 'converged', '--timeout', '60000'])).code).toBe(0);
    const sandbox = /^sandbox: (.+)$/m.exec(run.out())![1]!;
    dirs.push(sandbox);

    const status = JSON.parse((await lifecycle(['status', '--store', store, '--json'])).stdout) as Record<string, unknown>;
    expect(status).toMatchObject({ status: 'running', state: 'converged', fingerprint: expect.stringMatching(/^[0-9a-f]{16}$/), timers: expect.any(Array) });

    // A new spec version, announced with SPEC.CHANGED: the operator reconciles and converges on it.
    const spec = join(sandbox, 'instance.json');
    writeFileSync(spec, JSON.stringify({ ...JSON.parse(readFileSync(spec, 'utf8')), version: '1.1.0' }));
    const sent = await lifecycle(['send', '--store', store, '{"type":"SPEC.CHANGED"}']);
    expect(sent.stdout).toMatch(/^delivered SPEC\.CHANGED: converged → reconciling/);
    expect((await lifecycle(['wait', '--store', store, '--until', 'converged', '--timeout', '60000'])).code).toBe(0);
    const timedOut = await lifecycle(['wait', '--store', store, '--until', 'ended', '--timeout', '300']);
    expect(timedOut.code).toBe(124);
    expect(timedOut.stderr).toMatch(/did not reach ended within 300 ms \(it is in converged\)/);

    // Killed; DELETE sent while it is down; the resume applies it and the run ends.
    run.child.kill('SIGKILL');
    await run.closed;
    const queued = await lifecycle(['send', '--store', store, '{"type":"DELETE"}']);
    expect(queued.stdout).toMatch(/^queued DELETE: the run is not running now/);
    const resumed = background(['resume', '--store', store, '--keep-sandbox']);
    const done = await lifecycle(['wait', '--store', store, '--until', 'done', '--timeout', '60000']);
    expect(done.code).toBe(0);
    expect(done.stdout).toMatch(/^the run succeeded in ended/);
    expect(await resumed.closed).toBe(0);
    const journal = readFileSync(join(store, 'journal.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { event: string });
    expect(journal.filter((e) => e.event === 'DELETE')).toHaveLength(1);
    expect((await lifecycle(['wait', '--store', store, '--until', 'nosuchstate'])).code).toBe(1);
  });

  it('preboot: the setup hold is settled with send, the server runs, STOP sent ends it', { timeout: 180_000 }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lk-steer-preboot-'));
    dirs.push(dir);
    const store = join(dir, 'store');
    const run = background(['run', 'preboot', '--store', store]);
    expect((await lifecycle(['wait', '--store', store, '--until', 'tag:waiting', '--timeout', '60000'])).stdout).toMatch(/^reached in preboot\.awaitingSetupHolds/);
    const saved = JSON.parse(readFileSync(join(store, 'snapshot.json'), 'utf8')) as { snapshot: { context: { holds: { id: string }[] } } };
    const [hold] = saved.snapshot.context.holds;
    const resolved = await lifecycle(['send', '--store', store, JSON.stringify({ type: 'HOLD.RESOLVED', id: hold!.id })]);
    expect(resolved.stdout).toMatch(/^delivered HOLD\.RESOLVED: preboot\.awaitingSetupHolds → setup\./);
    expect((await lifecycle(['wait', '--store', store, '--until', 'running', '--timeout', '60000'])).code).toBe(0);
    expect((await lifecycle(['send', '--store', store, '{"type":"STOP"}'])).stdout).toMatch(/^delivered STOP: running → stopping/);
    expect((await lifecycle(['wait', '--store', store, '--until', 'done', '--timeout', '60000'])).stdout).toMatch(/^the run succeeded in stopped/);
    expect(await run.closed).toBe(0);
  });
});
