import assert from 'node:assert';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { catalogueSource } from '../../src/model/catalogue-source.ts';
import { extractGraph } from '../../src/model/extract.ts';
import { loadMachine } from '../../src/model/load.ts';
import { resolveSamples } from '../../src/model/samples.ts';
import { generatePaths } from '../../src/paths/index.ts';
import { assign, createMachine, fromPromise, sendParent } from 'xstate';
import { probePayload } from '../../src/paths/probe.ts';
import { matchingString } from '../../src/model/infer/regex-sample.ts';
import { createStepper } from '../../src/model/stepper.ts';

const FIX = new URL('../fixtures/infer/', import.meta.url).pathname;

async function explore(ref: string, infer = true) {
  const loaded = await loadMachine(ref);
  const graph = extractGraph(loaded.machine);
  const samples = await resolveSamples(loaded, graph, { infer });
  return { samples, result: generatePaths(loaded.machine, graph, { catalogue: samples.catalogue }) };
}

describe('inference mechanisms on machines built the way third-party code builds them', () => {
  it('reads the types of a machine a class method returns, through the factory function it calls', async () => {
    const { samples } = await explore(`${join(FIX, 'factory-child.ts')}#connectorMachine`);
    expect(samples.typed).toBe(true);
    expect(samples.catalogue.inputs).toEqual(expect.arrayContaining([{ mode: 'fast' }, { mode: 'safe' }]));
    expect(samples.catalogue.services?.open?.done).toContainEqual({ handle: 1, state: 'busy' });
  });

  it('runs an invoked child machine for its outputs (not plain data) and snapshots, and covers what they lead to', async () => {
    const { samples, result } = await explore(`${join(FIX, 'factory-child.ts')}#connectorMachine`);
    const done = samples.catalogue.services?.probe?.done ?? [];
    expect(done.some((o) => typeof (o as { match?: unknown })?.match === 'function')).toBe(true);
    expect(samples.catalogue.services?.probe?.snapshot).toContainEqual(expect.objectContaining({ context: { progress: 0 } }));
    expect(samples.origins['services.probe.done']).toMatch(/child machine 'probe'/);
    expect(result.coverage.transitions.covered).toBe(result.coverage.transitions.total);
    const off = await explore(`${join(FIX, 'factory-child.ts')}#connectorMachine`, false);
    expect(off.result.coverage.transitions.covered).toBeLessThan(result.coverage.transitions.total);
  });

  it('writes a child machine\'s dispatching outputs into the catalogue module as code; other functions are left out, saying so', async () => {
    const { samples } = await explore(`${join(FIX, 'factory-child.ts')}#connectorMachine`);
    const source = catalogueSource(samples.catalogue, samples.origins, { machine: 'factory-child.ts#connectorMachine' });
    expect(source).toContain('{ match: (h: { ok(value: unknown): unknown }) => h.ok({ port: 8080 }) },');
    expect(source).toContain('{ match: (h: { err(value: unknown): unknown }) => h.err("sample") },');
    expect(source).not.toMatch(/match: undefined/);
    // A result whose method maps to a new result is no dispatch: only the child can make it.
    const mapping = { services: { probe: { done: [{ map: (f: (v: number) => number) => ({ value: f(1) }) }, { port: 1 }] } } };
    const left = catalogueSource(mapping, {}, { machine: 'm.ts' });
    expect(left).toMatch(/\(1 more made at run time, holding functions, are not data and left out\)\n +done: \[\{ port: 1 \}\],/);
  });

  it('samples the errors a machine tells apart by their message (and the default one it does not know)', async () => {
    const { samples, result } = await explore(`${join(FIX, 'error-messages.ts')}#machine`);
    expect(samples.catalogue.services?.provision?.error).toEqual([{ message: 'injected failure' }, { message: 'Missing order id' }, { message: 'Missing order item' }]);
    expect(result.coverage.transitions.covered).toBe(result.coverage.transitions.total);
  });

  it('samples the done events of spawned children a wildcard descriptor handles, and widens a stand-in service\'s lone literal by what guards compare', async () => {
    const { samples, result } = await explore(`${join(FIX, 'spawned-workers.ts')}#pool`);
    const graph = extractGraph((await loadMachine(`${join(FIX, 'spawned-workers.ts')}#pool`)).machine);
    expect(graph.transitions.find((t) => t.event === 'xstate.done.actor.Worker.*')?.service).toBe('Worker');
    expect(samples.catalogue.services?.Worker?.done).toEqual(expect.arrayContaining([expect.objectContaining({ type: 'OK' }), expect.objectContaining({ type: 'ERROR' })]));
    expect(samples.catalogue.services?.review?.done).toContainEqual({ job: 'sample', decision: 'Rejected' });
    expect(result.coverage.transitions.covered).toBe(result.coverage.transitions.total);
    expect(result.coverage.transitions.uncovered).toEqual([]);
  });

  it('samples literals compared inside helpers a guard passes a field to, and members of a const-object enum', async () => {
    const { samples, result } = await explore(`${join(FIX, 'helper-literals.ts')}#machine`);
    expect(samples.catalogue.events?.JOIN).toEqual(expect.arrayContaining([{ target: 'lobby' }, { target: 'backstage' }, { target: 'stage' }]));
    expect(samples.catalogue.services?.connect?.done).toContainEqual({ placed: 'backstage' });
    expect(result.coverage.transitions.covered).toBe(result.coverage.transitions.total);
  });

  it('makes methods of an input object stubs returning a sample of their type, written as code and read back from a catalogue module', async () => {
    const { samples, result } = await explore(`${join(FIX, 'method-input.ts')}#machine`);
    expect(result.coverage.transitions.covered).toBe(result.coverage.transitions.total);
    const input = (samples.catalogue.inputs?.[0] ?? samples.catalogue.input) as { ctx: { toJSON(): unknown; finalize(): unknown }; logger: { info(m: string): unknown; flush(): Promise<unknown> } };
    expect(input.ctx.toJSON()).toEqual({ pkgName: 'sample' });
    expect(input.ctx.finalize()).toEqual([{ message: 'sample' }]);
    expect(input.logger.info('x')).toBeUndefined();
    expect(await input.logger.flush()).toBe(1);
    const source = catalogueSource(samples.catalogue, samples.origins, { machine: 'method-input.ts#machine' });
    expect(source).toContain('toJSON: () => ({ pkgName: "sample" })');
    expect(source).toContain('flush: async () => 1');
    // Read back as a hand-written catalogue, a stub that returns data is made a stub again (a test file can write it).
    const { redispatched } = await import('../../src/model/dispatch-probe.ts');
    const { dispatchCallsOf } = await import('../../src/model/infer/samples.ts');
    const handWritten = redispatched({ pkgName: 'x', toJSON: () => ({ pkgName: 'x' }) });
    expect(dispatchCallsOf(handWritten)).toEqual([{ method: 'toJSON', index: -1, returns: 'value', value: { pkgName: 'x' } }]);
  });

  it('samples strings and arrays of the lengths guards compare with, through the assign that copies them from a payload', async () => {
    const { samples, result } = await explore(`${join(FIX, 'text-length.ts')}#machine`);
    expect((samples.catalogue.events?.SET_TEXT as { value: string }[]).map((e) => e.value.length)).toEqual(expect.arrayContaining([20, 21]));
    expect((samples.catalogue.events?.SET_ITEMS as { list: string[] }[]).some((e) => e.list.length === 3)).toBe(true);
    expect(result.coverage.transitions.covered).toBe(result.coverage.transitions.total);
  });

  it('samples a string each regular expression a guard tests matches, and a list longer than `index < list.length - 1` asks', async () => {
    const { samples, result } = await explore(`${join(FIX, 'patterns-and-steps.ts')}#machine`);
    const codes = (samples.catalogue.events?.ENTER as { code: string }[]).map((e) => e.code);
    expect(codes.some((c) => /^ORD-\d{4}$/i.test(c))).toBe(true);
    expect(codes).toContain('');
    expect((samples.catalogue.events?.PHONE as { phone: string }[]).map((e) => e.phone)).toContain('+1 555 0100');
    expect((samples.catalogue.events?.LOAD as { steps: string[] }[]).some((e) => e.steps.length === 3)).toBe(true);
    expect(result.coverage.transitions.covered).toBe(result.coverage.transitions.total);
  });

  it('a string for a pattern: a readable one that matches, else one generated with a fixed seed, else none', () => {
    expect(matchingString('^\\d+$')).toBe('123456');
    expect(matchingString('\\S+@\\S+\\.\\S+')).toBe('user@example.com');
    const code = matchingString('^ORD-\\d{4}$', 'i');
    expect(code).toMatch(/^ORD-\d{4}$/i);
    expect(matchingString('^ORD-\\d{4}$', 'i')).toBe(code);
    expect(matchingString('^[q-z]{3}\\d$', 'g')).toMatch(/^[q-z]{3}\d$/);
    expect(matchingString('(unclosed')).toBeUndefined();
    expect(matchingString('x'.repeat(500))).toBeUndefined();
    expect(matchingString('^(?!)$')).toBeUndefined();
  });

  it('samples the snapshots of an observable from the type it emits, and an eventless guard waiting on three of them is met', async () => {
    const { samples, result } = await explore(`${join(FIX, 'observed-permissions.ts')}#machine`);
    expect(samples.catalogue.services?.['check permission']?.snapshot).toEqual(
      expect.arrayContaining([{ status: 'active', context: { granted: true, reason: 'sample' } }, { status: 'active', context: { granted: false, reason: 'sample' } }]),
    );
    expect(samples.origins['services.check permission.snapshot']).toMatch(/emits: \{ granted: boolean; reason: string \}/);
    expect(result.coverage.transitions.covered).toBe(result.coverage.transitions.total);
  });

  it('guesses no outputs for a service typed to finish with nothing (void, a callback), and samples a typed one', async () => {
    const { samples, result } = await explore(`${join(FIX, 'void-services.ts')}#machine`);
    for (const src of ['writeStatus', 'flush', 'heartbeat']) expect(samples.catalogue.services?.[src]?.done, src).toBeUndefined();
    expect(samples.catalogue.services?.fetchPhase?.done).toEqual(expect.arrayContaining([{ phase: 'written' }, { phase: 'failed' }]));
    expect(result.coverage.transitions.covered).toBe(result.coverage.transitions.total);
  });

  it('explores a named guard that takes nothing and returns a constant (a placeholder the app provides) both ways', async () => {
    const { result } = await explore(`${join(FIX, 'spawned-workers.ts')}#reporter`);
    expect(result.coverage.transitions.uncovered).toEqual([]);
    expect(result.paths.some((p) => p.steps.some((s) => s.guards?.isMuted === true))).toBe(true);
  });

  it('covers a machine whose actors are given in createMachine\'s second argument, whose guard tests instanceof Error, which spawns a child with a systemId and copies an untyped payload', async () => {
    const { samples, result } = await explore(`${join(FIX, 'untyped-actors.ts')}#jobs`);
    // No output type: each literal of the context field an output is copied into is a sample.
    expect(samples.catalogue.services?.check?.done).toEqual(expect.arrayContaining([{ status: 'DONE' }, { status: 'LOST' }]));
    expect(result.coverage.transitions.uncovered).toEqual([]);
  });

  it('probes an event no sample covers even when its step goes through, with a bound on how deep the learnt payload goes', () => {
    const m = createMachine({
      id: 'walk',
      context: { depth: 0, linked: false },
      initial: 'a',
      states: {
        a: {
          on: {
            // Walks a chain of fields as far as it goes: on a recording value, that is 5000 reads deep.
            LINK: { actions: assign({ depth: ({ event }) => { let x = event as { next?: unknown }; let i = 0; while (x.next && i < 5000) { x = x.next as { next?: unknown }; i++; } return i; }, linked: ({ event }) => Boolean((event as { value?: unknown }).value) }) },
          },
          always: { guard: ({ context }) => context.linked, target: 'b' },
        },
        b: {},
      },
    });
    const result = generatePaths(m, extractGraph(m));
    expect(result.coverage.transitions.uncovered).toEqual([]);
  });

  it('runs a machine whose code fails a bare assert.ok at model time without Node rebuilding the message from the source', async () => {
    const { machine } = await loadMachine(`${join(FIX, 'spawned-workers.ts')}#worker`);
    const first = createStepper(machine).initial({ job: { name: 'a', steps: [] } });
    expect(first.error).toMatch(/The expression evaluated to a falsy value \(undefined\)/);
    // Outside the model, assert.ok is Node's own again.
    expect(() => assert.ok(0, 'kept')).toThrow('kept');
  });

  it('explores a machine that sends to its parent (one a parent invokes) as far as it goes', () => {
    const child = createMachine({
      id: 'request',
      initial: 'waiting',
      states: {
        waiting: { on: { REPLY: 'done' }, after: { 100: 'failed' } },
        done: { type: 'final', entry: sendParent({ type: 'request.success' }) },
        failed: { type: 'final', entry: sendParent(() => ({ type: 'request.failed' })) },
      },
    });
    const result = generatePaths(child, extractGraph(child));
    expect(result.coverage.transitions.uncovered).toEqual([]);
  });

  it('learns the payload of an untyped event or output from the fields its actions and guards read', () => {
    const machine = createMachine(
      {
        id: 'untyped',
        context: { pool: '', user: '', n: 0 },
        initial: 'off',
        states: {
          off: {
            on: {
              'set-pool': { actions: assign({ pool: ({ event }) => event.data.pool.trim() }) },
              load: { guard: ({ event }) => event.items.length === 0 && event.limit > 0, target: 'loading' },
            },
          },
          loading: {
            invoke: { src: 'fetchUser', onDone: { target: 'on', actions: assign({ user: ({ event }) => event.output.user.id }) } },
          },
          on: {},
        },
      },
      { actors: { fetchUser: fromPromise(async () => ({})) } },
    );
    const result = generatePaths(machine, extractGraph(machine));
    expect(result.coverage.transitions.uncovered).toEqual([]);
    const events = result.paths.flatMap((p) => p.steps.map((s) => s.event));
    expect(events).toContainEqual({ type: 'set-pool', data: { pool: 'sample' } });
    expect(events).toContainEqual({ type: 'load', items: [], limit: 1 });
    expect(events).toContainEqual(expect.objectContaining({ output: { user: { id: 'id-1' } } }));
  });

  it('keeps what a sample has and adds only what was read beyond it', () => {
    const step = (e: { type: string; message?: { data?: { id?: string }; origin?: string } }) => [e.message!.origin, e.message!.data!.id];
    expect(probePayload(step as never, { type: 'message.received', message: { origin: 'here' } } as never)).toEqual({ type: 'message.received', message: { origin: 'here', data: { id: 'id-1' } } });
    expect(probePayload(() => 1, { type: 'x' })).toBeUndefined();
    // An empty output whose first entry is read is given one.
    const entries = (e: { output: Record<string, { ok: boolean }> }) => {
      const [name, data] = Object.entries(e.output)[0];
      return [name, data.ok];
    };
    expect(probePayload(entries as never, { type: 'xstate.done.actor.v', output: {} } as never)).toEqual({ type: 'xstate.done.actor.v', output: { sample: { ok: 'sample' } } });
  });

  it("steps actions that read the actor's own snapshot (self.getSnapshot()) in the state being stepped", () => {
    const machine = createMachine({
      id: 'wizard',
      context: { done: [] as string[] },
      initial: 'a',
      states: {
        a: { on: { NEXT: 'b' } },
        b: { on: { NEXT: { guard: ({ context }) => context.done.includes('b'), target: 'c' }, MARK: { actions: assign({ done: ({ context, self }) => [...context.done, String(self.getSnapshot().value)] }) } } },
        c: { type: 'final' },
      },
    });
    const result = generatePaths(machine, extractGraph(machine));
    expect(result.coverage.transitions.uncovered).toEqual([]);
  });

  it('samples a result type matched by handlers (match(ok, err), caseOf({ Left, Right })) by calling back each handler', async () => {
    const { samples, result } = await explore(`${join(FIX, 'dispatch.ts')}#fetchMachine`);
    const outputs = (samples.catalogue.services?.fetchItems?.done ?? []) as { match: (ok: (v: unknown) => unknown, err: (e: unknown) => unknown) => unknown }[];
    const branches = outputs.map((o) => o.match((v) => ['ok', v], (e) => ['err', e]));
    expect(branches).toContainEqual(['ok', { items: [] }]);
    expect(branches).toContainEqual(['err', { code: 'DENIED' }]);
    expect(samples.origins['services.readMode.done']).toMatch(/caseOf\(Left: string \| Right: /);
    expect(result.coverage.transitions.uncovered).toEqual([]);
  });

  it('tells states apart by a context key a guard reads only where the guard search got to, so self-loops that record it lead to the guarded step', async () => {
    const { result } = await explore(`${join(FIX, 'ballot-quorum.ts')}#machine`);
    // The first sample invites one member: the first exploration never opens the vote, and the ballot guard, called
    // on the empty start context, stops before it reads the ballots.
    expect(result.coverage.transitions.uncovered).toEqual([]);
    expect(result.search?.widened).toEqual(['ballots']);
    const close = result.paths.find((p) => p.steps.some((s) => s.transitions.includes('meeting.voting:CLOSE:0')));
    assert(close);
    const types = close.steps.map((s) => s.event.type);
    expect(types.slice(types.indexOf('OPEN'), types.indexOf('CLOSE') + 1)).toEqual(['OPEN', 'VOTE', 'VOTE', 'CLOSE']);
  });

  it('learns the input a context factory reads when no sample starts the machine', () => {
    const machine = createMachine({
      id: 'job',
      context: ({ input }: { input: any }) => ({ id: input.job.id as string, retries: Number(input.options.retries.toFixed(0)), tags: input.tags.map((t: string) => t) }),
      initial: 'idle',
      states: { idle: { on: { GO: 'done' } }, done: { type: 'final' } },
    });
    const result = generatePaths(machine, extractGraph(machine));
    expect(result.coverage.transitions.uncovered).toEqual([]);
    expect(result.paths[0].input).toEqual({ job: { id: 'id-1' }, options: { retries: 1 }, tags: [] });
  });
});
