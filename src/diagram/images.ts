import type { LifecycleGraph } from '../model/types.ts';
import { type ImageOptions, renderImages as renderWithEngine } from './engines/index.ts';

/**
 * Renders graphs to SVG (text) or PNG (bytes) with one engine (see `engines/`): Graphviz in WebAssembly by
 * default, Mermaid in one headless Chromium for all graphs with `engine: 'mermaid'`.
 *
 * @example
 * const [svg] = await renderImages([graph], 'svg');
 * const [png] = await renderImages([graph], 'png', { engine: 'mermaid', width: 1600 });
 */
export async function renderImages(
  graphs: LifecycleGraph[],
  format: 'svg' | 'png',
  options: Omit<ImageOptions, 'format'> = {},
): Promise<(string | Uint8Array)[]> {
  return renderWithEngine(graphs, { ...options, format });
}
