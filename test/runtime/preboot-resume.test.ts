/**
 * Resume of preboot runs whose process died: the servers lived in that process, so `prebootServices.restore` opens
 * them again (same id, same port) before the resumed run's services start. Each test "crashes" a run — the actor is
 * stopped with nothing more saved, then every server of the process is closed, as its death would — and resumes it
 * in-process with `--verify` on, so the invariants are checked against the real servers from the resumed state on.
 */
import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer as createNetServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { createActor, fromPromise, toPromise, type AnyActorLogic, type AnyMachineSnapshot } from 'xstate';
import { prebootMachine, type PrebootContext, type PrebootInput, type PrebootStep } from '../../machines/preboot.ts';
import { DirectoryStore } from '../../src/runtime/directory-store.ts';
import { describeValue } from '../../src/runtime/state-paths.ts';
import { resumeRun, startRun, type RunResult } from '../../src/runtime/runs.ts';
import { getRuntime, httpRequest, INTERACTIVE_SETUP_PREFIX, isListening, prebootServices, releaseAll, verificationCodeOf, writeConfig } from '../../src/services/preboot/index.ts';

const servers: Server[] = [];
afterEach(async () => {
  await releaseAll();
  for (const s of servers.splice(0)) await new Promise((r) => s.close(r));
});

const temps: string[] = [];
/** A temp dir, removed after the file's tests. */
function temp(): string {
  const dir = mkdtempSync(join(tmpdir(), 'lk-preboot-resume-'));
  temps.push(dir);
  return dir;
}
afterAll(() => {
  for (const dir of temps.splice(0)) rmSync(dir, { recursive: true, force: true });
});
const retry = { maxAttempts: 3, initialIntervalMs: 10, backoffRate: 2, maxIntervalMs: 50 };

function inputIn(dir: string, plugins: string[]): PrebootInput {
  return { dataDir: join(dir, 'data'), configPath: join(dir, 'server.json'), host: '127.0.0.1', port: 0, plugins, retry };
}

