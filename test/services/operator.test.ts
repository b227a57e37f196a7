import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createActor, fromPromise, toPromise, waitFor, type AnyActorLogic, type Snapshot } from 'xstate';
import {
  operatorMachine,
  type InstanceSpec,
  type OperatorContext,
  type OperatorInput,
  type OperatorOutput,
} from '../../machines/operator.ts';
import {
  layout,
  operatorServices,
  probeHealth,
  readPid,
  readReady,
  readStatus,
  spawnedPids,
  stopSpawnedApps,
  validateSpec,
  writeSpec,
  type StatusDocument,
} from '../../src/services/operator/index.ts';
import { isAlive } from '../../src/services/upgrade/index.ts';
import { exists } from '../../src/services/install/fs.ts';
import { restartDelays } from '../../src/runtime/restart-delays.ts';
import { logTail } from '../../src/services/operator/app-process.ts';
import { activePaths } from './helpers.ts';

let dir: string;
let specPath: string;
let statusPath: string;
let workDir: string;
const actors: { stop(): void }[] = [];

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'lk-operator-'));
  specPath = join(dir, 'instance.json');
  statusPath = join(dir, 'instance.status.json');
  workDir = join(dir, 'work');
});
afterEach(async () => {
  for (const a of actors.splice(0)) a.stop();
  await stopSpawnedApps();
  await rm(dir, { recursive: true, force: true });
});

const v1: InstanceSpec = { version: '1.0.0', parameters: { message: 'one' } };
const v2: InstanceSpec = { version: '2.0.0', parameters: { message: 'two' } };

function input(extra: Partial<OperatorInput> = {}): OperatorInput {
  return { specPath, workDir, requeueMs: 50, resyncMs: 60_000, retry: { maxAttempts: 3, initialIntervalMs: 20, backoffRate: 2, maxIntervalMs: 100 }, ...extra };
}

type OperatorSnapshot = { value: unknown; context: OperatorContext; matches(v: unknown): boolean; status: string };

/**
 * Runs the operator with the real services, checking the invariants at every snapshot; each promise service first
 * waits until the checks of the snapshot it was invoked in are done (as test/services/helpers.ts does), so a check
 * never races with the next step. Can start from a persisted snapshot (an operator that was down).
 */
function startOperator(runInput: OperatorInput, snapshot?: Snapshot<unknown>) {
  let gate: Promise<void> = Promise.resolve();
  const violations: string[] = [];
  const visited: string[] = [];
  const wrapped: Record<string, AnyActorLogic> = {};
  for (const [name, logic] of Object.entries(operatorServices.actors)) {
    wrapped[name] = fromPromise(async ({ input: childInput, signal }: { input: unknown; signal: AbortSignal }) => {
      await new Promise((resolve) => setImmediate(resolve));
      await gate;
      const child = createActor(logic, { input: childInput });
      signal.addEventListener('abort', () => child.stop());
      const done = toPromise(child);
      child.start();
      return done;
    });
  }
  const machine = operatorMachine.provide({ actors: wrapped as never });
  const actor = createActor(machine, { input: runInput, ...(snapshot ? { snapshot } : {}) });
  actor.subscribe({
    next: (s) => {
      const paths = activePaths(s.value);
      const leaves = paths.filter((p) => !paths.some((q) => q.startsWith(`${p}.`)));
      for (const leaf of leaves) if (visited[visited.length - 1] !== leaf) visited.push(leaf);
      const probe = { input: runInput, context: s.context, value: s.value };
      gate = gate.then(async () => {
        for (const p of paths) {
          const check = operatorServices.invariants[p];
          if (check) for (const v of await check(probe)) violations.push(`${p}: ${v}`);
        }
      });
    },
    error: () => undefined,
  });
  const done = toPromise(actor) as Promise<OperatorOutput>;
  actor.start();
  // As `lifecycle resume` does: XState keeps after-timers out of the persisted snapshot, so restart them.
  if (snapshot) restartDelays(actor, machine);
  actors.push(actor);
  const until = (predicate: (s: OperatorSnapshot) => boolean, timeout = 15_000) =>
    waitFor(actor, (s) => predicate(s as unknown as OperatorSnapshot), { timeout }) as unknown as Promise<OperatorSnapshot>;
  return {
    actor,
    violations,
    visited,
    until,
    converged: (extra: (s: OperatorSnapshot) => boolean = () => true) => until((s) => s.matches('converged') && extra(s)),
    /** Waits until the checks so far are done. */
    checked: async () => {
      await gate;
      return violations;
    },
    done: async () => {
      const output = await done;
      await gate;
      return output;
    },
  };
}

