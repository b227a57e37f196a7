import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createServer, type Server } from 'node:http';
import { mkdtemp, readdir, readFile, readlink, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { upgradeMachine, type UpgradeContext, type UpgradeInput, type UpgradeOutput } from '../../machines/upgrade.ts';
import {
  buildArtifact,
  buildExampleArtifacts,
  currentTarget,
  entryProblem,
  installAgent,
  isAlive,
  layout,
  probeHealth,
  readHomeRun,
  spawnAgent,
  stopHomeAgent,
  stopProcess,
  upgradeServices,
  type BuiltArtifact,
} from '../../src/services/upgrade/index.ts';
import { exists } from '../../src/services/install/fs.ts';
import { fetchArtifact } from '../../src/services/upgrade/download.ts';
import { extractArtifact } from '../../src/services/upgrade/extract.ts';
import { runChecked, type CheckedRunOptions } from './helpers.ts';

interface ServerOptions {
  /** Cut the connection after this many body bytes, for the first `times` requests. */
  dropAfter?: { bytes: number; times: number };
  /** Stream in chunks of `chunkSize` bytes every `delayMs`. */
  slow?: { chunkSize: number; delayMs: number };
}

/** A loopback HTTP server for the artifacts directory, honouring Range requests, with faults. */
async function serve(dir: string, options: ServerOptions = {}) {
  const requests: { path: string; range: string | undefined }[] = [];
  let drops = options.dropAfter?.times ?? 0;
  const server: Server = createServer(async (req, res) => {
    const name = basename(new URL(req.url ?? '/', 'http://x').pathname);
    requests.push({ path: name, range: req.headers.range });
    let data: Buffer;
    try {
      data = await readFile(join(dir, name));
    } catch {
      res.writeHead(404).end('not found');
      return;
    }
    let start = 0;
    const range = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
    if (range) {
      start = Number(range[1]);
      if (start >= data.length) {
        res.writeHead(416, { 'content-range': `bytes */${data.length}` }).end();
        return;
      }
      res.writeHead(206, { 'content-length': data.length - start, 'content-range': `bytes ${start}-${data.length - 1}/${data.length}` });
    } else res.writeHead(200, { 'content-length': data.length });
    const body = data.subarray(start);
    if (drops > 0 && options.dropAfter) {
      drops--;
      res.write(body.subarray(0, options.dropAfter.bytes), () => setTimeout(() => res.socket?.destroy(), 10));
      return;
    }
    if (options.slow) {
      const { chunkSize, delayMs } = options.slow;
      for (let i = 0; i < body.length && !res.destroyed; i += chunkSize) {
        res.write(body.subarray(i, i + chunkSize));
        await new Promise((r) => setTimeout(r, delayMs));
      }
      res.end();
      return;
    }
    res.end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: (a: BuiltArtifact) => `http://127.0.0.1:${port}/${basename(a.path)}`,
    requests,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

let artifactsDir: string;
let artifacts: Awaited<ReturnType<typeof buildExampleArtifacts>>;
let dir: string;
let home: string;
let v1Path: string;
const pids = new Set<number>();
const servers: { close(): Promise<void> }[] = [];

beforeAll(async () => {
  artifactsDir = await mkdtemp(join(tmpdir(), 'lk-artifacts-'));
  artifacts = await buildExampleArtifacts(artifactsDir);
});
afterAll(async () => {
  await rm(artifactsDir, { recursive: true, force: true });
});
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'lk-upgrade-'));
  home = join(dir, 'agent');
  v1Path = await installAgent(home, artifacts.v1.path, '1.0.0');
});
afterEach(async () => {
  await stopHomeAgent(home);
  for (const pid of pids) await stopProcess(pid, 500);
  pids.clear();
  for (const s of servers.splice(0)) await s.close();
  await rm(dir, { recursive: true, force: true });
});

