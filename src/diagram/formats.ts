import type { LifecycleGraph } from '../model/types.ts';
import { render as dot } from './dot.ts';
import { render as json } from './json.ts';
import { render as markdown } from './markdown.ts';
import { render as mermaid } from './mermaid.ts';

/** Text formats: a pure function of the graph. */
export const TEXT_FORMATS = {
  mermaid: { render: mermaid, extension: 'mmd', description: 'Mermaid stateDiagram-v2 (renders on GitHub as is)' },
  dot: { render: dot, extension: 'dot', description: 'Graphviz DOT, clusters for compound states' },
  json: { render: json, extension: 'json', description: 'the graph model: states and transitions' },
  md: { render: markdown, extension: 'md', description: 'a Markdown page: diagram, states and transitions tables' },
} satisfies Record<string, { render: (graph: LifecycleGraph) => string; extension: string; description: string }>;

/** Image formats: Mermaid rendered in headless Chromium. */
export const IMAGE_FORMATS = {
  svg: { extension: 'svg', description: 'SVG rendered by Mermaid in headless Chromium' },
  png: { extension: 'png', description: 'PNG rendered by Mermaid in headless Chromium' },
} as const;

export type TextFormat = keyof typeof TEXT_FORMATS;
export type ImageFormat = keyof typeof IMAGE_FORMATS;
export type Format = TextFormat | ImageFormat;

/** Every format name, for commander's `.choices()` and help. */
export const FORMATS = [...Object.keys(TEXT_FORMATS), ...Object.keys(IMAGE_FORMATS)] as Format[];

export function isTextFormat(format: string): format is TextFormat {
  return format in TEXT_FORMATS;
}
