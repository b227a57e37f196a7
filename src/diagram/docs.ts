import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { statePath } from '../model/query.ts';
import type { GraphState, LifecycleGraph } from '../model/types.ts';
import { render as renderDot } from './dot.ts';
import { DEFAULT_ENGINE, type Engine, renderImages } from './engines/index.ts';
import { render as renderMarkdown } from './markdown.ts';
import { render as renderMermaid } from './mermaid.ts';
import { stepBadge, type ViewOptions } from './view.ts';

/** A lifecycle to document. */
export interface DocEntry {
  name: string;
  description: string;
  graph: LifecycleGraph;
}

/** A file of the docs, relative to the docs directory. */
export interface DocFile {
  path: string;
  data: string | Uint8Array;
}

/** One picture of a page: the overview, or the drill-down of one compound state. */
interface Picture {
  path: string;
  view: ViewOptions;
  /** The source text per engine. */
  source: Record<Engine, string>;
}

/** The fingerprint of a picture's source (DOT or Mermaid), stamped into its SVG so `--check` needs no layout. */
export function sourceStamp(source: string): string {
  return createHash('sha256').update(source).digest('hex');
}

/** The stamp line in an SVG drawn by `engine` from `source`. */
function stampLine(engine: Engine, source: string): string {
  return `lifecycle-kit ${engine === 'graphviz' ? 'dot' : 'mermaid'}-sha256: ${sourceStamp(source)}`;
}

/** The compound and parallel states that get a picture of their own, in document order. */
function drillDowns(graph: LifecycleGraph): GraphState[] {
  return graph.states.filter((s) => s.id !== graph.root && (s.kind === 'compound' || s.kind === 'parallel'));
}

/** `install/installing.kibana_assets.svg`: one file per compound state, named by its path. */
function drillDownPath(entry: DocEntry, state: GraphState): string {
  return `${entry.name}/${state.path.join('.')}.svg`;
}

/** The overview (steps collapsed) and one picture per compound state (it in full, around it collapsed). */
function picturesFor(entry: DocEntry): Picture[] {
  const picture = (path: string, view: ViewOptions): Picture => ({
    path,
    view,
    source: { graphviz: renderDot(entry.graph, { view }), mermaid: renderMermaid(entry.graph, { view }) },
  });
  return [picture(`${entry.name}.svg`, {}), ...drillDowns(entry.graph).map((s) => picture(drillDownPath(entry, s), { focus: s.id }))];
}

function pageFor(entry: DocEntry): string {
  const links = drillDowns(entry.graph).map((s) => {
    const what = s.step ? `step: ${s.step.services.join(', ')} ${stepBadge(s.step)}` : s.kind;
    return `| [\`${statePath(s)}\`](${drillDownPath(entry, s)}) | ${what} | ${s.description ?? ''} |`.replace(/\r?\n/g, ' ');
  });
  const after = links.length
    ? ['## Pictures', '', `![${entry.name} overview](${entry.name}.svg)`, '', 'Steps are drawn as one state with their retry policy; each compound state has a picture of its own:', '', '| Compound state | Kind | Description |', '| --- | --- | --- |', ...links].join('\n')
    : `![${entry.name} overview](${entry.name}.svg)`;
  return renderMarkdown(entry.graph, { title: `${entry.name} lifecycle`, summary: entry.description, view: {}, afterDiagram: after });
}

/**
 * Renders `<name>.md`, the overview `<name>.svg` and `<name>/<state>.svg` per compound state, for every entry,
 * with one engine (default Graphviz: no browser; Mermaid: one browser for every picture).
 */
export async function buildDocs(entries: DocEntry[], options: { engine?: Engine } = {}): Promise<DocFile[]> {
  const engine = options.engine ?? DEFAULT_ENGINE;
  const jobs = entries.flatMap((entry) => picturesFor(entry).map((picture) => ({ entry, picture })));
  const svgs = await renderImages(jobs.map((j) => j.entry.graph), { format: 'svg', engine, views: jobs.map((j) => j.picture.view) });
  const files: DocFile[] = [];
  for (const entry of entries) {
    files.push({ path: `${entry.name}.md`, data: pageFor(entry) });
    jobs.forEach(({ entry: of, picture }, i) => {
      if (of === entry) files.push({ path: picture.path, data: `${svgs[i] as string}\n<!-- ${stampLine(engine, picture.source[engine])} -->\n` });
    });
  }
  return files;
}

/**
 * Compares committed docs with what the machines give now. Pages must match to the byte; an SVG must carry
 * the fingerprint of its current DOT source (the layout is a function of it). No layout runs: this is fast.
 * Returns the stale or missing paths.
 */
export function staleDocs(entries: DocEntry[], dir: string): string[] {
  const stale: string[] = [];
  for (const entry of entries) {
    const md = join(dir, `${entry.name}.md`);
    if (!existsSync(md) || readFileSync(md, 'utf8') !== pageFor(entry)) stale.push(md);
    for (const picture of picturesFor(entry)) {
      const svg = join(dir, picture.path);
      const text = existsSync(svg) ? readFileSync(svg, 'utf8') : '';
      if (!(Object.keys(picture.source) as Engine[]).some((e) => text.includes(stampLine(e, picture.source[e])))) stale.push(svg);
    }
  }
  return stale;
}

/** Every file `buildDocs` writes for the entries, relative to the docs directory (for `--check` counts). */
export function docPaths(entries: DocEntry[]): string[] {
  return entries.flatMap((e) => [`${e.name}.md`, ...picturesFor(e).map((p) => p.path)]);
}