function input(artifact: BuiltArtifact, source: string = artifact.path, extra: Partial<UpgradeInput> = {}): UpgradeInput {
  return {
    agentHome: home,
    source,
    sha256: artifact.sha256,
    targetVersion: artifact.version,
    targetBuildDate: artifact.buildDate,
    gracePeriodMs: 400,
    healthCheckIntervalMs: 50,
    retry: { maxAttempts: 3, initialIntervalMs: 10, backoffRate: 2, maxIntervalMs: 50 },
    ...extra,
  };
}

async function upgrade(runInput: UpgradeInput, options: CheckedRunOptions = {}) {
  const run = await runChecked<UpgradeInput, UpgradeContext, UpgradeOutput>(upgradeMachine, upgradeServices, runInput, {
    ungated: ['download'],
    ...options,
  });
  if (run.snapshot.context.agentPid) pids.add(run.snapshot.context.agentPid);
  expect(run.violations).toEqual([]);
  return run;
}

/** Starts the installed 1.0.0 agent, as a running home would have it. */
async function startOldAgent() {
  const run = await spawnAgent(home, v1Path);
  pids.add(run.pid);
  expect((await probeHealth(v1Path, '1.0.0')).healthy).toBe(true);
  return run;
}

const dataDirs = async () => (await readdir(layout.data(home))).filter((n) => !n.startsWith('.')).sort();

