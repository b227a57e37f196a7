import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fromCallback, fromPromise } from 'xstate';
import type { LifecycleServices } from '../../src/services/types.ts';
import { createPathRunner } from '../../src/testgen/harness.ts';

// A machine file for the runner to load: two steps, a retry timer, a failure path.
const dir = new URL('../.generated/', import.meta.url).pathname;
const file = join(dir, 'harness-machine.ts');
if (!existsSync(file)) {
  const { mkdirSync } = await import('node:fs');
  mkdirSync(dir, { recursive: true });
}
writeFileSync(
  file,
  `import { setup, fromPromise } from 'xstate';
export const machine = setup({
  types: { input: {} as { dir: string; marker?: string } },
  actors: { write: fromPromise<void, { dir: string }>(async () => {}) },
  delays: { backoff: 1000 },
}).createMachine({
  id: 'h',
  context: ({ input }) => ({ dir: input.dir }),
  initial: 'writing',
  states: {
    writing: { invoke: { id: 'write', src: 'write', input: ({ context }) => ({ dir: context.dir }), onDone: 'done', onError: 'waiting' } },
    waiting: { after: { backoff: 'writing' } },
    done: { type: 'final' },
  },
});
`,
);

// A machine whose step is a callback service that reports progress, then its result or a failure.
const callbackFile = join(dir, 'harness-callback-machine.ts');
writeFileSync(
  callbackFile,
  `import { setup, fromCallback } from 'xstate';
export const machine = setup({
  types: { input: {} as { dir: string } },
  actors: { fetch: fromCallback(() => {}) },
}).createMachine({
  id: 'c',
  context: ({ input }) => ({ dir: input.dir, file: '' }),
  initial: 'fetching',
  states: {
    fetching: {
      invoke: { id: 'fetch', src: 'fetch', input: ({ context }) => ({ dir: context.dir }), onError: 'failed' },
      on: { PROGRESS: {}, DONE: { target: 'done', actions: ({ context, event }) => { context.file = event.file; } }, FAILED: 'failed' },
    },
    done: { type: 'final' },
    failed: { type: 'final' },
  },
});
`,
);

// A machine that starts a process (whose pid the system chooses), keeps its pid, and stops it by pid.
const pidFile = join(dir, 'harness-pid-machine.ts');
writeFileSync(
  pidFile,
  `import { setup, fromPromise, assign } from 'xstate';
export const machine = setup({
  types: { input: {} as { dir: string } },
  actors: { start: fromPromise<{ pid: number; name: string }>(async () => ({ pid: 0, name: '' })), stop: fromPromise<void, { pid: number }>(async () => {}) },
}).createMachine({
  id: 'p',
  context: { pid: 0, log: '' },
  initial: 'starting',
  states: {
    starting: { invoke: { id: 'start', src: 'start', onDone: { target: 'stopping', actions: assign(({ event }) => ({ pid: event.output.pid, log: 'started ' + event.output.pid })) }, onError: 'failed' } },
    stopping: { invoke: { id: 'stop', src: 'stop', input: ({ context }) => ({ pid: context.pid }), onDone: 'done' } },
    done: { type: 'final' },
    failed: { type: 'final' },
  },
});
`,
);

// A list of spawned child machines, each removed by the id its own context holds (as xstate-tree's todos are).
const spawnFile = join(dir, 'harness-spawn-machine.ts');
writeFileSync(
  spawnFile,
  `import { setup, assign, createMachine, type ActorRefFrom } from 'xstate';
const item = createMachine({ types: {} as { input: { id: string }; context: { id: string } }, context: ({ input }) => ({ id: input.id }), initial: 'open', states: { open: {} } });
export const machine = setup({
  types: { context: {} as { items: ActorRefFrom<typeof item>[] }, events: {} as { type: 'ADD'; id: string } | { type: 'REMOVE'; id: string } },
  actors: { item },
}).createMachine({
  id: 's',
  context: { items: [] },
  initial: 'none',
  states: {
    none: { on: { ADD: { target: 'some', actions: assign({ items: ({ context, event, spawn }) => [...context.items, spawn('item', { input: { id: event.id } })] }) } } },
    some: {
      always: { guard: ({ context }) => context.items.length === 0, target: 'none' },
      on: { REMOVE: { target: 'some', reenter: true, actions: assign({ items: ({ context, event }) => context.items.filter((ref) => ref.getSnapshot().context.id !== event.id) }) } },
    },
  },
});
`,
);

function services(invariantHolds: boolean, written: string[]): LifecycleServices {
  return {
    lifecycle: 'h',
    actors: {
      write: fromPromise(async ({ input }: { input: { dir: string } }) => {
        writeFileSync(join(input.dir, 'marker'), 'x');
        written.push(input.dir);
      }),
    },
    invariants: {
      done: ({ input }) => (invariantHolds && existsSync(join((input as { dir: string }).dir, 'marker')) ? [] : ['marker is missing']),
    },
    sandboxInput: async (d) => ({ dir: d }),
  };
}

