/**
 * `lifecycle run preboot` as a user runs it: the preboot servers live in the process (handles in the machine's
 * context, not actors), so the command must close them (`LifecycleServices.dispose`) when the run ends, or an
 * interrupted run would keep the process alive; and `lifecycle resume` in a new process must open them again
 * (`LifecycleServices.restore`) where they were.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { httpRequest, isListening } from '../../src/services/preboot/index.ts';
import { BIN, lifecycle } from './crash-harness.ts';

const temps: string[] = [];
/** A temp dir, removed after the file's tests. */
function temp(): string {
  const dir = mkdtempSync(join(tmpdir(), 'lk-preboot-cli-'));
  temps.push(dir);
  return dir;
}
afterAll(() => {
  for (const dir of temps.splice(0)) rmSync(dir, { recursive: true, force: true });
});
/** The CLI processes started here: any still running once the tests end (one failed midway) is killed. */
const children: ChildProcess[] = [];
afterAll(() => {
  for (const child of children.splice(0)) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
});

/** Spawns `lifecycle run preboot` (sandbox input) and waits until the journal shows the preboot server up. */
async function runUntilPrebootServer(store: string): Promise<{ child: ChildProcess; exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; ms: number }>; port: number; signalled: () => number }> {
  const child = spawn(process.execPath, [BIN, 'run', 'preboot', '--store', store], { stdio: 'ignore' });
  children.push(child);
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
  // The run's sandbox (the data dir's parent): removed with the temp dirs, since a run killed or resumed keeps it.
  temps.push(dirname((JSON.parse(readFileSync(join(store, 'run.json'), 'utf8')) as { input: { dataDir: string } }).input.dataDir));
  return { child, exited, port, signalled: () => (signalledAt = Date.now()) };
}

/** `lifecycle resume --store <store>` as a child process, its output collected. */
function resume(store: string) {
  const child = spawn(process.execPath, [BIN, 'resume', '--store', store], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1' } });
  children.push(child);
  let out = '';
  let err = '';
  child.stdout!.on('data', (d: Buffer) => (out += d));
  child.stderr!.on('data', (d: Buffer) => (err += d));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('close', (code, signal) => resolve({ code, signal })));
  return { child, exited, stdout: () => out, stderr: () => err };
}

/** The status document at `url`, or null while nothing answers. */
async function statusOf(url: string): Promise<Record<string, unknown> | null> {
  try {
    return JSON.parse((await httpRequest('GET', `${url}/api/status`, { timeoutMs: 1000 })).body) as Record<string, unknown>;
  } catch {
    return null;
  }
}

/** Polls `read` until its value satisfies `ok` (15 s at most). */
async function until<T>(read: () => Promise<T | null>, ok: (value: T) => boolean): Promise<T> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const value = await read();
    if (value !== null && ok(value)) return value;
    if (Date.now() > deadline) throw new Error(`not reached within 15 s; last seen: ${JSON.stringify(value)}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe('lifecycle run preboot (child process)', () => {
  it('Ctrl-C while waiting at preboot shuts the server down (STOP): the run ends in stopped, exit 0, the port free', async () => {
    const store = join(temp(), 'store');
    const run = await runUntilPrebootServer(store);
    expect(await isListening('127.0.0.1', run.port)).toBe(true);
    run.signalled();
    run.child.kill('SIGINT');
    const end = await Promise.race([run.exited, new Promise<null>((r) => setTimeout(() => r(null), 5000))]);
    if (end === null) run.child.kill('SIGKILL');
    expect(end).toMatchObject({ code: 0, signal: null });
    expect(end!.ms).toBeLessThan(5000);
    expect(await isListening('127.0.0.1', run.port)).toBe(false);
    // A finished run: the next `run` in the same store starts afresh instead of asking for a resume.
    const saved = JSON.parse(readFileSync(join(store, 'snapshot.json'), 'utf8')) as { snapshot: { value: unknown; context: { stopReason: string } } };
    expect(saved.snapshot).toMatchObject({ value: 'stopped', context: { stopReason: 'requested' } });
    expect(JSON.parse(readFileSync(join(store, 'run.json'), 'utf8'))).toMatchObject({ status: 'succeeded' });
  }, 30_000);

  it('SIGKILLed at preboot, resumed, configured, SIGKILLed while running, resumed: each resume listens on the same port; Ctrl-C then stops it', async () => {
    const es = createServer((_, res) => res.end('{}'));
    await new Promise<void>((r) => es.listen(0, '127.0.0.1', r));
    try {
      const store = join(temp(), 'store');
      const first = await runUntilPrebootServer(store);
      first.child.kill('SIGKILL');
      await first.exited;
      const url = `http://127.0.0.1:${first.port}`;
      expect(await isListening('127.0.0.1', first.port)).toBe(false);

      // The resumed process opens the preboot server again where it was, still holding setup for the details.
      const second = resume(store);
      const preboot = await until(() => statusOf(url), (s) => s.server === 'preboot');
      expect(preboot).toMatchObject({ pendingHolds: [{ id: 'interactive-setup#1', kind: 'setup' }] });
      // The resumed process prints its own one-time verification code with the URL.
      const code = await until(async () => /verification code: (\d{6})/.exec(second.stdout())?.[1] ?? null, () => true);
      const configured = await httpRequest('POST', `${url}/internal/interactive_setup/configure`, { body: { code, host: `http://127.0.0.1:${(es.address() as AddressInfo).port}` } });
      expect(configured.status).toBe(200);
      const main = await until(() => statusOf(url), (s) => s.server === 'main');
      expect(main).toMatchObject({ stage: 'running', ready: true });
      second.child.kill('SIGKILL');
      await second.exited;
      expect(await isListening('127.0.0.1', first.port)).toBe(false);

      // Killed while running: the next resume brings the main server back, same port, same identity.
      const third = resume(store);
      expect(await until(() => statusOf(url), (s) => s.server === 'main')).toMatchObject({ stage: 'running', uuid: main.uuid });
      third.child.kill('SIGINT');
      expect(await third.exited).toMatchObject({ code: 0 });
      expect(await isListening('127.0.0.1', first.port)).toBe(false);
      expect(third.stdout()).toMatch(/resume at running\n {2}main server: http:\/\/127\.0\.0\.1:\d+ /);
      // The sandbox the first run made goes once the run is over, whichever command ends it.
      expect(third.stdout()).toMatch(/running → stopping\.attempt\n.*stopping\.attempt → stopped\npreboot: succeeded in [\d.]+ s \(stopped\)\n(sandbox removed: .*\n)?$/);
      expect(third.stderr()).toBe('lifecycle: shutting preboot down (STOP); Ctrl-C again to interrupt at once\n');
    } finally {
      await new Promise((r) => es.close(r));
    }
  }, 60_000);
});
