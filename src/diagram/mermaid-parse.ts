/**
 * Mermaid's own parser, run in Node, to prove that generated Mermaid text is accepted.
 *
 * TESTS ONLY: this module needs `jsdom`, a devDependency, and installs a jsdom window as globals (`window`,
 * `document`, `DOMParser`, ...) in the process that calls it. The CLI and everything it imports must not import
 * this module; the CLI renders through `render-image.ts` (real Chromium) instead.
 */
import { toOneLine } from './render-image.ts';

export type ParseResult = { ok: true } | { ok: false; error: string };

interface MermaidApi {
  initialize(config: object): void;
  parse(text: string): Promise<unknown>;
}

let mermaidPromise: Promise<MermaidApi> | undefined;

/** Globals Mermaid and DOMPurify look for when they load. */
const DOM_GLOBALS = [
  'window',
  'document',
  'navigator',
  'DOMParser',
  'XMLSerializer',
  'Node',
  'Element',
  'HTMLElement',
  'SVGElement',
  'DocumentFragment',
  'NodeFilter',
  'MutationObserver',
] as const;

async function loadMermaid(): Promise<MermaidApi> {
  // A non-literal specifier: jsdom ships no types here, and must stay out of the CLI's module graph.
  const jsdomSpecifier = 'jsdom';
  const { JSDOM } = (await import(jsdomSpecifier)) as {
    JSDOM: new (html: string, options?: object) => { window: Record<string, unknown> };
  };
  const { window } = new JSDOM('<!doctype html><html><body></body></html>', { pretendToBeVisual: true });
  for (const name of DOM_GLOBALS) {
    if (name in globalThis && name !== 'window' && name !== 'document') continue; // e.g. Node ≥ 21's navigator
    Object.defineProperty(globalThis, name, {
      value: name === 'window' ? window : window[name],
      configurable: true,
      writable: true,
    });
  }
  // Only after the globals exist: DOMPurify binds to `window` when its module is evaluated.
  const mermaid = (await import('mermaid')).default as unknown as MermaidApi;
  mermaid.initialize({ startOnLoad: false, securityLevel: 'strict' });
  return mermaid;
}

/**
 * Parses `text` with Mermaid 11's parser (the same grammar the renderer uses). Never throws for bad text.
 * The first call loads jsdom and Mermaid (about a second); later calls reuse them.
 *
 * @example
 * expect(await parseMermaid(render(graph))).toEqual({ ok: true });
 */
export async function parseMermaid(text: string): Promise<ParseResult> {
  mermaidPromise ??= loadMermaid().catch((error: unknown) => {
    mermaidPromise = undefined;
    throw error;
  });
  const mermaid = await mermaidPromise;
  try {
    await mermaid.parse(text);
    return { ok: true };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return { ok: false, error: toOneLine(message) };
  }
}
