/**
 * The preboot lifecycle's `scenarios` and `faults`: set-ups the generated model-based suites call just before a real
 * service runs in a sandboxed path (or before an event step a real service is to send), so that the real system
 * gives what the path says — a config file with other settings, a plugin's decision file, requests held at preboot,
 * a port already taken — instead of the path leaving the real system at the first sample a fresh sandbox would not
 * give. Each returns `false` where the sandbox cannot be made to give it (the path then goes on with the sample).
 *
 * They touch only the run's sandbox (its data dir and config file, which must lie under the path's `dir`) and the
 * loopback port of the run's input (the port the run binds); nothing outside. A scenario is given for every promise
 * service, even one with nothing to arrange: given one, the suite fails when the real output differs from the
 * sample, where without one the path would quietly leave the real system (and a service bug would go unnoticed).
 *
 * Servers of a path that ended stay open in this process (the services keep them in a registry, outside the
 * machine's actors): the first set-up of the next path closes those of sandboxes that are gone ({@link cleanUp}).
 */
import { existsSync, mkdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { isAbsolute, join, relative, resolve } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import type {
  ConfigInput,
  ConfigOutput,
  Hold,
  PrebootInput,
  ReleaseResourcesInput,
  ReleaseResourcesOutput,
  SetupServicesInput,
  SetupServicesOutput,
  StartMainServerInput,
  StartPrebootServerInput,
  StartPrebootServerOutput,
  StopPrebootServerInput,
  StopPrebootServerOutput,
} from '../../../machines/preboot.ts';
import type { ArrangeArgs, InvariantProbe, LifecycleServices } from '../types.ts';
import { elasticsearchOf } from './config.ts';
import { type HttpAnswer, httpRequest, isListening } from './http.ts';
import { fileHoldReason, fileOfHold } from './plugins.ts';
import { armFaultPoint, disarmFaultPoints, getRuntime, openRuns, releaseResources } from './servers.ts';

type Args = ArrangeArgs<PrebootInput>;
type Hooks = NonNullable<LifecycleServices<PrebootInput>['scenarios']>;
type Faults = NonNullable<LifecycleServices<PrebootInput>['faults']>;

const LOOPBACK = /^(127(?:\.\d{1,3}){3}|localhost|::1)$/i;

/** `path` lies under `dir` (the path's sandbox). */
function inside(dir: string, path: string): boolean {
  const rel = relative(resolve(dir), resolve(path));
  return rel !== '' && !rel.startsWith('..') && !isAbsolute(rel);
}

// ─────────────────────────────────────────── clean-up ───────────────────────────────────────────

/** Ports taken by a fault, by the data dir of the run they are taken for. */
const blockers = new Map<string, Server>();

async function freePort(dataDir: string): Promise<void> {
  const key = resolve(dataDir);
  const blocker = blockers.get(key);
  if (!blocker) return;
  blockers.delete(key);
  await new Promise<void>((done) => blocker.close(() => done()));
}

/**
 * Closes what earlier paths left open: the servers of runs whose sandbox was removed (the harness removes it when a
 * path ends, but cannot close servers the services keep outside the machine's actors), and the ports their faults
 * took. Runs of sandboxes that still exist are left alone.
 */
async function cleanUp(): Promise<void> {
  for (const dataDir of openRuns()) {
    if (existsSync(dataDir)) continue;
    disarmFaultPoints(dataDir);
    await releaseResources({ dataDir, prebootServer: null, mainServer: null }).catch(() => {});
  }
  for (const dataDir of [...blockers.keys()]) if (!existsSync(dataDir)) await freePort(dataDir);
  for (const dataDir of [...heldClients.keys()]) if (!existsSync(dataDir)) heldClients.delete(dataDir);
}

/**
 * Once the main server runs, the browsers a scenario held at preboot have their answer from it: `302` to
 * `/?next=<what they asked for>` (nothing else tells that the hand-over really answered them). No-op in a run no
 * scenario set up.
 */
export async function heldClientsRedirected(probe: InvariantProbe<PrebootInput>): Promise<string[]> {
  const clients = heldClients.get(resolve(probe.input.dataDir));
  if (!clients?.length) return [];
  const late = new Promise<'late'>((done) => setTimeout(() => done('late'), 2000).unref());
  const problems: string[] = [];
  for (const { original, answer } of clients) {
    const got = await Promise.race([answer, late]);
    const expected = `/?next=${encodeURIComponent(original)}`;
    if (got === 'late') problems.push(`the request for ${original} held at preboot has no answer while the main server runs`);
    else if (got instanceof Error) problems.push(`the request for ${original} held at preboot failed: ${got.message}`);
    else if (got.status !== 302 || got.headers.location !== expected) problems.push(`the request for ${original} held at preboot was answered ${got.status}${got.headers.location ? ` to ${got.headers.location}` : ''}, expected 302 to ${expected}`);
  }
  return problems;
}

/**
 * The run's own port on loopback, free of what an earlier path or fault left. Another process may hold it (the same
 * suite run twice at once, the port being fixed): it is waited for a while (a path holds it for a fraction of a
 * second), then false.
 */
async function portFree(args: Args, host: string, port: number): Promise<boolean> {
  if (!port || !LOOPBACK.test(host)) return false;
  await freePort(args.runInput.dataDir);
  const deadline = performance.now() + 3000;
  while (await isListening(host, port, 500)) {
    if (performance.now() > deadline) return false;
    await new Promise((done) => setTimeout(done, 20 + Math.floor(performance.now() % 30)));
  }
  return true;
}

// ─────────────────────────────────────────── scenarios ──────────────────────────────────────────

/** The config file holds the sample's config (none at all for `{}`: a first launch). */
async function configScenario({ input, output, dir }: Args & { output: unknown }): Promise<boolean> {
  await cleanUp();
  const { configPath } = input as ConfigInput;
  const config = (output as ConfigOutput | undefined)?.config;
  if (!config || typeof config !== 'object' || !inside(dir, configPath)) return false;
  if (Object.keys(config).length === 0) rmSync(configPath, { force: true, recursive: true });
  else {
    if (existsSync(configPath) && statSync(configPath).isDirectory()) rmSync(configPath, { recursive: true, force: true });
    // As the services write it, without their fsync (a test's set-up need not survive a power cut).
    mkdirSync(join(configPath, '..'), { recursive: true });
    writeFileSync(configPath, `${JSON.stringify(config, null, 2)}\n`);
  }
  return true;
}

/** A `hold-until-file` plugin of the input: its kind and the file it waits for (relative to the data dir). */
function filePlugins(plugins: readonly string[]): { kind: string; rel: string }[] | null {
  const out: { kind: string; rel: string }[] = [];
  for (const spec of plugins) {
    const [name, kind = '', ...file] = spec.split(':');
    if (name === 'interactive-setup') continue;
    if (name !== 'hold-until-file') return null; // timed holds: nothing here decides them
    out.push({ kind, rel: relative('.', join('.', file.join(':'))) });
  }
  return out;
}

/**
 * The holds the sample says the plugins register come from the input's plugins: a `hold-until-file` plugin holds
 * when its file is not there yet (it is removed) and holds nothing when it is (an empty one is written); the
 * interactive setup holds when the config names no Elasticsearch connection. The port is the input's own.
 */
async function startPrebootScenario(args: Args & { output: unknown }): Promise<boolean> {
  await cleanUp();
  const input = args.input as StartPrebootServerInput;
  const output = args.output as StartPrebootServerOutput;
  if (!inside(args.dir, input.dataDir) || !Array.isArray(output?.holds)) return false;
  const files = filePlugins(input.plugins);
  if (!files) return false;
  const expected = new Set(output.holds.map((h) => h.reason));
  const interactive = input.plugins.includes('interactive-setup');
  // Every hold of the sample is one a plugin of the input makes; the interactive setup's follows from the config.
  const explained = output.holds.filter((h) => files.some((f) => f.kind === h.kind && fileHoldReason(f.rel) === h.reason) || (interactive && h.id.startsWith('interactive-setup#')));
  if (explained.length !== output.holds.length) return false;
  if (interactive && output.holds.some((h) => h.id.startsWith('interactive-setup#')) === !!elasticsearchOf(input.config)) return false;
  if (getRuntime(input.dataDir)?.preboot) return true; // a repeated start: the server that is up
  if (!(await portFree(args, input.host, input.port))) return false;
  for (const f of files) {
    const path = join(input.dataDir, f.rel);
    if (!inside(args.dir, path)) return false;
    if (expected.has(fileHoldReason(f.rel))) rmSync(path, { force: true, recursive: true });
    else {
      mkdirSync(join(path, '..'), { recursive: true });
      writeFileSync(path, '');
    }
  }
  return true;
}

/** Components follow from the config (Elasticsearch only with a connection): a sample saying otherwise cannot be made. */
async function setupScenario({ input, output, dir }: Args & { output: unknown }): Promise<boolean> {
  const { dataDir, config } = input as SetupServicesInput;
  const components = (output as SetupServicesOutput | undefined)?.components;
  if (!Array.isArray(components) || components.includes('elasticsearch') !== !!elasticsearchOf(config)) return false;
  // Undo a fault of an earlier attempt (the uuid file made a folder).
  const uuid = join(dataDir, 'uuid');
  if (inside(dir, uuid) && existsSync(uuid) && statSync(uuid).isDirectory()) rmSync(uuid, { recursive: true, force: true });
  return true;
}

/** Held client requests of a run (what each asked for, and its answer), answered by the main server or the release. */
const heldClients = new Map<string, { original: string; answer: Promise<HttpAnswer | Error> }[]>();

/**
 * `redirectedRequests: n`: n browsers asked the preboot server for an app URL (`/app/...`, no `Prefer: wait`) and
 * wait, held; stopping the preboot server hands them over (the main server answers them `302 /?next=`).
 */
async function stopPrebootScenario({ input, output, runInput }: Args & { output: unknown }): Promise<boolean> {
  const { server } = input as StopPrebootServerInput;
  const n = (output as StopPrebootServerOutput | undefined)?.redirectedRequests;
  const runtime = getRuntime(runInput.dataDir);
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 0 || !runtime?.preboot || runtime.preboot.id !== server.id) return false;
  const already = runtime.preboot.held.size;
  if (already > n) return false;
  const clients = heldClients.get(runtime.dataDir) ?? [];
  for (let i = already; i < n; i++) {
    const original = `/app/dashboards?request=${i + 1}`;
    clients.push({ original, answer: httpRequest('GET', `${server.url}${original}`, { timeoutMs: 30_000 }).catch((error: Error) => error) });
  }
  heldClients.set(runtime.dataDir, clients);
  const deadline = performance.now() + 2000;
  while (runtime.preboot && runtime.preboot.held.size < n) {
    if (performance.now() > deadline) return false;
    await new Promise((done) => setTimeout(done, 5));
  }
  return runtime.preboot?.held.size === n;
}

