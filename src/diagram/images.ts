import type { LifecycleGraph } from '../model/types.ts';
import { render as renderMermaid } from './mermaid.ts';

/**
 * Renders graphs to SVG (text) or PNG (bytes) through Mermaid in one headless Chromium, however many graphs.
 */
export async function renderImages(graphs: LifecycleGraph[], format: 'svg' | 'png'): Promise<(string | Uint8Array)[]> {
  // Loaded on demand: the browser driver takes most of a second to import, and most commands never need it.
  const { openRenderer } = await import('./render-image.ts');
  const renderer = await openRenderer();
  try {
    const out: (string | Uint8Array)[] = [];
    for (const graph of graphs) {
      const text = renderMermaid(graph);
      out.push(format === 'svg' ? await renderer.renderSvg(text) : await renderer.renderPng(text));
    }
    return out;
  } finally {
    await renderer.close();
  }
}
