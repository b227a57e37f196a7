/**
 * Per-state invariants of the preboot lifecycle: checks of the real servers (over HTTP on loopback) and files that
 * must hold whenever the machine is in a state. Each returns the violations it finds, one sentence each.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { PrebootContext, PrebootInput } from '../../../machines/preboot.ts';
import type { Invariant, InvariantProbe } from '../types.ts';
import { readConfig } from './config.ts';
import { httpRequest, isListening } from './http.ts';
import { getRuntime, NOT_READY } from './servers.ts';

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

/** The preboot server answers its status endpoint, 503 elsewhere, and 503 for an app URL to a client that will not wait. */
async function prebootServerUp(probe: Probe): Promise<string[]> {
  const server = probe.context.prebootServer;
  if (!server) return ['the machine holds no preboot server'];
  const problems: string[] = [];
  const status = await getJson(`${server.url}/api/status`);
  if (typeof status === 'string') return [status];
  if (status.status !== 200 || status.body.server !== 'preboot') problems.push(`GET /api/status answered ${status.status} from ${String(status.body.server)}, expected 200 from the preboot server`);
  const known = new Set([...((status.body.pendingHolds as { id: string }[]) ?? []), ...((status.body.settledHolds as { id: string }[]) ?? [])].map((h) => h.id));
  for (const hold of probe.context.holds) if (!known.has(hold.id)) problems.push(`the pending hold ${hold.id} is unknown to the preboot server`);
  for (const [path, headers] of [['/api/saved_objects', {}], ['/app/home', { prefer: 'wait=0' }]] as const) {
    const answer = await httpRequest('GET', `${server.url}${path}`, { headers, timeoutMs: 2000 }).catch((e: Error) => e);
    if (answer instanceof Error) problems.push(`GET ${path} failed: ${answer.message}`);
    else if (answer.status !== 503 || !answer.body.includes(NOT_READY)) problems.push(`GET ${path} at preboot answered ${answer.status} ${JSON.stringify(answer.body.trim())}, expected 503 "${NOT_READY}"`);
  }
  return problems;
}

/** The config the machine holds is the one on disk. */
async function configMatchesDisk(probe: Probe): Promise<string[]> {
  const onDisk = await readConfig(probe.input.configPath).catch((e: Error) => e);
  if (onDisk instanceof Error) return [`the config cannot be read: ${onDisk.message}`];
  return JSON.stringify(onDisk) === JSON.stringify(probe.context.config) ? [] : [`the config in the machine differs from ${probe.input.configPath}`];
}

async function setUp(probe: Probe): Promise<string[]> {
  const uuid = (await readFile(join(probe.input.dataDir, 'uuid'), 'utf8').catch(() => '')).trim();
  const problems = uuid ? [] : [`${join(probe.input.dataDir, 'uuid')} was not written at setup`];
  if (probe.context.components.length === 0) problems.push('no component was set up');
  return problems;
}

/** The main server answers on the port the preboot server had, and redirected what preboot held. */
async function mainServerUp(probe: Probe): Promise<string[]> {
  const { mainServer, boundPort, redirectedRequests } = probe.context;
  if (!mainServer) return ['the machine holds no main server'];
  const problems: string[] = [];
  if (mainServer.port !== boundPort) problems.push(`the main server listens on ${mainServer.port}, the preboot server had ${boundPort}`);
  const status = await getJson(`${mainServer.url}/api/status`);
  if (typeof status === 'string') return [...problems, status];
  if (status.status !== 200 || status.body.server !== 'main' || status.body.stage !== 'running') problems.push(`GET /api/status answered ${status.status} ${JSON.stringify(status.body)}, expected 200 from the main server in stage running`);
  // After a crash between the hand-over and the main server's start, the handed-over requests were lost, not redirected.
  const answered = Number(status.body.redirectedRequests) + Number(status.body.lostRequests ?? 0);
  if (answered !== redirectedRequests) problems.push(`the main server redirected ${String(status.body.redirectedRequests)} held request(s) (${String(status.body.lostRequests ?? 0)} lost in a crash), the preboot server handed over ${redirectedRequests}`);
  const app = await httpRequest('GET', `${mainServer.url}/app/home`, { timeoutMs: 2000 }).catch((e: Error) => e);
  if (app instanceof Error || app.status !== 200) problems.push(`GET /app/home on the main server answered ${app instanceof Error ? app.message : app.status}, expected 200`);
  return problems;
}

/** Nothing of the run is left: no server in the registry, nothing listening on the port. */
async function allReleased(probe: Probe): Promise<string[]> {
  const problems: string[] = [];
  const runtime = getRuntime(probe.input.dataDir);
  if (runtime) problems.push(`the run of ${probe.input.dataDir} still has ${[runtime.preboot && 'a preboot server', runtime.main && 'a main server', runtime.handover.length > 0 && 'held requests'].filter(Boolean).join(', ') || 'state'} open`);
  const port = probe.context.boundPort;
  if (port !== null && (await isListening(probe.context.host, port))) problems.push(`something still listens on ${probe.context.host}:${port}`);
  return problems;
}

const all =
  (...checks: Check[]): Check =>
  async (probe) =>
    (await Promise.all(checks.map((c) => c(probe)))).flat();

export const prebootInvariants: Record<string, Check> = {
  'preboot.awaitingSetupHolds': prebootServerUp,
  'preboot.checkingReload': prebootServerUp,
  'preboot.reloadingConfig': prebootServerUp,
  'setup.settingUp': prebootServerUp,
  'setup.awaitingStartHolds': all(prebootServerUp, setUp, configMatchesDisk),
  'start.startingMainServer': async (probe) => {
    const runtime = getRuntime(probe.input.dataDir);
    return probe.context.prebootServer === null && !runtime?.preboot ? [] : ['the preboot server is still up while the main server starts'];
  },
  running: all(mainServerUp, setUp, configMatchesDisk),
  stopped: allReleased,
};
