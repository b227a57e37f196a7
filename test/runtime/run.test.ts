import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { fromCallback, fromPromise, setup } from 'xstate';
import { DirectoryStore } from '../../src/runtime/directory-store.ts';
import { MemoryStore } from '../../src/runtime/memory-store.ts';
import { resumeRun, startRun } from '../../src/runtime/runs.ts';
import { callbackMachine, stepsMachine, timerMachine } from './fixtures/machines.ts';

const temps: string[] = [];
/** A temp dir, removed after the file's tests. */
function temp(): string {
  const dir = mkdtempSync(join(tmpdir(), 'lk-run-'));
  temps.push(dir);
  return dir;
}
afterAll(() => {
  for (const dir of temps.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** Aborts the run (a stop that saves nothing, as a crash saves nothing) as soon as `when` holds. */
function abortWhen(when: (dir: string) => boolean, dir: string): AbortController {
  const controller = new AbortController();
  const poll = setInterval(() => {
    if (when(dir)) {
      clearInterval(poll);
      controller.abort();
    }
  }, 2);
  controller.signal.addEventListener('abort', () => clearInterval(poll));
  return controller;
}

const runsOf = (dir: string) => readFileSync(join(dir, 'runs.log'), 'utf8').trim().split('\n');

describe('runtime: durable runs', () => {
  it('runs a machine to its final state, saving the snapshot and a journal line per transition', async () => {
    const dir = temp();
    const store = new DirectoryStore(join(dir, 'store'));
    const result = await startRun({ store, lifecycle: 'steps', machine: stepsMachine, input: { steps: 3, dir } });
    expect(result.status).toBe('succeeded');
    expect(readdirSync(dir).filter((f) => f.startsWith('step-')).sort()).toEqual(['step-0', 'step-1', 'step-2']);
    const { entries, warnings } = store.readJournal();
    expect(warnings).toEqual([]);
    const running = { working: 'running' };
    expect(entries.map((e) => [e.event.replace(/actor\..*/, 'actor'), e.from, e.to, e.step, e.transitions])).toEqual([
      ['xstate.init', null, running, 'step-0', []],
      ['xstate.done.actor', running, running, 'step-1', ['steps.working.running:xstate.done.actor.0.steps.working.running:0']],
      ['xstate.done.actor', running, running, 'step-2', ['steps.working.running:xstate.done.actor.0.steps.working.running:0']],
      ['xstate.done.actor', running, 'done', 'step-2', ['steps.working.running:xstate.done.actor.0.steps.working.running:1']],
    ]);
    const saved = store.loadSnapshot()!.snapshot as { status: string; value: unknown };
    expect(saved).toMatchObject({ status: 'done', value: 'done' });
    expect(store.readMeta()).toMatchObject({ status: 'succeeded', lifecycle: 'steps', resumes: 0 });
    // The atomic writes leave no temp files behind, and the lock is gone.
    expect(readdirSync(join(dir, 'store')).sort()).toEqual(['journal.jsonl', 'run.json', 'snapshot.json']);
  });

  it('saves each snapshot before the services it starts run (the step sees its own state saved)', async () => {
    const store = new MemoryStore();
    const seen: unknown[] = [];
    const spy = fromPromise<void, { index: number }>(async ({ input }) => {
      const saved = JSON.parse(store.snapshot!).snapshot as { context: { index: number } };
      seen.push([input.index, saved.context.index]);
    });
    const result = await startRun({ store, lifecycle: 'steps', machine: stepsMachine, actors: { writeStep: spy }, input: { steps: 3, dir: temp() } });
    expect(result.status).toBe('succeeded');
    expect(seen).toEqual([[0, 0], [1, 1], [2, 2]]);
  });

  it('resumes a run interrupted inside a step (fromPromise): the step in flight runs again, the rest once', async () => {
    const dir = temp();
    const store = new DirectoryStore(join(dir, 'store'));
    const input = { steps: 4, dir, sleepMs: 40 };
    const stop = abortWhen((d) => existsSync(join(d, 'runs.log')) && runsOf(d).length === 3, dir);
    const first = await startRun({ store, lifecycle: 'steps', machine: stepsMachine, input, signal: stop.signal });
    expect(first.status).toBe('interrupted');
    expect(store.readMeta()!.status).toBe('interrupted');
    expect(existsSync(join(dir, 'step-2'))).toBe(false);

    const second = await resumeRun({ store, lifecycle: 'steps', machine: stepsMachine });
    expect(second.status).toBe('succeeded');
    expect(runsOf(dir).map((l) => l.split(' ')[0])).toEqual(['step-0', 'step-1', 'step-2', 'step-2', 'step-3']);
    expect(store.readMeta()).toMatchObject({ status: 'succeeded', resumes: 1 });
    expect(store.readJournal().entries.map((e) => e.event)).toContain('lifecycle.resume');
  });

  it('resumes a run interrupted between steps and refuses to resume a finished one', async () => {
    const dir = temp();
    const store = new MemoryStore();
    const stop = abortWhen((d) => existsSync(join(d, 'step-1')), dir);
    await startRun({ store, lifecycle: 'steps', machine: stepsMachine, input: { steps: 3, dir, sleepMs: 30 }, signal: stop.signal });
    const resumed = await resumeRun({ store, lifecycle: 'steps', machine: stepsMachine });
    expect(resumed.status).toBe('succeeded');
    const again = await resumeRun({ store, lifecycle: 'steps', machine: stepsMachine });
    expect(again).toMatchObject({ alreadyFinished: true, status: 'succeeded' });
  });

  it('resumes a run interrupted while a fromCallback service was active: the callback starts again', async () => {
    const dir = temp();
    const store = new MemoryStore();
    const stop = abortWhen((d) => existsSync(join(d, 'ticker.log')), dir);
    const first = await startRun({ store, lifecycle: 'callback', machine: callbackMachine, input: { dir, ms: 50 }, signal: stop.signal });
    expect(first.status).toBe('interrupted');
    const second = await resumeRun({ store, lifecycle: 'callback', machine: callbackMachine });
    expect(second.status).toBe('succeeded');
    expect(readFileSync(join(dir, 'ticker.log'), 'utf8')).toBe('start\nstart\n');
    expect(existsSync(join(dir, 'ticked'))).toBe(true);
  });

  it('resumes a run interrupted in an `after` state: the delay starts again (XState does not persist timers)', async () => {
    const dir = temp();
    const store = new MemoryStore();
    const stop = new AbortController();
    setTimeout(() => stop.abort(), 30);
    const first = await startRun({ store, lifecycle: 'timer', machine: timerMachine, input: { dir, ms: 200 }, signal: stop.signal });
    expect(first.status).toBe('interrupted');
    const t0 = Date.now();
    const second = await resumeRun({ store, lifecycle: 'timer', machine: timerMachine });
    expect(second.status).toBe('succeeded');
    expect(second.restartedDelays).toEqual([{ state: 'pausing', event: 'xstate.after.pause.timer.pausing', delay: 200 }]);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(190);
    expect(existsSync(join(dir, 'after'))).toBe(true);
  });

  it('resumes in a retry backoff: the backoff timer restarts and the step is retried', async () => {
    const dir = temp();
    const store = new MemoryStore();
    const input = { steps: 2, dir, failAt: 1, failTimes: 1, retry: { initialIntervalMs: 100 } };
    const stop = abortWhen((d) => existsSync(join(d, 'fail-1')), dir);
    const first = await startRun({ store, lifecycle: 'steps', machine: stepsMachine, input, signal: stop.signal });
    expect(first.status).toBe('interrupted');
    expect((JSON.parse(store.snapshot!).snapshot as { value: unknown }).value).toEqual({ working: 'retrying' });
    const second = await resumeRun({ store, lifecycle: 'steps', machine: stepsMachine });
    expect(second.status).toBe('succeeded');
    expect(second.restartedDelays.map((d) => d.state)).toEqual(['working.retrying']);
    expect(second.snapshot!.context).toMatchObject({ attempts: 2, lastError: { step: 'step-1', attempt: 1, kind: 'injected' } });
  });

  it('fails with the last error when retries run out (exit status failed)', async () => {
    const dir = temp();
    const store = new MemoryStore();
    const input = { steps: 2, dir, failAt: 0, retry: { maxAttempts: 2, initialIntervalMs: 5 } };
    const result = await startRun({ store, lifecycle: 'steps', machine: stepsMachine, input });
    expect(result.status).toBe('failed');
    expect(result.error).toBe('step-0 (attempt 2): step 0 failed on purpose');
    expect(store.readMeta()).toMatchObject({ status: 'failed', error: result.error });
    expect(store.readJournal().entries.filter((e) => e.error).map((e) => e.error!.attempt)).toEqual([1, 2]);
  });

  it('refuses to start over an unfinished run and archives a finished one', async () => {
    const dir = temp();
    const store = new DirectoryStore(join(dir, 'store'));
    const stop = new AbortController();
    stop.abort();
    await startRun({ store, lifecycle: 'steps', machine: stepsMachine, input: { steps: 1, dir }, signal: stop.signal });
    await expect(startRun({ store, lifecycle: 'steps', machine: stepsMachine, input: { steps: 1, dir } })).rejects.toThrow(
      /holds an unfinished steps run .* resume it with 'lifecycle resume --store .*store', or use another --store$/,
    );
    await resumeRun({ store, lifecycle: 'steps', machine: stepsMachine });
    const next = await startRun({ store, lifecycle: 'steps', machine: stepsMachine, input: { steps: 1, dir } });
    expect(next.status).toBe('succeeded');
    expect(next.warnings[0]).toMatch(/archived the previous steps run \(succeeded\) to .*runs/);
    expect(readdirSync(join(dir, 'store', 'runs'))).toHaveLength(1);
  });
});

describe('runtime: step timeouts', () => {
  it('fails a hung service with kind timeout, which the retry policy retries like any failure', async () => {
    const dir = temp();
    const store = new MemoryStore();
    const input = { steps: 2, dir, hangAt: 1, retry: { maxAttempts: 2, initialIntervalMs: 5 } };
    const t0 = Date.now();
    const result = await startRun({ store, lifecycle: 'steps', machine: stepsMachine, input, timeoutMs: 60 });
    expect(result.status).toBe('failed');
    expect(Date.now() - t0).toBeLessThan(2000);
    expect(result.snapshot!.context.lastError).toMatchObject({ kind: 'timeout', attempt: 2, message: 'service "writeStep" timed out after 60 ms' });
  });

  it('takes a time limit per actor name over the default', async () => {
    const dir = temp();
    const result = await startRun({
      store: new MemoryStore(),
      lifecycle: 'steps',
      machine: stepsMachine,
      input: { steps: 1, dir, sleepMs: 80 },
      timeoutMs: 10,
      timeouts: { writeStep: 0 },
    });
    expect(result.status).toBe('succeeded');
  });
});

describe('runtime: step timeouts and long-lived services', () => {
  const waiter = setup({
    actors: {
      server: fromCallback<{ type: 'READY' }>(({ sendBack }) => {
        const t = setTimeout(() => sendBack({ type: 'READY' }), 150);
        return () => clearTimeout(t);
      }),
    },
  }).createMachine({
    id: 'waiter',
    initial: 'serving',
    states: {
      serving: { tags: ['waiting'], invoke: { src: 'server', onError: 'failed' }, on: { READY: 'done' } },
      done: { type: 'final' },
      failed: { type: 'final', tags: ['failure'] },
    },
  });

  it('a service of a state tagged `waiting` gets no default time limit, only one named for it', async () => {
    const free = await startRun({ store: new MemoryStore(), lifecycle: 'waiter', machine: waiter, input: undefined, timeoutMs: 50 });
    expect(free.status).toBe('succeeded');
    const limited = await startRun({ store: new MemoryStore(), lifecycle: 'waiter', machine: waiter, input: undefined, timeouts: { server: 50 } });
    expect(limited.status).toBe('failed');
  });
});

describe('runtime: --verify', () => {
  it('checks the invariants of every active state before its services start, and fails the run on a violation', async () => {
    const dir = temp();
    const checked: string[] = [];
    const invariants = {
      working: ({ context }: { context: unknown }) => {
        const { index } = context as { index: number };
        checked.push(`working@${index}`);
        // Holds before step `index` runs: its file is not there yet. (Were the service not held back until
        // the check is done, step-0 could be written already and this would be flaky.)
        return existsSync(join(dir, `step-${index}`)) ? [`step-${index} exists before it ran`] : [];
      },
      'working.running': ({ context }: { context: unknown }) => {
        const { index } = context as { index: number };
        return index === 2 ? [`step-2 must not run`] : [];
      },
    };
    const store = new MemoryStore();
    const result = await startRun({ store, lifecycle: 'steps', machine: stepsMachine, input: { steps: 4, dir }, invariants, verify: true });
    expect(result.status).toBe('failed');
    expect(result.error).toMatch(/^invariant violated in working\.running \(after xstate\.done\.actor\..*\): working\.running: step-2 must not run$/);
    expect(checked).toEqual(['working@0', 'working@1', 'working@2']);
    expect(existsSync(join(dir, 'step-1'))).toBe(true);
    expect(existsSync(join(dir, 'step-2'))).toBe(false); // held back, then stopped
    expect(store.readMeta()).toMatchObject({ status: 'failed', error: result.error });
  });

  it('passes when every invariant holds', async () => {
    const result = await startRun({
      store: new MemoryStore(),
      lifecycle: 'steps',
      machine: stepsMachine,
      input: { steps: 2, dir: temp() },
      invariants: { done: () => [] },
      verify: true,
    });
    expect(result.status).toBe('succeeded');
  });
});

describe('runtime: resuming a run that failed outside its machine', () => {
  it('a run stopped by a violated invariant resumes once the system is fixed', async () => {
    const dir = temp();
    const store = new MemoryStore();
    let broken = true;
    const invariants = { 'working.running': () => (broken ? ['the system is broken'] : []) };
    const first = await startRun({ store, lifecycle: 'steps', machine: stepsMachine, input: { steps: 2, dir }, invariants, verify: true });
    expect(first).toMatchObject({ status: 'failed', error: expect.stringContaining('the system is broken') });
    broken = false;
    const second = await resumeRun({ store, lifecycle: 'steps', machine: stepsMachine, invariants });
    expect(second).toMatchObject({ status: 'succeeded', alreadyFinished: false });
  });
});

describe('runtime: shutdown of a lifecycle that runs until told to stop', () => {
  const server = setup({ actors: { serve: fromCallback(() => () => undefined), warmUp: fromPromise(() => new Promise<void>((r) => setTimeout(r, 50))) } }).createMachine({
    id: 'server',
    initial: 'warming',
    states: {
      // STOP is not accepted while warming up: a shutdown asked for then is sent once a state accepts it.
      warming: { invoke: { src: 'warmUp', onDone: 'serving' } },
      serving: { invoke: { src: 'serve' }, on: { STOP: 'stopped' } },
      stopped: { type: 'final' },
    },
  });

  it('the shutdown signal sends the event; the run goes on to its final state, saved, and succeeds', async () => {
    const store = new MemoryStore();
    const shutdown = new AbortController();
    const run = startRun({
      store,
      lifecycle: 'server',
      machine: server,
      input: {},
      shutdown: { signal: shutdown.signal, event: { type: 'STOP' } },
      onTransition: (entry) => {
        if (entry.to === 'serving') shutdown.abort();
      },
    });
    expect(await run).toMatchObject({ status: 'succeeded' });
    expect(store.readJournal().entries.map((e) => [e.event, e.to])).toEqual([
      ['xstate.init', 'warming'],
      [expect.stringMatching(/^xstate\.done\.actor/), 'serving'],
      ['STOP', 'stopped'],
    ]);
  });

  it('a shutdown waits for a state that accepts the event; the interrupt signal still stops the run at once', async () => {
    const store = new MemoryStore();
    const shutdown = new AbortController();
    const interrupt = new AbortController();
    shutdown.abort();
    const run = startRun({
      store,
      lifecycle: 'server',
      machine: server,
      input: {},
      signal: interrupt.signal,
      shutdown: { signal: shutdown.signal, event: { type: 'STOP' } },
    });
    setTimeout(() => interrupt.abort(), 10);
    const result = await run;
    expect(result.status).toBe('interrupted');
    expect(result.snapshot!.value).toBe('warming');
  });

  it('a shutdown asked for before the machine can take it is sent when it can', async () => {
    const store = new MemoryStore();
    const shutdown = new AbortController();
    shutdown.abort();
    const result = await startRun({ store, lifecycle: 'server', machine: server, input: {}, shutdown: { signal: shutdown.signal, event: { type: 'STOP' } } });
    expect(result.status).toBe('succeeded');
    expect(store.readJournal().entries.map((e) => e.to)).toEqual(['warming', 'serving', 'stopped']);
  });
});
