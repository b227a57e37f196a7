/**
 * Per-state invariants of the preboot lifecycle: checks of the real servers (over HTTP on loopback) and files that
 * must hold whenever the machine is in a state. Each returns the violations it finds, one sentence each.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { PrebootContext, PrebootInput } from '../../../machines/preboot.ts';
import type { Invariant, InvariantProbe } from '../types.ts';
import { elasticsearchOf, readConfig } from './config.ts';
import { httpRequest, isListening } from './http.ts';
import { createActor, setup, type EventObject } from 'xstate';
import { getRuntime, holdRegistryOf, NOT_READY } from './servers.ts';
import { watchHolds } from './watch.ts';

type Probe = InvariantProbe<PrebootInput, PrebootContext>;
type Check = Invariant<PrebootInput, PrebootContext>;

async function getJson(url: string): Promise<{ status: number; body: Record<string, unknown> } | string> {
  try {
    const answer = await httpRequest('GET', url, { timeoutMs: 2000 });
    return { status: answer.status, body: JSON.parse(answer.body) as Record<string, unknown> };
  } catch (error) {
    return `GET ${url} failed: ${(error as Error).message}`;
  }
}

/** The live servers of the run are exactly the ones the machine names (same id, URL and port), and no other. */
function serversAsNamed(probe: Probe): string[] {
  const { prebootServer, mainServer } = probe.context;
  const runtime = getRuntime(probe.input.dataDir);
  const problems: string[] = [];
  const live = { preboot: runtime?.preboot ? handleOf(runtime.preboot.id, runtime.preboot.server) : null, main: runtime?.main ? handleOf(runtime.main.id, runtime.main.server) : null };
  for (const [kind, named] of [['preboot', prebootServer], ['main', mainServer]] as const) {
    const up = live[kind];
    if (named && !up) problems.push(`the machine names the ${kind} server ${named.id}, but the run has no ${kind} server`);
    else if (!named && up) problems.push(`the run has a ${kind} server ${up.id} (${up.url}) the machine does not name`);
    else if (named && up && JSON.stringify(named) !== JSON.stringify(up)) problems.push(`the machine names the ${kind} server ${JSON.stringify(named)}, the live one is ${JSON.stringify(up)}`);
  }
  if (prebootServer && !holdRegistryOf(prebootServer.id)) problems.push(`the hold registry of ${prebootServer.id} cannot be found by its id`);
  return problems;
}

const handleOf = (id: string, server: { url: string; port: number }) => ({ id, url: server.url, port: server.port });

/**
 * The preboot server answers its status endpoint (stage, holds as the machine has them), 503 elsewhere, and 503 for
 * an app URL to a client that will not wait; it listens on the port the machine bound.
 */
async function prebootServerUp(probe: Probe): Promise<string[]> {
  const server = probe.context.prebootServer;
  if (!server) return ['the machine holds no preboot server'];
  const problems: string[] = serversAsNamed(probe);
  if (server.port !== probe.context.boundPort) problems.push(`the preboot server listens on ${server.port}, the machine bound ${probe.context.boundPort}`);
  if (probe.context.port !== 0 && server.port !== probe.context.port) problems.push(`the preboot server listens on ${server.port}, the run asked for ${probe.context.port}`);
  const status = await getJson(`${server.url}/api/status`);
  if (typeof status === 'string') return [...problems, status];
  if (status.status !== 200 || status.body.server !== 'preboot') problems.push(`GET /api/status answered ${status.status} from ${String(status.body.server)}, expected 200 from the preboot server`);
  const stage = probe.context.stage === 'setup' && probe.context.lastSucceededStep !== 'setupServices' ? null : probe.context.stage;
  if (stage !== null && status.body.stage !== stage) problems.push(`the preboot server says stage ${String(status.body.stage)}, the machine is in ${stage}`);
  problems.push(...holdsAsKnown(probe, status.body));
  for (const [path, headers] of [['/api/saved_objects', {}], ['/app/home', { prefer: 'wait=0' }]] as const) {
    const answer = await httpRequest('GET', `${server.url}${path}`, { headers, timeoutMs: 2000 }).catch((e: Error) => e);
    if (answer instanceof Error) problems.push(`GET ${path} failed: ${answer.message}`);
    else if (answer.status !== 503 || !answer.body.includes(NOT_READY)) problems.push(`GET ${path} at preboot answered ${answer.status} ${JSON.stringify(answer.body.trim())}, expected 503 "${NOT_READY}"`);
  }
  return problems;
}

