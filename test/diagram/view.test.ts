import { describe, expect, it } from 'vitest';
import { assign, createActor, fromPromise, setup } from 'xstate';
import { installMachine } from '../../machines/install.ts';
import { render as toDot } from '../../src/diagram/dot.ts';
import { render as toMermaid } from '../../src/diagram/mermaid.ts';
import { buildView, stepBadge } from '../../src/diagram/view.ts';
import { extractGraph } from '../../src/model/extract.ts';
import { initialStepProgress, retryingStep, stepAssigners, stepDelays, stepGuards, type StepProgress } from '../../src/steps/index.ts';

// A user's machine written by hand, without the helper: the attempt/backoff shape under other names.
const handWritten = setup({
  actors: { fetchIt: fromPromise(async () => 1) },
  delays: { wait: 250 },
}).createMachine({
  id: 'fetcher',
  initial: 'fetching',
  states: {
    fetching: {
      initial: 'trying',
      states: {
        trying: { invoke: { src: 'fetchIt', onDone: '#fetcher.done', onError: [{ guard: () => true, target: 'pausing' }, { target: '#fetcher.broken' }] } },
        pausing: { after: { wait: 'trying' } },
      },
    },
    done: { type: 'final' },
    broken: { type: 'final' },
  },
});

describe('steps in the model', () => {
  it('install: every asset step is declared with the run policy drawn as its default', () => {
    const graph = extractGraph(installMachine);
    const steps = graph.states.filter((s) => s.step);
    expect(steps.map((s) => s.key)).toEqual(['kibana_assets', 'ilm_policies', 'index_templates_and_pipelines', 'transforms', 'ml_models', 'save_installation_record']);
    expect(steps[0]!.step).toMatchObject({ source: 'declared', services: ['installKibanaAssets'], delay: 'backoff', retry: { maxAttempts: 3, initialIntervalMs: 1000, backoffRate: 2, overridable: true } });
    expect(stepBadge(steps[0]!.step!)).toBe('↻ 3× backoff 1s×2');
  });

  it('a hand-written attempt/backoff compound is recognised by its shape, whatever its names', () => {
    const step = extractGraph(handWritten).states.find((s) => s.id === 'fetcher.fetching')!.step;
    expect(step).toEqual({ source: 'recognised', name: 'fetching', attempt: 'fetcher.fetching.trying', backoff: 'fetcher.fetching.pausing', services: ['fetchIt'], delay: 'wait' });
    expect(stepBadge(step!)).toBe('↻ retry after wait');
  });

  it('a compound that merely waits and invokes is not a step (no failure into the wait)', () => {
    const m = setup({ actors: { a: fromPromise(async () => 1) } }).createMachine({
      id: 'x',
      initial: 'p',
      states: { p: { initial: 'run', states: { run: { invoke: { src: 'a', onDone: 'idle' } }, idle: { after: { 100: 'run' } } } } },
    });
    expect(extractGraph(m).states.some((s) => s.step)).toBe(false);
  });
});

