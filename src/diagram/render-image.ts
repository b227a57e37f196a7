/**
 * Mermaid text → standalone SVG and PNG, rendered by Mermaid itself inside headless Chromium.
 *
 * Mermaid is loaded offline from `node_modules/mermaid/dist/mermaid.min.js` into a blank page; every network
 * request the page might make is aborted. One renderer owns one browser, however many diagrams it renders:
 * open it once per command, render everything, close it (see {@link withRenderer}).
 *
 * Labels are rendered as SVG `<text>` (Mermaid's global `htmlLabels: false`, which the v3 state diagram renderer
 * honours) instead of `<foreignObject>` HTML, so the SVG displays in viewers that ignore `foreignObject`
 * (image viewers, converters) and when embedded with `<img>`/Markdown on GitHub.
 */
import { createHash } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, normalize } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';

/** Where Chromium is looked for when neither `options.executablePath` nor `LIFECYCLE_CHROMIUM` is given. */
export const DEFAULT_CHROMIUM_PATH = '/usr/bin/chromium';

/** Extra flags for Chromium: no background traffic, no profile prompts, no GPU. */
export const CHROMIUM_ARGS: readonly string[] = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
];

/** Chromium is not installed where we looked. The message is one line that says how to fix it. */
export class ChromiumMissingError extends Error {
  override name = 'ChromiumMissingError';
  constructor(readonly executablePath: string) {
    super(
      `Chromium not found at ${executablePath}: install it with 'apt-get install -y chromium' ` +
        `or set LIFECYCLE_CHROMIUM to a Chromium executable`,
    );
  }
}

/** Chromium exists but would not start (or died). The message is one line. */
export class ChromiumLaunchError extends Error {
  override name = 'ChromiumLaunchError';
  constructor(readonly executablePath: string, reason: string) {
    super(`Chromium at ${executablePath} failed to start: ${reason}`);
  }
}

/** Mermaid rejected the diagram text. The message is Mermaid's own, on one line. */
export class DiagramSyntaxError extends Error {
  override name = 'DiagramSyntaxError';
}

export interface RendererOptions {
  /** Chromium executable; default `LIFECYCLE_CHROMIUM`, then `/usr/bin/chromium`. */
  executablePath?: string;
  /** Milliseconds allowed for Chromium to start; default 30 000. */
  launchTimeoutMs?: number;
  /**
   * Lay diagrams out with ELK (`@mermaid-js/layout-elk`, cycle breaking in model order) instead of Mermaid's
   * default dagre; default false. The Mermaid text is the same: only the picture's layout differs.
   */
  elk?: boolean;
}

export interface PngOptions {
  /** Device scale factor (pixels per CSS pixel), 0 < scale ≤ 8; default 2. Ignored when `width` is given. */
  scale?: number;
  /** Width of the PNG in pixels (the scale follows, at most 8). */
  width?: number;
}

export interface DiagramRenderer {
  /** Standalone SVG (xmlns, width, height, viewBox, white background, labels as `<text>`). */
  renderSvg(mermaidText: string): Promise<string>;
  /** PNG of the same SVG on white; typed `Uint8Array` (Node gives a subclass) so the declarations need no @types/node. */
  renderPng(mermaidText: string, options?: PngOptions): Promise<Uint8Array>;
  /** Closes the browser. Safe to call twice. */
  close(): Promise<void>;
}

const DEFAULT_PNG_SCALE = 2;
const MAX_PNG_SCALE = 8;
const RECENT_SVGS = 16;

/**
 * Mermaid configuration used in the page. `htmlLabels: false` is the global switch Mermaid 11 reads through
 * `getEffectiveHtmlLabels` (the per-diagram `flowchart.htmlLabels` is deprecated and only warns);
 * `useMaxWidth: false` makes Mermaid write absolute `width`/`height` instead of `width="100%"`.
 * (`flowchart.htmlLabels: false` alone still leaves some state labels as `<foreignObject>`; `state.htmlLabels`
 * does nothing.)
 */