const status = async () => (await readStatus(statusPath)) as StatusDocument;
const condition = (doc: StatusDocument, type: string) => doc.conditions.find((c) => c.type === type);

/** What the running app answers on /health. */
async function health() {
  const ready = await readReady(workDir);
  if (!ready) throw new Error('the app wrote no ready file');
  return { pid: ready.pid, ...(await probeHealth(ready.port)) };
}

describe('operator services: a real app process driven by the reconcile loop', () => {
  it('deploys a fresh spec: converged with a running process, status COMPLETE and lastAppliedInstanceSpec', async () => {
    writeSpec(specPath, v1);
    const op = startOperator(input());
    const s = await op.converged();
    expect(op.visited).toEqual([
      'reconciling.readingSpec.attempt',
      'reconciling.observing.attempt',
      'reconciling.acting.attempt',
      'reconciling.reporting.attempt',
      'requeued',
      'reconciling.readingSpec.attempt',
      'reconciling.observing.attempt',
      'reconciling.acting.attempt',
      'reconciling.reporting.attempt',
      'converged',
    ]);
    expect(s.context.appState).toBe('running');
    const h = await health();
    expect(h).toMatchObject({ ok: true, body: { status: 'ok', version: '1.0.0', parameters: { message: 'one' } } });
    expect(await readPid(workDir)).toBe(h.pid);
    expect(isAlive(h.pid)).toBe(true);
    const doc = await status();
    expect(doc).toMatchObject({ appState: 'running', outcome: 'converged', activePlan: null, lastAppliedInstanceSpec: v1, lastRefusal: null, reconciles: 2 });
    expect(doc.planStatus.deploy).toMatchObject({ status: 'COMPLETE', runs: 1, history: [{ id: 'deploy-1', status: 'COMPLETE', spec: v1 }] });
    expect(doc.planStatus.upgrade.status).toBe('NEVER_RUN');
    expect(condition(doc, 'Ready')).toMatchObject({ status: 'True', reason: 'Converged' });
    expect(condition(doc, 'Progressing')).toMatchObject({ status: 'False' });
    expect(await op.checked()).toEqual([]);
  });

  it('a spec edited while a plan runs is refused with a reason in the status; the plan keeps its spec, then the edit is applied', async () => {
    // The first version takes a while to listen, so the edit lands while the deploy's create step runs.
    const slow: InstanceSpec = { version: '1.0.0', parameters: { message: 'one', startDelayMs: 400 } };
    writeSpec(specPath, slow);
    const op = startOperator(input());
    await op.until((s) => s.matches({ reconciling: { acting: 'attempt' } }) && s.context.activePlan === 'deploy');
    writeSpec(specPath, v2);
    op.actor.send({ type: 'SPEC.CHANGED' });

    await op.until((s) => s.matches('requeued'));
    const during = await status();
    expect(during).toMatchObject({ outcome: 'requeue', activePlan: 'deploy-1', appState: 'start', lastRefusal: { planRun: 'deploy-1' } });
    expect(during.lastRefusal!.reason).toMatch(/^spec change refused: plan deploy \(deploy-1\) is IN_PROGRESS and only one plan runs at a time/);
    expect(during.planStatus.deploy.lastRun).toMatchObject({ status: 'IN_PROGRESS', spec: slow });
    expect(condition(during, 'SpecChangeRefused')).toMatchObject({ status: 'True', reason: 'PlanInProgress', message: during.lastRefusal!.reason });
    expect(condition(during, 'Progressing')).toMatchObject({ status: 'True', message: 'plan deploy-1: phase deploy, step await-ready' });

    // The deploy completes with the spec it was admitted with; the loop then sees the edit and upgrades.
    const s = await op.converged((x) => x.context.plans.upgrade.status === 'COMPLETE');
    expect(s.context.plans.deploy.history[0]).toMatchObject({ status: 'COMPLETE', spec: slow });
    expect(s.context.lastAppliedInstanceSpec).toEqual(v2);
    expect((await health()).body).toMatchObject({ version: '2.0.0', parameters: { message: 'two' } });
    const after = await status();
    expect(condition(after, 'SpecChangeRefused')).toMatchObject({ status: 'False', reason: 'PlanEnded' });
    expect(await op.checked()).toEqual([]);
  });

  it('a spec change while converged upgrades the process (version) and updates it (parameters)', async () => {
    writeSpec(specPath, v1);
    const op = startOperator(input());
    await op.converged();
    const first = await health();

    writeSpec(specPath, v2);
    op.actor.send({ type: 'SPEC.CHANGED' });
    let s = await op.converged((x) => x.context.plans.upgrade.status === 'COMPLETE');
    const second = await health();
    expect(second).toMatchObject({ ok: true, body: { version: '2.0.0', parameters: { message: 'two' } } });
    expect(second.pid).not.toBe(first.pid);
    expect(isAlive(first.pid)).toBe(false);
    expect(s.context.plans.upgrade.lastRun).toMatchObject({ id: 'upgrade-1', status: 'COMPLETE', spec: v2 });

    const tuned: InstanceSpec = { version: '2.0.0', parameters: { message: 'three' } };
    writeSpec(specPath, tuned);
    op.actor.send({ type: 'SPEC.CHANGED' });
    s = await op.converged((x) => x.context.plans.update.status === 'COMPLETE');
    expect((await health()).body).toMatchObject({ version: '2.0.0', parameters: { message: 'three' } });
    expect(s.context.lastAppliedInstanceSpec).toEqual(tuned);
    expect((await status()).lastAppliedInstanceSpec).toEqual(tuned);
    expect(await op.checked()).toEqual([]);
  });

  it('a change made while the operator was down is applied on the next start (the loop compares with lastAppliedInstanceSpec)', async () => {
    writeSpec(specPath, v1);
    const first = startOperator(input({ resyncMs: 200 }));
    await first.converged();
    const persisted = first.actor.getPersistedSnapshot();
    first.actor.stop();
    const app = await health();
    // The operator is down; the app keeps running; the spec changes and nobody is told.
    writeSpec(specPath, v2);
    await new Promise((r) => setTimeout(r, 100));
    expect(isAlive(app.pid)).toBe(true);
    expect((await health()).body.version).toBe('1.0.0');

    const second = startOperator(input({ resyncMs: 200 }), persisted);
    const s = await second.converged((x) => x.context.plans.upgrade.status === 'COMPLETE');
    expect(s.context.plans.deploy.runs).toBe(1);
    expect(s.context.lastAppliedInstanceSpec).toEqual(v2);
    expect((await health()).body.version).toBe('2.0.0');
    expect(isAlive(app.pid)).toBe(false);
    expect(await second.checked()).toEqual([]);
  });

  it('a freshly started operator adopts an app it finds running and applies the spec to it', async () => {
    writeSpec(specPath, v1);
    const first = startOperator(input());
    await first.converged();
    first.actor.stop();
    writeSpec(specPath, v2);
    const second = startOperator(input());
    const s = await second.converged();
    expect(s.context.plans.deploy.status).toBe('NEVER_RUN');
    expect(s.context.plans.upgrade.status).toBe('COMPLETE');
    expect((await health()).body.version).toBe('2.0.0');
    expect(await second.checked()).toEqual([]);
  });

  it('a crashing app is retried with backoff, then the deploy is ERROR and the operator degraded; nothing is left running', async () => {
    writeSpec(specPath, { version: '1.0.0', parameters: { crashAfterMs: 0 } });
    const op = startOperator(input());
    const s = await op.until((x) => x.matches('degraded'));
    expect(op.visited.filter((v) => v === 'reconciling.acting.backoff')).toHaveLength(2);
    expect(s.context.plans.deploy).toMatchObject({ status: 'ERROR', lastRun: { status: 'ERROR', step: 'create' } });
    expect(s.context.lastError).toMatchObject({ step: 'deploy.create', kind: 'app-exited', attempt: 3 });
    expect(s.context.lastError!.message).toMatch(/app 1\.0\.0 \(pid \d+\) exited with code 1 before it listened: .*crashing after 0 ms, as asked/);
    const pids = spawnedPids(workDir);
    expect(pids).toHaveLength(3);
    expect(pids.some((pid) => isAlive(pid))).toBe(false);
    const doc = await status();
    expect(doc).toMatchObject({ outcome: 'degraded', appState: 'absent', planStatus: { deploy: { status: 'ERROR' } } });
    expect(condition(doc, 'Degraded')).toMatchObject({ status: 'True', reason: 'PlanError', message: expect.stringMatching(/exited with code 1/) });

    op.actor.send({ type: 'SHUTDOWN' });
    expect(await op.done()).toMatchObject({ appState: 'absent', deletion: { reason: 'SHUTDOWN' }, planStatus: { deploy: 'ERROR' } });
    expect(op.violations).toEqual([]);
  });

  it('an app that refuses its parameters fails fatally (blocked, not retried) until the spec is fixed', async () => {
    writeSpec(specPath, { version: '1.0.0', parameters: { crashAfterMs: 'soon' } });
    const op = startOperator(input());
    const s = await op.until((x) => x.matches('blocked'));
    expect(s.context.plans.deploy.status).toBe('FATAL_ERROR');
    expect(s.context.lastError).toMatchObject({ kind: 'fatal', attempt: 1 });
    expect(s.context.lastError!.message).toMatch(/exited with code 2 before it listened: operator-app: parameter crashAfterMs must be a number/);
    expect(condition(await status(), 'Degraded')).toMatchObject({ status: 'True', reason: 'PlanFatalError' });

    writeSpec(specPath, v1);
    op.actor.send({ type: 'SPEC.CHANGED' });
    const fixed = await op.converged();
    expect(fixed.context.plans.deploy).toMatchObject({ status: 'COMPLETE', runs: 2 });
    expect(await op.checked()).toEqual([]);
  });

  it('SHUTDOWN stops the process and ends: running → stopping → end, no process, no instance files, status ended', async () => {
    writeSpec(specPath, v1);
    const op = startOperator(input());
    await op.converged();
    const { pid } = await health();
    op.actor.send({ type: 'SHUTDOWN' });
    const output = await op.done();
    expect(output).toMatchObject({ appState: 'end', deletion: { reason: 'SHUTDOWN' }, lastAppliedInstanceSpec: v1, planStatus: { deploy: 'COMPLETE' } });
    // One edge per pass: running → stopping, requeue, stopping → end.
    expect(op.visited.slice(op.visited.lastIndexOf('converged') + 1)).toEqual([
      'reconciling.readingSpec.attempt',
      'reconciling.observing.attempt',
      'reconciling.acting.attempt',
      'reconciling.reporting.attempt',
      'requeued',
      'reconciling.readingSpec.attempt',
      'reconciling.observing.attempt',
      'reconciling.acting.attempt',
      'reconciling.reporting.attempt',
      'ended',
    ]);
    expect(isAlive(pid)).toBe(false);
    for (const file of [layout.pidFile(workDir), layout.record(workDir), layout.ready(workDir)]) expect(await exists(file)).toBe(false);
    expect(await readFile(layout.log(workDir), 'utf8')).toMatch(/operator-app 1\.0\.0 listening/);
    const doc = await status();
    expect(doc).toMatchObject({ outcome: 'ended', appState: 'end', deletion: { reason: 'SHUTDOWN' } });
    expect(condition(doc, 'Ready')).toMatchObject({ status: 'False', reason: 'Ended' });
    expect(op.violations).toEqual([]);
  });

  it('an invalid spec degrades the pass without a retry; removing the spec file takes the app to end', async () => {
    writeSpec(specPath, v1);
    const op = startOperator(input());
    await op.converged();
    const { pid } = await health();
    await writeFile(specPath, '{ "version": "1.0.0", "parameters": ');
    op.actor.send({ type: 'SPEC.CHANGED' });
    const s = await op.until((x) => x.matches('degraded'));
    expect(s.context.lastError).toMatchObject({ step: 'readSpec', kind: 'invalid-spec', attempt: 1 });
    expect(s.context.lastError!.message).toMatch(/instance\.json is not valid JSON/);
    expect(isAlive(pid)).toBe(true);

    await writeFile(specPath, JSON.stringify({ version: '1.0.0', replicas: 3 }));
    op.actor.send({ type: 'SPEC.CHANGED' });
    await op.until((x) => x.matches('degraded') && /unknown field replicas/.test(x.context.lastError?.message ?? ''));

    await rm(specPath);
    op.actor.send({ type: 'SPEC.CHANGED' });
    expect(await op.done()).toMatchObject({ appState: 'end', deletion: { reason: 'spec-removed' } });
    expect(isAlive(pid)).toBe(false);
    expect(op.violations).toEqual([]);
  });

  it('sandboxInput writes a spec and a work dir under the directory, and deploys', async () => {
    const sandbox = await operatorServices.sandboxInput(join(dir, 'sandbox'));
    expect(sandbox.specPath.startsWith(dir) && sandbox.workDir.startsWith(dir)).toBe(true);
    workDir = sandbox.workDir;
    const op = startOperator(sandbox);
    await op.converged();
    expect((await health()).body).toMatchObject({ version: '1.0.0', parameters: { message: 'hello from the sandbox' } });
    op.actor.send({ type: 'SHUTDOWN' });
    await op.done();
    expect(op.violations).toEqual([]);
  });
});

