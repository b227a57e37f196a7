// The pictures people read: no edge label on another label or on a state, and a size that fits a screen.
// Measured like shared/tools/diagram-quality.mjs (Chromium lays the SVG out), on what `diagram -f svg` and
// `docs` make. Needs Chromium, like the other browser tests.
import { describe, expect, it } from 'vitest';
import { BUILTINS } from '../../machines/index.ts';
import { buildDocs } from '../../src/diagram/docs.ts';
import { renderImages } from '../../src/diagram/engines/index.ts';
import { extractGraph } from '../../src/model/extract.ts';
import { FIXTURES } from '../fixtures/machines/index.ts';
import { measureSvgs } from './measure.ts';

const graphs = BUILTINS.map((b) => extractGraph(b.machine));

describe('picture quality (Graphviz engine, the default)', () => {
  it('every built-in overview: 0 labels on labels or states, at most 2,800 px wide at 16 px text', async () => {
    const svgs = await renderImages(graphs, { format: 'svg' });
    const quality = await measureSvgs(svgs as string[]);
    quality.forEach((q, i) => {
      expect({ name: BUILTINS[i]!.name, ll: q.labelLabelOverlaps, ls: q.labelStateOverlaps }).toEqual({ name: BUILTINS[i]!.name, ll: 0, ls: 0 });
      expect(q.widthAt16px, BUILTINS[i]!.name).toBeLessThanOrEqual(2800);
    });
  }, 120_000);

  it('every docs picture (overviews and one per compound state) and every expanded built-in: 0 overlaps', async () => {
    const files = await buildDocs(BUILTINS.map((b, i) => ({ name: b.name, description: b.description, graph: graphs[i]! })));
    const pictures = files.filter((f) => f.path.endsWith('.svg'));
    const expanded = await renderImages(graphs, { format: 'svg', view: { expand: true } });
    const quality = await measureSvgs([...pictures.map((f) => f.data as string), ...(expanded as string[])]);
    const names = [...pictures.map((f) => f.path), ...BUILTINS.map((b) => `${b.name} --expand`)];
    const bad = quality.flatMap((q, i) => (q.labelLabelOverlaps || q.labelStateOverlaps ? [`${names[i]}: ${q.labelLabelOverlaps}/${q.labelStateOverlaps}`] : []));
    expect(bad).toEqual([]);
  }, 180_000);

  it('machines it was not tuned for (the fixtures): 0 overlaps, collapsed and expanded', async () => {
    const fixtureGraphs = FIXTURES.map((f) => extractGraph(f.machine));
    const svgs = [
      ...(await renderImages(fixtureGraphs, { format: 'svg' })),
      ...(await renderImages(fixtureGraphs, { format: 'svg', view: { expand: true, depth: 1 } })),
    ];
    const quality = await measureSvgs(svgs as string[]);
    const bad = quality.flatMap((q, i) => (q.labelLabelOverlaps || q.labelStateOverlaps ? [`${FIXTURES[i % FIXTURES.length]!.name}: ${q.labelLabelOverlaps}/${q.labelStateOverlaps}`] : []));
    expect(bad).toEqual([]);
  }, 180_000);
});

describe('picture quality on third-party machines (test/corpus)', () => {
  it('every corpus machine: 0 overlaps, steps collapsed, expanded and cut at depth 1', async () => {
    const { CORPUS } = await import('../corpus/index.ts');
    const graphs = await Promise.all(CORPUS.map(async (c) => extractGraph((await import(`../corpus/machines/${c.file}`))[c.exportName])));
    const views = [{}, { expand: true }, { depth: 1 }] as const;
    const svgs: string[] = [];
    const names: string[] = [];
    for (const view of views) {
      svgs.push(...((await renderImages(graphs, { format: 'svg', view })) as string[]));
      names.push(...CORPUS.map((c) => `${c.file} ${JSON.stringify(view)}`));
    }
    const quality = await measureSvgs(svgs);
    const bad = quality.flatMap((q, i) => (q.labelLabelOverlaps || q.labelStateOverlaps ? [`${names[i]}: ${q.labelLabelOverlaps}/${q.labelStateOverlaps}`] : []));
    expect(bad).toEqual([]);
  }, 180_000);
});
