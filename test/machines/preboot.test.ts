import { describe, it, expect, vi } from 'vitest';
import { createActor, fromCallback, fromPromise, waitFor, type AnyStateMachine, type AnyStateNode, type EventObject } from 'xstate';
import {
  prebootMachine,
  PREBOOT_STAGES,
  type ConfigInput,
  type ConfigOutput,
  type Hold,
  type HoldEvent,
  type PrebootInput,
  type ReleaseResourcesInput,
  type ReleaseResourcesOutput,
  type ServerHandle,
  type SetupServicesInput,
  type SetupServicesOutput,
  type StartMainServerInput,
  type StartMainServerOutput,
  type StartPrebootServerInput,
  type StartPrebootServerOutput,
  type StopPrebootServerInput,
  type StopPrebootServerOutput,
  type WatchHoldsInput,
} from '../../machines/preboot.ts';

const input: PrebootInput = {
  dataDir: '/tmp/preboot-test',
  configPath: '/tmp/preboot-test/config.json',
  port: 0,
  retry: { maxAttempts: 3, initialIntervalMs: 1, maxIntervalMs: 1 },
};

const prebootServer: ServerHandle = { id: 'preboot-1', url: 'http://127.0.0.1:40123', port: 40123 };

/** A promise that never settles: parks the machine in the step that awaits it. */
const never = <T>() => new Promise<T>(() => {});

interface FakeOptions {
  holds?: Hold[];
  /** Step at which the fake parks (its promise never settles). */
  parkAt?: string;
  failLoadConfigTimes?: number;
}

/** In-memory services: every call is logged; the hold watcher hands its `sendBack` to the test. */
function fakes(options: FakeOptions = {}) {
  const calls: string[] = [];
  const watcher: { send: ((event: HoldEvent) => void) | null } = { send: null };
  const released: ReleaseResourcesInput[] = [];
  let loadFailures = options.failLoadConfigTimes ?? 0;
  const park = async (step: string) => {
    calls.push(step);
    if (options.parkAt === step) await never();
  };
  const actors = {
    loadConfig: fromPromise<ConfigOutput, ConfigInput>(async () => {
      await park('loadConfig');
      if (loadFailures-- > 0) throw Object.assign(new Error('EBUSY: config locked'), { code: 'EBUSY' });
      return { config: { elasticsearch: null } };
    }),
    reloadConfig: fromPromise<ConfigOutput, ConfigInput>(async () => {
      await park('reloadConfig');
      return { config: { elasticsearch: 'http://127.0.0.1:9200' } };
    }),
    startPrebootServer: fromPromise<StartPrebootServerOutput, StartPrebootServerInput>(async () => {
      await park('startPrebootServer');
      return { server: prebootServer, holds: options.holds ?? [] };
    }),
    watchHolds: fromCallback<EventObject, WatchHoldsInput>(({ sendBack }) => {
      calls.push('watchHolds');
      watcher.send = sendBack;
      return () => {
        watcher.send = null;
      };
    }),
    setupServices: fromPromise<SetupServicesOutput, SetupServicesInput>(async ({ input }) => {
      await park('setupServices');
      return { components: [`http(${String(input.config.elasticsearch)})`] };
    }),
    stopPrebootServer: fromPromise<StopPrebootServerOutput, StopPrebootServerInput>(async () => {
      await park('stopPrebootServer');
      return { redirectedRequests: 2 };
    }),
    startMainServer: fromPromise<StartMainServerOutput, StartMainServerInput>(async ({ input }) => {
      await park('startMainServer');
      return { server: { id: 'main-1', url: `http://${input.host}:${input.port}`, port: input.port } };
    }),
    releaseResources: fromPromise<ReleaseResourcesOutput, ReleaseResourcesInput>(async ({ input }) => {
      calls.push('releaseResources');
      released.push(input);
      return { released: [input.prebootServer?.id, input.mainServer?.id].filter((x): x is string => !!x) };
    }),
  };
  return { actors, calls, watcher, released };
}

function start(machine: typeof prebootMachine = prebootMachine) {
  return createActor(machine, { input }).start();
}

