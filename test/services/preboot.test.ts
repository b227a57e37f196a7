import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createServer, type Server } from 'node:http';
import { createServer as createNetServer } from 'node:net';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { waitFor, type AnyActorRef } from 'xstate';
import { prebootMachine, type PrebootContext, type PrebootInput, type PrebootOutput } from '../../machines/preboot.ts';
import {
  getRuntime,
  httpRequest,
  INTERACTIVE_SETUP_PREFIX,
  NOT_READY,
  parseConnectionDetails,
  prebootServices,
  verificationCodeOf,
  releaseAll,
} from '../../src/services/preboot/index.ts';
import { releaseResources, startPrebootServer } from '../../src/services/preboot/servers.ts';
import { runChecked, type CheckedRunOptions } from './helpers.ts';

let dir: string;
const servers: Server[] = [];

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'lk-preboot-'));
});
afterEach(async () => {
  await releaseAll();
  for (const s of servers.splice(0)) await new Promise((resolve) => s.close(resolve));
  await rm(dir, { recursive: true, force: true });
});

/** A stand-in for Elasticsearch on loopback: answers 401 without credentials, 200 with them. */
async function fakeElasticsearch(): Promise<string> {
  const server = createServer((req, res) => {
    res.writeHead(req.headers.authorization ? 200 : 401, { 'content-type': 'application/json' });
    res.end(JSON.stringify(req.headers.authorization ? { cluster_name: 'sandbox' } : { error: 'security_exception' }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  servers.push(server);
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** A loopback port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createNetServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Whether the port can be bound again (nothing holds it). */
async function canBind(port: number): Promise<boolean> {
  const server = createNetServer();
  return new Promise((resolve) => {
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

const retry = { maxAttempts: 3, initialIntervalMs: 10, backoffRate: 2, maxIntervalMs: 50 };

function input(extra: Partial<PrebootInput> = {}): PrebootInput {
  return { dataDir: join(dir, 'data'), configPath: join(dir, 'config', 'server.json'), host: '127.0.0.1', port: 0, plugins: [], retry, ...extra };
}

type Actor = AnyActorRef & { getSnapshot(): { context: PrebootContext; matches(v: unknown): boolean } };

/**
 * Runs preboot with the real services and checks the invariants at every snapshot. `script` drives the run; STOP is
 * sent when it ends (even when it throws, so that a failing script cannot hang the run), and its error is rethrown.
 */
async function preboot(runInput: PrebootInput, script?: (actor: Actor) => Promise<void>, options: CheckedRunOptions = {}) {
  let driven: Promise<unknown> = Promise.resolve();
  const run = await runChecked<PrebootInput, PrebootContext, PrebootOutput>(prebootMachine, prebootServices, runInput, {
    ungated: ['watchHolds'],
    ...options,
    onStart: (actor) => {
      if (!script) return;
      driven = script(actor as unknown as Actor).then(
        () => actor.send({ type: 'STOP' }),
        (error: unknown) => {
          actor.send({ type: 'STOP' });
          return Promise.reject(error);
        },
      );
    },
  });
  await driven;
  expect(run.violations).toEqual([]);
  return run;
}

const at = (actor: Actor, state: unknown) => waitFor(actor, (s) => (s as { matches(v: unknown): boolean }).matches(state), { timeout: 10_000 }) as Promise<{ context: PrebootContext }>;
const json = (body: string) => JSON.parse(body) as Record<string, unknown>;

/** Polls the preboot status until `predicate` holds. */
async function statusUntil(url: string, predicate: (status: Record<string, unknown>) => boolean) {
  for (let i = 0; i < 200; i++) {
    const status = json((await httpRequest('GET', `${url}/api/status`)).body);
    if (predicate(status)) return status;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`the preboot status never satisfied ${predicate.toString()}`);
}

describe('preboot services: the staged start', () => {
  it('interactive setup: held at preboot until details are POSTed and verified; config written and reloaded; main server on the same port redirects what preboot held', async () => {
    const es = await fakeElasticsearch();
    const sandbox = await prebootServices.sandboxInput(dir);
    expect(sandbox.dataDir.startsWith(dir) && sandbox.configPath.startsWith(dir)).toBe(true);
    const seen: Record<string, unknown> = {};

    const run = await preboot({ ...sandbox, retry }, async (actor) => {
      const s = await at(actor, { preboot: 'awaitingSetupHolds' });
      const url = s.context.prebootServer!.url;
      seen.prebootPort = s.context.prebootServer!.port;
      seen.status = json((await httpRequest('GET', `${url}/api/status`)).body);
      seen.notReady = await httpRequest('GET', `${url}/api/saved_objects`);
      seen.setupPage = await httpRequest('GET', `${url}/`);
      // A browser asks for an app at preboot: the request is held until the main server runs.
      const held = httpRequest('GET', `${url}/app`, { timeoutMs: 15_000 });
      await statusUntil(url, (st) => st.heldRequests === 1);

      // The one-time code is printed with the URL (the run's notes) and required with every configure request.
      const code = verificationCodeOf(url)!;
      seen.notes = prebootServices.notes!({ context: s.context, value: null });
      const configure = (body: object) => httpRequest('POST', `${url}${INTERACTIVE_SETUP_PREFIX}/configure`, { body: { code, ...body } });
      seen.malformed = await configure({ hots: es });
      seen.remote = await configure({ host: 'http://example.com:9200' });
      seen.unreachable = await configure({ host: `http://127.0.0.1:${await closedPort()}` });
      expect(actor.getSnapshot().matches({ preboot: 'awaitingSetupHolds' })).toBe(true);
      seen.configured = await configure({ host: `${es}/`, username: 'kibana_system', password: 'changeme' });
      seen.again = await configure({ host: es });

      const running = await at(actor, 'running');
      seen.mainPort = running.context.mainServer!.port;
      seen.held = await held;
      const location = (seen.held as { headers: { location: string } }).headers.location;
      seen.next = await httpRequest('GET', `${url}${location}`);
      seen.app = await httpRequest('GET', `${url}${(seen.next as { headers: { location: string } }).headers.location}`);
      seen.mainStatus = json((await httpRequest('GET', `${url}/api/status`)).body);
    });

    // Preboot: status with the pending hold, 503 elsewhere, the setup page at /.
    expect(seen.status).toMatchObject({ server: 'preboot', stage: 'preboot', ready: false, pendingHolds: [{ kind: 'setup', reason: expect.stringMatching(/interactive setup/) }] });
    expect(seen.notReady).toMatchObject({ status: 503, body: `${NOT_READY}\n` });
    expect(seen.setupPage).toMatchObject({ status: 200, body: expect.stringContaining('/internal/interactive_setup/configure') });
    expect((seen.notes as string[]).join('\n')).toMatch(/verification code: \d{6} .*\n {0}to configure: curl -X POST -H 'content-type: application\/json' -d '\{"code":"\d{6}","host"/);
    // Refused details keep the hold; good ones resolve it; a second configure is a conflict.
    expect(seen.malformed).toMatchObject({ status: 400, body: expect.stringContaining('unknown field hots') });
    expect(seen.remote).toMatchObject({ status: 400, body: expect.stringContaining('not on loopback') });
    expect(seen.unreachable).toMatchObject({ status: 400, body: expect.stringContaining('ECONNREFUSED') });
    expect(seen.configured).toMatchObject({ status: 200 });
    expect(seen.again).toMatchObject({ status: 409 });
    // The config on disk, reloaded before setup.
    const config = JSON.parse(await readFile(sandbox.configPath, 'utf8'));
    expect(config.elasticsearch).toEqual({ hosts: [es], username: 'kibana_system', password: 'changeme' });
    const ctx = run.snapshot.context as PrebootContext;
    expect(ctx.configLoads).toBe(2);
    expect(ctx.config).toEqual(config);
    expect(run.visited).toContain('preboot.reloadingConfig.attempt');
    expect(ctx.components).toContain('elasticsearch');
    expect(ctx.settledHolds).toMatchObject([{ kind: 'setup', outcome: 'resolved', shouldReloadConfig: true }]);
    expect((await readFile(join(sandbox.dataDir, 'uuid'), 'utf8')).trim()).toMatch(/^[0-9a-f-]{36}$/);
    // The main server took the preboot server's port; the held request was redirected to /?next=%2Fapp, which leads to /app.
    expect(seen.mainPort).toBe(seen.prebootPort);
    expect(ctx.boundPort).toBe(seen.prebootPort);
    expect(seen.held).toMatchObject({ status: 302, headers: { location: '/?next=%2Fapp' } });
    expect(seen.next).toMatchObject({ status: 302, headers: { location: '/app' } });
    expect(seen.app).toMatchObject({ status: 200, body: expect.stringContaining('app') });
    expect(seen.mainStatus).toMatchObject({ server: 'main', stage: 'running', redirectedRequests: 1 });
    expect(ctx.redirectedRequests).toBe(1);
    // STOP released everything: the port can be bound again at once.
    expect(run.output).toMatchObject({ status: 'stopped', stopReason: 'requested', stoppedFrom: 'running', lastError: null });
    expect(getRuntime(sandbox.dataDir)).toBeUndefined();
    expect(await canBind(seen.prebootPort as number)).toBe(true);
    expect(run.checks).toBeGreaterThan(5);
  });

  it('a start hold keeps the preboot server up through setup until its file appears; a configured server skips the interactive setup', async () => {
    const es = await fakeElasticsearch();
    const runInput = input({ plugins: ['interactive-setup', 'hold-until-file:start:flags/ready'] });
    await writeFile(join(dir, 'server.json'), JSON.stringify({ elasticsearch: { hosts: [es] } }));
    runInput.configPath = join(dir, 'server.json');
    const seen: Record<string, unknown> = {};
    const run = await preboot(runInput, async (actor) => {
      const s = await at(actor, { setup: 'awaitingStartHolds' });
      const url = s.context.prebootServer!.url;
      seen.status = json((await httpRequest('GET', `${url}/api/status`)).body);
      seen.setupRoute = await httpRequest('POST', `${url}${INTERACTIVE_SETUP_PREFIX}/configure`, { body: { host: es } });
      await new Promise((r) => setTimeout(r, 100));
      expect(actor.getSnapshot().matches({ setup: 'awaitingStartHolds' })).toBe(true);
      await mkdir(join(runInput.dataDir, 'flags'), { recursive: true });
      await writeFile(join(runInput.dataDir, 'flags', 'ready'), '');
      await at(actor, 'running');
    });
    expect(seen.status).toMatchObject({ stage: 'setup', pendingHolds: [{ kind: 'start', reason: 'waiting for flags/ready to appear' }] });
    // Already configured: the interactive setup registered neither a hold nor its routes.
    expect(seen.setupRoute).toMatchObject({ status: 503 });
    const ctx = run.snapshot.context as PrebootContext;
    expect(ctx.configLoads).toBe(1);
    expect(ctx.settledHolds).toMatchObject([{ kind: 'start', outcome: 'resolved', shouldReloadConfig: false }]);
    expect(run.output).toMatchObject({ status: 'stopped', stoppedFrom: 'running' });
  });

  it('a rejected hold shuts the server down: stopped with the rejection as cause, the port free, nothing written', async () => {
    const runInput = input({ plugins: ['interactive-setup', 'reject-hold:setup:150:license expired'] });
    const run = await preboot(runInput);
    expect(run.output).toMatchObject({ status: 'failed', stopReason: 'hold-rejected', stoppedFrom: 'preboot' });
    expect(run.output.stopCause).toMatchObject({ step: 'hold:setup', kind: 'hold-rejected', message: 'checking whether the server may start: license expired' });
    expect(run.output.settledHolds).toMatchObject([{ outcome: 'rejected', message: 'license expired' }]);
    expect(run.visited.at(-1)).toBe('stopped');
    const ctx = run.snapshot.context as PrebootContext;
    expect(await canBind(ctx.boundPort!)).toBe(true);
    expect(await readFile(runInput.configPath).catch(() => null)).toBeNull();
  });

  it('STOP at preboot releases the server; a request held for an app URL is answered 503', async () => {
    const seen: Record<string, unknown> = {};
    const run = await preboot(input({ plugins: ['interactive-setup'] }), async (actor) => {
      const s = await at(actor, { preboot: 'awaitingSetupHolds' });
      const url = s.context.prebootServer!.url;
      seen.port = s.context.prebootServer!.port;
      seen.held = httpRequest('GET', `${url}/app/discover?x=1`, { timeoutMs: 10_000 });
      seen.waited = await httpRequest('GET', `${url}/app/discover`, { headers: { prefer: 'wait=0' } });
      await statusUntil(url, (st) => st.heldRequests === 1);
    });
    expect(seen.waited).toMatchObject({ status: 503, body: `${NOT_READY}\n`, headers: { 'retry-after': '30' } });
    expect(await (seen.held as Promise<unknown>)).toMatchObject({ status: 503 });
    expect(run.output).toMatchObject({ status: 'stopped', stopReason: 'requested', stoppedFrom: 'preboot' });
    expect(await canBind(seen.port as number)).toBe(true);
  });

  it('a step that keeps failing stops the run: an unknown plugin, a port already taken', async () => {
    const unknown = await preboot(input({ plugins: ['no-such-plugin'] }));
    expect(unknown.output).toMatchObject({ status: 'failed', stopReason: 'failed', stoppedFrom: 'preboot' });
    expect(unknown.output.lastError).toMatchObject({ step: 'startPrebootServer', kind: 'unknown-plugin', attempt: 3 });
    expect(unknown.output.lastError!.message).toMatch(/unknown preboot plugin "no-such-plugin"; known plugins: interactive-setup, hold-until-file/);

    const blocker = createNetServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as AddressInfo).port;
    try {
      const taken = await preboot(input({ port }));
      expect(taken.output.lastError).toMatchObject({ step: 'startPrebootServer', kind: 'EADDRINUSE', attempt: 3 });
    } finally {
      await new Promise((resolve) => blocker.close(resolve));
    }
  });
});

describe('preboot services: a stop that overtakes a start', () => {
  it('a server whose start finishes after the run was released is closed, not left open', async () => {
    const port = await closedPort();
    const starting = startPrebootServer({ host: '127.0.0.1', port, dataDir: join(dir, 'data'), configPath: join(dir, 'c.json'), config: {}, plugins: [] });
    await releaseResources({ dataDir: join(dir, 'data'), prebootServer: null, mainServer: null });
    await expect(starting).rejects.toMatchObject({ kind: 'released' });
    expect(await canBind(port)).toBe(true);
    expect(getRuntime(join(dir, 'data'))).toBeUndefined();
  });
});

describe('interactive setup: connection details', () => {
  it('accepts a loopback http(s) URL with optional credentials, and says what is wrong otherwise', () => {
    expect(parseConnectionDetails({ host: 'http://127.0.0.1:9200/' })).toEqual({ host: 'http://127.0.0.1:9200' });
    expect(parseConnectionDetails({ host: 'https://localhost:9200', username: 'u', password: 'p' })).toEqual({ host: 'https://localhost:9200', username: 'u', password: 'p' });
    expect(parseConnectionDetails([])).toMatch(/JSON object/);
    expect(parseConnectionDetails({})).toMatch(/host is required/);
    expect(parseConnectionDetails({ host: 'not a url' })).toMatch(/is not a URL/);
    expect(parseConnectionDetails({ host: 'ftp://127.0.0.1' })).toMatch(/must use http or https/);
    expect(parseConnectionDetails({ host: 'http://u:p@127.0.0.1:9200' })).toMatch(/credentials/);
    expect(parseConnectionDetails({ host: 'http://10.0.0.1:9200' })).toMatch(/not on loopback/);
    expect(parseConnectionDetails({ host: 'http://127.0.0.1:9200', username: 1 })).toMatch(/username must be a string/);
  });
});