/**
 * The main server binds the port the run's preboot server had: only a fault of an earlier attempt is freed. Found
 * taken otherwise, it is the run's own doing (a preboot server not closed), which the real start must report.
 */
async function startMainScenario(args: Args & { output: unknown }): Promise<boolean> {
  await freePort((args.input as StartMainServerInput).dataDir);
  return true;
}

/** What releasing the run gives: what it has open, in the order it is closed (a sample naming other things cannot be made). */
async function releaseScenario({ input, output }: Args & { output: unknown }): Promise<boolean> {
  const { dataDir } = input as ReleaseResourcesInput;
  const sample = (output as ReleaseResourcesOutput | undefined)?.released;
  const runtime = getRuntime(dataDir);
  const open: string[] = [];
  if (runtime?.preboot) {
    open.push(`preboot server ${runtime.preboot.server.url}`);
    const held = [...runtime.preboot.held].filter((h) => !h.res.destroyed).length;
    if (held > 0) open.push(`${held} held request(s) answered 503`);
  }
  for (const held of runtime?.handover ?? []) open.push(`held request ${held.original} answered 503`);
  if (runtime?.main) open.push(`main server ${runtime.main.server.url}`);
  return isDeepStrictEqual(open, sample);
}

/** The hold an event names, on the live preboot server of the run. */
function holdOf(args: Args, id: unknown) {
  const preboot = getRuntime(args.runInput.dataDir)?.preboot;
  return typeof id === 'string' ? preboot?.holds.list().find((h) => h.id === id) : undefined;
}