describe('upgrade services: the whole upgrade', () => {
  it('upgrades 1.0.0 to 1.1.0 over http on 127.0.0.1: hand-off, migration, swap, new agent healthy', async () => {
    const server = await serve(artifactsDir);
    servers.push(server);
    const old = await startOldAgent();
    const run = await upgrade(input(artifacts.v2, server.url(artifacts.v2)));
    expect(run.output).toMatchObject({ outcome: 'completed', fromVersion: '1.0.0', toVersion: '1.1.0', lastError: null });
    const newPath = join(layout.data(home), `agent-1.1.0-${artifacts.v2.sha256.slice(0, 6)}`);
    expect(await currentTarget(home)).toBe(newPath);
    expect(await dataDirs()).toEqual([basename(v1Path), basename(newPath)].sort());
    // Progress reached the machine as the artifact streamed in.
    const progress = run.events.filter((e) => e.type === 'DOWNLOAD.PROGRESS') as unknown as { bytesReceived: number; totalBytes: number }[];
    expect(progress.length).toBeGreaterThan(0);
    expect(progress.at(-1)).toMatchObject({ bytesReceived: artifacts.v2.bytes, totalBytes: artifacts.v2.bytes });
    expect(run.snapshot.context).toMatchObject({ bytesReceived: artifacts.v2.bytes, handedOff: true });
    expect(run.snapshot.context.healthChecks).toBeGreaterThan(1);
    // The next version's entrypoint took over at the stable path and wrote the marker.
    expect(JSON.parse(await readFile(layout.marker(home), 'utf8'))).toMatchObject({ from: '1.0.0', to: '1.1.0', path: newPath });
    // State migrated; the old agent was stopped and the new one runs, healthy.
    expect(await readFile(join(newPath, 'state', 'action_store.json'), 'utf8')).toBe(await readFile(join(v1Path, 'state', 'action_store.json'), 'utf8'));
    expect(isAlive(old.pid)).toBe(false);
    expect(await readHomeRun(home)).toMatchObject({ pid: run.snapshot.context.agentPid, version: '1.1.0', path: newPath });
    expect(await probeHealth(newPath, '1.1.0')).toMatchObject({ healthy: true });
    expect(server.requests).toEqual([{ path: basename(artifacts.v2.path), range: undefined }]);
  });

  it('a broken transfer is retried and resumed with a Range request', async () => {
    const server = await serve(artifactsDir, { dropAfter: { bytes: 1000, times: 1 } });
    servers.push(server);
    const run = await upgrade(input(artifacts.v2, server.url(artifacts.v2)));
    expect(run.output.outcome).toBe('completed');
    expect(run.visited).toContain('currentVersion.downloading.retrying');
    expect(run.events.find((e) => e.type === 'DOWNLOAD.FAILED')).toMatchObject({ kind: 'ECONNRESET' });
    expect(server.requests.map((r) => r.range)).toEqual([undefined, 'bytes=1000-']);
  });

  it('an unhealthy new version is rolled back: current points at the old version, whose agent runs again', async () => {
    const old = await startOldAgent();
    const run = await upgrade(input(artifacts.unhealthy));
    expect(run.output.outcome).toBe('rolledBack');
    expect(run.output.lastError).toMatchObject({ step: 'watch', kind: 'unhealthy' });
    expect(run.output.lastError!.message).toMatch(/agent 1\.1\.0 is unhealthy: GET \/health answered 503: cannot reach the fleet server/);
    expect(run.visited).toContain('nextVersion.trial.agent.running');
    expect(await currentTarget(home)).toBe(v1Path);
    expect(await dataDirs()).toEqual([basename(v1Path)]);
    expect(isAlive(run.snapshot.context.agentPid)).toBe(false);
    expect(isAlive(old.pid)).toBe(false);
    const restarted = await readHomeRun(home);
    expect(restarted).toMatchObject({ version: '1.0.0', path: v1Path });
    pids.add(restarted!.pid);
    expect(await probeHealth(v1Path, '1.0.0')).toMatchObject({ healthy: true });
    expect(await exists(layout.marker(home))).toBe(false);
    // The backup went with the rollback, and the folder it made with it.
    expect(await exists(layout.backups(home))).toBe(false);
  });

  it('a new version that crashes at start-up is rolled back too', async () => {
    const crash = await buildArtifact(join(dir, 'arts'), { version: '1.1.0', buildDate: '2024-03-01T00:00:00Z', health: 'crash', name: 'agent-1.1.0-crash.tar.gz' });
    const run = await upgrade(input(crash, crash.path, { gracePeriodMs: 1000 }));
    expect(run.output.outcome).toBe('rolledBack');
    expect(run.output.lastError!.message).toMatch(/agent 1\.1\.0 .*(not running|exited with code 1|ECONNRESET|ECONNREFUSED|socket hang up)/);
    expect(await currentTarget(home)).toBe(v1Path);
  });

  it('sandboxInput upgrades an example home from a local path', async () => {
    const sandbox = join(dir, 'sandbox');
    const sandboxInput = await upgradeServices.sandboxInput(sandbox);
    expect(sandboxInput.agentHome.startsWith(sandbox)).toBe(true);
    const run = await upgrade({ ...sandboxInput, gracePeriodMs: 300, healthCheckIntervalMs: 50 });
    await stopHomeAgent(sandboxInput.agentHome);
    expect(run.output.outcome).toBe('completed');
  });
});

