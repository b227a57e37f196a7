/**
 * `lifecycle-kit/render`: the Mermaid engine's browser driver (headless Chromium through playwright-core) and its
 * errors, for code that renders many diagrams with one browser or tells its failures apart with `instanceof`.
 * An entry of its own because playwright-core takes about a second to load; `openRenderer` from `lifecycle-kit`
 * loads it on the first call.
 *
 * @example
 * import { toMermaid } from 'lifecycle-kit';
 * import { ChromiumMissingError, withRenderer } from 'lifecycle-kit/render';
 * try {
 *   const svgs = await withRenderer((r) => Promise.all(graphs.map((g) => r.renderSvg(toMermaid(g)))));
 * } catch (error) {
 *   if (error instanceof ChromiumMissingError) console.error('apt-get install chromium, or use the graphviz engine');
 * }
 */
export {
  openRenderer,
  withRenderer,
  ChromiumMissingError,
  ChromiumLaunchError,
  DiagramSyntaxError,
  DEFAULT_CHROMIUM_PATH,
  type DiagramRenderer,
  type RendererOptions,
  type PngOptions,
} from '../diagram/render-image.ts';