/** The event an event step's set-up is given (`event`; `output` in the harness's first relay). */
const eventOf = (args: Args & { output?: unknown; event?: unknown }) => (args.event ?? args.output) as Record<string, unknown>;

/**
 * A hold settles as the event says: its `hold-until-file` plugin finds its file, holding the decision (an empty
 * file resolves, `{"shouldReloadConfig": true}` resolves asking for a reload, `{"reject": "<message>"}` rejects). A
 * hold already settled that way needs nothing (a re-invoked watcher repeats it); one settled otherwise cannot be made.
 */
function settleScenario(outcome: 'resolved' | 'rejected') {
  return async (args: Args & { output?: unknown; event?: unknown }): Promise<boolean> => {
    const event = eventOf(args);
    const hold = holdOf(args, event.id);
    if (!hold) return false;
    const reload = outcome === 'resolved' && event.shouldReloadConfig === true;
    const message = outcome === 'rejected' ? String(event.message ?? '') : null;
    if (hold.state !== 'pending') return hold.state === outcome && hold.shouldReloadConfig === reload && (message === null || hold.message === message);
    if (reload && hold.kind !== 'setup') return false;
    const rel = fileOfHold(hold.reason);
    const path = rel === null ? null : join(args.runInput.dataDir, rel);
    if (!path || !inside(args.dir, path)) return false;
    mkdirSync(join(path, '..'), { recursive: true });
    writeFileSync(path, outcome === 'rejected' ? JSON.stringify({ reject: message }) : reload ? JSON.stringify({ shouldReloadConfig: true }) : '');
    // The plugin and the hold registry must settle it as the file says (what the watcher then reports is the
    // harness's to compare): a hold that stays pending or settles otherwise is a bug of theirs, not a sample the
    // sandbox cannot give.
    const deadline = performance.now() + 2000;
    let now = holdOf(args, hold.id);
    while (now?.state === 'pending' && performance.now() < deadline) {
      await new Promise((done) => setTimeout(done, 5));
      now = holdOf(args, hold.id);
    }
    const got = now ? `${now.state}${now.state === 'resolved' ? ` (shouldReloadConfig: ${now.shouldReloadConfig})` : now.state === 'rejected' ? ` (${JSON.stringify(now.message)})` : ''}` : 'gone';
    const want = `${outcome}${outcome === 'resolved' ? ` (shouldReloadConfig: ${reload})` : ` (${JSON.stringify(message)})`}`;
    if (got !== want) throw new Error(`the hold ${hold.id} is ${got} on the preboot server within 2 s of ${rel} holding its decision, expected ${want}`);
    return true;
  };
}

