import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { LifecycleGraph } from '../model/types.ts';
import { renderImages } from './images.ts';
import { render as renderMarkdown } from './markdown.ts';
import { render as renderMermaid } from './mermaid.ts';

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

const SOURCE_MARK = 'lifecycle-kit mermaid-sha256:';

/** The fingerprint of a diagram's Mermaid source, stamped into its SVG so `--check` needs no browser. */
export function sourceStamp(graph: LifecycleGraph): string {
  return createHash('sha256').update(renderMermaid(graph)).digest('hex');
}

function pageFor(entry: DocEntry): string {
  return renderMarkdown(entry.graph, { title: `${entry.name} lifecycle`, summary: entry.description, image: `${entry.name}.svg` });
}

/** Renders `<name>.md` and `<name>.svg` for every entry (one browser for all SVGs). */
export async function buildDocs(entries: DocEntry[]): Promise<DocFile[]> {
  const svgs = await renderImages(entries.map((e) => e.graph), 'svg');
  return entries.flatMap((entry, i) => [
    { path: `${entry.name}.md`, data: pageFor(entry) },
    { path: `${entry.name}.svg`, data: `${svgs[i] as string}\n<!-- ${SOURCE_MARK} ${sourceStamp(entry.graph)} -->\n` },
  ]);
}

/**
 * Compares committed docs with what the machines give now. Pages must match to the byte; an SVG must carry
 * the fingerprint of the current Mermaid source (its pixels depend on the browser's fonts, not on the machine).
 * Returns the stale or missing paths.
 */
export function staleDocs(entries: DocEntry[], dir: string): string[] {
  const stale: string[] = [];
  for (const entry of entries) {
    const md = join(dir, `${entry.name}.md`);
    if (!existsSync(md) || readFileSync(md, 'utf8') !== pageFor(entry)) stale.push(md);
    const svg = join(dir, `${entry.name}.svg`);
    if (!existsSync(svg) || !readFileSync(svg, 'utf8').includes(`${SOURCE_MARK} ${sourceStamp(entry.graph)}`)) stale.push(svg);
  }
  return stale;
}
