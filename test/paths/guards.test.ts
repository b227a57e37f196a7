import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { type AnyStateMachine, assign, createMachine, setup } from 'xstate';
import type { EventCatalogue } from '../../machines/catalogue.ts';
import { BUILTINS } from '../../machines/index.ts';
import { extractGraph } from '../../src/model/extract.ts';
import { createStepper } from '../../src/model/stepper.ts';
import { falseGuards, generatePaths, guardIndex, pathFalseGuards } from '../../src/paths/index.ts';
import { pairsIn } from '../../src/paths/pairs.ts';

// The corpus is third-party code kept as found, not type-checked with the project (tsconfig excludes it): loaded
// through a specifier tsc does not follow.
const corpusMachine = async (file: string, name: string) => ((await import(/* @vite-ignore */ `../corpus/machines/${file}`)) as Record<string, AnyStateMachine>)[name]!;
const itwCredentialIssuanceMachine = await corpusMachine('ioapp-itw-credential-issuance.ts', 'itwCredentialIssuanceMachine');
const commandBarMachine = await corpusMachine('kittycad-command-bar.ts', 'commandBarMachine');
const syncMachine = await corpusMachine('portabletext-sync.ts', 'syncMachine');
const flightBookerMachine = await corpusMachine('stately-flight-booker.ts', 'flightBookerMachine');
import { FIXTURES } from '../fixtures/machines/index.ts';
import { catalogue, guardedMachine } from './fixtures/guarded.ts';
import { guardOracle } from './guard-oracle.ts';

const ROOT = new URL('../../', import.meta.url).pathname;