/**
 * The holds the server reports agree with the machine's: every hold the machine waits for is one the server has (it
 * may have settled already, its report still on the way), no hold the machine saw settle settled otherwise on the
 * server, and once the machine is past preboot no setup hold it never heard of is pending on the server (it went on
 * while a plugin holds it; a server restored after a crash holds setup again for holds the machine saw settle).
 */
function holdsAsKnown(probe: Probe, body: Record<string, unknown>): string[] {
  const problems: string[] = [];
  const pending = new Map(((body.pendingHolds as { id: string; kind: string }[]) ?? []).map((h) => [h.id, h]));
  const settled = new Map(((body.settledHolds as { id: string; outcome: string; message: string | null }[]) ?? []).map((h) => [h.id, h]));
  for (const hold of probe.context.holds) {
    if (!pending.has(hold.id) && !settled.has(hold.id)) problems.push(`the pending hold ${hold.id} is unknown to the preboot server`);
  }
  // (A server restored after a crash registers its plugins' holds again: pending again, not yet settled.)
  for (const hold of probe.context.settledHolds) {
    const there = settled.get(hold.id);
    if (there && there.outcome !== hold.outcome) problems.push(`the hold ${hold.id} ${hold.outcome} in the machine is ${there.outcome} on the preboot server`);
  }
  for (const id of pending.keys()) if (settled.has(id)) problems.push(`the preboot server reports the hold ${id} both pending and ${settled.get(id)!.outcome}`);
  if (probe.context.stage !== 'preboot') {
    const seen = new Set([...probe.context.holds, ...probe.context.settledHolds].map((h) => h.id));
    for (const [id, hold] of pending) if (hold.kind === 'setup' && !seen.has(id)) problems.push(`the machine is past preboot while the preboot server holds setup (${id}), a hold it never heard of`);
  }
  return problems;
}

/** The config the machine holds is the one on disk. */
async function configMatchesDisk(probe: Probe): Promise<string[]> {
  const onDisk = await readConfig(probe.input.configPath).catch((e: Error) => e);
  if (onDisk instanceof Error) return [`the config cannot be read: ${onDisk.message}`];
  return JSON.stringify(onDisk) === JSON.stringify(probe.context.config) ? [] : [`the config in the machine differs from ${probe.input.configPath}`];
}

/**
 * Set up: the server's identity is on disk (a uuid, kept), and the components are those the config enables (the
 * Elasticsearch client only with a connection), as the services know them.
 */
async function setUp(probe: Probe): Promise<string[]> {
  const path = join(probe.input.dataDir, 'uuid');
  const uuid = (await readFile(path, 'utf8').catch(() => '')).trim();
  const problems = /^[0-9a-f-]{36}$/.test(uuid) ? [] : [`${path} holds no server uuid (${JSON.stringify(uuid.slice(0, 40))}) after setup`];
  const { components, config } = probe.context;
  if (components.length === 0) problems.push('no component was set up');
  for (const c of ['uuid', 'http', 'status']) if (!components.includes(c)) problems.push(`the ${c} service was not set up (components: ${components.join(', ')})`);
  if (components.includes('elasticsearch') !== !!elasticsearchOf(config ?? {})) problems.push(`the elasticsearch service is ${components.includes('elasticsearch') ? '' : 'not '}set up, but the config ${elasticsearchOf(config ?? {}) ? 'names' : 'names no'} connection`);
  const runtime = getRuntime(probe.input.dataDir);
  if (runtime && runtime.uuid !== null && runtime.uuid !== uuid) problems.push(`the server's uuid is ${runtime.uuid}, ${path} holds ${uuid}`);
  return problems;
}