describe('path runner', () => {
  it('drives services, timers and events along a path and checks each state', async () => {
    const run = await createPathRunner({ machine: `${file}#machine` });
    await run('fail then retry', [
      { event: { type: 'xstate.error.actor.write', error: { message: 'disk full' } }, state: 'waiting' },
      { event: { type: 'xstate.after.backoff.h.waiting' }, state: 'writing' },
      { event: { type: 'xstate.done.actor.write' }, state: 'done' },
    ], 'writing', { dir: '/nowhere' });
  });

  it('fails with the path, the step, expected and actual', async () => {
    const run = await createPathRunner({ machine: `${file}#machine` });
    await expect(run('wrong', [{ event: { type: 'xstate.done.actor.write' }, state: 'waiting' }], 'writing', { dir: '/x' })).rejects.toThrow(
      /path "wrong", step 1 of 1: expected state waiting, got done/,
    );
    await expect(run('not running', [{ event: { type: 'xstate.done.actor.nope' }, state: 'done' }], 'writing', { dir: '/x' })).rejects.toThrow(
      /service nope is not running/,
    );
  });

  it('in a sandbox, runs the real service and checks the invariants against what it did', async () => {
    const written: string[] = [];
    const run = await createPathRunner({ machine: `${file}#machine`, services: services(true, written) });
    await run('real', [{ event: { type: 'xstate.done.actor.write' }, state: 'done' }], 'writing', { dir: '/nowhere' }, { sandbox: true });
    expect(written).toHaveLength(1);
    expect(written[0]).not.toBe('/nowhere'); // the sandbox's directory replaced the path's

    const failing = await createPathRunner({ machine: `${file}#machine`, services: services(false, []) });
    await expect(failing('real', [{ event: { type: 'xstate.done.actor.write' }, state: 'done' }], 'writing', { dir: '/nowhere' }, { sandbox: true })).rejects.toThrow(
      /invariant of done does not hold in .*: marker is missing/,
    );
  });

  it('without the services\' faults, stops checking invariants once a failure is injected (the real system did not fail)', async () => {
    const run = await createPathRunner({ machine: `${file}#machine`, services: services(false, []) });
    await run('injected', [
      { event: { type: 'xstate.error.actor.write', error: { message: 'disk full' } }, state: 'waiting' },
      { event: { type: 'xstate.after.backoff.h.waiting' }, state: 'writing' },
      { event: { type: 'xstate.done.actor.write' }, state: 'done' },
    ], 'writing', { dir: '/nowhere' }, { sandbox: true });
  });

  it('with the services\' faults, a failure runs the real service, which fails for real, and the path stays real', async () => {
    const written: string[] = [];
    let armed = false;
    const real = services(false, written);
    real.actors = {
      write: fromPromise(async ({ input }: { input: { dir: string } }) => {
        if (armed) {
          armed = false;
          throw new Error('disk full');
        }
        writeFileSync(join(input.dir, 'marker'), 'x');
        written.push(input.dir);
      }),
    };
    const faults: { calls: number; error: unknown }[] = [];
    real.faults = {
      write: ({ calls, error }) => {
        faults.push({ calls, error });
        armed = true;
      },
    };
    const run = await createPathRunner({ machine: `${file}#machine`, services: real });
    // The invariant of done fails: the path reached it against the real system, so it is checked.
    await expect(run('fault', [
      { event: { type: 'xstate.error.actor.write', error: { message: 'disk full' } }, state: 'waiting' },
      { event: { type: 'xstate.after.backoff.h.waiting' }, state: 'writing' },
      { event: { type: 'xstate.done.actor.write' }, state: 'done' },
    ], 'writing', { dir: '/nowhere' }, { sandbox: true })).rejects.toThrow(/step 3 of 3: invariant of done does not hold/);
    expect(faults).toEqual([{ calls: 0, error: { message: 'disk full' } }]);
    expect(written).toHaveLength(1); // the retry ran for real

    // A fault that does not make the service fail is the service's bug (or the hook's): the test says so.
    real.faults = { write: () => {} };
    await expect(run('no fault', [{ event: { type: 'xstate.error.actor.write', error: { message: 'disk full' } }, state: 'waiting' }], 'writing', { dir: '/nowhere' }, { sandbox: true })).rejects.toThrow(
      /the real service write finished where the path expects it to fail, after faults.write injected the failure/,
    );
    // A fault the hook cannot make: the path goes on with the sample, and leaves the real system (no invariant).
    real.faults = { write: () => false };
    await run('cannot', [
      { event: { type: 'xstate.error.actor.write', error: { message: 'disk full' } }, state: 'waiting' },
      { event: { type: 'xstate.after.backoff.h.waiting' }, state: 'writing' },
      { event: { type: 'xstate.done.actor.write' }, state: 'done' },
    ], 'writing', { dir: '/nowhere' }, { sandbox: true });
  });

  it('with a scenario, the real output must be the sample; without one, a sample it does not give ends the real part', async () => {
    const real: LifecycleServices = {
      actors: { write: fromPromise(async () => ({ version: '1.0.0' })) },
      invariants: { done: () => ['checked'] },
      sandboxInput: async (d) => ({ dir: d }),
    };
    const run = await createPathRunner({ machine: `${file}#machine`, services: real });
    const steps = (version: string) => [{ event: { type: 'xstate.done.actor.write', output: { version } }, state: 'done' }];
    // Without a scenario: the path goes on with the sample (the invariant is not checked: the real system left).
    await run('other sample', steps('2.0.0'), 'writing', { dir: '/nowhere' }, { sandbox: 0 });
    // The same sample: followed, so the invariant is checked.
    await expect(run('same', steps('1.0.0'), 'writing', { dir: '/nowhere' }, { sandbox: 0 })).rejects.toThrow(/invariant of done does not hold .*: checked/);
    // With a scenario that claims to set it up, a real output unlike the sample fails the test.
    const asked: unknown[] = [];
    real.scenarios = { write: ({ output }) => void asked.push(output) };
    await expect(run('scenario', steps('2.0.0'), 'writing', { dir: '/nowhere' }, { sandbox: 0 })).rejects.toThrow(
      /the real write returned other than the path's sample after scenarios.write set it up \(version: expected "2.0.0", got "1.0.0"\)/,
    );
    expect(asked).toEqual([{ version: '2.0.0' }]);
  });
});

