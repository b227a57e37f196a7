import type { LifecycleGraph } from '../model/types.ts';
import { render as renderMermaid } from './mermaid.ts';
import { openRenderer } from './render-image.ts';

/**
 * Renders graphs to SVG (text) or PNG (bytes) through Mermaid in one headless Chromium, however many graphs.
 */
export async function renderImages(graphs: LifecycleGraph[], format: 'svg' | 'png'): Promise<(string | Uint8Array)[]> {
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