/** Between the preboot and the main server: neither is up, and the app-URL requests handed over wait for the main one. */
function betweenServers(probe: Probe): string[] {
  const runtime = getRuntime(probe.input.dataDir);
  const problems: string[] = [];
  if (probe.context.prebootServer !== null || runtime?.preboot) problems.push('the preboot server is still up while the main server starts');
  if (runtime?.main && !probe.context.mainServer) problems.push(`a main server ${runtime.main.id} is up that the machine does not name`);
  if (runtime && !runtime.main && runtime.stage !== 'start') problems.push(`the services say stage ${runtime.stage} between the preboot and the main server, expected start`);
  // Handed over in a process that died are lost (their sockets died with it), not waiting.
  const waiting = (runtime?.handover ?? []).filter((h) => !h.res.destroyed).length;
  const lost = runtime?.lost ?? 0;
  if (waiting + lost !== probe.context.redirectedRequests) problems.push(`${waiting} handed-over request(s) wait for the main server (${lost} lost in a crash), the preboot server handed over ${probe.context.redirectedRequests}`);
  return problems;
}

/** The main server answers on the port the preboot server had, as the run set it up, and redirected what preboot held. */
async function mainServerUp(probe: Probe): Promise<string[]> {
  const { mainServer, boundPort, redirectedRequests } = probe.context;
  if (!mainServer) return ['the machine holds no main server'];
  const problems: string[] = serversAsNamed(probe);
  if (mainServer.port !== boundPort) problems.push(`the main server listens on ${mainServer.port}, the preboot server had ${boundPort}`);
  const status = await getJson(`${mainServer.url}/api/status`);
  if (typeof status === 'string') return [...problems, status];
  if (status.status !== 200 || status.body.server !== 'main' || status.body.stage !== 'running') problems.push(`GET /api/status answered ${status.status} ${JSON.stringify(status.body)}, expected 200 from the main server in stage running`);
  // After a crash between the hand-over and the main server's start, the handed-over requests were lost, not redirected.
  const answered = Number(status.body.redirectedRequests) + Number(status.body.lostRequests ?? 0);
  if (answered !== redirectedRequests) problems.push(`the main server redirected ${String(status.body.redirectedRequests)} held request(s) (${String(status.body.lostRequests ?? 0)} lost in a crash), the preboot server handed over ${redirectedRequests}`);
  if (JSON.stringify(status.body.components) !== JSON.stringify(probe.context.components)) problems.push(`the main server reports components ${JSON.stringify(status.body.components)}, the machine set up ${JSON.stringify(probe.context.components)}`);
  const uuid = (await readFile(join(probe.input.dataDir, 'uuid'), 'utf8').catch(() => '')).trim();
  if (status.body.uuid !== uuid) problems.push(`the main server reports uuid ${JSON.stringify(status.body.uuid)}, the data dir holds ${JSON.stringify(uuid)}`);
  const waiting = (getRuntime(probe.input.dataDir)?.handover ?? []).length;
  if (waiting > 0) problems.push(`${waiting} handed-over request(s) still wait while the main server runs`);
  const app = await httpRequest('GET', `${mainServer.url}/app/home`, { timeoutMs: 2000 }).catch((e: Error) => e);
  if (app instanceof Error || app.status !== 200) problems.push(`GET /app/home on the main server answered ${app instanceof Error ? app.message : app.status}, expected 200`);
  const next = await httpRequest('GET', `${mainServer.url}/?next=${encodeURIComponent('/app/home?tab=1')}`, { timeoutMs: 2000 }).catch((e: Error) => e);
  if (next instanceof Error || next.status !== 302 || next.headers.location !== '/app/home?tab=1') problems.push(`GET /?next=/app/home?tab=1 on the main server answered ${next instanceof Error ? next.message : `${next.status} to ${String(next.headers.location)}`}, expected 302 to /app/home?tab=1`);
  return problems;
}

