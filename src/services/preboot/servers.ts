/**
 * The preboot and main servers of a run, kept in a registry by data dir (one run per data dir) and by server id
 * (the machine holds `ServerHandle`s; the services find the live servers through them).
 *
 * - Preboot server: `GET /api/status` (stage, pending and settled holds), the plugins' routes, and for every other
 *   route 503 "server is not ready yet". A request for an app URL (`/app/...`) is remembered: it is held open and,
 *   once the main server runs on the same port, answered `302 /?next=<original>`. A client that does not want to
 *   wait says `Prefer: wait=<seconds>` (RFC 7240) and gets the 503 after that long (at once with `wait=0`).
 * - Main server, on the preboot server's host and port: `GET /api/status`, `/app/...` (200), and `/?next=<path>`,
 *   which sends the client on to where it wanted to go.
 * - Release: every server closed, every socket destroyed, every request still held answered 503: the port is free
 *   when `releaseResources` resolves.
 */
import { randomUUID } from 'node:crypto';
import { mkdir, readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type {
  Hold,
  PrebootContext,
  PrebootStage,
  ReleaseResourcesInput,
  ReleaseResourcesOutput,
  ServerHandle,
  SetupServicesInput,
  SetupServicesOutput,
  StartMainServerInput,
  StartMainServerOutput,
  StartPrebootServerInput,
  StartPrebootServerOutput,
  StopPrebootServerInput,
  StopPrebootServerOutput,
} from '../../../machines/preboot.ts';
import { writeFileAtomic } from '../../io/atomic-write.ts';
import { serviceError } from '../install/fs.ts';
import { elasticsearchOf } from './config.ts';
import { HoldRegistry } from './holds.ts';
import { isAppUrl, isSafeNext, listen, nextRedirect, preferredWait, readJsonBody, sendJson, sendText, type TrackedServer } from './http.ts';
import { createPlugins, type PrebootPlugin, type RouteHandler } from './plugins.ts';

export const NOT_READY = 'server is not ready yet';

/** An app-URL request that arrived at preboot, held open until the main server runs. */
interface HeldRequest {
  original: string;
  res: ServerResponse;
  socket: Socket;
  timer?: NodeJS.Timeout;
}

interface PrebootServer {
  id: string;
  server: TrackedServer;
  holds: HoldRegistry;
  plugins: PrebootPlugin[];
  routes: Map<string, RouteHandler>;
  held: Set<HeldRequest>;
}

interface MainServer {
  id: string;
  server: TrackedServer;
}

/** Everything one run (one data dir) has open. */
export interface PrebootRuntime {
  dataDir: string;
  /** The stage as the services know it (the status endpoint reports it). */
  stage: PrebootStage | 'stopped';
  preboot: PrebootServer | null;
  main: MainServer | null;
  /** App-URL requests handed over from the stopped preboot server to the main server. */
  handover: HeldRequest[];
  /** Held requests answered with `/?next=<original>`. */
  redirected: number;
  /** Requests handed over by a preboot server whose process died before the main server could answer them. */
  lost: number;
  components: string[];
  uuid: string | null;
}

const runtimes = new Map<string, PrebootRuntime>();
const byServerId = new Map<string, PrebootRuntime>();

function runtimeFor(dataDir: string): PrebootRuntime {
  const key = resolve(dataDir);
  let runtime = runtimes.get(key);
  if (!runtime) {
    runtime = { dataDir: key, stage: 'preboot', preboot: null, main: null, handover: [], redirected: 0, lost: 0, components: [], uuid: null };
    runtimes.set(key, runtime);
  }
  return runtime;
}

/** The data dirs of the runs that have something open in this process (for tests' clean-up). */
export function openRuns(): string[] {
  return [...runtimes.keys()];
}

/**
 * A server's id: its kind and the port it listens on (`preboot-5601`, `main-5601`), which names it while it runs and
 * is the same on every run of the same input; a second server of the same kind on the same port (another loopback
 * address) gets `-2`, `-3`.
 */
function serverId(kind: 'preboot' | 'main', port: number): string {
  const base = `${kind}-${port}`;
  let id = base;
  for (let n = 2; byServerId.has(id); n++) id = `${base}-${n}`;
  return id;
}

/**
 * Failures armed for the next run of a step of one run: how the generated suites make the steps fail for which no
 * state of the world does (closing a server, releasing a run). Unarmed, they cost a map look-up.
 */
const faultPoints = new Map<string, Error>();
type FaultPoint = 'stopPrebootServer' | 'releaseResources';

/** Makes the next `step` of the run of `dataDir` throw `error` (once). */
export function armFaultPoint(step: FaultPoint, dataDir: string, error: Error): void {
  faultPoints.set(`${step}\0${resolve(dataDir)}`, error);
}

/** Disarms every fault point of the run of `dataDir`. */
export function disarmFaultPoints(dataDir: string): void {
  for (const step of ['stopPrebootServer', 'releaseResources'] as const) faultPoints.delete(`${step}\0${resolve(dataDir)}`);
}

function faultPoint(step: FaultPoint, dataDir: string): void {
  if (faultPoints.size === 0) return;
  const key = `${step}\0${resolve(dataDir)}`;
  const error = faultPoints.get(key);
  if (!error) return;
  faultPoints.delete(key);
  throw error;
}

/** The run of a data dir, if one has anything open (for invariants and tests). */
export function getRuntime(dataDir: string): PrebootRuntime | undefined {
  return runtimes.get(resolve(dataDir));
}

/** The hold registry of a live preboot server. */
export function holdRegistryOf(serverId: string): HoldRegistry | null {
  const preboot = byServerId.get(serverId)?.preboot;
  return preboot && preboot.id === serverId ? preboot.holds : null;
}

const handle = (id: string, server: TrackedServer): ServerHandle => ({ id, url: server.url, port: server.port });

/**
 * A start still in flight when the run was released (STOP arrived meanwhile: the machine left the step, and
 * `releaseResources` found nothing yet) must not keep its server: nothing would ever close it.
 */
function assertNotReleased(runtime: PrebootRuntime): void {
  if (runtimes.get(runtime.dataDir) !== runtime) throw serviceError('released', `the run of ${runtime.dataDir} was stopped while a server started`);
}

// ─────────────────────────────────────────── preboot ────────────────────────────────────────────

/** Answers a held request; resolves once the answer is flushed (or the client is gone). */
function answerHeld(held: HeldRequest, status: 302 | 503, location?: string): Promise<void> {
  clearTimeout(held.timer);
  const { res } = held;
  if (res.writableEnded || res.destroyed) return Promise.resolve();
  const flushed = new Promise<void>((done) => {
    res.once('finish', done);
    res.once('close', done);
  });
  if (status === 302) sendText(res, 302, `redirecting to ${location}\n`, { location: location!, connection: 'close' });
  else sendText(res, 503, `${NOT_READY}\n`, { 'retry-after': '30', connection: 'close' });
  return flushed;
}

function prebootStatus(runtime: PrebootRuntime, preboot: PrebootServer) {
  const holds = preboot.holds.list();
  return {
    server: 'preboot',
    stage: runtime.stage,
    ready: false,
    message: NOT_READY,
    pendingHolds: holds.filter((h) => h.state === 'pending').map(({ id, kind, reason }) => ({ id, kind, reason })),
    settledHolds: holds.filter((h) => h.state !== 'pending').map(({ id, kind, reason, state, message }) => ({ id, kind, reason, outcome: state, message })),
    heldRequests: preboot.held.size,
  };
}

/** The `Host` values this server answers to: its own address (DNS rebinding aims another name at it). */
function allowedHosts(server: TrackedServer): Set<string> | null {
  const loopback = /^(127(?:\.\d{1,3}){3}|localhost|::1)$/i.test(server.host);
  if (!loopback) return null; // bound beyond loopback on purpose: any name may reach it
  return new Set([`127.0.0.1:${server.port}`, `localhost:${server.port}`, `[::1]:${server.port}`, `${server.host.includes(':') ? `[${server.host}]` : server.host}:${server.port}`.toLowerCase()]);
}

/**
 * Why a request may not reach the preboot server, or null: a `Host` that is not this server (421), and for a POST a
 * foreign `Origin` (403: another site open in the browser) or a body that is not JSON (415: a form or `text/plain`
 * needs no CORS preflight, so a cross-site page could send one).
 */
function refusal(server: TrackedServer, req: IncomingMessage): { status: number; error: string } | null {
  const hosts = allowedHosts(server);
  const host = String(req.headers.host ?? '').toLowerCase();
  if (hosts && !hosts.has(host)) return { status: 421, error: `unknown Host ${JSON.stringify(host.slice(0, 100))}: use ${server.url}` };
  const origin = req.headers.origin;
  if (origin !== undefined && origin !== `http://${host}`) return { status: 403, error: `requests from another origin (${origin.slice(0, 100)}) are refused` };
  if (req.method === 'POST' && !/^application\/json\s*(;|$)/i.test(String(req.headers['content-type'] ?? '')))
    return { status: 415, error: 'the body must be JSON: send content-type: application/json' };
  return null;
}

async function handlePreboot(runtime: PrebootRuntime, preboot: PrebootServer, req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
  const method = req.method ?? 'GET';
  const refused = refusal(preboot.server, req);
  if (refused) {
    req.resume();
    return sendJson(res, refused.status, { error: refused.error }, { connection: 'close' });
  }
  if (method === 'GET' && url.pathname === '/api/status') return sendJson(res, 200, prebootStatus(runtime, preboot));
  const route = preboot.routes.get(`${method} ${url.pathname}`);
  if (route) {
    let body: unknown;
    if (method === 'POST') {
      try {
        body = await readJsonBody(req);
      } catch (error) {
        return sendJson(res, (error as { status?: number }).status ?? 400, { error: (error as Error).message });
      }
    }
    const answer = await route({ url, headers: req.headers, body });
    return typeof answer.body === 'string' ? sendText(res, answer.status, answer.body) : sendJson(res, answer.status, answer.body);
  }
  if (method === 'GET' && isAppUrl(url.pathname)) {
    const wait = preferredWait(req.headers);
    if (wait === 0) return sendText(res, 503, `${NOT_READY}\n`, { 'retry-after': '30' });
    const held: HeldRequest = { original: `${url.pathname}${url.search}`, res, socket: req.socket };
    preboot.held.add(held);
    res.on('close', () => {
      clearTimeout(held.timer);
      preboot.held.delete(held);
    });
    if (wait !== null) held.timer = setTimeout(() => void answerHeld(held, 503), wait * 1000);
    return;
  }
  return sendText(res, 503, `${NOT_READY}\n`, { 'retry-after': '30' });
}

const joinPath = (prefix: string, path: string) => `/${[prefix, path].join('/').split('/').filter(Boolean).join('/')}`;

/**
 * Binds the preboot server and sets the preboot plugins up; returns the server and every hold registered meanwhile.
 * Plugins are created (names checked) before anything binds; a plugin whose setup throws closes the server again.
 */
export async function startPrebootServer(input: StartPrebootServerInput): Promise<StartPrebootServerOutput> {
  const runtime = runtimeFor(input.dataDir);
  // Already up (a retried or repeated start): the same server and its holds.
  const preboot = runtime.preboot ?? (await openPrebootServer(runtime, input));
  return { server: handle(preboot.id, preboot.server), holds: preboot.holds.list().map(({ id, kind, reason }): Hold => ({ id, kind, reason })) };
}

/** Opens the preboot server: with the id it had (`restoreServers`), else one from its port. */
async function openPrebootServer(runtime: PrebootRuntime, input: StartPrebootServerInput, savedId?: string): Promise<PrebootServer> {
  const plugins = createPlugins(input.plugins);
  await mkdir(input.dataDir, { recursive: true });
  // The handler is bound before the plugins' routes exist: a request meanwhile gets the 503 of a missing route.
  let preboot: PrebootServer | null = null;
  const server = await listen(input.host, input.port, (req, res, url) =>
    preboot ? handlePreboot(runtime, preboot, req, res, url) : sendText(res, 503, `${NOT_READY}\n`),
  );
  const id = savedId ?? serverId('preboot', server.port);
  const current: PrebootServer = { id, server, holds: new HoldRegistry(), plugins, routes: new Map(), held: new Set() };
  try {
    assertNotReleased(runtime);
    for (const plugin of plugins) {
      await plugin.setup({
        dataDir: input.dataDir,
        configPath: input.configPath,
        config: input.config,
        http: {
          baseUrl: server.url,
          registerRoutes(prefix, register) {
            register({
              get: (path, h) => current.routes.set(`GET ${joinPath(prefix, path)}`, h),
              post: (path, h) => current.routes.set(`POST ${joinPath(prefix, path)}`, h),
            });
          },
        },
        preboot: {
          isSetupOnHold: () => current.holds.isOnHold('setup'),
          isStartOnHold: () => current.holds.isOnHold('start'),
          holdSetupUntilResolved: (reason, promise) => void current.holds.hold(plugin.name, 'setup', reason, promise),
          holdStartUntilResolved: (reason, promise) => void current.holds.hold(plugin.name, 'start', reason, promise),
        },
      });
    }
    assertNotReleased(runtime);
  } catch (error) {
    current.holds.close();
    await Promise.allSettled(plugins.map((p) => p.stop?.()));
    await server.close();
    throw error;
  }
  preboot = current;
  runtime.preboot = current;
  runtime.stage = 'preboot';
  byServerId.set(id, runtime);
  return current;
}

/** Stops the preboot plugins and the preboot server; held app-URL requests are handed over to the main server. */
async function closePreboot(runtime: PrebootRuntime, handOver: boolean): Promise<number> {
  const preboot = runtime.preboot;
  if (!preboot) return 0;
  runtime.preboot = null;
  byServerId.delete(preboot.id);
  preboot.holds.close();
  await Promise.allSettled(preboot.plugins.map((p) => p.stop?.()));
  const held = [...preboot.held].filter((h) => !h.res.destroyed);
  if (handOver) runtime.handover.push(...held);
  else await Promise.all(held.map((h) => answerHeld(h, 503)));
  await preboot.server.close(new Set(handOver ? held.map((h) => h.socket) : []));
  return held.length;
}

/** The `stopPrebootServer` service. Idempotent: a server already gone hands over nothing more. */
export async function stopPrebootServer(input: StopPrebootServerInput): Promise<StopPrebootServerOutput> {
  const runtime = byServerId.get(input.server.id);
  if (!runtime) return { redirectedRequests: 0 };
  faultPoint('stopPrebootServer', runtime.dataDir);
  runtime.stage = 'start';
  const handedOver = await closePreboot(runtime, true);
  return { redirectedRequests: handedOver };
}

// ──────────────────────────────────────────── setup ─────────────────────────────────────────────

/**
 * The setup stage: the server's identity (`<dataDir>/uuid`, created once and kept, as Kibana's server uuid) and the
 * standard services the config enables. Idempotent.
 */
export async function setupServices(input: SetupServicesInput): Promise<SetupServicesOutput> {
  const runtime = runtimeFor(input.dataDir);
  await mkdir(input.dataDir, { recursive: true });
  const uuidPath = join(input.dataDir, 'uuid');
  let uuid = (await readFile(uuidPath, 'utf8').catch(() => '')).trim();
  if (!/^[0-9a-f-]{36}$/.test(uuid)) {
    uuid = randomUUID();
    try {
      writeFileAtomic(uuidPath, `${uuid}\n`);
    } catch (error) {
      // In the words of the one-line error (what is wrong with the path), of its errno kind (what retries match on).
      throw serviceError(String((error as { code?: unknown }).code ?? 'setup-failed'), (error as Error).message);
    }
  }
  const components = ['uuid', 'http', 'status', ...(elasticsearchOf(input.config) ? ['elasticsearch'] : [])];
  runtime.uuid = uuid;
  runtime.components = components;
  if (runtime.stage === 'preboot') runtime.stage = 'setup';
  return { components };
}

// ──────────────────────────────────────────── main ──────────────────────────────────────────────

function handleMain(runtime: PrebootRuntime, req: IncomingMessage, res: ServerResponse, url: URL): void {
  if (req.method !== 'GET' && req.method !== 'HEAD') return sendJson(res, 405, { error: `${req.method} is not allowed` });
  if (url.pathname === '/api/status') {
    return sendJson(res, 200, {
      server: 'main',
      stage: runtime.stage,
      ready: runtime.stage === 'running',
      uuid: runtime.uuid,
      components: runtime.components,
      redirectedRequests: runtime.redirected,
      lostRequests: runtime.lost,
    });
  }
  if (url.pathname === '/') {
    const next = url.searchParams.get('next');
    if (next !== null && isSafeNext(next)) return sendText(res, 302, `redirecting to ${next}\n`, { location: next });
    return sendText(res, 200, '<!doctype html>\n<html><body><h1>Home</h1></body></html>\n');
  }
  if (isAppUrl(url.pathname)) {
    const app = url.pathname.split('/')[2] || 'home';
    return sendText(res, 200, `<!doctype html>\n<html><body><h1>${app.replace(/[^\w-]/g, '')} app</h1></body></html>\n`);
  }
  return sendJson(res, 404, { error: `${url.pathname} not found` });
}

/**
 * The start stage: binds the main server on the preboot server's host and port, then answers the app-URL requests
 * handed over from preboot with `302 /?next=<original>` (the redirect lands on this very server). Idempotent.
 */
export async function startMainServer(input: StartMainServerInput): Promise<StartMainServerOutput> {
  const runtime = runtimeFor(input.dataDir);
  const main = runtime.main ?? (await openMainServer(runtime, input.host, input.port, undefined, input.components));
  const handedOver = runtime.handover.splice(0).filter((held) => !held.res.destroyed);
  runtime.redirected += handedOver.length;
  await Promise.all(handedOver.map((held) => answerHeld(held, 302, nextRedirect(held.original))));
  return { server: handle(main.id, main.server) };
}

/**
 * Binds the main server. Its identity (components, uuid) comes from the machine and the data dir, not only from
 * `setupServices` in this process: a resumed run may have set up in the process that died.
 */
async function openMainServer(runtime: PrebootRuntime, host: string, port: number, savedId: string | undefined, components: string[]): Promise<MainServer> {
  runtime.components = components;
  runtime.uuid ??= await readUuid(runtime.dataDir);
  const server = await listen(host, port, (req, res, url) => handleMain(runtime, req, res, url));
  try {
    assertNotReleased(runtime);
  } catch (error) {
    await server.close();
    throw error;
  }
  const id = savedId ?? serverId('main', server.port);
  runtime.main = { id, server };
  runtime.stage = 'running';
  byServerId.set(id, runtime);
  return runtime.main;
}

async function readUuid(dataDir: string): Promise<string | null> {
  return (await readFile(join(dataDir, 'uuid'), 'utf8').catch(() => '')).trim() || null;
}

// ─────────────────────────────────────────── restore ────────────────────────────────────────────

/**
 * Opens again, in this process, the servers a saved state says are up: a run resumed after its process died (a
 * crash, SIGKILL) lost them with that process. Each comes back with the id and port the machine holds, so the
 * handles in its context, the `/?next=` redirects handed out, and clients that know the URL stay valid; the
 * preboot plugins set up again, registering their holds under the ids they had (a pending hold no plugin registers
 * again is recorded as resolved when its plugin runs but has nothing left to wait for, as rejected when its plugin
 * is gone: nothing would ever resolve it). Nothing to do while stopping (releasing is what
 * is left) or when the servers are still up in this process. Throws when a port cannot be bound again.
 */
export async function restoreServers(context: PrebootContext): Promise<void> {
  if (context.stage === 'stop') return;
  const runtime = runtimeFor(context.dataDir);
  const where = (h: ServerHandle) => `${context.host}:${h.port}`;
  try {
    if (context.prebootServer && !runtime.preboot) {
      const saved = context.prebootServer;
      const preboot = await openPrebootServer(
        runtime,
        { host: context.host, port: saved.port, dataDir: context.dataDir, configPath: context.configPath, config: context.config ?? {}, plugins: context.plugins },
        saved.id,
      ).catch((error: Error) => {
        throw new Error(`the preboot server cannot start again on ${where(saved)}: ${error.message}`);
      });
      const known = new Set(preboot.holds.list().map((h) => h.id));
      const running = new Set(preboot.plugins.map((p) => p.name));
      for (const hold of context.holds) {
        if (known.has(hold.id)) continue;
        // Its plugin runs again but holds nothing now: what it waited for happened meanwhile (the file appeared,
        // the connection was configured). A plugin no longer in the run would never settle it.
        const owner = hold.id.slice(0, hold.id.lastIndexOf('#'));
        if (running.has(owner)) preboot.holds.settleUnheld(hold, 'resolved', 'its preboot plugin no longer holds it after the run resumed');
        else preboot.holds.settleUnheld(hold, 'rejected', 'no preboot plugin registered this hold again after the run resumed');
      }
    }
    // Handed over (the machine counted them) but never answered: their sockets died with the process.
    if (context.stage === 'start' && !context.prebootServer && !context.mainServer) runtime.lost = context.redirectedRequests;
    if (context.mainServer && !runtime.main) {
      const saved = context.mainServer;
      runtime.redirected = context.redirectedRequests;
      await openMainServer(runtime, context.host, saved.port, saved.id, context.components).catch((error: Error) => {
        throw new Error(`the main server cannot start again on ${where(saved)}: ${error.message}`);
      });
    }
  } catch (error) {
    // All or nothing: a half-restored run would hold a port the failed resume never releases.
    await releaseResources({ dataDir: context.dataDir, prebootServer: null, mainServer: null });
    throw error;
  }
  runtime.stage = context.stage;
}

// ─────────────────────────────────────────── release ────────────────────────────────────────────

/**
 * Closes everything the run of `dataDir` has open — the preboot server and its plugins, the main server, every
 * socket, every held request (answered 503) — and forgets the run. Idempotent; the port is free when it resolves.
 */
export async function releaseResources(input: ReleaseResourcesInput): Promise<ReleaseResourcesOutput> {
  faultPoint('releaseResources', input.dataDir);
  const released: string[] = [];
  const runtime = runtimes.get(resolve(input.dataDir));
  if (runtime) {
    runtime.stage = 'stop';
    const preboot = runtime.preboot;
    if (preboot) {
      const held = await closePreboot(runtime, false);
      released.push(`preboot server ${preboot.server.url}`, ...(held > 0 ? [`${held} held request(s) answered 503`] : []));
    }
    for (const held of runtime.handover.splice(0)) {
      await answerHeld(held, 503);
      held.socket.destroy();
      released.push(`held request ${held.original} answered 503`);
    }
    if (runtime.main) {
      const main = runtime.main;
      runtime.main = null;
      byServerId.delete(main.id);
      await main.server.close();
      released.push(`main server ${main.server.url}`);
    }
    runtime.stage = 'stopped';
    runtimes.delete(runtime.dataDir);
  }
  // Handles the machine still holds but that belong to no known run (nothing to do beyond forgetting them).
  for (const h of [input.prebootServer, input.mainServer]) if (h) byServerId.delete(h.id);
  return { released };
}

/**
 * Closes every run in this process (`dispose`: a run's end, tests' afterEach), and makes sure it did: a server still
 * listening or a run not forgotten afterwards would keep the process from exiting, and throws, naming it.
 */
export async function releaseAll(): Promise<void> {
  const servers = [...runtimes.values()].flatMap((r) => [r.preboot?.server, r.main?.server]).filter((s): s is TrackedServer => s !== undefined);
  for (const runtime of [...runtimes.values()]) await releaseResources({ dataDir: runtime.dataDir, prebootServer: null, mainServer: null });
  const left = [
    ...servers.filter((s) => s.server.listening).map((s) => `a server on ${s.url}`),
    ...[...runtimes.keys()].map((dataDir) => `the run of ${dataDir}`),
    ...(byServerId.size > 0 ? [`server id(s) ${[...byServerId.keys()].join(', ')}`] : []),
  ];
  if (left.length > 0) throw new Error(`releasing every run of this process left ${left.join(', ')} open`);
}

/** For a watcher started without a live server (e.g. after a resume in a new process). */
export function serverGone(serverId: string): Error {
  return serviceError('server-gone', `preboot server ${JSON.stringify(serverId)} is not running in this process (its run must start again)`);
}