const MERMAID_CONFIG = {
  startOnLoad: false,
  securityLevel: 'strict',
  theme: 'default',
  htmlLabels: false,
  state: { useMaxWidth: false },
  // Shapes are drawn with rough.js even in the classic look; a fixed seed makes the paths (choice diamond,
  // note box) the same on every render instead of random.
  handDrawnSeed: 1,
} as const;

let mermaidSourcePromise: Promise<string> | undefined;

/** The bundled `mermaid.min.js`, read once per process. */
function readMermaidSource(): Promise<string> {
  mermaidSourcePromise ??= readFile(
    createRequire(import.meta.url).resolve('mermaid/dist/mermaid.min.js'),
    'utf8',
  );
  return mermaidSourcePromise;
}

/** Turns a (possibly multi-line, caret-annotated) Mermaid error message into one line. */
export function toOneLine(message: string): string {
  return message
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !/^-*\^$/.test(line))
    .join(' ');
}

function resolveExecutablePath(options: RendererOptions): string {
  return options.executablePath ?? (process.env.LIFECYCLE_CHROMIUM || DEFAULT_CHROMIUM_PATH);
}

async function assertExecutable(executablePath: string): Promise<void> {
  const info = await stat(executablePath).catch(() => undefined);
  if (!info?.isFile()) throw new ChromiumMissingError(executablePath);
}