describe('buildView', () => {
  const graph = extractGraph(handWritten);

  it('draws a step as one state: inner states gone, the retry loop dropped, exits re-attached', () => {
    const view = buildView(graph);
    expect(view.graph.states.map((s) => s.id)).toEqual(['fetcher', 'fetcher.fetching', 'fetcher.done', 'fetcher.broken']);
    expect(view.graph.transitions.map((t) => [t.source, t.targets, t.kind])).toEqual([
      ['fetcher.fetching', ['fetcher.done'], 'done.actor'],
      ['fetcher.fetching', ['fetcher.broken'], 'error.actor'],
    ]);
    expect(view.collapsed.get('fetcher.fetching')).toMatchObject({ reason: 'step', hidden: 2 });
    expect(toMermaid(graph, { view: {} })).toContain('fetcher.fetching : ↻ retry after wait');
    expect(toDot(graph, { view: {} })).toContain('↻ retry after wait');
  });

  it('--expand draws the inner states again, by key, path or id; an unknown name says what exists', () => {
    for (const name of ['fetching', 'fetcher.fetching']) expect(buildView(graph, { expand: [name] }).collapsed.size).toBe(0);
    expect(buildView(graph, { expand: true }).graph).toBe(graph);
    expect(() => buildView(graph, { expand: ['nope'] })).toThrow(/no state 'nope' in fetcher: expected one of fetching/);
  });

  it('--depth collapses compound states below it into one marked node with a count, edges re-attached', () => {
    const view = buildView(extractGraph(installMachine), { expand: true, depth: 0 });
    expect(view.collapsed.get('install.installing')).toMatchObject({ reason: 'depth', hidden: 19, badge: '▸ 19 states inside' });
    const into = view.graph.transitions.filter((t) => t.targets.includes('install.installing'));
    expect(into.length).toBeGreaterThan(0);
    expect(view.graph.transitions.some((t) => t.source.startsWith('install.installing.'))).toBe(false);
    // every transition of the machine is drawn by some arrow, or is inside a collapsed state
    const drawn = new Set([...view.members.values()].flat());
    const inside = extractGraph(installMachine).transitions.filter((t) => !drawn.has(t.id));
    expect(inside.every((t) => t.source.startsWith('install.installing.') && t.targets.every((x) => x.startsWith('install.installing')))).toBe(true);
  });

  it('focus: the state and everything in it drawn in full, the rest collapsed', () => {
    const view = buildView(extractGraph(installMachine), { focus: 'installing.ml_models' });
    expect(view.collapsed.has('install.installing.ml_models')).toBe(false);
    expect(view.collapsed.get('install.installing.transforms')?.reason).toBe('step');
    expect(view.graph.states.some((s) => s.id === 'install.installing.ml_models.retrying')).toBe(true);
  });
});

describe('retryingStep', () => {
  const flaky = (failures: number) => {
    let calls = 0;
    return fromPromise(async () => {
      calls++;
      if (calls <= failures) throw Object.assign(new Error(`fail ${calls}`), { code: 'EAGAIN' });
      return calls;
    });
  };
  const machine = (failures: number, nonRetryable: string[] = []) =>
    setup({
      types: { context: {} as StepProgress },
      actors: { work: flaky(failures) },
      actions: { enterStep: assign(stepAssigners.enterStep), countAttempt: assign(stepAssigners.countAttempt), recordError: assign(stepAssigners.recordError) },
      guards: stepGuards,
      delays: stepDelays,
    }).createMachine({
      id: 'job',
      context: initialStepProgress(),
      initial: 'working',
      states: {
        working: retryingStep({ step: 'work', src: 'work', retry: { maxAttempts: 3, initialIntervalMs: 1, backoffRate: 1, nonRetryable }, onDone: { target: '#job.done' }, onError: { target: '#job.failed' } }),
        done: { type: 'final' },
        failed: { type: 'final' },
      },
    });
  const run = async (m: ReturnType<typeof machine>) => {
    const actor = createActor(m).start();
    await new Promise<void>((resolve) => actor.subscribe({ complete: resolve }));
    return actor.getSnapshot();
  };

  it('retries under its declared policy, then succeeds; the bookkeeping counts attempts', async () => {
    const s = await run(machine(2));
    expect(s.value).toBe('done');
    expect(s.context).toMatchObject({ step: 'work', attempts: 3, lastError: { step: 'work', message: 'fail 2', attempt: 2, kind: 'EAGAIN' } });
  });

  it('gives up after maxAttempts, and at once on a non-retryable kind', async () => {
    expect((await run(machine(5))).context.attempts).toBe(3);
    expect((await run(machine(5))).value).toBe('failed');
    const s = await run(machine(5, ['EAGAIN']));
    expect([s.value, s.context.attempts]).toEqual(['failed', 1]);
  });

  it('marks the state as a step with its policy', () => {
    const step = extractGraph(machine(0)).states.find((s) => s.id === 'job.working')!.step!;
    expect(step).toMatchObject({ source: 'declared', name: 'work', retry: { maxAttempts: 3, initialIntervalMs: 1, backoffRate: 1 } });
    expect(stepBadge(step)).toBe('↻ 3× backoff 1ms');
  });
});