describe('operator spec validation', () => {
  it('accepts { version, parameters? } and names what is wrong otherwise', () => {
    expect(validateSpec({ version: '1.2.3', parameters: { a: 1 } })).toEqual({ version: '1.2.3', parameters: { a: 1 } });
    expect(validateSpec({ version: '1.2.3' })).toEqual({ version: '1.2.3', parameters: {} });
    expect(validateSpec([])).toMatch(/must be a JSON object/);
    expect(validateSpec({ version: 1 })).toMatch(/version must be a string/);
    expect(validateSpec({ version: '../x' })).toMatch(/version must be a string of letters/);
    expect(validateSpec({ version: '1', parameters: [] })).toMatch(/parameters must be a JSON object/);
    expect(validateSpec({ version: '1', extra: true })).toMatch(/unknown field extra; valid fields: version, parameters/);
  });
});

describe('app log in error messages', () => {
  it("names a crash's error line, not the Node.js version line that ends the log", async () => {
    await mkdir(workDir, { recursive: true });
    await writeFile(
      layout.log(workDir),
      "node:fs:573\n  return binding.open(\n         ^\n\nError: ENOENT: no such file or directory, open 'work/app.ready.json.1.tmp'\n    at Object.openSync (node:fs:573:18)\n\nNode.js v20.20.2\n",
    );
    expect(await logTail(workDir)).toBe("Error: ENOENT: no such file or directory, open 'work/app.ready.json.1.tmp'");
    await writeFile(layout.log(workDir), 'listening\noperator-app: parameter crashAfterMs must be a number\n');
    expect(await logTail(workDir)).toBe('listening | operator-app: parameter crashAfterMs must be a number');
  });
});
