import { describe, expect, it } from 'vitest';
import { createMachine, setup, fromPromise, not, and } from 'xstate';
import { extractGraph } from '../../src/model/extract.ts';
import { FIXTURES } from '../fixtures/machines/index.ts';

const byId = <T extends { id: string }>(list: T[], id: string) => {
  const found = list.find((x) => x.id === id);
  if (!found) throw new Error(`no ${id} in ${list.map((x) => x.id).join(', ')}`);
  return found;
};

describe('extractGraph', () => {
  it('gives every transition definition a unique, stable id, guarded branches separately', () => {
    for (const { name, machine } of FIXTURES) {
      const graph = extractGraph(machine);
      const ids = graph.transitions.map((t) => t.id);
      expect(new Set(ids).size, name).toBe(ids.length);
      expect(extractGraph(machine).transitions.map((t) => t.id), name).toEqual(ids);
    }
  });

  it('is plain data: a JSON round trip gives the same graph', () => {
    for (const { name, machine } of FIXTURES) {
      const graph = extractGraph(machine);
      expect(JSON.parse(JSON.stringify(graph)), name).toEqual(graph);
    }
  });

  it('counts every transition the machine defines, internal events included', () => {
    const m = setup({
      actors: { dl: fromPromise(async () => 1) },
      guards: { ok: () => true, atLeast: (_: unknown, p: { n: number }) => p.n > 0 },
      actions: { log: () => {} },
      delays: { backoff: 1000 },
    }).createMachine({
      id: 'p',
      initial: 'a',
      states: {
        a: {
          invoke: {
            src: 'dl',
            onDone: 'b',
            onError: [{ guard: { type: 'atLeast', params: { n: 3 } }, target: 'a', reenter: true }, { target: 'c' }],
            onSnapshot: { actions: 'log' },
          },
          after: { backoff: 'b', 30000: { target: 'c', guard: not('ok') } },
          always: [{ guard: and(['ok', () => true]), target: 'b' }],
          on: { '*': 'c', 'reconnect.*': { actions: 'log' }, GO: [{ target: '#p.b', guard: 'ok' }, { target: 'c' }] },
        },
        b: { type: 'parallel', onDone: 'c', states: { r1: { initial: 'x', states: { x: {}, h: { history: 'deep' } } }, r2: { initial: 'y', states: { y: { type: 'final' } } } } },
        c: { type: 'final', description: 'done', tags: ['t'], meta: { doc: 1 } },
      },
    });
    const g = extractGraph(m);
    const kinds = g.transitions.map((t) => `${t.source}|${t.kind}|${t.targets.join(',')}|${t.guard?.label ?? ''}`);
    expect(kinds).toEqual([
      'p.a|wildcard|p.c|',
      'p.a|wildcard||',
      'p.a|event|p.b|ok',
      'p.a|event|p.c|',
      'p.a|done.actor|p.b|',
      'p.a|error.actor|p.a|atLeast(n: 3)',
      'p.a|error.actor|p.c|',
      'p.a|snapshot||',
      'p.a|after|p.c|!ok',
      'p.a|after|p.b|',
      'p.a|always|p.b|ok && inline',
      'p.b|done.state|p.c|',
    ]);
    const errorRetry = byId(g.transitions, 'p.a:xstate.error.actor.0.p.a:0');
    expect(errorRetry).toMatchObject({ reenter: true, service: 'dl', invokeId: '0.p.a', branch: 0 });
    expect(byId(g.transitions, 'p.a:xstate.after.backoff.p.a:0').delay).toBe('backoff');
    expect(byId(g.transitions, 'p.a:xstate.after.30000.p.a:0').delay).toBe(30000);
    expect(byId(g.transitions, 'p.a:always:0').guard).toEqual({ label: 'ok && inline', names: ['ok'], inline: true });
    expect(byId(g.states, 'p.b.r1.h')).toMatchObject({ kind: 'history', history: 'deep' });
    expect(byId(g.states, 'p.c')).toMatchObject({ kind: 'final', description: 'done', tags: ['t'], meta: { doc: 1 } });
    expect(byId(g.states, 'p.a').invoke).toEqual([{ id: '0.p.a', src: 'dl', explicitId: false }]);
    expect(g.events).toEqual(['GO']);
    expect(g.declared).toEqual({ actors: ['dl'], guards: ['atLeast', 'ok'], actions: ['log'], delays: ['backoff'] });
    // XState's own raise/cancel bookkeeping for `after` is not a user action.
    expect(byId(g.states, 'p.a').entry).toEqual([]);
  });

  it('keeps ids unique for states with the same name under different parents', () => {
    const m = createMachine({ id: 'm', initial: 'a', states: { a: { initial: 'idle', states: { idle: {} } }, b: { initial: 'idle', states: { idle: {} } } } });
    const ids = extractGraph(m).states.map((s) => s.id);
    expect(ids).toEqual(['m', 'm.a', 'm.a.idle', 'm.b', 'm.b.idle']);
  });

  it('records the custom id a state declares and resolves #id targets to the state', () => {
    const m = createMachine({ id: 'm', initial: 'a', states: { a: { on: { GO: '#there' } }, b: { id: 'there' } } });
    const g = extractGraph(m);
    expect(byId(g.states, 'm.b').customId).toBe('there');
    expect(g.transitions[0].targets).toEqual(['m.b']);
  });

  it('reports lazily resolved targets that name no state instead of throwing', () => {
    const m = createMachine({ id: 'm', initial: 'a', states: { a: { initial: 'nope', states: { x: {} } } } });
    expect(extractGraph(m).unresolved).toEqual([{ source: 'm.a', target: 'nope', message: expect.stringContaining('nope') }]);
  });
});
