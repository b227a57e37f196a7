import type { LifecycleGraph } from '../model/types.ts';
import type { ViewOptions } from './view.ts';
import { render as dot } from './dot.ts';
import { render as json } from './json.ts';
import { render as markdown } from './markdown.ts';
import { render as mermaid } from './mermaid.ts';

/**
 * Text formats: a pure function of the graph and of what the picture collapses (`view`; omitted: every state
 * drawn). JSON is the model itself, never collapsed.
 */
export const TEXT_FORMATS = {
  mermaid: { render: (g: LifecycleGraph, view?: ViewOptions) => mermaid(g, view ? { view } : {}), extension: 'mmd', description: 'Mermaid stateDiagram-v2 (renders on GitHub as is)' },
  dot: { render: (g: LifecycleGraph, view?: ViewOptions) => dot(g, view ? { view } : {}), extension: 'dot', description: 'Graphviz DOT, clusters for compound states' },
  json: { render: (g: LifecycleGraph, _view?: ViewOptions) => json(g), extension: 'json', description: 'the graph model: states and transitions' },
  md: { render: (g: LifecycleGraph, view?: ViewOptions) => markdown(g, view ? { view } : {}), extension: 'md', description: 'a Markdown page: diagram, states and transitions tables' },
} satisfies Record<string, { render: (graph: LifecycleGraph, view?: ViewOptions) => string; extension: string; description: string }>;

/** Image formats: laid out by an engine (`engines/`): Graphviz in WebAssembly, or Mermaid in headless Chromium. */
export const IMAGE_FORMATS = {
  svg: { extension: 'svg', description: 'SVG (Graphviz in WebAssembly by default; --engine mermaid: Mermaid in headless Chromium)' },
  png: { extension: 'png', description: 'PNG of the same picture (--width, default 1920 px)' },
} as const;

export type TextFormat = keyof typeof TEXT_FORMATS;
export type ImageFormat = keyof typeof IMAGE_FORMATS;
export type Format = TextFormat | ImageFormat;

/** Every format name, for commander's `.choices()` and help. */
export const FORMATS = [...Object.keys(TEXT_FORMATS), ...Object.keys(IMAGE_FORMATS)] as Format[];

export function isTextFormat(format: string): format is TextFormat {
  return format in TEXT_FORMATS;
}

/** Extensions that name a format (besides each format's own), so `-o x.png` means PNG without `-f png`. */
const EXTENSION_ALIASES: Record<string, Format> = { mermaid: 'mermaid', gv: 'dot', markdown: 'md' };

/** The format a file name's extension names, or undefined (no extension, or one no format uses). */
export function formatOfPath(path: string): Format | undefined {
  const ext = /\.([^./\\]+)$/.exec(path)?.[1]?.toLowerCase();
  if (!ext) return undefined;
  const own = FORMATS.find((f) => (isTextFormat(f) ? TEXT_FORMATS[f].extension : IMAGE_FORMATS[f].extension) === ext);
  return own ?? EXTENSION_ALIASES[ext];
}