const setupHold = (id: string, reason = `hold ${id}`): Hold => ({ id, kind: 'setup', reason });
const startHold = (id: string, reason = `hold ${id}`): Hold => ({ id, kind: 'start', reason });

describe('prebootMachine', () => {
  it('lists its stages in order', () => {
    expect(PREBOOT_STAGES).toEqual(['preboot', 'setup', 'start', 'running', 'stop']);
  });

  it('goes preboot → setup → start → running, waiting for both setup holds', async () => {
    const f = fakes({ holds: [setupHold('a'), setupHold('b'), startHold('c')] });
    const actor = start(prebootMachine.provide({ actors: f.actors }));
    await waitFor(actor, (s) => s.matches({ preboot: 'awaitingSetupHolds' }));
    expect(actor.getSnapshot().context.holds.map((h) => h.id)).toEqual(['a', 'b', 'c']);
    expect(actor.getSnapshot().hasTag('waiting')).toBe(true);

    f.watcher.send!({ type: 'HOLD.RESOLVED', id: 'a' });
    await new Promise((r) => setTimeout(r, 5));
    expect(actor.getSnapshot().matches({ preboot: 'awaitingSetupHolds' })).toBe(true);

    f.watcher.send!({ type: 'HOLD.RESOLVED', id: 'b' });
    await waitFor(actor, (s) => s.matches({ setup: 'awaitingStartHolds' }));
    expect(f.calls).not.toContain('stopPrebootServer');
    // A repeated report about a settled hold is ignored.
    f.watcher.send!({ type: 'HOLD.RESOLVED', id: 'a' });
    f.watcher.send!({ type: 'HOLD.RESOLVED', id: 'c' });

    const running = await waitFor(actor, (s) => s.matches('running'));
    expect(running.context.stage).toBe('running');
    expect(running.context.prebootServer).toBeNull();
    expect(running.context.mainServer).toEqual({ id: 'main-1', url: 'http://127.0.0.1:40123', port: 40123 });
    expect(running.context.redirectedRequests).toBe(2);
    expect(running.context.settledHolds.map((h) => h.id)).toEqual(['a', 'b', 'c']);
    expect(running.context.lastSucceededStep).toBe('startMainServer');
    expect(running.hasTag('waiting')).toBe(true);
    expect(f.calls).toEqual([
      'loadConfig',
      'startPrebootServer',
      'watchHolds',
      'watchHolds',
      'setupServices',
      'stopPrebootServer',
      'startMainServer',
    ]);

    actor.send({ type: 'STOP' });
    const done = await waitFor(actor, (s) => s.status === 'done');
    expect(done.value).toBe('stopped');
    expect(done.output).toMatchObject({ status: 'stopped', stopReason: 'requested', stoppedFrom: 'running' });
    expect(f.released).toEqual([
      { dataDir: input.dataDir, prebootServer: null, mainServer: running.context.mainServer },
    ]);
  });

  it('goes straight through when no plugin holds anything', async () => {
    const f = fakes();
    const actor = start(prebootMachine.provide({ actors: f.actors }));
    await waitFor(actor, (s) => s.matches('running'));
    expect(actor.getSnapshot().context.configLoads).toBe(1);
  });

  it('reloads the config before setup when a setup hold resolves with shouldReloadConfig', async () => {
    const f = fakes({ holds: [setupHold('interactive', 'waiting for connection details')] });
    const actor = start(prebootMachine.provide({ actors: f.actors }));
    await waitFor(actor, (s) => s.matches({ preboot: 'awaitingSetupHolds' }));
    f.watcher.send!({ type: 'HOLD.RESOLVED', id: 'interactive', shouldReloadConfig: true });
    const running = await waitFor(actor, (s) => s.matches('running'));
    expect(f.calls.indexOf('reloadConfig')).toBeGreaterThan(-1);
    expect(f.calls.indexOf('reloadConfig')).toBeLessThan(f.calls.indexOf('setupServices'));
    expect(running.context.configLoads).toBe(2);
    expect(running.context.config).toEqual({ elasticsearch: 'http://127.0.0.1:9200' });
    expect(running.context.components).toEqual(['http(http://127.0.0.1:9200)']);
    expect(running.context.settledHolds[0]).toMatchObject({ id: 'interactive', outcome: 'resolved', shouldReloadConfig: true });
  });

  it('does not reload the config when no hold asks for it', async () => {
    const f = fakes({ holds: [setupHold('a')] });
    const actor = start(prebootMachine.provide({ actors: f.actors }));
    await waitFor(actor, (s) => s.matches({ preboot: 'awaitingSetupHolds' }));
    f.watcher.send!({ type: 'HOLD.RESOLVED', id: 'a' });
    await waitFor(actor, (s) => s.matches('running'));
    expect(f.calls).not.toContain('reloadConfig');
  });

  it('shuts down when a hold rejects', async () => {
    const f = fakes({ holds: [setupHold('a', 'interactive setup'), setupHold('b')] });
    const actor = start(prebootMachine.provide({ actors: f.actors }));
    await waitFor(actor, (s) => s.matches({ preboot: 'awaitingSetupHolds' }));
    f.watcher.send!({ type: 'HOLD.RESOLVED', id: 'b' });
    f.watcher.send!({ type: 'HOLD.REJECTED', id: 'a', message: 'user cancelled' });
    const done = await waitFor(actor, (s) => s.status === 'done');
    expect(done.output).toMatchObject({ status: 'failed', stopReason: 'hold-rejected', stoppedFrom: 'preboot' });
    expect(done.context.lastError).toMatchObject({ step: 'hold:setup', message: 'interactive setup: user cancelled', kind: 'hold-rejected' });
    expect(done.output?.stopCause).toEqual(done.context.lastError);
    expect(f.released).toEqual([{ dataDir: input.dataDir, prebootServer, mainServer: null }]);
    expect(f.calls).not.toContain('setupServices');
  });

  it('shuts down when a start hold rejects during setup', async () => {
    const f = fakes({ holds: [startHold('s')] });
    const actor = start(prebootMachine.provide({ actors: f.actors }));
    await waitFor(actor, (s) => s.matches({ setup: 'awaitingStartHolds' }));
    actor.send({ type: 'HOLD.REJECTED', id: 's', message: 'license check failed' });
    const done = await waitFor(actor, (s) => s.status === 'done');
    expect(done.output).toMatchObject({ status: 'failed', stopReason: 'hold-rejected', stoppedFrom: 'setup' });
    expect(f.calls).not.toContain('startMainServer');
  });

  it('accepts holds registered later during preboot, and ignores duplicate registrations', async () => {
    const f = fakes({ holds: [setupHold('a')] });
    const actor = start(prebootMachine.provide({ actors: f.actors }));
    await waitFor(actor, (s) => s.matches({ preboot: 'awaitingSetupHolds' }));
    f.watcher.send!({ type: 'HOLD.REGISTERED', hold: setupHold('late') });
    f.watcher.send!({ type: 'HOLD.REGISTERED', hold: setupHold('a') });
    f.watcher.send!({ type: 'HOLD.RESOLVED', id: 'a' });
    await new Promise((r) => setTimeout(r, 5));
    expect(actor.getSnapshot().context.holds.map((h) => h.id)).toEqual(['late']);
    expect(actor.getSnapshot().matches({ preboot: 'awaitingSetupHolds' })).toBe(true);
    f.watcher.send!({ type: 'HOLD.RESOLVED', id: 'late' });
    await waitFor(actor, (s) => s.matches('running'));
  });

  it('retries a failing step with backoff and keeps progress fields up to date', async () => {
    const f = fakes({ failLoadConfigTimes: 2 });
    const actor = start(prebootMachine.provide({ actors: f.actors }));
    const running = await waitFor(actor, (s) => s.matches('running'));
    expect(f.calls.filter((c) => c === 'loadConfig')).toHaveLength(3);
    expect(running.context.lastError).toMatchObject({ step: 'loadConfig', attempt: 2, kind: 'EBUSY' });
  });

  it('stops (failed) when a step keeps failing', async () => {
    const f = fakes({ failLoadConfigTimes: 5 });
    const actor = start(prebootMachine.provide({ actors: f.actors }));
    const done = await waitFor(actor, (s) => s.status === 'done');
    expect(f.calls.filter((c) => c === 'loadConfig')).toHaveLength(3);
    expect(done.output).toMatchObject({ status: 'failed', stopReason: 'failed', stoppedFrom: 'preboot' });
    expect(done.context.lastError).toMatchObject({ step: 'loadConfig', attempt: 3 });
  });

  describe('STOP from every stage reaches stopped and releases what is open', () => {
    const cases: { state: object | string; parkAt?: string; holds?: Hold[]; open: 'none' | 'preboot' | 'main' }[] = [
      { state: { preboot: { loadingConfig: 'attempt' } }, parkAt: 'loadConfig', open: 'none' },
      { state: { preboot: { startingServer: 'attempt' } }, parkAt: 'startPrebootServer', open: 'none' },
      { state: { preboot: 'awaitingSetupHolds' }, holds: [setupHold('a')], open: 'preboot' },
      { state: { setup: { settingUp: 'attempt' } }, parkAt: 'setupServices', open: 'preboot' },
      { state: { setup: 'awaitingStartHolds' }, holds: [startHold('s')], open: 'preboot' },
      { state: { start: 'stoppingPrebootServer' }, parkAt: 'stopPrebootServer', open: 'preboot' },
      { state: { start: { startingMainServer: 'attempt' } }, parkAt: 'startMainServer', open: 'none' },
      { state: 'running', open: 'main' },
    ];
    for (const c of cases) {
      it(`from ${JSON.stringify(c.state)}`, async () => {
        const f = fakes({ parkAt: c.parkAt, holds: c.holds });
        const actor = start(prebootMachine.provide({ actors: f.actors }));
        const at = await waitFor(actor, (s) => s.matches(c.state as never));
        actor.send({ type: 'STOP' });
        const done = await waitFor(actor, (s) => s.status === 'done');
        expect(done.value).toBe('stopped');
        expect(done.output).toMatchObject({ status: 'stopped', stopReason: 'requested', stoppedFrom: at.context.stage, stopCause: null });
        expect(f.released).toHaveLength(1);
        expect(f.released[0]!.prebootServer).toEqual(c.open === 'preboot' ? prebootServer : null);
        expect(f.released[0]!.mainServer === null).toBe(c.open !== 'main');
        expect(done.context.prebootServer).toBeNull();
        expect(done.context.mainServer).toBeNull();
      });
    }

    it('from the reloadingConfig step and from a backoff state', async () => {
      const f = fakes({ parkAt: 'reloadConfig', holds: [setupHold('a')] });
      const actor = start(prebootMachine.provide({ actors: f.actors }));
      await waitFor(actor, (s) => s.matches({ preboot: 'awaitingSetupHolds' }));
      f.watcher.send!({ type: 'HOLD.RESOLVED', id: 'a', shouldReloadConfig: true });
      await waitFor(actor, (s) => s.matches({ preboot: 'reloadingConfig' }));
      actor.send({ type: 'STOP' });
      expect((await waitFor(actor, (s) => s.status === 'done')).output?.status).toBe('stopped');

      const g = fakes({ failLoadConfigTimes: 1 });
      const slow = createActor(prebootMachine.provide({ actors: g.actors }), {
        input: { ...input, retry: { initialIntervalMs: 60_000 } },
      }).start();
      await waitFor(slow, (s) => s.matches({ preboot: { loadingConfig: 'backoff' } }));
      expect(slow.getSnapshot().hasTag('retrying')).toBe(true);
      slow.send({ type: 'STOP' });
      expect((await waitFor(slow, (s) => s.status === 'done')).output?.status).toBe('stopped');
    });
  });

  describe('every unprovided service fails loudly', () => {
    const names = [
      'loadConfig',
      'startPrebootServer',
      'watchHolds',
      'reloadConfig',
      'setupServices',
      'stopPrebootServer',
      'startMainServer',
      'releaseResources',
    ] as const;
    for (const name of names) {
      it(name, async () => {
        const f = fakes({ holds: [setupHold('a')] });
        const { [name]: _omitted, ...rest } = f.actors;
        const actor = start(prebootMachine.provide({ actors: rest }));
        // Drive the run past the hold (reload requested), so that every service gets its turn.
        const sub = actor.subscribe((s) => {
          if (s.matches({ preboot: 'awaitingSetupHolds' }) && f.watcher.send) {
            f.watcher.send({ type: 'HOLD.RESOLVED', id: 'a', shouldReloadConfig: true });
          }
          if (s.matches('running')) actor.send({ type: 'STOP' });
        });
        const done = await waitFor(actor, (s) => s.status === 'done');
        sub.unsubscribe();
        expect(done.output?.status).toBe('failed');
        expect(done.context.lastError?.message).toContain(`service "${name}" is not provided`);
      });
    }

    it('with nothing provided, the run fails at its first step', async () => {
      const actor = start();
      const done = await waitFor(actor, (s) => s.status === 'done');
      expect(done.output).toMatchObject({ status: 'failed', stopReason: 'failed' });
      expect(done.output?.stopCause?.message).toMatch(/service "loadConfig" is not provided/);
      // Releasing is not provided either: the last error says so, the cause above is kept.
      expect(done.context.lastError?.message).toMatch(/service "releaseResources" is not provided/);
    });
  });

  it('uses the named backoff delay from the retry policy', async () => {
    vi.useFakeTimers();
    try {
      const f = fakes({ failLoadConfigTimes: 1 });
      const actor = createActor(prebootMachine.provide({ actors: f.actors }), {
        input: { ...input, retry: { initialIntervalMs: 500, maxIntervalMs: 10_000 } },
      }).start();
      await vi.advanceTimersByTimeAsync(0);
      expect(actor.getSnapshot().matches({ preboot: { loadingConfig: 'backoff' } })).toBe(true);
      await vi.advanceTimersByTimeAsync(499);
      expect(f.calls.filter((c) => c === 'loadConfig')).toHaveLength(1);
      await vi.advanceTimersByTimeAsync(1);
      expect(f.calls.filter((c) => c === 'loadConfig')).toHaveLength(2);
      await vi.advanceTimersByTimeAsync(0);
      expect(actor.getSnapshot().matches('running')).toBe(true);
      expect(actor.getSnapshot().context.attempts).toBe(1);
      actor.stop();
    } finally {
      vi.useRealTimers();
    }
  });

  it('every state can reach a final state or is tagged waiting', () => {
    expect(statesThatCannotFinish(prebootMachine)).toEqual([]);
    expect(statesMissingDescription(prebootMachine)).toEqual([]);
  });
});

