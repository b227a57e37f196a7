import { describe, it, expect, vi } from 'vitest';
import { createActor, fromPromise, waitFor, type AnyStateMachine, type AnyStateNode } from 'xstate';
import {
  operatorMachine,
  APP_GRAPH,
  PLAN_NAMES,
  PLAN_STATUSES,
  isDefaultChild,
  planSteps,
  sameSpec,
  type AppNode,
  type InstanceSpec,
  type InstanceStatus,
  type ObserveAppInput,
  type ObserveAppOutput,
  type OperatorInput,
  type ReadSpecInput,
  type ReadSpecOutput,
  type RunActionInput,
  type RunActionOutput,
  type WriteStatusInput,
} from '../../machines/operator.ts';

const input: OperatorInput = {
  specPath: '/tmp/operator-test/instance.json',
  workDir: '/tmp/operator-test/app',
  requeueMs: 1,
  resyncMs: 3_600_000,
  retry: { maxAttempts: 3, initialIntervalMs: 1, maxIntervalMs: 1 },
};

const v1: InstanceSpec = { version: '1.0.0', parameters: { replicas: 1 } };

interface World {
  spec: InstanceSpec | null;
  app: AppNode;
  actions: RunActionInput[];
  statuses: InstanceStatus[];
  /** Makes runAction fail for this target node. */
  failTo?: { to: RunActionInput['to']; error: () => Error; times?: number };
  /** Makes the next runAction for this target node wait for the test to release it (or for its abort). */
  gateTo?: { to: RunActionInput['to']; release: Promise<void> };
  /** Actions whose abort signal fired. */
  aborted?: RunActionInput[];
}

/** A simulated spec file and app: actions move the app to their target node. */
function fakes(world: World) {
  return {
    readSpec: fromPromise<ReadSpecOutput, ReadSpecInput>(async () => ({ spec: world.spec && structuredClone(world.spec) })),
    observeApp: fromPromise<ObserveAppOutput, ObserveAppInput>(async () => ({ appState: world.app })),
    runAction: fromPromise<RunActionOutput, RunActionInput>(async ({ input, signal }) => {
      world.actions.push(input);
      const gate = world.gateTo;
      if (gate && gate.to === input.to) {
        world.gateTo = undefined;
        const aborted = new Promise<'aborted'>((r) => signal.addEventListener('abort', () => r('aborted')));
        if ((await Promise.race([gate.release, aborted])) === 'aborted') {
          (world.aborted ??= []).push(input);
          throw new Error('aborted');
        }
      }
      const failure = world.failTo;
      if (failure && failure.to === input.to && (failure.times === undefined || failure.times-- > 0)) throw failure.error();
      world.app = input.to;
      return { appState: input.to };
    }),
    writeStatus: fromPromise<void, WriteStatusInput>(async ({ input }) => {
      world.statuses.push(structuredClone(input.status));
    }),
  };
}

function run(world: World, overrides: Partial<OperatorInput> = {}) {
  return createActor(operatorMachine.provide({ actors: fakes(world) }), { input: { ...input, ...overrides } }).start();
}

const edges = (w: World) => w.actions.map((a) => `${a.from}→${a.to}`);

