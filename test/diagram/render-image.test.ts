import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ChromiumMissingError,
  DiagramSyntaxError,
  openRenderer,
  withRenderer,
  type DiagramRenderer,
} from '../../src/diagram/render-image.ts';

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/** A compound state with two parallel regions, a choice, a note and a self-transition. */
const DIAGRAM = `stateDiagram-v2
  [*] --> Idle
  Idle --> Running: start
  state Running {
    state Check <<choice>>
    [*] --> Fetching
    Fetching --> Check: fetched
    Check --> Parsing: ok
    Check --> Failed: bad
    --
    [*] --> Ticking
    Ticking --> Ticking: tick
  }
  note right of Idle: waits for a start event
  Running --> Done: finish
  Done --> [*]
`;

const LABELS = ['Idle', 'Running', 'Fetching', 'Parsing', 'Failed', 'Ticking', 'Done', 'start', 'fetched', 'tick'];

/** Text of the SVG's <text> elements, as an SVG viewer without HTML support would show them. */
async function svgTexts(svg: string): Promise<string[]> {
  // jsdom ships no type declarations here; a non-literal specifier keeps tsc from looking for them.
  const jsdomSpecifier = 'jsdom';
  const { JSDOM } = (await import(jsdomSpecifier)) as {
    JSDOM: new (markup: string, options: object) => { window: { document: Document } };
  };
  const document = new JSDOM(svg, { contentType: 'image/svg+xml' }).window.document;
  return [...document.querySelectorAll('text')].map((text) => text.textContent ?? '');
}

describe('openRenderer', { timeout: 60_000 }, () => {
  let renderer: DiagramRenderer;
  beforeAll(async () => {
    renderer = await openRenderer();
  }, 60_000);
  afterAll(async () => {
    await renderer?.close();
  });

  it('renders a standalone SVG whose labels are SVG text', async () => {
    const svg = await renderer.renderSvg(DIAGRAM);
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg).toContain('xmlns="http://www.w3.org/2000/svg"');
    expect(svg).toMatch(/ viewBox="[\d.]+ [\d.]+ [\d.]+ [\d.]+"/);
    expect(svg).toMatch(/ width="[\d.]+"/);
    expect(svg).toMatch(/ height="[\d.]+"/);
    expect(svg).not.toContain('<foreignObject');
    const texts = await svgTexts(svg); // also proves the SVG is well-formed XML
    for (const label of LABELS) expect(texts).toContain(label);
    expect(texts).toContain('waits for a start event');
  });

  it('gives the same SVG for the same text', async () => {
    const first = await renderer.renderSvg(DIAGRAM);
    const again = await renderer.renderSvg(`${DIAGRAM}\n`);
    const strip = (svg: string) => svg.replace(/lifecycle-[0-9a-f]{12}/g, 'ID');
    expect(strip(again)).toBe(strip(first));
  });

  it('renders a PNG', async () => {
    const png = Buffer.from(await renderer.renderPng(DIAGRAM));
    expect(png.subarray(0, 8).equals(PNG_SIGNATURE)).toBe(true);
    expect(png.length).toBeGreaterThan(10_000);
    // IHDR width at scale 1 is about half of the default scale 2.
    const small = Buffer.from(await renderer.renderPng(DIAGRAM, { scale: 1 }));
    expect(small.readUInt32BE(16) * 2).toBeGreaterThanOrEqual(png.readUInt32BE(16) - 2);
    expect(small.readUInt32BE(16) * 2).toBeLessThanOrEqual(png.readUInt32BE(16) + 2);
  });

  it('rejects text Mermaid cannot parse with a one-line DiagramSyntaxError', async () => {
    const error = await renderer.renderSvg('stateDiagram-v2\n  A --> --> B\n').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DiagramSyntaxError);
    expect((error as Error).message).toMatch(/^Parse error on line 2:/);
    expect((error as Error).message).not.toContain('\n');
    // The renderer is still usable after a bad diagram.
    expect(await renderer.renderSvg('stateDiagram-v2\n  [*] --> A\n')).toContain('<svg');
  });

  it('rejects a bad PNG scale', async () => {
    await expect(renderer.renderPng(DIAGRAM, { scale: 0 })).rejects.toThrow(RangeError);
  });
});

describe('a missing Chromium', () => {
  it('throws ChromiumMissingError with one line that says how to install it', async () => {
    const saved = process.env.LIFECYCLE_CHROMIUM;
    process.env.LIFECYCLE_CHROMIUM = '/nonexistent';
    try {
      const error = await openRenderer().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ChromiumMissingError);
      expect((error as Error).message).toBe(
        "Chromium not found at /nonexistent: install it with 'apt-get install -y chromium' " +
          'or set LIFECYCLE_CHROMIUM to a Chromium executable',
      );
    } finally {
      if (saved === undefined) delete process.env.LIFECYCLE_CHROMIUM;
      else process.env.LIFECYCLE_CHROMIUM = saved;
    }
  });
});

describe('withRenderer', () => {
  it('closes the browser when the work fails', { timeout: 60_000 }, async () => {
    let used: DiagramRenderer | undefined;
    await expect(
      withRenderer(async (renderer) => {
        used = renderer;
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    await expect(used!.renderSvg('stateDiagram-v2\n  [*] --> A\n')).rejects.toThrow(/closed/);
  });
});