describe('upgrade services: failures before the hand-off leave nothing behind', () => {
  it('a corrupt artifact fails the checksum: failed with a clear error, the download removed', async () => {
    const run = await upgrade(input(artifacts.corrupt));
    expect(run.output).toMatchObject({ outcome: 'failed', step: 'cleanup', lastSucceededStep: 'download' });
    expect(run.output.lastError).toMatchObject({ step: 'verify', kind: 'checksum-mismatch' });
    expect(run.output.lastError!.message).toMatch(new RegExp(`has sha256 [0-9a-f]{64}, expected ${artifacts.corrupt.sha256}: it is corrupt`));
    expect(await exists(layout.downloads(home))).toBe(false);
    expect(await dataDirs()).toEqual([basename(v1Path)]);
    expect(await currentTarget(home)).toBe(v1Path);
  });

  it('an archive with ../ entries and a symlink out is refused before anything is written', async () => {
    const run = await upgrade(input(artifacts.escaping));
    expect(run.output.outcome).toBe('failed');
    expect(run.output.lastError).toMatchObject({ step: 'extract', kind: 'unsafe-archive' });
    expect(run.output.lastError!.message).toMatch(/"\.\.\/escape\.txt" has a "\.\." segment/);
    expect(run.output.lastError!.message).toMatch(/"bin\/passwd" links to the absolute path \/etc\/passwd/);
    expect(await exists(join(layout.data(home), 'escape.txt'))).toBe(false);
    expect(await exists(join(home, 'escape.txt'))).toBe(false);
    expect(await readdir(layout.data(home))).toEqual([basename(v1Path)]);
    expect(await exists(layout.downloads(home))).toBe(false);
  });

  it('CANCEL during the download ends cancelled and removes the partial download', async () => {
    const server = await serve(artifactsDir, { slow: { chunkSize: 200, delayMs: 40 } });
    servers.push(server);
    let cancelled = false;
    const run = await upgrade(input(artifacts.v2, server.url(artifacts.v2)), {
      onStart: (actor) =>
        actor.subscribe((s) => {
          if (!cancelled && (s.context as UpgradeContext).bytesReceived > 0) {
            cancelled = true;
            actor.send({ type: 'CANCEL' });
          }
        }),
    });
    expect(run.output.outcome).toBe('cancelled');
    expect(run.snapshot.context.bytesReceived).toBeLessThan(artifacts.v2.bytes);
    expect(await exists(layout.downloads(home))).toBe(false);
    expect(await dataDirs()).toEqual([basename(v1Path)]);
    expect(await currentTarget(home)).toBe(v1Path);
  });

  it('CANCEL while extracting, before the hand-off, removes the extracted version and its entrypoint link', async () => {
    let cancelled = false;
    const entrypointBefore = await readlink(layout.entrypoint(home));
    const run = await upgrade(input(artifacts.v2), {
      // Not gated: the extraction really runs when CANCEL arrives, and goes on in the background after it.
      ungated: ['download', 'extract'],
      onStart: (actor) =>
        actor.subscribe((s) => {
          if (!cancelled && s.matches({ currentVersion: 'extracting' })) {
            cancelled = true;
            actor.send({ type: 'CANCEL' });
          }
        }),
    });
    expect(run.output.outcome).toBe('cancelled');
    expect(await dataDirs()).toEqual([basename(v1Path)]);
    expect(await readlink(layout.entrypoint(home))).toBe(entrypointBefore);
    expect(await exists(layout.downloads(home))).toBe(false);
    expect((await readdir(layout.data(home))).filter((n) => n.startsWith('.extract-'))).toEqual([]);
  });

  it('a next version whose entrypoint refuses the hand-off fails, and its files are removed', async () => {
    const refusing = await buildArtifact(join(dir, 'arts'), { version: '1.1.0', buildDate: '2024-03-01T00:00:00Z', refuseHandoff: 'state schema 7 unknown', name: 'agent-1.1.0-refusing.tar.gz' });
    const run = await upgrade(input(refusing));
    expect(run.output.outcome).toBe('failed');
    expect(run.output.lastError).toMatchObject({ step: 'handOff', kind: 'handoff-refused' });
    expect(run.output.lastError!.message).toMatch(/exited with code 4: agent 1\.1\.0 refuses to take the upgrade from 1\.0\.0 over: state schema 7 unknown/);
    expect(await dataDirs()).toEqual([basename(v1Path)]);
    expect(await currentTarget(home)).toBe(v1Path);
  });

  it('a downgrade is refused before anything is downloaded', async () => {
    const v2Path = await installAgent(home, artifacts.v2.path, '1.1.0');
    const run = await upgrade(input(artifacts.v1, 'http://127.0.0.1:9/never'));
    expect(run.output).toMatchObject({ outcome: 'refused', refusedBy: 'downgrade' });
    expect(await currentTarget(home)).toBe(v2Path);
  });

  it('a download that keeps failing ends failed after the retries, with nothing left', async () => {
    const server = await serve(artifactsDir, { dropAfter: { bytes: 500, times: 10 } });
    servers.push(server);
    const run = await upgrade(input(artifacts.v2, server.url(artifacts.v2)));
    expect(run.output).toMatchObject({ outcome: 'failed' });
    expect(run.output.lastError).toMatchObject({ step: 'download', kind: 'ECONNRESET', attempt: 3 });
    expect(server.requests).toHaveLength(3);
    expect(await exists(layout.downloads(home))).toBe(false);
  });
});

