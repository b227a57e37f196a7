/**
 * Every step of the operator runs again after a crash and the run still ends as an uninterrupted one: a deploy to
 * `converged`, then the spec file removed, which takes the app to `end` and the operator to `ended`. Each case stops
 * the run right after the n-th call of one step did its work, before the run saw its result (so the saved state
 * still has it in flight, as after a SIGKILL), and resumes with `--verify` on (the operator's invariants checked
 * against the real app process and files after every transition). The app is a real process that outlives the
 * operator, as it would a crashed one; nothing else lived in the operator's process.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { createActor, fromPromise, toPromise, type AnyActorLogic, type AnyMachineSnapshot } from 'xstate';
import { operatorMachine, type OperatorContext, type OperatorInput } from '../../machines/operator.ts';
import { DirectoryStore } from '../../src/runtime/directory-store.ts';
import { describeValue } from '../../src/runtime/state-paths.ts';
import { resumeRun, startRun, type RunResult } from '../../src/runtime/runs.ts';
import { operatorServices, probeHealth, readReady, readStatus, spawnedPids, stopSpawnedApps, writeSpec } from '../../src/services/operator/index.ts';
import { isAlive } from '../../src/services/upgrade/index.ts';

afterEach(() => stopSpawnedApps());
const temps: string[] = [];
afterAll(() => {
  for (const dir of temps.splice(0)) rmSync(dir, { recursive: true, force: true });
});

type Step = 'readSpec' | 'observeApp' | 'runAction' | 'writeStatus';
const STEPS: Step[] = ['readSpec', 'observeApp', 'runAction', 'writeStatus'];

interface Scenario {
  /** Calls of each step that completed, over the whole scenario. */
  calls: Record<Step, number>;
  /** Legs run (1 + the resumes). */
  legs: number;
  end: RunResult;
  deployed: OperatorContext;
  dir: string;
}

/**
 * Deploys, then removes the spec and lets the operator end. With `crash`, the run is stopped once, right after the
 * `crash.call`-th call of `crash.step` did its work, and resumed.
 */
async function scenario(crash?: { step: Step; call: number }): Promise<Scenario> {
  const dir = mkdtempSync(join(tmpdir(), 'lk-operator-resume-'));
  temps.push(dir);
  const input: OperatorInput = {
    specPath: join(dir, 'instance.json'),
    workDir: join(dir, 'work'),
    requeueMs: 20,
    resyncMs: 150,
    retry: { maxAttempts: 3, initialIntervalMs: 20, backoffRate: 2, maxIntervalMs: 100 },
  };
  writeSpec(input.specPath, { version: '1.0.0', parameters: { message: 'hello' } });
  const store = new DirectoryStore(join(dir, 'store'));
  const calls: Record<Step, number> = { readSpec: 0, observeApp: 0, runAction: 0, writeStatus: 0 };
  let controller = new AbortController();
  let crashed = false;
  const actors: Record<string, AnyActorLogic> = {};
  for (const step of STEPS) {
    const real = operatorServices.actors[step]!;
    actors[step] = fromPromise(async ({ input: stepInput, signal }: { input: unknown; signal: AbortSignal }) => {
      const child = createActor(real, { input: stepInput });
      signal.addEventListener('abort', () => child.stop());
      const done = toPromise(child);
      child.start();
      const output = await done;
      calls[step]++;
      if (crash && !crashed && crash.step === step && calls[step] === crash.call) {
        crashed = true;
        controller.abort();
        return new Promise(() => undefined);
      }
      return output;
    });
  }

  let phase: 'deploy' | 'end' = 'deploy';
  let deployed: OperatorContext | undefined;
  let legs = 0;
  for (;;) {
    if (++legs > 6) throw new Error('the scenario did not end in 6 legs');
    const options = {
      store,
      lifecycle: 'operator',
      machine: operatorMachine,
      actors,
      invariants: operatorServices.invariants as never,
      verify: true,
      signal: controller.signal,
      onTransition: (_: unknown, snapshot: AnyMachineSnapshot) => {
        if (phase === 'deploy' && describeValue(snapshot.value) === 'converged') controller.abort();
      },
    };
    const result = legs === 1 ? await startRun({ ...options, input }) : await resumeRun(options);
    controller = new AbortController();
    if (result.status === 'interrupted' && describeValue(result.snapshot!.value) !== 'converged') continue; // crashed: resume
    if (phase === 'deploy') {
      expect(result.status).toBe('interrupted');
      deployed = result.snapshot!.context as OperatorContext;
      // The app runs the spec: exactly one process, healthy, the status COMPLETE with the spec applied.
      const ready = await readReady(input.workDir);
      expect(ready).toMatchObject({ version: '1.0.0' });
      expect(await probeHealth(ready!.port)).toMatchObject({ ok: true, body: { version: '1.0.0', parameters: { message: 'hello' } } });
      expect(spawnedPids(input.workDir).filter(isAlive)).toEqual([ready!.pid]);
      expect(await readStatus(join(dir, 'instance.status.json'))).toMatchObject({
        appState: 'running',
        lastAppliedInstanceSpec: { version: '1.0.0', parameters: { message: 'hello' } },
      });
      rmSync(input.specPath);
      phase = 'end';
      continue;
    }
    expect(result.error).toBeNull();
    return { calls, legs, end: result, deployed: deployed!, dir };
  }
}

describe('operator: every step runs again after a crash, and the run ends as an uninterrupted one', async () => {
  const reference = await scenario();
  const cases = STEPS.flatMap((step) => Array.from({ length: reference.calls[step] }, (_, i) => ({ step, call: i + 1 })));

  it('the uninterrupted run: deploy to converged, then the removed spec ends the app and the operator', () => {
    expect(reference.legs).toBe(2);
    expect(reference.end.status).toBe('succeeded');
    expect(reference.end.snapshot!.value).toBe('ended');
    expect(cases.length).toBeGreaterThan(10);
  });

  it.each(cases)('killed after call $call of $step did its work', async (crash) => {
    const run = await scenario(crash);
    expect(run.legs).toBe(3);
    expect(run.end.status).toBe('succeeded');
    expect(run.end.snapshot!.value).toBe('ended');
    const context = run.end.snapshot!.context as OperatorContext;
    const expected = reference.end.snapshot!.context as OperatorContext;
    expect(context.appState).toBe(expected.appState);
    expect(context.lastAppliedInstanceSpec).toEqual(expected.lastAppliedInstanceSpec);
    expect(run.deployed.plans.deploy.status).toBe(reference.deployed.plans.deploy.status);
    // Nothing left running: the app ended, and no step run twice started a second one.
    expect(spawnedPids(join(run.dir, 'work')).filter(isAlive)).toEqual([]);
  });
});
