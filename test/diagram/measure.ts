/**
 * The readability measure of `shared/tools/diagram-quality.mjs`, for tests: Chromium lays an SVG out and
 * reports edge labels lying on other labels or on states, and the size. Graphviz SVGs: the `<text>` of each
 * `g.edge` is one label box; Mermaid SVGs: each `g.edgeLabel`.
 */
import { chromium } from 'playwright-core';

export interface Quality {
  width: number;
  height: number;
  edgeLabels: number;
  states: number;
  labelLabelOverlaps: number;
  labelStateOverlaps: number;
  /** Median text size in the SVG's units. */
  font: number;
  /** The width the picture has when its text is drawn at 16 px. */
  widthAt16px: number;
}

export async function measureSvgs(svgs: string[]): Promise<Quality[]> {
  const browser = await chromium.launch({ executablePath: process.env.LIFECYCLE_CHROMIUM || '/usr/bin/chromium', args: ['--headless', '--no-sandbox', '--disable-gpu'] });
  try {
    const page = await browser.newPage();
    const out: Quality[] = [];
    for (const svg of svgs) {
      // esbuild (vitest) wraps functions in `__name(...)`; the page needs it too.
      await page.setContent(`<!doctype html><head><script>globalThis.__name = (fn) => fn;</script></head><body style="margin:0">${svg}</body>`);
      const r = await page.evaluate(() => {
        const root = document.querySelector('svg')!;
        const vb = root.viewBox.baseVal;
        const box = (el: SVGGraphicsElement) => {
          const b = el.getBBox();
          const t = root.getCTM()!.inverse().multiply(el.getCTM()!);
          const p = (x: number, y: number) => new DOMPoint(x, y).matrixTransform(t);
          const a = p(b.x, b.y);
          const c = p(b.x + b.width, b.y + b.height);
          return { x1: Math.min(a.x, c.x), y1: Math.min(a.y, c.y), x2: Math.max(a.x, c.x), y2: Math.max(a.y, c.y) };
        };
        type Box = ReturnType<typeof box>;
        const inter = (a: Box, b: Box) => Math.max(0, Math.min(a.x2, b.x2) - Math.max(a.x1, b.x1)) * Math.max(0, Math.min(a.y2, b.y2) - Math.max(a.y1, b.y1));
        const union = (bs: Box[]) => bs.reduce((a, b) => ({ x1: Math.min(a.x1, b.x1), y1: Math.min(a.y1, b.y1), x2: Math.max(a.x2, b.x2), y2: Math.max(a.y2, b.y2) }));
        const texts = (g: Element) => [...g.querySelectorAll('text')].filter((t) => (t.textContent ?? '').trim());
        const mermaid = [...root.querySelectorAll('g.edgeLabel')].filter((g) => (g.textContent ?? '').trim()).map((g) => box(g as SVGGraphicsElement));
        const graphviz = [...root.querySelectorAll('g.edge')].map((g) => texts(g).map((t) => box(t))).filter((bs) => bs.length).map(union);
        const labels = [...mermaid, ...graphviz].filter((b) => b.x2 - b.x1 > 1);
        const nodes = [...root.querySelectorAll('g.node')].map((g) => box(g as SVGGraphicsElement));
        let ll = 0;
        let ln = 0;
        for (let i = 0; i < labels.length; i++) for (let j = i + 1; j < labels.length; j++) if (inter(labels[i]!, labels[j]!) > 4) ll++;
        for (const l of labels) for (const n of nodes) if (inter(l, n) > 4) ln++;
        const scale = Math.hypot(root.getCTM()!.a, root.getCTM()!.b);
        const sizes = [...root.querySelectorAll('text, foreignObject span, foreignObject div')]
          .filter((t) => (t.textContent ?? '').trim())
          .map((t) => {
            const m = (t as SVGGraphicsElement).getCTM?.() ?? null;
            return parseFloat(getComputedStyle(t).fontSize) * (m ? Math.hypot(m.a, m.b) / scale : 1);
          })
          .filter((x) => x > 0)
          .sort((a, b) => a - b);
        const font = sizes.length ? sizes[Math.floor(sizes.length / 2)]! : 16;
        return { width: vb.width || root.getBBox().width, height: vb.height || root.getBBox().height, edgeLabels: labels.length, states: nodes.length, labelLabelOverlaps: ll, labelStateOverlaps: ln, font };
      });
      out.push({ ...r, widthAt16px: Math.round((r.width * 16) / r.font) });
    }
    return out;
  } finally {
    await browser.close();
  }
}
