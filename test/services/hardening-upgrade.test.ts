/**
 * Hostile peers and careless inputs against the upgrade services: an upgrade never completes without a healthy
 * probe, a download never hangs or grows without bound, and the user's artifact is never deleted. Loopback only;
 * every wait is bounded.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile, copyFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { upgradeMachine, type UpgradeContext, type UpgradeInput, type UpgradeOutput } from '../../machines/upgrade.ts';
import { exists } from '../../src/services/install/fs.ts';
import { fetchArtifact } from '../../src/services/upgrade/download.ts';
import {
  buildArtifact,
  buildExampleArtifacts,
  currentTarget,
  installAgent,
  layout,
  probeHealth,
  stopHomeAgent,
  stopProcess,
  upgradeServices,
  type BuiltArtifact,
} from '../../src/services/upgrade/index.ts';
import { runChecked } from './helpers.ts';

let artifactsDir: string;
let artifacts: Awaited<ReturnType<typeof buildExampleArtifacts>>;
let silent: BuiltArtifact;
let dir: string;
let home: string;
let v1Path: string;
const pids = new Set<number>();
const closers: (() => Promise<void>)[] = [];

beforeAll(async () => {
  artifactsDir = await mkdtemp(join(tmpdir(), 'lk-hard-artifacts-'));
  artifacts = await buildExampleArtifacts(artifactsDir);
  silent = await buildArtifact(artifactsDir, { version: '1.1.0', buildDate: '2024-03-01T00:00:00Z', health: 'silent', name: 'agent-1.1.0-silent.tar.gz' });
});
afterAll(() => rm(artifactsDir, { recursive: true, force: true }));
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'lk-hard-upgrade-'));
  home = join(dir, 'agent');
  v1Path = await installAgent(home, artifacts.v1.path, '1.0.0');
});
afterEach(async () => {
  await stopHomeAgent(home);
  for (const pid of pids) await stopProcess(pid, 500);
  pids.clear();
  for (const close of closers.splice(0)) await close();
  await rm(dir, { recursive: true, force: true });
});

const input = (artifact: BuiltArtifact, extra: Partial<UpgradeInput> = {}): UpgradeInput => ({
  agentHome: home,
  source: artifact.path,
  sha256: artifact.sha256,
  targetVersion: artifact.version,
  targetBuildDate: artifact.buildDate,
  gracePeriodMs: 400,
  healthCheckIntervalMs: 50,
  retry: { maxAttempts: 2, initialIntervalMs: 10, backoffRate: 2, maxIntervalMs: 50 },
  ...extra,
});

async function upgrade(runInput: UpgradeInput) {
  const run = await runChecked<UpgradeInput, UpgradeContext, UpgradeOutput>(upgradeMachine, upgradeServices, runInput, { ungated: ['download'] });
  if (run.snapshot.context.agentPid) pids.add(run.snapshot.context.agentPid);
  expect(run.violations).toEqual([]);
  return run;
}

describe('the health watcher: no upgrade completes without a healthy probe', () => {
  it('gracePeriodMs 0 (an input that skipped the check) rolls back instead of completing with zero probes', async () => {
    const run = await upgrade(input(artifacts.v2, { gracePeriodMs: 0 }));
    expect(run.snapshot.context.healthChecks).toBe(0);
    expect(run.output.outcome).toBe('rolledBack');
    expect(run.output.lastError).toMatchObject({ step: 'watch', kind: 'unhealthy' });
    expect(run.output.lastError!.message).toMatch(/0 of the 1 healthy probe\(s\) required answered within the grace period of 0 ms/);
    expect(await currentTarget(home)).toBe(v1Path);
  });

  it('an agent that never answers, with a grace period shorter than the default probe timeout: rolled back', async () => {
    const run = await upgrade(input(silent, { gracePeriodMs: 600, healthCheckIntervalMs: 50 }));
    expect(run.output.outcome).toBe('rolledBack');
    expect(run.output.lastError!.message).toMatch(/agent 1\.1\.0 is unhealthy: .*(no answer within \d+ ms|healthy probe)/);
    expect(await currentTarget(home)).toBe(v1Path);
  });

  it('an agent answering 503 is rolled back, and N consecutive healthy probes are required', async () => {
    const unhealthy = await upgrade(input(artifacts.unhealthy));
    expect(unhealthy.output.outcome).toBe('rolledBack');
    // Three healthy probes, 100 ms apart, fit in 1.5 s: completed with at least three.
    const healthy = await upgrade(input(artifacts.v2, { gracePeriodMs: 1500, healthCheckIntervalMs: 100, healthyProbes: 3 }));
    expect(healthy.output.outcome).toBe('completed');
    expect(healthy.snapshot.context.healthChecks).toBeGreaterThanOrEqual(3);
  });

  it("a probe's timeout is bounded by the grace period, and its whole answer by the timeout", async () => {
    // A peer that sends headers, then trickles a byte every 50 ms: a socket timeout alone never fires.
    const sockets = new Set<Socket>();
    const server: Server = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      const timer = setInterval(() => res.write(' '), 50);
      res.on('close', () => clearInterval(timer));
    });
    server.on('connection', (s) => (sockets.add(s), s.on('close', () => sockets.delete(s))));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    closers.push(() => new Promise((r) => (sockets.forEach((s) => s.destroy()), server.close(() => r()))));
    const path = join(dir, 'fake-version');
    await mkdir(join(path, 'run'), { recursive: true });
    await writeFile(join(path, 'run', 'agent.json'), JSON.stringify({ pid: process.pid, port: (server.address() as AddressInfo).port, version: '9.9.9' }));
    const started = Date.now();
    const probe = await probeHealth(path, '9.9.9', 300);
    expect(probe).toMatchObject({ healthy: false, detail: expect.stringMatching(/no answer within 300 ms/) });
    expect(Date.now() - started).toBeLessThan(2000);
  });
});

/** A loopback server with one misbehaviour; its sockets are destroyed at the end of the test. */
async function peer(handler: (req: import('node:http').IncomingMessage, res: import('node:http').ServerResponse) => void): Promise<string> {
  const sockets = new Set<Socket>();
  const server = createServer(handler);
  server.on('connection', (s) => (sockets.add(s), s.on('close', () => sockets.delete(s))));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  closers.push(() => new Promise((r) => (sockets.forEach((s) => s.destroy()), server.close(() => r()))));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/agent-1.1.0.tar.gz`;
}

const failure = (p: Promise<unknown>) => p.then(() => { throw new Error('the download succeeded'); }, (error: Error & { kind?: string }) => error);

describe('downloads end, in bounded time and size', () => {
  const dest = () => join(home, 'downloads');
  const noProgress = () => {};

  it('a server that never sends headers: ETIMEDOUT after the idle timeout', async () => {
    const url = await peer(() => {});
    const started = Date.now();
    const error = await failure(fetchArtifact(url, dest(), new AbortController().signal, noProgress, { idleTimeoutMs: 300 }));
    expect(error).toMatchObject({ kind: 'ETIMEDOUT' });
    expect(error.message).toMatch(/stalled: no answer for 300 ms/);
    expect(Date.now() - started).toBeLessThan(3000);
  });

  it('a server that sends headers and half the body, then stalls: ETIMEDOUT, the part kept for a resume', async () => {
    const url = await peer((_req, res) => {
      res.writeHead(200, { 'content-length': 2000 });
      res.write(Buffer.alloc(1000, 1));
    });
    const error = await failure(fetchArtifact(url, dest(), new AbortController().signal, noProgress, { idleTimeoutMs: 300 }));
    expect(error).toMatchObject({ kind: 'ETIMEDOUT' });
    expect(error.message).toMatch(/stalled: no bytes for 300 ms \(1000 bytes received\)/);
    expect(await readdir(dest())).toEqual(['agent-1.1.0.tar.gz.part']);
  });

  it('a body that trickles forever: the total timeout ends it', async () => {
    const url = await peer((_req, res) => {
      res.writeHead(200);
      const timer = setInterval(() => res.write('x'), 20);
      res.on('close', () => clearInterval(timer));
    });
    const error = await failure(fetchArtifact(url, dest(), new AbortController().signal, noProgress, { idleTimeoutMs: 200, timeoutMs: 500 }));
    expect(error).toMatchObject({ kind: 'ETIMEDOUT' });
    expect(error.message).toMatch(/did not finish within 500 ms/);
  });

  it('an endless body is cut at the size cap, and the part removed', async () => {
    const url = await peer((_req, res) => {
      res.writeHead(200);
      const chunk = Buffer.alloc(64 * 1024, 2);
      const pump = () => {
        while (!res.destroyed && res.write(chunk));
        if (!res.destroyed) res.once('drain', pump);
      };
      pump();
    });
    const error = await failure(fetchArtifact(url, dest(), new AbortController().signal, noProgress, { maxBytes: 1024 * 1024 }));
    expect(error).toMatchObject({ kind: 'artifact-too-large' });
    expect(error.message).toMatch(/more than the 1 MiB allowed: pass a larger maxDownloadBytes/);
    expect(await readdir(dest())).toEqual([]);
  });

  it('a Content-Length over the cap is refused before the body; a local file too', async () => {
    const url = await peer((_req, res) => {
      res.writeHead(200, { 'content-length': 5 * 1024 * 1024 });
      res.write('x');
    });
    expect(await failure(fetchArtifact(url, dest(), new AbortController().signal, noProgress, { maxBytes: 1024 }))).toMatchObject({ kind: 'artifact-too-large' });
    expect(await failure(fetchArtifact(artifacts.v2.path, dest(), new AbortController().signal, noProgress, { maxBytes: 1024 }))).toMatchObject({ kind: 'artifact-too-large' });
  });

  it('a run with a stalling server fails after its retries with one clear error, in bounded time', async () => {
    const url = await peer(() => {});
    const run = await upgrade(input(artifacts.v2, { source: url, downloadIdleTimeoutMs: 200 }));
    expect(run.output).toMatchObject({ outcome: 'failed' });
    expect(run.output.lastError).toMatchObject({ step: 'download', kind: 'ETIMEDOUT', attempt: 2 });
    expect(await exists(layout.downloads(home))).toBe(false);
  });
});

describe('the artifact and the download folder', () => {
  it("an artifact in <home>/downloads/ is refused before anything is touched, and kept", async () => {
    await mkdir(layout.downloads(home), { recursive: true });
    const inside = join(layout.downloads(home), 'agent-1.1.0.tar.gz');
    await copyFile(artifacts.v2.path, inside);
    const run = await upgrade(input(artifacts.v2, { source: inside }));
    expect(run.output.outcome).toBe('failed');
    expect(run.output.lastError).toMatchObject({ step: 'download', kind: 'paths-overlap' });
    expect(run.output.lastError!.message).toMatch(/lies in the download folder .*nothing was changed: move the artifact out of/);
    expect(await readFile(inside)).toEqual(await readFile(artifacts.v2.path));
  });

  it('an artifact reached through a symlink into <home>/downloads/ is refused the same way', async () => {
    await mkdir(layout.downloads(home), { recursive: true });
    const inside = join(layout.downloads(home), 'a.tar.gz');
    await copyFile(artifacts.v2.path, inside);
    await symlink(layout.downloads(home), join(dir, 'dl'));
    const error = await failure(fetchArtifact(join(dir, 'dl', 'a.tar.gz'), layout.downloads(home), new AbortController().signal, () => {}));
    expect(error).toMatchObject({ kind: 'paths-overlap' });
    expect(error.message).toMatch(/\(really .*downloads\/a\.tar\.gz\)/);
    expect(await exists(inside)).toBe(true);
  });

  it('a download folder that is a symlink out of the home is refused at the first step', async () => {
    const elsewhere = join(dir, 'elsewhere');
    await mkdir(elsewhere);
    await writeFile(join(elsewhere, 'keep.txt'), 'mine');
    await symlink(elsewhere, layout.downloads(home));
    const run = await upgrade(input(artifacts.v2));
    expect(run.output.lastError).toMatchObject({ step: 'checkVersion', kind: 'path-escapes' });
    expect(await readFile(join(elsewhere, 'keep.txt'), 'utf8')).toBe('mine');
    expect(await readdir(elsewhere)).toEqual(['keep.txt']);
  });
});