describe('path runner, callback services', () => {
  const fetchServices = (fails: { armed: boolean }): LifecycleServices => ({
    actors: {
      fetch: fromCallback(({ sendBack, input }: { sendBack: (e: { type: string; [k: string]: unknown }) => void; input: { dir: string } }) => {
        const t = setTimeout(() => {
          sendBack({ type: 'PROGRESS', received: 1 });
          if (fails.armed) sendBack({ type: 'FAILED', reason: 'offline' });
          else sendBack({ type: 'DONE', file: join(input.dir, 'f') });
        }, 10);
        return () => clearTimeout(t);
      }),
    },
    invariants: { done: () => ['reached for real'] },
    faults: { FAILED: () => void (fails.armed = true) },
    sandboxInput: async (d) => ({ dir: d }),
  });

  it('takes the event the real callback service sends, and follows the real system with it', async () => {
    const fails = { armed: false };
    const run = await createPathRunner({ machine: `${callbackFile}#machine`, services: fetchServices(fails) });
    // The real DONE names the sandbox's file, read back as the path's: the real system is followed, so done's
    // invariant is checked.
    await expect(run('real done', [{ event: { type: 'DONE', file: '/nowhere/f' }, state: 'done' }], 'fetching', { dir: '/nowhere' }, { sandbox: true })).rejects.toThrow(
      /invariant of done does not hold .*reached for real/,
    );
    // A payload the real service does not send: the path goes on with the sample, off the real system.
    await run('other file', [{ event: { type: 'DONE', file: '/elsewhere' }, state: 'done' }], 'fetching', { dir: '/nowhere' }, { sandbox: true });
    // The failure the path's next event needs is arranged (faults keyed by the event type) before the service runs.
    await run('failed', [{ event: { type: 'FAILED', reason: 'offline' }, state: 'failed' }], 'fetching', { dir: '/nowhere' }, { sandbox: true });
    expect(fails.armed).toBe(true);
  });

  it('fails a real callback service for real where the path says it fails (it throws), after faults[src]', async () => {
    const throws = { armed: false, kind: 'network' };
    const real: LifecycleServices = {
      actors: {
        fetch: fromCallback(() => {
          if (throws.armed) throw Object.assign(new Error('offline'), { kind: throws.kind });
          return () => {};
        }),
      },
      invariants: { failed: () => ['failed for real'] },
      faults: { fetch: () => void (throws.armed = true) },
      sandboxInput: async (d) => ({ dir: d }),
    };
    const run = await createPathRunner({ machine: `${callbackFile}#machine`, services: real });
    const failing = (error: Record<string, unknown>) => run('throws', [{ event: { type: 'xstate.error.actor.fetch', error }, state: 'failed' }], 'fetching', { dir: '/nowhere' }, { sandbox: true });
    // It failed for real: the path stays real, so failed's invariant is checked.
    await expect(failing({ message: 'offline', kind: 'network' })).rejects.toThrow(/step 1 of 1: invariant of failed does not hold .*failed for real/);
    throws.kind = 'dns';
    await expect(failing({ message: 'offline', kind: 'network' })).rejects.toThrow(/the real service fetch failed otherwise than the path's sample after faults.fetch \(kind: expected "network", got "dns"\)/);
    // A fault that does not make it fail is a failing test; without faults, the path leaves the real system.
    real.faults = { fetch: () => void (throws.armed = false) };
    process.env.LIFECYCLE_RELAY_WAIT_MS = '200'; // how long the harness waits for the failure
    await expect(failing({ message: 'offline' })).rejects.toThrow(/the real service fetch did not fail where the path expects it to, after faults.fetch injected the failure/);
    delete process.env.LIFECYCLE_RELAY_WAIT_MS;
    real.faults = {};
    await failing({ message: 'offline' });
  });
});

describe('path runner, spawned child machines', () => {
  it("gives a spawned child machine's stand-in the context the child starts with, as the model's children have", async () => {
    const run = await createPathRunner({ machine: `${spawnFile}#machine` });
    await run('add, remove', [
      { event: { type: 'ADD', id: 'a' }, state: 'some' },
      { event: { type: 'REMOVE', id: 'a' }, state: 'none' },
    ], 'none');
  });
});

describe('path runner, what real services make anew and how they fail', () => {
  const pidServices = (stopped: number[], failure?: Error): LifecycleServices => ({
    actors: {
      start: fromPromise(async () => {
        if (failure) throw failure;
        return { pid: 40000 + Math.floor(Math.random() * 1000), name: 'agent' };
      }),
      stop: fromPromise(async ({ input }: { input: { pid: number } }) => void stopped.push(input.pid)),
    },
    invariants: { done: () => ['reached for real'] },
    faults: { start: () => {} },
    sandboxInput: async (d) => ({ dir: d }),
  });
  const path = [
    { event: { type: 'xstate.done.actor.start', output: { pid: 4242, name: 'agent' } }, state: 'stopping', context: { pid: 4242, log: 'started 4242' }, inputs: { stop: { pid: 4242 } } },
    { event: { type: 'xstate.done.actor.stop' }, state: 'done' },
  ];

  it("follows a real output whose unchecked fields differ from the sample's, reading them back as the sample's", async () => {
    const stopped: number[] = [];
    // Without `unchecked`, the real pid is not the sample's: the path leaves the real system (no invariant).
    await createPathRunner({ machine: `${pidFile}#machine`, services: pidServices(stopped) }).then((run) =>
      run('pid differs', path, 'starting', { dir: '/nowhere' }, { sandbox: 0, context: { pid: 0, log: '' }, inputs: { start: null } }),
    );
    expect(stopped).toEqual([]);
    const real = { ...pidServices(stopped), unchecked: { start: ['pid'] } };
    const run = await createPathRunner({ machine: `${pidFile}#machine`, services: real });
    // With it: the machine keeps the real pid (in a number and inside a string), stops the real process by it, and
    // the context and the stop's input still compare as the sample's; done's invariant is checked for real.
    await expect(run('pid made anew', path, 'starting', { dir: '/nowhere' }, { sandbox: 0, context: { pid: 0, log: '' }, inputs: { start: null } })).rejects.toThrow(/step 2 of 2: invariant of done does not hold .*reached for real/);
    expect(stopped).toHaveLength(1);
    expect(stopped[0]).toBeGreaterThanOrEqual(40000);
    // A field not named stays checked.
    const other = [{ ...path[0]!, event: { type: 'xstate.done.actor.start', output: { pid: 4242, name: 'other' } } }, path[1]!];
    await run('name differs', other, 'starting', { dir: '/nowhere' }, { sandbox: 0, context: { pid: 0, log: '' }, inputs: { start: null } });
    expect(stopped).toHaveLength(1);
  });

  it("fails a path whose fault makes the real service fail with another kind than the sample's", async () => {
    const failure = Object.assign(new Error('port 80 is taken'), { kind: 'port-in-use' });
    const run = await createPathRunner({ machine: `${pidFile}#machine`, services: pidServices([], failure) });
    const failing = (error: Record<string, unknown>) => run('failing', [{ event: { type: 'xstate.error.actor.start', error }, state: 'failed' }], 'starting', { dir: '/nowhere' }, { sandbox: 0 });
    await expect(failing({ message: 'the image does not exist', kind: 'fatal' })).rejects.toThrow(
      /the real service start failed otherwise than the path's sample after faults.start \(kind: expected "fatal", got "port-in-use"\): port 80 is taken/,
    );
    // The words may differ, and fields the sample does not name are the service's business.
    await failing({ message: 'another message', kind: 'port-in-use' });
    await failing({ message: 'no kind' });
  });
});