// ───────────────────────────── structural checks over the machine definition ─────────────────────────────

function allStateNodes(machine: AnyStateMachine): AnyStateNode[] {
  const out: AnyStateNode[] = [];
  const walk = (node: AnyStateNode) => {
    out.push(node);
    Object.values(node.states).forEach(walk);
  };
  walk(machine.root);
  return out;
}

/** Targets of every transition that can leave `node` (its own and its ancestors'), and where a compound goes first. */
function successors(node: AnyStateNode): AnyStateNode[] {
  const out: AnyStateNode[] = [];
  for (let n: AnyStateNode | undefined = node; n; n = n.parent) {
    for (const ts of n.transitions.values()) for (const t of ts) out.push(...(t.target ?? []));
    for (const t of n.always ?? []) out.push(...(t.target ?? []));
  }
  if (node.type === 'compound') out.push(...node.initial.target);
  if (node.type === 'parallel') out.push(...Object.values(node.states));
  return out;
}

/** Paths of non-final states from which no final state of the machine can be reached and that are not tagged waiting. */
function statesThatCannotFinish(machine: AnyStateMachine): string[] {
  const nodes = allStateNodes(machine).filter((n) => n !== machine.root);
  const canFinish = new Set(nodes.filter((n) => n.type === 'final' && n.parent === machine.root));
  let changed = true;
  while (changed) {
    changed = false;
    for (const n of nodes) {
      if (!canFinish.has(n) && successors(n).some((s) => canFinish.has(s))) {
        canFinish.add(n);
        changed = true;
      }
    }
  }
  return nodes.filter((n) => !canFinish.has(n) && !n.tags.includes('waiting')).map((n) => n.id);
}

function statesMissingDescription(machine: AnyStateMachine): string[] {
  return allStateNodes(machine)
    .filter((n) => !n.description)
    .map((n) => n.id);
}