describe('operatorMachine', () => {
  it('exports its graph, plans and statuses in order', () => {
    expect(PLAN_NAMES).toEqual(['deploy', 'upgrade', 'update']);
    expect(PLAN_STATUSES).toEqual(['IN_PROGRESS', 'COMPLETE', 'ERROR', 'FATAL_ERROR']);
    expect(APP_GRAPH.running).toEqual(['servicing', 'stopping']);
    expect(isDefaultChild('running', 'stopping')).toBe(true);
    expect(isDefaultChild('running', 'servicing')).toBe(false);
    expect(planSteps('upgrade').map((s) => `${s.phase}/${s.step}→${s.to}`)).toEqual([
      'upgrade/install-version→servicing',
      'resume/restart→running',
    ]);
    expect(sameSpec({ version: '1', parameters: { a: 1, b: 2 } }, { parameters: { b: 2, a: 1 }, version: '1' })).toBe(true);
  });

  it('deploys a fresh spec, one edge per pass, and converges with the plan COMPLETE', async () => {
    const world: World = { spec: v1, app: 'absent', actions: [], statuses: [] };
    const actor = run(world);
    const s = await waitFor(actor, (x) => x.matches('converged'));
    expect(edges(world)).toEqual(['absent→start', 'start→running']);
    expect(world.actions.map((a) => a.plan?.step)).toEqual(['create', 'await-ready']);
    expect(s.context.plans.deploy.status).toBe('COMPLETE');
    expect(s.context.plans.deploy.history).toHaveLength(1);
    expect(s.context.plans.deploy.history[0]).toMatchObject({ id: 'deploy-1', status: 'COMPLETE', stepIndex: 2 });
    expect(s.context.activePlan).toBeNull();
    expect(s.context.lastAppliedInstanceSpec).toEqual(v1);
    expect(s.context.appState).toBe('running');
    expect(s.context.reconciles).toBe(2);
    expect(s.hasTag('waiting')).toBe(true);
    // Status written after each pass; the first pass requeued with the plan in progress.
    expect(world.statuses.map((st) => st.outcome)).toEqual(['requeue', 'converged']);
    expect(world.statuses[0]).toMatchObject({ activePlan: 'deploy-1', appState: 'start' });
    expect(world.statuses[0]!.planStatus.deploy.status).toBe('IN_PROGRESS');
    expect(world.statuses[1]!.lastAppliedInstanceSpec).toEqual(v1);
    expect(s.context.lastSucceededStep).toBe('writeStatus');
  });

  it('requeues after the named requeue delay while current ≠ desired', async () => {
    vi.useFakeTimers();
    try {
      const world: World = { spec: v1, app: 'absent', actions: [], statuses: [] };
      const actor = run(world, { requeueMs: 250 });
      await vi.advanceTimersByTimeAsync(0);
      expect(actor.getSnapshot().matches('requeued')).toBe(true);
      await vi.advanceTimersByTimeAsync(249);
      expect(actor.getSnapshot().matches('requeued')).toBe(true);
      await vi.advanceTimersByTimeAsync(1);
      expect(actor.getSnapshot().matches('converged')).toBe(true);
      actor.stop();
    } finally {
      vi.useRealTimers();
    }
  });

  it('refuses a spec change while a plan runs, with a reason; the plan keeps its spec; nothing is lost', async () => {
    let release!: () => void;
    const world: World = {
      spec: v1,
      app: 'absent',
      actions: [],
      statuses: [],
      gateTo: { to: 'start', release: new Promise<void>((r) => (release = r)) },
    };
    const actor = run(world);
    await waitFor(actor, (x) => x.matches({ reconciling: { acting: 'attempt' } }));
    expect(actor.getSnapshot().context.plans.deploy.status).toBe('IN_PROGRESS');

    const v2: InstanceSpec = { version: '2.0.0', parameters: { replicas: 1 } };
    world.spec = v2;
    actor.send({ type: 'SPEC.CHANGED' });
    const refused = actor.getSnapshot();
    expect(refused.matches({ reconciling: { acting: 'attempt' } })).toBe(true);
    expect(refused.context.lastRefusal).toMatchObject({ planRun: 'deploy-1' });
    expect(refused.context.lastRefusal!.reason).toMatch(/spec change refused: plan deploy \(deploy-1\) is IN_PROGRESS/);
    expect(refused.context.lastRefusal!.reason).toMatch(/only one plan runs at a time/);

    release();
    // The deploy completes with the spec it was admitted with...
    await waitFor(actor, (x) => x.context.plans.deploy.status === 'COMPLETE');
    expect(actor.getSnapshot().context.lastAppliedInstanceSpec).toEqual(v1);
    expect(world.actions.filter((a) => a.plan?.name === 'deploy').every((a) => sameSpec(a.spec, v1))).toBe(true);
    // ...then the level-triggered loop compares the file with lastAppliedInstanceSpec and upgrades.
    const s = await waitFor(actor, (x) => x.matches('converged'));
    expect(s.context.plans.upgrade.status).toBe('COMPLETE');
    expect(s.context.lastAppliedInstanceSpec).toEqual(v2);
    expect(edges(world)).toEqual(['absent→start', 'start→running', 'running→servicing', 'servicing→running']);
  });

  it('a spec change while converged runs update (parameters) or upgrade (version)', async () => {
    const world: World = { spec: v1, app: 'absent', actions: [], statuses: [] };
    const actor = run(world);
    await waitFor(actor, (x) => x.matches('converged'));

    world.spec = { version: '1.0.0', parameters: { replicas: 3 } };
    actor.send({ type: 'SPEC.CHANGED' });
    let s = await waitFor(actor, (x) => x.matches('converged') && x.context.plans.update.status === 'COMPLETE');
    expect(s.context.lastAppliedInstanceSpec).toEqual(world.spec);
    expect(world.actions.slice(2).map((a) => `${a.plan?.name}:${a.plan?.phase}/${a.plan?.step} ${a.from}→${a.to}`)).toEqual([
      'update:update/apply-parameters running→servicing',
      'update:resume/reload servicing→running',
    ]);
    expect(s.context.plans.upgrade.status).toBe('NEVER_RUN');

    world.spec = { version: '1.1.0', parameters: { replicas: 3 } };
    actor.send({ type: 'SPEC.CHANGED' });
    s = await waitFor(actor, (x) => x.matches('converged') && x.context.plans.upgrade.status === 'COMPLETE');
    expect(s.context.lastAppliedInstanceSpec).toEqual(world.spec);
    expect(world.actions.slice(4).map((a) => a.plan?.step)).toEqual(['install-version', 'restart']);
    expect(s.context.plans.update.runs).toBe(1);
  });

  it('a missed SPEC.CHANGED loses nothing: the periodic resync compares the spec with the last applied one', async () => {
    vi.useFakeTimers();
    try {
      const world: World = { spec: v1, app: 'absent', actions: [], statuses: [] };
      const actor = run(world, { resyncMs: 10_000 });
      await vi.advanceTimersByTimeAsync(10);
      expect(actor.getSnapshot().matches('converged')).toBe(true);
      world.spec = { version: '1.0.0', parameters: { replicas: 2 } };
      await vi.advanceTimersByTimeAsync(10_000);
      await vi.advanceTimersByTimeAsync(10);
      expect(actor.getSnapshot().context.plans.update.status).toBe('COMPLETE');
      expect(actor.getSnapshot().matches('converged')).toBe(true);
      actor.stop();
    } finally {
      vi.useRealTimers();
    }
  });

  it('re-deploys an app that went away (level-triggered)', async () => {
    const world: World = { spec: v1, app: 'absent', actions: [], statuses: [] };
    const actor = run(world);
    await waitFor(actor, (x) => x.matches('converged'));
    world.app = 'absent';
    actor.send({ type: 'SPEC.CHANGED' });
    const s = await waitFor(actor, (x) => x.matches('converged') && x.context.plans.deploy.runs === 2);
    expect(s.context.plans.deploy.history.map((r) => r.status)).toEqual(['COMPLETE', 'COMPLETE']);
  });

  it('a failing step is retried with backoff, then its plan is ERROR (degraded, waiting)', async () => {
    const world: World = {
      spec: v1,
      app: 'running',
      actions: [],
      statuses: [],
      failTo: { to: 'servicing', error: () => Object.assign(new Error('disk full'), { code: 'ENOSPC' }) },
    };
    const actor = run(world);
    const s = await waitFor(actor, (x) => x.matches('degraded'));
    // Found running with nothing applied: adopted by an upgrade, whose first step keeps failing.
    expect(world.actions.map((a) => a.plan?.step)).toEqual(['install-version', 'install-version', 'install-version']);
    expect(s.context.plans.upgrade.status).toBe('ERROR');
    expect(s.context.plans.upgrade.lastRun).toMatchObject({ status: 'ERROR', message: 'disk full', step: 'install-version' });
    expect(s.context.lastError).toMatchObject({ step: 'upgrade.install-version', attempt: 3, kind: 'ENOSPC' });
    expect(s.context.activePlan).toBeNull();
    expect(s.context.lastAppliedInstanceSpec).toBeNull();
    expect(s.hasTag('waiting')).toBe(true);
    expect(world.statuses.at(-1)!.outcome).toBe('degraded');

    // A later spec change (or resync) tries again with a new run.
    world.failTo = undefined;
    actor.send({ type: 'SPEC.CHANGED' });
    const ok = await waitFor(actor, (x) => x.matches('converged'));
    expect(ok.context.plans.upgrade.history.map((r) => `${r.id}:${r.status}`)).toEqual(['upgrade-1:ERROR', 'upgrade-2:COMPLETE']);
  });

  it('a non-retryable failure makes the plan FATAL_ERROR and blocks until the spec changes', async () => {
    const world: World = {
      spec: v1,
      app: 'absent',
      actions: [],
      statuses: [],
      failTo: { to: 'start', error: () => Object.assign(new Error('image not found'), { kind: 'fatal' }) },
    };
    const actor = run(world);
    const s = await waitFor(actor, (x) => x.matches('blocked'));
    expect(world.actions).toHaveLength(1);
    expect(s.context.plans.deploy.status).toBe('FATAL_ERROR');
    expect(s.hasTag('waiting')).toBe(true);

    // The same spec stays blocked...
    actor.send({ type: 'SPEC.CHANGED' });
    await waitFor(actor, (x) => x.matches('blocked') && x.context.reconciles === 2);
    expect(world.actions).toHaveLength(1);
    // ...a different one is tried.
    world.failTo = undefined;
    world.spec = { version: '1.0.1', parameters: { replicas: 1 } };
    actor.send({ type: 'SPEC.CHANGED' });
    const ok = await waitFor(actor, (x) => x.matches('converged'));
    expect(ok.context.lastAppliedInstanceSpec).toEqual(world.spec);
  });

  it('SHUTDOWN takes the app running → stopping → end and the operator to its final state', async () => {
    const world: World = { spec: v1, app: 'absent', actions: [], statuses: [] };
    const actor = run(world);
    await waitFor(actor, (x) => x.matches('converged'));
    actor.send({ type: 'SHUTDOWN' });
    const s = await waitFor(actor, (x) => x.status === 'done');
    expect(s.value).toBe('ended');
    expect(edges(world).slice(2)).toEqual(['running→stopping', 'stopping→end']);
    expect(world.actions.slice(2).every((a) => a.plan === null)).toBe(true);
    expect(s.output).toMatchObject({
      appState: 'end',
      deletion: { reason: 'SHUTDOWN' },
      lastAppliedInstanceSpec: v1,
      planStatus: { deploy: 'COMPLETE', upgrade: 'NEVER_RUN', update: 'NEVER_RUN' },
    });
    expect(world.statuses.at(-1)!.outcome).toBe('ended');
  });

  it('DELETE during a plan interrupts it (aborting the running action) and still reaches end', async () => {
    const world: World = {
      spec: v1,
      app: 'absent',
      actions: [],
      statuses: [],
      gateTo: { to: 'running', release: new Promise<void>(() => {}) },
    };
    const actor = run(world);
    await waitFor(actor, (x) => x.matches({ reconciling: 'acting' }) && x.context.edge?.to === 'running');
    actor.send({ type: 'DELETE' });
    const s = await waitFor(actor, (x) => x.status === 'done');
    expect(world.aborted?.map((a) => a.plan?.step)).toEqual(['await-ready']);
    expect(s.context.plans.deploy.lastRun).toMatchObject({ status: 'ERROR', message: expect.stringMatching(/interrupted: DELETE/) });
    // start's only (default) child is running; then running → stopping → end.
    expect(edges(world)).toEqual(['absent→start', 'start→running', 'start→running', 'running→stopping', 'stopping→end']);
    expect(s.output?.deletion?.reason).toBe('DELETE');
  });

  it('a removed spec file means deletion; servicing goes straight to end (its default child)', async () => {
    const world: World = { spec: null, app: 'servicing', actions: [], statuses: [] };
    const actor = run(world);
    const s = await waitFor(actor, (x) => x.status === 'done');
    expect(edges(world)).toEqual(['servicing→end']);
    expect(s.output?.deletion?.reason).toBe('spec-removed');
  });

  it('SHUTDOWN with nothing deployed ends at once', async () => {
    const world: World = { spec: v1, app: 'absent', actions: [], statuses: [], gateTo: { to: 'start', release: new Promise(() => {}) } };
    const actor = run(world);
    await waitFor(actor, (x) => x.matches({ reconciling: 'acting' }));
    world.app = 'absent';
    actor.send({ type: 'SHUTDOWN' });
    const s = await waitFor(actor, (x) => x.status === 'done');
    expect(s.output?.appState).toBe('absent');
    expect(edges(world)).toEqual(['absent→start']);
  });

  describe('every unprovided service fails loudly', () => {
    for (const name of ['readSpec', 'observeApp', 'runAction', 'writeStatus'] as const) {
      it(name, async () => {
        const world: World = { spec: v1, app: 'absent', actions: [], statuses: [] };
        const { [name]: _omitted, ...rest } = fakes(world);
        const actor = createActor(operatorMachine.provide({ actors: rest }), { input }).start();
        const s = await waitFor(actor, (x) => x.context.lastError !== null && x.context.attempts === 3);
        expect(s.context.lastError!.message).toContain(`service "${name}" is not provided`);
        if (name !== 'writeStatus') {
          const settled = await waitFor(actor, (x) => x.matches('degraded'));
          expect(settled.context.lastError!.message).toContain(`service "${name}" is not provided`);
        }
        actor.stop();
      });
    }

    it('with nothing provided, the first pass degrades', async () => {
      const actor = createActor(operatorMachine, { input }).start();
      const s = await waitFor(actor, (x) => x.matches('requeued') || x.matches('degraded'));
      expect(s.context.lastError?.message).toMatch(/is not provided/);
      actor.stop();
    });
  });

  it('every state can reach a final state or is tagged waiting', () => {
    expect(statesThatCannotFinish(operatorMachine)).toEqual([]);
    expect(statesMissingDescription(operatorMachine)).toEqual([]);
    // Stronger: without SHUTDOWN/DELETE, only the waiting states (and those reaching them) are dead ends.
    expect(statesThatCannotFinish(operatorMachine, ['SHUTDOWN', 'DELETE'], true)).toEqual([]);
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

function successors(node: AnyStateNode, ignoring: string[]): AnyStateNode[] {
  const out: AnyStateNode[] = [];
  for (let n: AnyStateNode | undefined = node; n; n = n.parent) {
    for (const [event, ts] of n.transitions) {
      if (ignoring.includes(event)) continue;
      for (const t of ts) out.push(...(t.target ?? []));
    }
    for (const t of n.always ?? []) out.push(...(t.target ?? []));
  }
  if (node.type === 'compound') out.push(...node.initial.target);
  if (node.type === 'parallel') out.push(...Object.values(node.states));
  return out;
}

/**
 * Non-final states from which no final state can be reached and that are not tagged `waiting`. With
 * `waitingCounts`, reaching a `waiting` state counts as reaching an end (a documented waiting state).
 */
function statesThatCannotFinish(machine: AnyStateMachine, ignoring: string[] = [], waitingCounts = false): string[] {
  const nodes = allStateNodes(machine).filter((n) => n !== machine.root);
  const ok = new Set(
    nodes.filter((n) => (n.type === 'final' && n.parent === machine.root) || (waitingCounts && n.tags.includes('waiting'))),
  );
  let changed = true;
  while (changed) {
    changed = false;
    for (const n of nodes) {
      if (!ok.has(n) && successors(n, ignoring).some((s) => ok.has(s))) {
        ok.add(n);
        changed = true;
      }
    }
  }
  return nodes.filter((n) => !ok.has(n) && !n.tags.includes('waiting')).map((n) => n.id);
}

function statesMissingDescription(machine: AnyStateMachine): string[] {
  return allStateNodes(machine)
    .filter((n) => !n.description)
    .map((n) => n.id);
}