describe('guard outcomes', () => {
  it('counts each guarded transition once and finds its false outcome where the guard is evaluated', () => {
    const graph = extractGraph(guardedMachine);
    const result = generatePaths(guardedMachine, graph, { cover: 'guards', catalogue });
    const { guards } = result.coverage;
    // GO's two guards, the resting always, the and/not guard (one outcome, not one per sub-guard), RESET's second.
    expect(guards.total).toBe(5);
    expect(guards.covered).toBe(4);
    expect(guards.uncovered).toEqual([
      expect.objectContaining({ id: 'guarded.large:RESET:1', guard: 'even', reason: 'never evaluated', detail: expect.stringContaining('earlier unguarded branch') }),
    ]);
    expect(graph.transitions.find((t) => t.id === 'guarded.large:OPEN:0')!.guard!.label).toMatch(/even.*locked/);
    // `positive` is false only when GO takes nothing: a step that stays in idle.
    const steps = result.paths.flatMap((p) => p.steps);
    expect(steps).toContainEqual(expect.objectContaining({ event: { type: 'GO', n: 0 }, state: 'idle', transitions: [] }));
    // The transition cover alone has no such step, and says where one was explored.
    const plain = generatePaths(guardedMachine, graph, { cover: 'transitions', catalogue }).coverage.guards;
    expect(plain.uncovered.find((u) => u.id === 'guarded.idle:GO:1')).toMatchObject({ reason: 'not in a path', detail: expect.stringContaining('--cover guards') });
  });

  it('finds a guard false in a context an earlier sample sets, though every transition is taken without it', () => {
    // As the flight booker: a date an event sets, a guard that reads it; the first exploration tells states apart by
    // value only, so BOOK is only ever evaluated with the first date, and every transition is taken regardless.
    const m = setup({
      types: { context: {} as { date: string }, events: {} as { type: 'SET'; value: string } | { type: 'BOOK' } },
      guards: { valid: ({ context }) => context.date >= '2020-01-01' },
    }).createMachine({
      id: 'booker',
      context: { date: '2026-01-01' },
      initial: 'editing',
      states: {
        editing: { on: { SET: { actions: assign({ date: ({ event }) => event.value }) }, BOOK: { guard: 'valid', target: 'booked' } } },
        booked: { type: 'final' },
      },
    });
    const graph = extractGraph(m);
    const samples: EventCatalogue = { events: { SET: [{ value: 'sample' }, { value: '' }] } };
    const result = generatePaths(m, graph, { cover: 'guards', catalogue: samples });
    expect(result.coverage.transitions.covered).toBe(result.coverage.transitions.total);
    expect(result.coverage.guards).toMatchObject({ covered: 1, total: 1 });
    // The step where the guard is false, and what happens instead: nothing, the booker stays where it is.
    const path = result.paths.find((p) => p.steps.some((s) => s.event.type === 'BOOK' && s.transitions.length === 0))!;
    expect(path.steps.map((s) => [s.event, s.state])).toEqual([
      [{ type: 'SET', value: '' }, 'editing'],
      [{ type: 'BOOK' }, 'editing'],
    ]);
    // The flight booker of the corpus, on its inferred samples: both date guards false somewhere.
    const flight = generatePaths(flightBookerMachine, extractGraph(flightBookerMachine), { cover: 'guards', catalogue: { events: { CHANGE_DEPART_DATE: [{ value: 'sample' }, { value: '' }], CHANGE_RETURN_DATE: [{ value: 'sample' }, { value: '' }] } } });
    expect(flight.coverage.guards).toMatchObject({ covered: 2, total: 2 });
  });

  it('reads the outcomes of one step from what XState selects', () => {
    const index = guardIndex(extractGraph(guardedMachine));
    // n = 3: big is asked first and says no; small is entered and its always guard is checked, false.
    expect(falseGuards(index, { before: 'idle', event: 'GO', taken: ['guarded.idle:GO:1'], after: 'small', running: true }).sort()).toEqual(['guarded.idle:GO:0', 'guarded.small:always:0']);
    // n = 9: big wins, positive is never asked.
    expect(falseGuards(index, { before: 'idle', event: 'GO', taken: ['guarded.idle:GO:0'], after: 'large', running: true })).toEqual([]);
    // OPEN falls through to the unguarded branch: the whole and/not guard was false.
    expect(falseGuards(index, { before: 'large', event: 'OPEN', taken: ['guarded.large:OPEN:1'], after: 'idle', running: true })).toEqual(['guarded.large:OPEN:0']);
    // A done machine checks no eventless transition.
    expect(falseGuards(index, { before: 'small', event: 'ADD', taken: ['guarded.small:ADD:0', 'guarded.small:always:0'], after: 'done', running: false })).toEqual([]);
  });

  it('does not judge a parallel region next to the one that took the event (a conflict may have dropped its transition)', () => {
    const m = setup({ guards: { g: () => false } }).createMachine({
      id: 'p',
      type: 'parallel',
      states: {
        r1: { initial: 'x', states: { x: { on: { E: { guard: 'g', target: 'y' } } }, y: {} } },
        r2: { initial: 'u', states: { u: { on: { E: 'v', F: { guard: 'g', target: 'v' } } }, v: {} } },
      },
    });
    const index = guardIndex(extractGraph(m));
    expect(falseGuards(index, { before: { r1: 'x', r2: 'u' }, event: 'E', taken: ['p.r2.u:E:0'], after: { r1: 'x', r2: 'v' }, running: true })).toEqual([]);
    expect(falseGuards(index, { before: { r1: 'x', r2: 'v' }, event: 'E', taken: [], after: { r1: 'x', r2: 'v' }, running: true })).toEqual(['p.r1.x:E:0']);
  });

  it('agrees, step by step, with the guards XState really evaluates false (built-ins, fixtures, corpus)', () => {
    const corpus = [
      { name: 'itw-credential-issuance', machine: itwCredentialIssuanceMachine }, // placeholder guards, a targetless always
      { name: 'portabletext-sync', machine: syncMachine },
      { name: 'kittycad-command-bar', machine: commandBarMachine },
    ];
    const machines: { name: string; machine: AnyStateMachine; catalogue?: EventCatalogue }[] = [
      { name: 'guarded', machine: guardedMachine, catalogue },
      ...BUILTINS.filter((b) => b.name !== 'operator'),
      ...FIXTURES.filter((f) => !f.name.includes('unresolved')),
      ...corpus,
    ];
    let claims = 0;
    for (const { name, machine, catalogue: c } of machines) {
      const graph = extractGraph(machine);
      const index = guardIndex(graph);
      const oracle = guardOracle(machine);
      const stepper = createStepper(machine);
      for (const p of generatePaths(machine, graph, { cover: 'guards', catalogue: c }).paths) {
        const truth = oracle(p);
        expect(truth.values, name).toEqual([p.initial, ...p.steps.map((s) => s.state)]);
        const seen = pathFalseGuards(index, { ...p, initialTransitions: stepper.initial(p.input, p.initialGuards).taken });
        seen.forEach((ids, k) => expect(ids.sort(), `${name}, step ${k}`).toEqual(truth.falses[k].sort()));
        claims += seen.flat().length;
      }
    }
    expect(claims).toBeGreaterThan(200);
  });

  it('covers the guard outcomes of the built-ins with few more steps than the transition cover', () => {
    for (const b of BUILTINS.filter((x) => x.name !== 'operator')) {
      const graph = extractGraph(b.machine);
      const t = generatePaths(b.machine, graph, { cover: 'transitions', catalogue: b.catalogue });
      const g = generatePaths(b.machine, graph, { cover: 'guards', catalogue: b.catalogue });
      expect(g.coverage.guards.uncovered, b.name).toEqual([]);
      expect(g.coverage.transitions.covered, b.name).toBe(graph.transitions.length);
      expect(g.stats.steps, b.name).toBeLessThanOrEqual(t.stats.steps * 1.25);
    }
  });
});

