import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fromPromise } from 'xstate';
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

  it('stops checking invariants once a failure is injected (the real system did not fail)', async () => {
    const run = await createPathRunner({ machine: `${file}#machine`, services: services(false, []) });
    await run('injected', [
      { event: { type: 'xstate.error.actor.write', error: { message: 'disk full' } }, state: 'waiting' },
      { event: { type: 'xstate.after.backoff.h.waiting' }, state: 'writing' },
      { event: { type: 'xstate.done.actor.write' }, state: 'done' },
    ], 'writing', { dir: '/nowhere' }, { sandbox: true });
  });
});

