// A transition declared on the machine itself is taken from any state: drawn from an `(any state)` node, never
// from a phantom `<id>.root` box (Mermaid) or from the initial point (DOT), where it read as a way to start.
import { describe, expect, it } from 'vitest';
import { createMachine } from 'xstate';
import { render as toDot } from '../../src/diagram/dot.ts';
import { render as toMarkdown } from '../../src/diagram/markdown.ts';
import { render as toMermaid } from '../../src/diagram/mermaid.ts';
import { parseMermaid } from '../../src/diagram/mermaid-parse.ts';
import { buildPicture } from '../../src/inspect/graph-view.ts';
import { extractGraph } from '../../src/model/extract.ts';

const machine = createMachine({
  id: 'deploy',
  initial: 'building',
  on: { CANCEL: '.cancelled', ABORT: '#deploy.failed', PING: { actions: 'note' } },
  states: {
    building: { initial: 'running', states: { running: { on: { DONE: 'waiting' } }, waiting: {} }, on: { BUILT: 'awaiting' } },
    awaiting: { on: { APPROVE: 'released' } },
    released: { type: 'final' },
    cancelled: { type: 'final' },
    failed: { type: 'final' },
  },
});
const graph = extractGraph(machine);

describe('root-level transitions', () => {
  it('Mermaid: from an (any state) node, no phantom root box', () => {
    const text = toMermaid(graph);
    expect(text).not.toContain('deploy.root');
    expect(text).toContain('state "(any state)" as deploy.any_state');
    expect(text).toContain('deploy.any_state --> deploy.cancelled : CANCEL');
    expect(text).toContain('deploy.any_state --> deploy.failed : ABORT');
    expect(text).toContain('deploy.any_state --> deploy.any_state : PING / note');
    expect(text).toMatch(/%% \(any state\): transitions declared on the machine itself/);
  });

  it('Mermaid 11 parses it, for a parallel root too', async () => {
    expect(await parseMermaid(toMermaid(graph))).toEqual({ ok: true });
    const parallel = extractGraph(createMachine({ id: 'p', type: 'parallel', on: { RESET: '.a.x' }, states: { a: { initial: 'x', states: { x: {}, y: {} } }, b: {} } }));
    const text = toMermaid(parallel);
    expect(text).toContain('p.any_state --> p.a.x : RESET');
    expect(await parseMermaid(text)).toEqual({ ok: true });
  });

  it('Mermaid: the node id steps aside for a state that sanitises to it', () => {
    const taken = extractGraph(createMachine({ id: 'm', initial: 'any_state', on: { X: '.b' }, states: { any_state: {}, b: {} } }));
    expect(toMermaid(taken)).toContain('m.any_state_2 --> m.b : X');
  });

  it('DOT: from an (any state) node, never from the initial point', () => {
    const text = toDot(graph);
    expect(text).toContain('"deploy#any" [label="(any state)"');
    expect(text).toMatch(/"deploy#any" -> "deploy.cancelled" \[label="CANCEL"/);
    expect(text).not.toMatch(/"deploy#\[\*\]" -> "deploy\.(cancelled|failed)"/);
    // A compound target is clipped at its border, as from any other state outside it.
    const into = toDot(extractGraph(createMachine({ id: 'm', initial: 'a', on: { RESET: '.b' }, states: { a: {}, b: { initial: 'x', states: { x: {} } } } })));
    expect(into).toMatch(/"m#any" -> "m\.b#\[\*\]" \[lhead="cluster_m\.b", label="RESET"/);
  });

  it('DOT: no node for a machine without root-level arrows', () => {
    expect(toDot(extractGraph(createMachine({ id: 'm', initial: 'a', states: { a: {} } })))).not.toContain('(any state)');
  });

  it('Markdown docs use the same Mermaid drawing', () => {
    expect(toMarkdown(graph)).toContain('deploy.any_state --> deploy.cancelled : CANCEL');
  });

  it('the inspector still numbers every transition arrow', () => {
    const picture = buildPicture(graph);
    const relations = picture.mermaid.split('\n').filter((l) => / --> /.test(l));
    const [edge] = picture.edges['deploy:CANCEL:0']!;
    expect(relations[edge!]).toContain('deploy.any_state --> deploy.cancelled : CANCEL');
  });
});

describe('a transition into the machine itself', () => {
  it('DOT: still ends at the initial point (a restart), with no (any state) node', () => {
    const text = toDot(extractGraph(createMachine({ id: 'm', initial: 'a', states: { a: { on: { RESTART: { target: '#m', reenter: true } } } } })));
    expect(text).not.toContain('#any');
    expect(text).toMatch(/"m\.a" -> "m#\[\*\]" \[label="RESTART"/);
  });
});