async function launch(executablePath: string, timeout: number): Promise<Browser> {
  await assertExecutable(executablePath);
  try {
    return await chromium.launch({ executablePath, args: [...CHROMIUM_ARGS], headless: true, timeout });
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    if (/doesn't exist|ENOENT/i.test(message)) throw new ChromiumMissingError(executablePath);
    throw new ChromiumLaunchError(executablePath, toOneLine(message).slice(0, 300));
  }
}

/** The made-up origin ELK's modules are served from, out of `node_modules` (no request leaves the process). */
const ELK_ORIGIN = 'https://lifecycle-kit.invalid/layout-elk/';

/** The directory of `@mermaid-js/layout-elk`'s browser bundles. */
function elkDistDir(): string {
  return dirname(createRequire(import.meta.url).resolve('@mermaid-js/layout-elk/package.json')) + '/dist/';
}

/**
 * A page with every network request aborted: only `setContent` and inline scripts get in, and, on the ELK
 * origin, the layout-elk module files read from `node_modules`.
 */
async function openOfflinePage(browser: Browser, deviceScaleFactor: number): Promise<Page> {
  const context = await browser.newContext({ deviceScaleFactor, javaScriptEnabled: true });
  await context.route('**/*', async (route) => {
    const url = route.request().url();
    if (!url.startsWith(ELK_ORIGIN)) return route.abort();
    const file = normalize(elkDistDir() + url.slice(ELK_ORIGIN.length).split(/[?#]/)[0]);
    if (!file.startsWith(elkDistDir()) || !file.endsWith('.mjs')) return route.abort();
    try {
      const body = await readFile(file, 'utf8');
      return route.fulfill({ status: 200, contentType: 'text/javascript', headers: { 'access-control-allow-origin': '*' }, body });
    } catch {
      return route.abort();
    }
  });
  const page = await context.newPage();
  await page.setContent(
    '<!doctype html><html><head><meta charset="utf-8"><style>' +
      'html,body{margin:0;padding:0;background:#fff}svg{display:block}</style>' +
      // Transpilers (esbuild keepNames, used by tsx and vitest) wrap functions in `__name(...)`; functions sent
      // to the page with `evaluate` need it to exist there too.
      '<script>globalThis.__name = (fn) => fn;</script></head><body></body></html>',
  );
  return page;
}

type PageResult = { ok: true; svg: string } | { ok: false; error: string };

/**
 * Runs in the page: parse, render, then re-serialize through the DOM so the result is well-formed XML
 * (Mermaid returns HTML-serialized markup) with explicit size and a white background.
 */
async function renderInPage({ id, text }: { id: string; text: string }): Promise<PageResult> {
  // `mermaid` is the global set by mermaid.min.js.
  const mermaid = (globalThis as unknown as { mermaid: MermaidGlobal }).mermaid;
  const container = document.createElement('div');
  document.body.replaceChildren(container);
  try {
    await mermaid.parse(text);
    const { svg } = await mermaid.render(id, text, container);
    container.innerHTML = svg;
    const root = container.querySelector('svg');
    if (!root) return { ok: false, error: 'Mermaid produced no <svg> element' };
    if (!root.getAttribute('viewBox')) {
      const box = root.getBBox();
      root.setAttribute('viewBox', `${box.x} ${box.y} ${box.width} ${box.height}`);
    }
    const [, , width, height] = (root.getAttribute('viewBox') ?? '').split(/[\s,]+/).map(Number);
    if (!/^[\d.]+$/.test(root.getAttribute('width') ?? '')) root.setAttribute('width', String(width));
    if (!/^[\d.]+$/.test(root.getAttribute('height') ?? '')) root.setAttribute('height', String(height));
    // Parallel regions get ids from Mermaid's `generateId()`: "id-" + Math.random() + a counter that runs across
    // renders. Renumber them in document order so the same text always gives the same bytes (docs are checked in).
    const generated = new Map<string, string>();
    for (const element of root.querySelectorAll('[id]')) {
      for (const token of element.id.match(/id-[0-9a-z]{6,12}-\d+/g) ?? []) {
        if (!generated.has(token)) generated.set(token, `id-region${generated.size + 1}`);
      }
    }
    if (generated.size > 0) {
      const pattern = new RegExp([...generated.keys()].join('|'), 'g');
      for (const element of root.querySelectorAll('*')) {
        for (const attribute of [...element.attributes]) {
          const renamed = attribute.value.replace(pattern, (token) => generated.get(token)!);
          if (renamed !== attribute.value) element.setAttribute(attribute.name, renamed);
        }
      }
    }
    root.style.removeProperty('max-width');
    root.style.backgroundColor = 'white';
    root.setAttribute('xmlns', 'http://www.w3.org/2000/svg');
    // Mermaid puts each word of a label in its own <tspan> with a leading space (" for", " a"). Browsers keep
    // those spaces, but viewers that apply XML whitespace rules per element (librsvg, Inkscape) drop them and
    // print "waitsforastartevent". There is no other whitespace inside Mermaid's <text>, so preserve is safe.
    for (const label of root.querySelectorAll('text')) {
      label.setAttributeNS('http://www.w3.org/XML/1998/namespace', 'xml:space', 'preserve');
    }
    return { ok: true, svg: new XMLSerializer().serializeToString(root) };
  } catch (error) {
    const message =
      error && typeof error === 'object' && 'message' in error ? String(error.message) : String(error);
    return { ok: false, error: message };
  } finally {
    document.body.replaceChildren();
    // Mermaid leaves its scratch element behind on failure.
    document.getElementById(`d${id}`)?.remove();
  }
}

interface MermaidGlobal {
  initialize(config: object): void;
  registerLayoutLoaders(loaders: unknown): void;
  parse(text: string): Promise<unknown>;
  render(id: string, text: string, container?: Element): Promise<{ svg: string }>;
}

/** A stable element id for a diagram, so the same text always gives the same SVG bytes. */
function diagramId(text: string): string {
  return `lifecycle-${createHash('sha256').update(text).digest('hex').slice(0, 12)}`;
}

/**
 * Starts one headless Chromium with Mermaid loaded offline, for rendering any number of diagrams.
 * Throws {@link ChromiumMissingError} when the executable is not there.
 *
 * @example
 * const renderer = await openRenderer();
 * try {
 *   await writeFile('order.svg', await renderer.renderSvg(text));
 *   await writeFile('order.png', await renderer.renderPng(text));
 * } finally {
 *   await renderer.close();
 * }
 */
export async function openRenderer(options: RendererOptions = {}): Promise<DiagramRenderer> {
  const executablePath = resolveExecutablePath(options);
  const [browser, mermaidSource] = await Promise.all([
    launch(executablePath, options.launchTimeoutMs ?? 30_000),
    readMermaidSource(),
  ]);
  let closed = false;
  const close = async (): Promise<void> => {
    if (closed) return;
    closed = true;
    await browser.close().catch(() => undefined);
  };

  let mermaidPage: Page;
  try {
    mermaidPage = await openOfflinePage(browser, 1);
    await mermaidPage.addScriptTag({ content: mermaidSource });
    if (options.elk) {
      // A module script, not `import()` in an evaluated function: compilers rewrite dynamic imports with helpers
      // that do not exist in the page.
      await mermaidPage.addScriptTag({
        type: 'module',
        content: `import loaders from '${ELK_ORIGIN}mermaid-layout-elk.esm.min.mjs'; mermaid.registerLayoutLoaders(loaders); globalThis.__elkReady = true;`,
      });
      await mermaidPage.waitForFunction(() => (globalThis as unknown as { __elkReady?: boolean }).__elkReady === true, undefined, { timeout: 30_000 });
    }
    const config = options.elk ? { ...MERMAID_CONFIG, layout: 'elk', elk: { cycleBreakingStrategy: 'MODEL_ORDER' } } : MERMAID_CONFIG;
    await mermaidPage.evaluate((config) => {
      (globalThis as unknown as { mermaid: MermaidGlobal }).mermaid.initialize(config);
    }, config as unknown as Record<string, unknown>);
  } catch (error) {
    await close();
    throw error;
  }

  /** PNG pages, one per scale, created on first use. */
  const pngPages = new Map<number, Promise<Page>>();
  /** Page work is serialized: Mermaid and the screenshot page each hold one diagram at a time. */
  let queue: Promise<unknown> = Promise.resolve();
  const serialize = <T>(work: () => Promise<T>): Promise<T> => {
    const next = queue.then(() => {
      if (closed) throw new Error('The diagram renderer is closed');
      return work();
    });
    queue = next.catch(() => undefined);
    return next;
  };

  /** Recent SVGs by text, so `renderSvg` then `renderPng` of one diagram runs Mermaid once. */
  const recent = new Map<string, string>();
  const svgOf = async (text: string): Promise<string> => {
    const cached = recent.get(text);
    if (cached !== undefined) return cached;
    const result = await mermaidPage.evaluate(renderInPage, { id: diagramId(text), text });
    if (!result.ok) throw new DiagramSyntaxError(toOneLine(result.error));
    recent.set(text, result.svg);
    if (recent.size > RECENT_SVGS) recent.delete(recent.keys().next().value!);
    return result.svg;
  };

  return {
    renderSvg: (text) => serialize(() => svgOf(text)),
    renderPng: (text, pngOptions = {}) =>
      serialize(async () => {
        const svg = await svgOf(text);
        const svgWidth = Number(/<svg[^>]*?\swidth="([\d.]+)/.exec(svg)?.[1] ?? 0);
        const scale = pngOptions.width !== undefined && svgWidth > 0
          ? Math.min(MAX_PNG_SCALE, pngOptions.width / svgWidth)
          : pngOptions.scale ?? DEFAULT_PNG_SCALE;
        if (!(scale > 0 && scale <= MAX_PNG_SCALE)) {
          throw new RangeError(`PNG scale must be a number in (0, ${MAX_PNG_SCALE}], got ${scale}`);
        }
        let pagePromise = pngPages.get(scale);
        if (!pagePromise) {
          pagePromise = openOfflinePage(browser, scale);
          pngPages.set(scale, pagePromise);
        }
        const page = await pagePromise;
        // Shows exactly the standalone SVG a viewer would get.
        await page.evaluate((markup) => {
          document.body.innerHTML = markup;
        }, svg);
        const buffer = await page.locator('body > svg').screenshot({ type: 'png', omitBackground: false });
        await page.evaluate(() => document.body.replaceChildren());
        return buffer;
      }),
    close,
  };
}

/**
 * Opens a renderer, hands it to `work`, and closes the browser whatever happens.
 *
 * @example
 * const svgs = await withRenderer((r) => Promise.all(texts.map((t) => r.renderSvg(t))));
 */
export async function withRenderer<T>(
  work: (renderer: DiagramRenderer) => Promise<T>,
  options: RendererOptions = {},
): Promise<T> {
  const renderer = await openRenderer(options);
  try {
    return await work(renderer);
  } finally {
    await renderer.close();
  }
}