/** A hold registered: only one a plugin already registered (its watcher tells every new watcher); no plugin registers late. */
function registeredScenario(args: Args & { output?: unknown; event?: unknown }): boolean {
  const hold = eventOf(args).hold as Hold | undefined;
  const known = holdOf(args, hold?.id);
  return !!known && known.kind === hold?.kind && known.reason === hold?.reason;
}

export const prebootScenarios: Hooks = {
  loadConfig: configScenario,
  reloadConfig: configScenario,
  startPrebootServer: startPrebootScenario,
  setupServices: setupScenario,
  stopPrebootServer: stopPrebootScenario,
  startMainServer: startMainScenario,
  releaseResources: releaseScenario,
  'HOLD.RESOLVED': settleScenario('resolved'),
  'HOLD.REJECTED': settleScenario('rejected'),
  'HOLD.REGISTERED': registeredScenario,
};

// ──────────────────────────────────────────── faults ────────────────────────────────────────────

/** The config file holds JSON that is not an object (an array): the read fails `invalid-config`, as it checks. */
async function configFault({ input, dir }: Args): Promise<boolean> {
  await cleanUp();
  const { configPath } = input as ConfigInput;
  if (!inside(dir, configPath)) return false;
  rmSync(configPath, { recursive: true, force: true });
  mkdirSync(join(configPath, '..'), { recursive: true });
  writeFileSync(configPath, '[]\n');
  return true;
}

/**
 * Something else listens on the port the server is to bind (EADDRINUSE): the service must see the conflict. The
 * port is given back once the service failed (the undo), or by the next path's clean-up.
 */
async function portFault(args: Args): Promise<false | (() => Promise<void>)> {
  await cleanUp();
  const { host, port, dataDir } = args.input as StartPrebootServerInput | StartMainServerInput;
  if (!port || !LOOPBACK.test(host) || !inside(args.dir, dataDir)) return false;
  const undo = () => freePort(dataDir);
  if (blockers.has(resolve(dataDir))) return undo; // taken by this run's earlier fault
  // Taken already: by another process (it fails all the same), or by an earlier path's left-over (cleaned above).
  if (await isListening(host, port, 500)) return undo;
  const blocker = createServer((socket) => socket.destroy());
  const ok = await new Promise<boolean>((done) => {
    blocker.once('error', () => done(false));
    blocker.listen(port, host, () => done(true));
  });
  if (!ok) return false;
  blockers.set(resolve(dataDir), blocker);
  return undo;
}

/** The server's identity file cannot be written: `<data dir>/uuid` is a folder (the setup's write fails EISDIR). */
function setupFault({ input, dir }: Args): boolean {
  const uuid = join((input as SetupServicesInput).dataDir, 'uuid');
  if (!inside(dir, uuid)) return false;
  rmSync(uuid, { recursive: true, force: true });
  mkdirSync(join(uuid, 'not-a-file'), { recursive: true });
  return true;
}

/** The error a fault point throws: the path's sample error (nothing in the world makes closing a server fail). */
function sampleError(error: unknown): Error {
  if (error instanceof Error) return error;
  const fields = error && typeof error === 'object' ? (error as Record<string, unknown>) : {};
  return Object.assign(new Error(typeof fields.message === 'string' ? fields.message : String(error)), fields);
}

export const prebootFaults: Faults = {
  loadConfig: configFault,
  reloadConfig: configFault,
  startPrebootServer: portFault,
  setupServices: setupFault,
  startMainServer: portFault,
  // Closing a server and releasing a run have no world fault (a close does not fail for a reason a test can make):
  // a fault point makes this run's next attempt throw the path's error.
  stopPrebootServer: ({ runInput, dir, error }) => {
    if (!inside(dir, runInput.dataDir)) return false;
    armFaultPoint('stopPrebootServer', runInput.dataDir, sampleError(error));
    return true;
  },
  releaseResources: ({ runInput, dir, error }) => {
    if (!inside(dir, runInput.dataDir)) return false;
    armFaultPoint('releaseResources', runInput.dataDir, sampleError(error));
    return true;
  },
};
