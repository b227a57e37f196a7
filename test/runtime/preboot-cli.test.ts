/**
 * `lifecycle run preboot` as a user runs it: the preboot servers live in the process (handles in the machine's
 * context, not actors), so the command must close them (`LifecycleServices.dispose`) when the run ends, or an
 * interrupted run would keep the process alive.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isListening } from '../../src/services/preboot/index.ts';
import { BIN, lifecycle } from './crash-harness.ts';

const temp = () => mkdtempSync(join(tmpdir(), 'lk-preboot-cli-'));

/** Spawns `lifecycle run preboot` (sandbox input) and waits until the journal shows the preboot server up. */
async function runUntilPrebootServer(store: string): Promise<{ child: ChildProcess; exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; ms: number }>; port: number; signalled: () => number }> {
  const child = spawn(process.execPath, [BIN, 'run', 'preboot', '--store', store], { stdio: 'ignore' });
  let signalledAt = 0;
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; ms: number }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal, ms: Date.now() - signalledAt })),
  );
  // The server is up once the saved snapshot (written with the journal line of that transition) holds its handle.
  const deadline = Date.now() + 15_000;
  let port: number | undefined;
  while (port === undefined) {
    if (Date.now() > deadline) throw new Error('the preboot server did not start within 15 s');
    await new Promise((r) => setTimeout(r, 10));
    try {
      const saved = JSON.parse(readFileSync(join(store, 'snapshot.json'), 'utf8')) as { snapshot: { value: unknown; context: { prebootServer: { port: number } | null } } };
      if (JSON.stringify(saved.snapshot.value).includes('awaitingSetupHolds')) port = saved.snapshot.context.prebootServer?.port;
    } catch {
      // not written yet
    }
  }
  return { child, exited, port, signalled: () => (signalledAt = Date.now()) };
}

describe('lifecycle run preboot (child process)', () => {
  it('Ctrl-C while waiting at preboot: the servers are closed, the process exits 130 at once, the port is free', async () => {
    const store = join(temp(), 'store');
    const run = await runUntilPrebootServer(store);
    expect(await isListening('127.0.0.1', run.port)).toBe(true);
    run.signalled();
    run.child.kill('SIGINT');
    const end = await Promise.race([run.exited, new Promise<null>((r) => setTimeout(() => r(null), 5000))]);
    if (end === null) run.child.kill('SIGKILL');
    expect(end).toMatchObject({ code: 130, signal: null });
    expect(end!.ms).toBeLessThan(5000);
    expect(await isListening('127.0.0.1', run.port)).toBe(false);
  }, 30_000);

  it('resume after SIGKILL at preboot ends (the server is not restarted in the new process) and leaves the port free', async () => {
    const store = join(temp(), 'store');
    const run = await runUntilPrebootServer(store);
    run.child.kill('SIGKILL');
    await run.exited;
    expect(await isListening('127.0.0.1', run.port)).toBe(false);
    const r = await lifecycle(['resume', '--store', store]);
    // Known gap: `watchHolds` gets only the server id, so it cannot start the server again; the run stops.
    expect(r.stdout).toMatch(/resume at preboot\.awaitingSetupHolds/);
    expect(r.stdout).toMatch(/is not running in this process/);
    // ...and says so: the run ended in `stopped` with a failed output, so it failed (exit 1), not succeeded.
    expect(r.code).toBe(1);
    expect(await isListening('127.0.0.1', run.port)).toBe(false);
  }, 30_000);
});