describe('download progress', () => {
  it('is reported by time (first chunk, then at most every 100 ms, then the end), not once per chunk', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'lk-progress-'));
    try {
      const source = join(dir, 'big.bin');
      await writeFile(source, Buffer.alloc(16 * 1024 * 1024, 7));
      const reports: { at: number; bytes: number }[] = [];
      const started = Date.now();
      const result = await fetchArtifact(source, join(dir, 'downloads'), new AbortController().signal, (bytes) => reports.push({ at: Date.now(), bytes }));
      const elapsed = Date.now() - started;
      expect(result.bytes).toBe(16 * 1024 * 1024);
      expect(reports.at(-1)!.bytes).toBe(16 * 1024 * 1024);
      // A 16 MiB file comes in 64 KiB chunks: 256 of them, but only a handful of reports.
      expect(reports.length).toBeLessThanOrEqual(Math.floor(elapsed / 100) + 2);
      // The listener reads the clock just after the counter did: two readings may straddle a millisecond, so a
      // 100 ms throttle can show up here as 99 ms.
      for (let i = 1; i < reports.length - 1; i++) expect(reports[i]!.at - reports[i - 1]!.at).toBeGreaterThanOrEqual(99);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('extraction rules', () => {
  it('an extraction stopped at any point (CANCEL) leaves no version directory and the entrypoint as it was', async () => {
    const entrypointBefore = await readlink(layout.entrypoint(home));
    const outcomes: string[] = [];
    for (const delay of [0, 1, 2, 3, 5, 8, 13, 21]) {
      const abort = new AbortController();
      const extraction = extractArtifact({ artifactPath: artifacts.v2.path, agentHome: home, version: '1.1.0' }, abort.signal);
      setTimeout(() => abort.abort(), delay);
      const result = await extraction.then(
        (out) => ({ done: out.extractedPath }),
        (error: Error & { kind?: string }) => ({ error: error.kind }),
      );
      if ('done' in result) {
        outcomes.push('finished');
        await rm(result.done, { recursive: true });
        await rm(layout.entrypoint(home));
        await symlink(entrypointBefore, layout.entrypoint(home));
        continue;
      }
      outcomes.push('stopped');
      expect(result.error).toBe('aborted');
      expect((await readdir(layout.data(home))).sort()).toEqual([basename(v1Path)]);
      expect(await readlink(layout.entrypoint(home))).toBe(entrypointBefore);
    }
    expect(outcomes).toContain('stopped');
  });

  it('refuses absolute paths, .. segments, links out and special files; accepts the rest', () => {
    expect(entryProblem('bin/agent.mjs', 'File')).toBeNull();
    expect(entryProblem('./bin/', 'Directory')).toBeNull();
    expect(entryProblem('bin/lib', 'SymbolicLink', '../lib')).toBeNull();
    expect(entryProblem('/etc/cron.d/x', 'File')).toMatch(/absolute path/);
    expect(entryProblem('a/../../x', 'File')).toMatch(/"\.\." segment/);
    expect(entryProblem('bin/up', 'SymbolicLink', '../../outside')).toMatch(/outside the artifact/);
    expect(entryProblem('bin/pw', 'SymbolicLink', '/etc/passwd')).toMatch(/absolute path \/etc\/passwd/);
    expect(entryProblem('hard', 'Link', '../x')).toMatch(/outside the artifact/);
    expect(entryProblem('dev', 'CharacterDevice')).toMatch(/CharacterDevice entry/);
  });
});