describe('transition pairs', () => {
  // a -X-> b -Y-> c -W-> a, b -Z-> a, a -V-> t (transient) -always-> b
  const loop = createMachine({
    id: 'loop',
    initial: 'a',
    states: {
      a: { on: { X: 'b', V: 't' } },
      t: { always: 'b' },
      b: { on: { Y: 'c', Z: 'a' } },
      c: { on: { W: 'a' } },
    },
  });
  const id = (s: string, e: string) => `loop.${s}:${e}:0`;

  it('takes every pair of consecutive transitions, within a step (event, then always) and across steps', () => {
    const graph = extractGraph(loop);
    const result = generatePaths(loop, graph, { cover: 'pairs' });
    const [X, V, A, Y, Z, W] = [id('a', 'X'), id('a', 'V'), id('t', 'always'), id('b', 'Y'), id('b', 'Z'), id('c', 'W')];
    const want = [[X, Y], [X, Z], [V, A], [A, Y], [A, Z], [Y, W], [Z, X], [Z, V], [W, X], [W, V]].map(([a, b]) => `${a}\n${b}`);
    const taken = new Set(result.paths.flatMap((p) => pairsIn(p.steps.flatMap((s) => s.transitions))));
    expect([...taken].sort()).toEqual([...want].sort());
    expect(result.coverage.pairs).toEqual({ covered: 10, total: 10, uncovered: [] });
    expect(result.coverage.transitions.covered).toBe(graph.transitions.length);
  });

  it('says when the bound on pairs cut the count, and still takes every transition', () => {
    const graph = extractGraph(loop);
    const result = generatePaths(loop, graph, { cover: 'pairs', maxPairs: 2 });
    expect(result.coverage.pairs?.cut).toBe(true);
    expect(result.coverage.pairs!.total).toBeLessThan(10);
    expect(result.coverage.transitions.uncovered).toEqual([]);
  });
});

describe('lifecycle paths --cover guards|pairs', () => {
  const exec = promisify(execFile);
  const cli = (args: string[]) => exec(process.execPath, [join(ROOT, 'bin/lifecycle.js'), ...args], { cwd: ROOT, maxBuffer: 64 << 20 });

  it('reports guard outcomes in --json and in the summary, and --help documents the covers', async () => {
    const machine = 'test/paths/fixtures/guarded.ts#guardedMachine';
    const json = JSON.parse((await cli(['paths', machine, '--cover', 'guards', '--json', '--no-infer'])).stdout);
    expect(json.cover).toBe('guards');
    expect(json.coverage.guards).toEqual({ covered: 4, total: 5, uncovered: [expect.objectContaining({ id: 'guarded.large:RESET:1', source: 'guarded.large', event: 'RESET', guard: 'even', reason: 'never evaluated' })] });
    const text = (await cli(['paths', machine, '--cover', 'pairs', '--no-infer'])).stdout;
    expect(text).toMatch(/^guard outcomes: \d+\/5 guarded transitions seen with the guard false$/m);
    expect(text).toMatch(/^transition pairs: \d+\/\d+ covered$/m);
    const help = (await cli(['paths', '--help'])).stdout;
    expect(help).toMatch(/guards/);
    expect(help).toMatch(/pairs/);
    expect(help).toMatch(/--max-pairs/);
  });
});