/** No server of the run is up before the preboot server started (a failed start closed what it opened). */
function nothingOpenYet(probe: Probe): string[] {
  const runtime = getRuntime(probe.input.dataDir);
  const open = [runtime?.preboot && `a preboot server (${runtime.preboot.server.url})`, runtime?.main && `a main server (${runtime.main.server.url})`].filter(Boolean);
  return open.length ? [`the run has ${open.join(' and ')} open before its preboot server started`] : [];
}

/**
 * Stopped: after a release that succeeded nothing of the run is left (no server in the registry, nothing listening
 * on its port); after one that failed, what is still open is what the machine still names (it reports that).
 */
async function allReleased(probe: Probe): Promise<string[]> {
  if (probe.context.lastSucceededStep !== 'releaseResources') return serversAsNamed(probe);
  const problems: string[] = [];
  const runtime = getRuntime(probe.input.dataDir);
  if (runtime) problems.push(`the run of ${probe.input.dataDir} still has ${[runtime.preboot && 'a preboot server', runtime.main && 'a main server', runtime.handover.length > 0 && 'held requests'].filter(Boolean).join(', ') || 'state'} open`);
  if (probe.context.prebootServer || probe.context.mainServer) problems.push('the machine still names a server after releasing everything');
  for (const h of [probe.context.prebootServer, probe.context.mainServer]) if (h && holdRegistryOf(h.id)) problems.push(`the server ${h.id} can still be found by its id`);
  const port = probe.context.boundPort;
  if (port !== null && (await isListening(probe.context.host, port))) problems.push(`something still listens on ${probe.context.host}:${port}`);
  return problems;
}

/**
 * A watcher of the preboot server's holds is what the machine learns holds from: a new one first hears the whole
 * history (every registration, then its settlement), in order, so that holds registered or settled before it
 * started are not lost; stopped, it no longer hears anything (it detaches from the registry). Checked with a watcher
 * of its own, started and stopped here (the machine's watchers are left alone).
 */
async function watcherHearsHistory(probe: Probe): Promise<string[]> {
  const serverId = probe.context.prebootServer?.id;
  const registry = serverId ? holdRegistryOf(serverId) : null;
  if (!serverId || !registry) return [];
  const before = registry.watcherCount();
  const expected = JSON.stringify(registry.history());
  const heard: EventObject[] = [];
  const parent = setup({ actors: { watchHolds } }).createMachine({
    invoke: { src: 'watchHolds', input: { serverId } },
    on: { '*': { actions: ({ event }) => void heard.push(event) } },
  });
  const actor = createActor(parent);
  actor.subscribe({ error: () => {} });
  actor.start();
  await new Promise((done) => setImmediate(done));
  // Only what the history said by now (a hold that settles meanwhile is heard as well, after it).
  const got = JSON.stringify(heard.slice(0, JSON.parse(expected).length));
  actor.stop();
  const problems: string[] = [];
  if (got !== expected) problems.push(`a new watcher of ${serverId} first heard ${got}, not the registry's history ${expected}`);
  const after = registry.watcherCount();
  if (after !== before) problems.push(`a watcher of ${serverId} stopped is still subscribed to its hold registry (${after} watchers, ${before} before it started)`);
  return problems;
}

const all =
  (...checks: Check[]): Check =>
  async (probe) =>
    (await Promise.all(checks.map((c) => c(probe)))).flat();

export const prebootInvariants: Record<string, Check> = {
  'preboot.loadingConfig': nothingOpenYet,
  'preboot.startingServer': nothingOpenYet,
  'preboot.awaitingSetupHolds': all(prebootServerUp, watcherHearsHistory),
  'preboot.checkingReload': prebootServerUp,
  'preboot.reloadingConfig': prebootServerUp,
  'setup.settingUp': prebootServerUp,
  'setup.awaitingStartHolds': all(prebootServerUp, setUp, configMatchesDisk, watcherHearsHistory),
  'start.startingMainServer': betweenServers,
  running: all(mainServerUp, setUp, configMatchesDisk),
  'stopping.backoff': serversAsNamed,
  stopped: allReleased,
};
