import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { comparable } from '../../src/testgen/comparable.ts';
import { createActor, createMachine } from 'xstate';
import { run } from '../../cli/main.ts';
import { failures, ROOT, runSuites, testgen } from './generated-suite.ts';

// A pool that spawns children with ids it makes up (a counter in its module) and handles their done events with a
// wildcard (`xstate.done.actor.Worker.*`): the model's ids are not the test's, and the wildcard names no one child.
const POOL = join(ROOT, 'test/fixtures/infer/spawned-workers.ts');
const out = join(ROOT, 'test/.generated', `spawned-${process.pid}`);
afterAll(() => rmSync(out, { recursive: true, force: true }));

describe('spawned children in generated suites', () => {
  it('finishes the child a wildcard done step stands for, and the suite passes against the machine', async () => {
    await testgen([`${POOL}#pool`], out);
    const source = readFileSync(join(out, 'spawned-workers.pool.paths.test.ts'), 'utf8');
    expect(source).toContain('xstate.done.actor.Worker.*');
    const tests = await runSuites([join(out, 'spawned-workers.pool.paths.test.ts')], out);
    expect(tests.length).toBeGreaterThanOrEqual(1);
    expect(failures(tests)).toEqual([]);
  });

  it('gives an input typed as an actor ref a stand-in actor the machine can send to, written as a call in the suite and the catalogue', async () => {
    await testgen([`${POOL}#reporter`], out);
    const source = readFileSync(join(out, 'spawned-workers.reporter.paths.test.ts'), 'utf8');
    expect(source).toContain('import { actorStandIn, createPathRunner } from');
    expect(source).toContain('"parentRef":actorStandIn()');
    const tests = await runSuites([join(out, 'spawned-workers.reporter.paths.test.ts')], out);
    expect(tests.length).toBeGreaterThanOrEqual(1);
    expect(failures(tests)).toEqual([]);
    let catalogue = '';
    expect(await run(['catalogue', `${POOL}#reporter`], { stdout: { write: (s) => ((catalogue += String(s)), true) }, stderr: { write: () => true } })).toBe(0);
    expect(catalogue).toContain('import { actorStandIn, type EventCatalogue } from "lifecycle-kit";');
    expect(catalogue).toContain('parentRef: actorStandIn()');
  });

  it('compares children by their actor name where their ids are made up when spawned, and by id otherwise', () => {
    const child = createMachine({});
    const parent = (ids: string[]) =>
      createMachine({
        context: ({ spawn }) => ({ workers: Object.fromEntries(ids.map((id) => [id, spawn(child, { id })])), named: spawn(child, { id: 'fixed' }) }),
      });
    const ctx = (ids: string[]) => createActor(parent(ids)).start().getSnapshot().context;
    // Spawned from logic (no name to go by), ids are compared as they are.
    expect(comparable(ctx(['a.1']))).not.toEqual(comparable(ctx(['a.2'])));
    const named = createMachine({
      context: ({ spawn }) => {
        const id = `Worker.${Math.random()}`;
        return { workers: { [id]: spawn('Worker', { id }) }, fixed: spawn('Worker', { id: 'Worker' }) };
      },
    }).provide({ actors: { Worker: child } });
    const a = comparable(createActor(named).start().getSnapshot().context);
    const b = comparable(createActor(named).start().getSnapshot().context);
    expect(a).toEqual(b);
    expect(a).toEqual({ workers: { '[actor Worker…] #1': '[actor Worker…]' }, fixed: '[actor Worker]' });
  });
});
