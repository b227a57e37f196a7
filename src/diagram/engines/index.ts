/**
 * Pictures of a graph, by one of two layout engines behind one call:
 *
 * - `graphviz` (default): the DOT renderer's output laid out by Graphviz compiled to WebAssembly, in this process;
 *   PNG by resvg. No browser. Edge labels are laid out as nodes of their own, so they never lie on a state or on
 *   another label.
 * - `mermaid`: the Mermaid renderer's output laid out by Mermaid in headless Chromium (optionally with the ELK
 *   layout), the picture GitHub draws from the Mermaid text.
 *
 * Both draw the same view (steps collapsed unless expanded, `depth`), from the same graph.
 */
import type { LifecycleGraph } from '../../model/types.ts';
import { type DotOptions, render as renderDot } from '../dot.ts';
import { type MermaidOptions, render as renderMermaid } from '../mermaid.ts';
import type { DiagramView, ViewOptions } from '../view.ts';
import { dotToSvg } from './graphviz.ts';
import { DEFAULT_PNG_WIDTH, svgToPng } from './png.ts';

/** The layout engines, for commander's `.choices()` and help. */
export const ENGINES = {
  graphviz: 'Graphviz (WebAssembly) in this process; PNG by resvg; no browser',
  mermaid: 'Mermaid in headless Chromium (ELK layout), as GitHub draws the Mermaid text',
} as const;
export type Engine = keyof typeof ENGINES;
/** Chosen by measure: 0 overlapping labels on every built-in, under 2,800 px wide, ~0.3 s instead of ~9 s. */
export const DEFAULT_ENGINE: Engine = 'graphviz';

export interface ImageOptions {
  format: 'svg' | 'png';
  /** Default {@link DEFAULT_ENGINE}. */
  engine?: Engine;
  /** PNG width in pixels; default {@link DEFAULT_PNG_WIDTH}. */
  width?: number;
  /** What to collapse; default `{}` (steps collapsed). A built view is drawn as it is. */
  view?: ViewOptions | DiagramView;
  /** With several graphs: a view per graph (overrides `view`). */
  views?: (ViewOptions | DiagramView)[];
  /** Per-engine extras (coverage colours, label prefixes). */
  dot?: Omit<DotOptions, 'view'>;
  mermaid?: Omit<MermaidOptions, 'view'>;
  /** Mermaid engine: the ELK layout (default true). */
  elk?: boolean;
}

/**
 * Renders one graph to SVG (text) or PNG (bytes).
 *
 * @example
 * const svg = (await renderImage(graph, { format: 'svg' })) as string;
 * const png = await renderImage(graph, { format: 'png', width: 2400, view: { expand: ['downloading'] } });
 */
export async function renderImage(graph: LifecycleGraph, options: ImageOptions): Promise<string | Uint8Array> {
  return (await renderImages([graph], options))[0]!;
}

/** Renders several graphs with one engine (one browser for all, with Mermaid). */
export async function renderImages(graphs: LifecycleGraph[], options: ImageOptions): Promise<(string | Uint8Array)[]> {
  const engine = options.engine ?? DEFAULT_ENGINE;
  const viewOf = (i: number) => options.views?.[i] ?? options.view ?? {};
  if (engine === 'graphviz') {
    const out: (string | Uint8Array)[] = [];
    for (const [i, graph] of graphs.entries()) {
      const view = viewOf(i);
      const svg = await dotToSvg(renderDot(graph, { ...options.dot, view }));
      out.push(options.format === 'svg' ? svg : await svgToPng(svg, { width: options.width ?? DEFAULT_PNG_WIDTH }));
    }
    return out;
  }
  // Loaded on demand: the browser driver takes most of a second to import, and most commands never need it.
  const { openRenderer } = await import('../render-image.ts');
  const renderer = await openRenderer({ elk: options.elk ?? true });
  try {
    const out: (string | Uint8Array)[] = [];
    for (const [i, graph] of graphs.entries()) {
      const view = viewOf(i);
      const text = renderMermaid(graph, { ...options.mermaid, view });
      if (options.format === 'svg') out.push(await renderer.renderSvg(text));
      else out.push(await renderer.renderPng(text, { width: options.width ?? DEFAULT_PNG_WIDTH }));
    }
    return out;
  } finally {
    await renderer.close();
  }
}