/** A stand-in for Elasticsearch on loopback. */
async function fakeElasticsearch(): Promise<string> {
  const server = createHttpServer((_, res) => res.end('{}'));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  servers.push(server);
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

interface Leg {
  store: DirectoryStore;
  input?: PrebootInput;
  /** Real actors replaced by these. */
  actors?: Record<string, AnyActorLogic>;
  /** Ends the leg (interrupted) at the first transition into a state this matches; called with the snapshot. */
  until?: (snapshot: AnyMachineSnapshot) => boolean;
  /** Called at every saved transition (e.g. to drive the servers). */
  onState?: (snapshot: AnyMachineSnapshot) => void;
  controller?: AbortController;
}

/** One leg of a run in this process: a new run with `input`, else a resume of the store's run. */
async function leg({ store, input, actors, until, onState, controller = new AbortController() }: Leg): Promise<RunResult> {
  const options = {
    store,
    lifecycle: 'preboot',
    machine: prebootMachine,
    actors: { ...prebootServices.actors, ...actors },
    invariants: prebootServices.invariants as never,
    restore: prebootServices.restore as never,
    verify: true,
    signal: controller.signal,
    onTransition: (_: unknown, snapshot: AnyMachineSnapshot) => {
      onState?.(snapshot);
      if (until?.(snapshot)) controller.abort();
    },
  };
  return input ? startRun({ ...options, input }) : resumeRun(options);
}

/** What a process death leaves: nothing of the servers it ran. */
const die = () => releaseAll();

/**
 * `name`'s real logic, after which the run "crashes" the first time: its effect is done but its result never
 * reaches the machine, so a resume runs the step again.
 */
function crashingAfter(name: PrebootStep, crash: AbortController): Record<string, AnyActorLogic> {
  const real = prebootServices.actors[name]!;
  let crashed = false;
  return {
    [name]: fromPromise(async ({ input }: { input: unknown }) => {
      const actor = createActor(real, { input });
      const done = toPromise(actor);
      actor.start();
      const output = await done;
      if (crashed) return output;
      crashed = true;
      crash.abort();
      return new Promise(() => undefined);
    }),
  };
}

const ctx = (result: RunResult) => result.snapshot!.context as PrebootContext;
const inState = (state: string) => (s: AnyMachineSnapshot) => describeValue(s.value) === state;
const json = async (url: string) => JSON.parse((await httpRequest('GET', url)).body) as Record<string, unknown>;

/** The main server answers on the preboot server's port, in stage running. */
async function expectMainServerUp(context: PrebootContext) {
  expect(context.mainServer!.port).toBe(context.boundPort);
  expect(await json(`${context.mainServer!.url}/api/status`)).toMatchObject({ server: 'main', stage: 'running', ready: true });
}

describe('preboot: a run whose process died resumes with its servers back', () => {
  // No interaction needed: a setup hold that resolves asking for a reload, then a start hold.
  const plugins = ['resolve-hold:setup:30:reload', 'resolve-hold:start:30'];
  const steps: { step: PrebootStep; at: string }[] = [
    { step: 'loadConfig', at: 'preboot.loadingConfig.attempt' },
    { step: 'startPrebootServer', at: 'preboot.startingServer.attempt' },
    { step: 'reloadConfig', at: 'preboot.reloadingConfig.attempt' },
    { step: 'setupServices', at: 'setup.settingUp.attempt' },
    { step: 'stopPrebootServer', at: 'start.stoppingPrebootServer' },
    { step: 'startMainServer', at: 'start.startingMainServer.attempt' },
  ];

  it.each(steps)('killed after $step did its work: the resume runs it again and reaches running, invariants holding', async ({ step, at }) => {
    const store = new DirectoryStore(join(temp(), 'store'));
    const dir = temp();
    const crash = new AbortController();
    const first = await leg({ store, input: inputIn(dir, plugins), actors: crashingAfter(step, crash), controller: crash });
    expect(first.status).toBe('interrupted');
    expect(describeValue(first.snapshot!.value)).toBe(at);
    await die();

    const second = await leg({ store, until: inState('running') });
    expect(second).toMatchObject({ status: 'interrupted', error: null });
    await expectMainServerUp(ctx(second));
    expect(ctx(second).settledHolds.map((h) => [h.id, h.outcome])).toEqual([
      ['resolve-hold#1', 'resolved'],
      ['resolve-hold#2', 'resolved'],
    ]);
    const journal = store.readJournal().entries;
    expect(journal.filter((e) => e.event === 'lifecycle.resume')).toHaveLength(1);
    expect(journal.at(-1)!.to).toBe('running');
    await die();
    expect(await isListening('127.0.0.1', ctx(second).boundPort!)).toBe(false);
  });

  it('killed after releaseResources did its work (a rejected hold): the resume releases again and ends failed, the port free', async () => {
    const store = new DirectoryStore(join(temp(), 'store'));
    const crash = new AbortController();
    const first = await leg({ store, input: inputIn(temp(), ['reject-hold:setup:20:license expired']), actors: crashingAfter('releaseResources', crash), controller: crash });
    expect(describeValue(first.snapshot!.value)).toBe('stopping.attempt');
    await die();
    const second = await leg({ store });
    expect(second.status).toBe('failed');
    expect(second.error).toMatch(/hold:setup .*license expired/);
    expect(ctx(second)).toMatchObject({ stopReason: 'hold-rejected', prebootServer: null, mainServer: null });
    expect(await isListening('127.0.0.1', ctx(second).boundPort!)).toBe(false);
  });

  it('killed while held at preboot, then killed again while running: each resume brings its server back on the same port', async () => {
    const es = await fakeElasticsearch();
    const dir = temp();
    const store = new DirectoryStore(join(temp(), 'store'));
    const first = await leg({ store, input: inputIn(dir, ['interactive-setup']), until: inState('preboot.awaitingSetupHolds') });
    const { prebootServer, holds } = ctx(first);
    expect(holds.map((h) => h.id)).toEqual(['interactive-setup#1']);
    await die();
    expect(await isListening('127.0.0.1', prebootServer!.port)).toBe(false);

    // The resumed run listens where the first one did, holding the same hold, and the setup page answers there.
    const seen: Record<string, unknown> = {};
    const second = await leg({
      store,
      until: inState('running'),
      onState: (s) => {
        if (describeValue(s.value) !== 'preboot.awaitingSetupHolds') return;
        seen.post = (async () => {
          seen.status = await json(`${prebootServer!.url}/api/status`);
          return httpRequest('POST', `${prebootServer!.url}${INTERACTIVE_SETUP_PREFIX}/configure`, { body: { code: verificationCodeOf(prebootServer!.url), host: es } });
        })();
      },
    });
    expect(await seen.post).toMatchObject({ status: 200 });
    expect(seen.status).toMatchObject({ server: 'preboot', pendingHolds: [{ id: 'interactive-setup#1', kind: 'setup' }] });
    expect(second.status).toBe('interrupted');
    expect(ctx(second).prebootServer).toBeNull();
    expect(ctx(second).mainServer!.url).toBe(prebootServer!.url);
    await expectMainServerUp(ctx(second));
    await die();

    // Killed while running: the main server comes back on the same port, with the same identity.
    const uuid = readFileSync(join(dir, 'data', 'uuid'), 'utf8').trim();
    const third = await leg({ store, until: () => true, onState: () => undefined });
    expect(third.status).toBe('interrupted');
    await expectMainServerUp(ctx(third));
    expect(await json(`${prebootServer!.url}/api/status`)).toMatchObject({ uuid, components: ['uuid', 'http', 'status', 'elasticsearch'] });
    expect(store.readJournal().entries.filter((e) => e.event === 'lifecycle.resume').map((e) => e.to)).toEqual([{ preboot: 'awaitingSetupHolds' }, 'running']);
  });

  it('killed after the connection details were written but before the run saw the hold resolve: the resumed hold resolves at once', async () => {
    const es = await fakeElasticsearch();
    const dir = temp();
    const input = inputIn(dir, ['interactive-setup']);
    const store = new DirectoryStore(join(temp(), 'store'));
    await leg({ store, input, until: inState('preboot.awaitingSetupHolds') });
    await die();
    writeConfig(input.configPath, { elasticsearch: { hosts: [es] } });
    const second = await leg({ store, until: inState('running') });
    expect(second.status).toBe('interrupted');
    expect(ctx(second)).toMatchObject({ configLoads: 2, config: { elasticsearch: { hosts: [es] } } });
    expect(ctx(second).settledHolds).toMatchObject([{ id: 'interactive-setup#1', outcome: 'resolved', shouldReloadConfig: true }]);
    await expectMainServerUp(ctx(second));
  });

  it('killed after requests held at preboot were handed over, before the main server answered them: they count as lost, not redirected', async () => {
    const store = new DirectoryStore(join(temp(), 'store'));
    const crash = new AbortController();
    // startMainServer "crashes" before it does anything: the hand-over is saved, the main server never started.
    const crashingBefore = { startMainServer: fromPromise(async () => (crash.abort(), new Promise<never>(() => undefined))) };
    let held: Promise<unknown> | undefined;
    const first = await leg({
      store,
      input: inputIn(temp(), ['resolve-hold:setup:300']),
      actors: crashingBefore,
      controller: crash,
      onState: (s) => {
        const server = (s.context as PrebootContext).prebootServer;
        if (describeValue(s.value) === 'preboot.awaitingSetupHolds' && server && !held) held = httpRequest('GET', `${server.url}/app/discover`, { timeoutMs: 5000 }).catch((e: Error) => e);
      },
    });
    expect(describeValue(first.snapshot!.value)).toBe('start.startingMainServer.attempt');
    expect(ctx(first).redirectedRequests).toBe(1);
    await die();
    await held;
    const second = await leg({ store, until: inState('running') });
    expect(second).toMatchObject({ status: 'interrupted', error: null });
    expect(await json(`${ctx(second).mainServer!.url}/api/status`)).toMatchObject({ redirectedRequests: 0, lostRequests: 1 });
  });

  it('killed while a start hold waits: the resumed main server keeps the identity and components set up before the crash', async () => {
    const dir = temp();
    const input = inputIn(dir, ['hold-until-file:start:ready']);
    const store = new DirectoryStore(join(temp(), 'store'));
    await leg({ store, input, until: inState('setup.awaitingStartHolds') });
    await die();
    writeFileSync(join(input.dataDir, 'ready'), '');
    const second = await leg({ store, until: inState('running') });
    expect(second.status).toBe('interrupted');
    const uuid = readFileSync(join(input.dataDir, 'uuid'), 'utf8').trim();
    expect(await json(`${ctx(second).mainServer!.url}/api/status`)).toMatchObject({ uuid, components: ['uuid', 'http', 'status'] });
  });

  it('a pending hold that no plugin registers again is rejected, so the resumed run stops instead of waiting forever', async () => {
    const store = new DirectoryStore(join(temp(), 'store'));
    await leg({ store, input: inputIn(temp(), ['interactive-setup']), until: inState('preboot.awaitingSetupHolds') });
    await die();
    // The saved run no longer names the plugin that held setup (as if it had been removed from the server).
    const path = join(store.location, 'snapshot.json');
    const saved = JSON.parse(readFileSync(path, 'utf8')) as { snapshot: { context: PrebootContext } };
    saved.snapshot.context.plugins = [];
    writeFileSync(path, JSON.stringify(saved));
    const second = await leg({ store });
    expect(second.status).toBe('failed');
    expect(ctx(second)).toMatchObject({ stopReason: 'hold-rejected', stoppedFrom: 'preboot' });
    expect(ctx(second).settledHolds).toMatchObject([
      { id: 'interactive-setup#1', outcome: 'rejected', message: 'no preboot plugin registered this hold again after the run resumed' },
    ]);
  });

  it('a port taken meanwhile: the resume fails with one clear sentence and the store is left as it was', async () => {
    const store = new DirectoryStore(join(temp(), 'store'));
    const input = inputIn(temp(), ['interactive-setup']);
    const first = await leg({ store, input, until: inState('preboot.awaitingSetupHolds') });
    const port = ctx(first).boundPort!;
    await die();
    const files = () => Object.fromEntries(readdirSync(store.location).map((f) => [f, readFileSync(join(store.location, f), 'utf8')]));
    const before = files();
    const blocker = createNetServer();
    await new Promise<void>((r) => blocker.listen(port, '127.0.0.1', r));
    try {
      const error = await leg({ store }).catch((e: unknown) => e as Error);
      expect((error as Error).message).toBe(
        `cannot resume preboot in preboot.awaitingSetupHolds: the preboot server cannot start again on 127.0.0.1:${port}: listen EADDRINUSE: address already in use 127.0.0.1:${port}; the run was not resumed (resume it again once that is fixed)`,
      );
      expect(files()).toEqual(before);
      // Nothing half restored is left open.
      expect(getRuntime(input.dataDir)).toBeUndefined();
    } finally {
      await new Promise((r) => blocker.close(r));
    }
    // Once the port is free again, the same store resumes.
    const resumed = await leg({ store, until: () => true });
    expect(resumed.status).toBe('interrupted');
    expect(await isListening('127.0.0.1', port)).toBe(true);
  });
});
