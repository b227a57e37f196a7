import { describe, expect, it } from 'vitest';
import { BUILTINS } from '../../machines/index.ts';
import { render as toDot } from '../../src/diagram/dot.ts';
import { dotToSvg } from '../../src/diagram/engines/graphviz.ts';
import { transitionLabel } from '../../src/diagram/labels.ts';
import { render as toMarkdown } from '../../src/diagram/markdown.ts';
import { mermaidIds, render as toMermaid, escapeLabel } from '../../src/diagram/mermaid.ts';
import { parseMermaid } from '../../src/diagram/mermaid-parse.ts';
import { extractGraph } from '../../src/model/extract.ts';
import type { LifecycleGraph } from '../../src/model/types.ts';
import { FIXTURES } from '../fixtures/machines/index.ts';

const machines = [
  ...BUILTINS.map((b) => ({ name: `built-in ${b.name}`, machine: b.machine })),
  ...FIXTURES.map((f) => ({ name: `fixture ${f.name}`, machine: f.machine })),
];

function mermaidEdges(graph: LifecycleGraph, text: string): string[] {
  const ids = mermaidIds(graph);
  // Root-level transitions start at the `(any state)` node (a targetless one loops on it).
  const any = /state "\(any state\)" as (\S+)/.exec(text)?.[1];
  const id = (state: string) => (state === graph.root && any ? any : ids.get(state));
  return graph.transitions.flatMap((t) =>
    (t.targets.length ? t.targets.map((x) => ids.get(x)) : [id(t.source)]).map((to) => `${id(t.source)} --> ${to} : ${escapeLabel(transitionLabel(t))}`),
  ).filter((line) => !text.split('\n').map((l) => l.trim()).includes(line));
}

describe.each(machines)('$name', ({ machine }) => {
  const graph = extractGraph(machine);

  it('Mermaid 11 parses the stateDiagram-v2 output', async () => {
    const result = await parseMermaid(toMermaid(graph));
    expect(result).toEqual({ ok: true });
  });

  it('every transition is drawn in Mermaid (one arrow per target, self-loop when targetless)', () => {
    expect(mermaidEdges(graph, toMermaid(graph))).toEqual([]);
  });

  it('every transition is an edge in DOT (arrows between the same states merged, their ids listed), and Graphviz accepts the DOT', async () => {
    const dot = toDot(graph);
    const drawn = new Set<string>();
    for (const m of dot.matchAll(/ (id|comment)="((?:[^"\\]|\\.)*)"/g)) for (const id of m[2]!.replace(/\\"/g, '"').split('\\n')) drawn.add(id);
    for (const t of graph.transitions) expect(drawn.has(t.id), t.id).toBe(true);
    const svg = await dotToSvg(dot);
    expect(svg).toContain('<svg');
  });

  it('every transition has a row in the Markdown page, every state a row', () => {
    const md = toMarkdown(graph);
    const section = (title: string) => md.split(`## ${title}`)[1].split('\n## ')[0];
    const rows = (text: string) => text.split('\n').filter((l) => l.startsWith('| ') && !l.startsWith('| ---') && !/^\| (From|State) \|/.test(l));
    expect(rows(section('Transitions'))).toHaveLength(graph.transitions.length);
    expect(rows(section('States'))).toHaveLength(graph.states.length - 1);
  });

  it('every transition is in the JSON, with its id', () => {
    const json = JSON.parse(JSON.stringify(graph)) as LifecycleGraph;
    expect(json.transitions.map((t) => t.id)).toEqual(graph.transitions.map((t) => t.id));
    expect(json.states).toHaveLength(graph.states.length);
  });
});

describe('Mermaid escaping', () => {
  it('swaps characters that would break a statement for look-alikes', () => {
    expect(escapeLabel('a "b"; c#d <e> {f} %%g\nh `i`')).toBe('a \u201db\u201d\u037e c#d #lt;e#gt; {f} %%g h \u02cbi\u02cb');
  });
});
