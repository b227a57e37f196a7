/**
 * The inspector page in a real browser: Debian's Chromium driven by playwright-core, the install lifecycle with
 * fake services under `startInspectSession`, exactly what `lifecycle inspect install --fake-services` serves.
 */
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createWebSocketInspector } from '@statelyai/inspect';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assign, createActor, setup } from 'xstate';
import { installMachine } from '../../machines/install.ts';
import { EXAMPLE_INPUTS } from '../../src/inspect/examples.ts';
import { buildGraphView } from '../../src/inspect/graph-view.ts';
import { startInspectSession, type InspectSession } from '../../src/inspect/session.ts';
import { extractGraph } from '../../src/model/extract.ts';

const CHROMIUM = process.env.LIFECYCLE_CHROMIUM || '/usr/bin/chromium';
const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];
/** Where the screenshots go (kept out of the tree; docs/inspector.png is one of them, picked by hand). */
export const SCREENSHOT_DIR = process.env.LIFECYCLE_SCREENSHOT_DIR || tmpdir();

const view = buildGraphView(extractGraph(installMachine));
/** The arrow drawn for a machine transition (the page marks each with the transitions it stands for). */
const edgeSelector = (transitionId: string) => `#diagram path.lk-edge[data-transitions~="${transitionId}"]`;

const T = {
  preconditionsDone: 'install.checkingPreconditions:xstate.done.actor.0.install.checkingPreconditions:0',
  versionAlways: 'install.decidingVersion:always:3',
  kibanaRetry: 'install.installing.kibana_assets.running:xstate.error.actor.0.install.installing.kibana_assets.running:0',
  retryNow: 'install.installing.kibana_assets.retrying:RETRY_NOW:0',
  rollback: 'install.rollingBack:xstate.done.actor.0.install.rollingBack:0',
};

let session: InspectSession;
let browser: Browser;
let context: BrowserContext;
let page: Page;
const offsite: string[] = [];

const active = async () => ((await page.locator('#diagram').getAttribute('data-active')) ?? '').split(' ');
const logRows = () => page.locator('#log tbody tr.snapshot');
const coverage = () => page.locator('#coverage').textContent();

beforeAll(async () => {
  session = await startInspectSession({
    machine: installMachine,
    builtin: 'install',
    fakeServices: true,
    // A long backoff, so the retry timer never fires during the test; RETRY_NOW ends the wait.
    input: { ...(EXAMPLE_INPUTS.install as object), retry: { initialIntervalMs: 600_000 } },
  });
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS, headless: true });
  context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
  // Offline: anything but the inspector server is refused and remembered.
  await context.route('**/*', (route) => {
    const url = route.request().url();
    if (url.startsWith(new URL(session.server.url).origin)) return route.continue();
    offsite.push(url);
    return route.abort();
  });
  page = await context.newPage();
});

afterAll(async () => {
  await browser?.close();
  await session?.close();
});

describe('inspector page, install lifecycle with fake services', () => {
  it('draws the diagram offline and highlights the initial state', async () => {
    await page.goto(session.server.url);
    await page.locator('#diagram svg').waitFor({ timeout: 30_000 });
    await expect.poll(active).toContain('install.checkingPreconditions');
    await expect.poll(() => page.locator('#connection').getAttribute('data-state')).toBe('live');

    const node = page.locator('#diagram g.node[id*="-state-install.checkingPreconditions-"]');
    await expect.poll(() => node.getAttribute('class')).toContain('lk-active');
    expect(await page.locator('#diagram .lk-active').count()).toBe(1);
    expect(await coverage()).toBe(`0/${view.graph.transitions.length} transitions taken`);
    expect(await page.locator('#diagram path.lk-untaken').count()).toBeGreaterThan(25);
    // Steps are drawn as in `lifecycle diagram`: one state with its retry badge, none open before the run is in one.
    expect(await page.locator('#diagram').getAttribute('data-expanded')).toBe('');
    expect(await page.locator('#diagram g.node[data-state="install.installing.kibana_assets"]').textContent()).toContain('↻');
    expect(await page.locator('#diagram g[data-state="install.installing.kibana_assets.running"]').count()).toBe(0);
    // Untaken edges are dashed.
    const dash = await page.locator(edgeSelector(T.preconditionsDone)).evaluate((el) => getComputedStyle(el).strokeDasharray);
    expect(dash).toMatch(/^6px,? 5px$/);

    await expect.poll(() => logRows().count()).toBe(1);
    expect(await logRows().first().textContent()).toContain('start');
    expect(await page.locator('#pending .service').getAttribute('data-service')).toBe('checkPreconditions');
    expect(await page.locator('#context').textContent()).toContain('/example/packages/nginx-1.2.0');
    expect(offsite).toEqual([]);
  });

  it('resolving a service moves the highlight, logs the step and marks the transitions taken', async () => {
    await page.locator('[data-testid="resolve-checkPreconditions"]').click();
    await expect.poll(active).toContain('install.readingRecord');
    expect(await active()).not.toContain('install.checkingPreconditions');
    await expect.poll(() => logRows().count()).toBe(2);
    expect(await logRows().nth(1).textContent()).toContain('done: checkPreconditions');
    expect(await logRows().nth(1).textContent()).toContain('checkingPreconditions → readingRecord');
    // The done transition and the eventless version decision after it.
    await expect.poll(coverage).toMatch(/^2\//);
    for (const id of [T.preconditionsDone, T.versionAlways]) {
      expect(await page.locator(edgeSelector(id)).first().getAttribute('class')).toContain('lk-taken');
    }
    const dash = await page.locator(edgeSelector(T.preconditionsDone)).evaluate((el) => getComputedStyle(el).strokeDasharray);
    expect(dash).toBe('none'); // solid
    expect(await page.locator('#context').textContent()).toContain('nginx');

    await page.locator('[data-testid="resolve-readInstallationRecord"]').click();
    await expect.poll(active).toContain('install.installing.kibana_assets.running');
    // The step the run is in is drawn open; the others stay collapsed.
    expect(await page.locator('#diagram').getAttribute('data-expanded')).toBe('install.installing.kibana_assets');
    expect(await page.locator('#diagram g.node[data-state="install.installing.ilm_policies"]').textContent()).toContain('↻');
    expect(await active()).toEqual(
      expect.arrayContaining(['install', 'install.installing', 'install.installing.kibana_assets', 'install.installing.kibana_assets.running']),
    );
  });

  it('failing a service shows the error in the log and the context, and the retry path as taken', async () => {
    await page.locator('[data-testid="fail-installKibanaAssets"]').click();
    await expect.poll(active).toContain('install.installing.kibana_assets.retrying');
    const last = logRows().last();
    expect(await last.textContent()).toContain('error: installKibanaAssets');
    expect(await last.getAttribute('class')).toContain('error');
    expect(await last.locator('td').last().textContent()).toBe('installKibanaAssets failed');
    await expect.poll(() => page.locator('#context').textContent()).toContain('installKibanaAssets failed');
    expect(await page.locator(edgeSelector(T.kibanaRetry)).first().getAttribute('class')).toContain('lk-last');
    // The failed service is listed as an actor that ended in error.
    const service = page.locator('#actors .actor', { hasText: 'installKibanaAssets' }).first();
    expect(await service.locator('.badge').textContent()).toBe('failed');
    expect(await service.locator('.actor-error').textContent()).toBe('installKibanaAssets failed');

    await page.screenshot({ path: join(SCREENSHOT_DIR, 'lifecycle-inspector-failed.png') });
  });

  it('an event button sends the event the state accepts', async () => {
    const buttons = page.locator('#event-buttons button.event');
    await expect.poll(() => buttons.allTextContents()).toEqual(['RETRY_NOW']);
    const before = await coverage();
    await buttons.first().click();
    await expect.poll(active).toContain('install.installing.kibana_assets.running');
    expect(await logRows().last().textContent()).toContain('RETRY_NOW');
    expect(await page.locator(edgeSelector(T.retryNow)).first().getAttribute('class')).toContain('lk-taken');
    expect(await coverage()).not.toBe(before);
    await expect.poll(() => page.locator('#result').textContent()).toBe('sent RETRY_NOW');
    await expect.poll(() => buttons.count()).toBe(0); // running accepts no user event
    await expect.poll(() => page.locator('#context').textContent()).toContain('attempts: 2');

    await page.screenshot({ path: join(SCREENSHOT_DIR, 'lifecycle-inspector.png') });
  });

  it('steps back through earlier snapshots, view only', async () => {
    const slider = page.locator('#history-slider');
    await slider.fill('1'); // the second snapshot: readingRecord
    await expect.poll(active).toContain('install.readingRecord');
    expect(await page.locator('#history-position').textContent()).toContain('past');
    expect(await page.locator('[data-testid="resolve-installKibanaAssets"]').isDisabled()).toBe(true);
    await expect.poll(coverage).toMatch(/^2\//); // coverage as it was then
    // A log row also picks a snapshot.
    await logRows().first().click();
    await expect.poll(active).toContain('install.checkingPreconditions');

    await page.locator('#live').click();
    await expect.poll(active).toContain('install.installing.kibana_assets.running');
    expect(await page.locator('#history-position').textContent()).toContain('live');
    expect(await page.locator('[data-testid="resolve-installKibanaAssets"]').isDisabled()).toBe(false);
  });

  it('refuses an event the current state does not accept, and internal events', async () => {
    await page.locator('#custom-event-input').fill('{"type": "NOT_AN_EVENT"}');
    await page.locator('#custom-event button').click();
    await expect.poll(() => page.locator('#result').textContent()).toContain("refused: 'NOT_AN_EVENT' is not accepted");
    expect(await page.locator('#log tr.refused').last().textContent()).toContain('NOT_AN_EVENT');

    await page.locator('#custom-event-input').fill('{"type": "xstate.done.actor.0.install.installing.kibana_assets.running"}');
    await page.locator('#custom-event button').click();
    await expect.poll(() => page.locator('#result').textContent()).toContain('internal XState event');
    // Nothing moved.
    expect(await active()).toContain('install.installing.kibana_assets.running');
  });

  it('rebuilds everything after a reload mid-run', async () => {
    const rows = await page.locator('#log tbody tr').count();
    const refused = await page.locator('#log tbody tr.refused').count();
    expect(refused).toBe(2);
    const cover = await coverage();
    const context = await page.locator('#context').textContent();
    await page.reload();
    await page.locator('#diagram svg').waitFor();
    await expect.poll(active).toContain('install.installing.kibana_assets.running');
    await expect.poll(() => page.locator('#log tbody tr').count()).toBe(rows);
    expect(await page.locator('#log tbody tr.refused').count()).toBe(refused);
    await expect.poll(coverage).toBe(cover);
    expect(await page.locator('#context').textContent()).toBe(context);
    expect(await page.locator(edgeSelector(T.kibanaRetry)).first().getAttribute('class')).toContain('lk-taken');
    expect(await page.locator('#actors .actor').count()).toBe(5);
  });

  it('reconnects after a lost connection and catches up on what it missed', async () => {
    await page.evaluate('socket.close()');
    // While the page is away, the run moves on.
    const pending = session.fakes!.pending().find((p) => p.src === 'installKibanaAssets')!;
    session.fakes!.resolve(pending.id, null);
    await expect.poll(active).toContain('install.installing.ilm_policies.running');
    await expect.poll(() => page.locator('#diagram').getAttribute('data-expanded')).toBe('install.installing.ilm_policies');
    await expect.poll(() => page.locator('#connection').getAttribute('data-state')).toBe('live');
    expect(await logRows().last().textContent()).toContain('done: installKibanaAssets');
    await page.screenshot({ path: join(SCREENSHOT_DIR, 'lifecycle-inspector-reconnected.png') });
  });

  it('lists a plain createWebSocketInspector client as another actor, with its own diagram and log', async () => {
    const toggle = setup({ types: { context: {} as { count: number } } }).createMachine({
      id: 'toggle',
      context: { count: 0 },
      initial: 'off',
      states: {
        off: { on: { FLIP: { target: 'on', actions: assign({ count: ({ context }) => context.count + 1 }) } } },
        on: { on: { FLIP: 'off' } },
      },
    });
    const inspector = createWebSocketInspector({ url: session.server.wsUrl });
    const other = createActor(toggle, { inspect: inspector.inspect }).start();
    try {
      other.send({ type: 'FLIP' });
      const entry = page.locator('#actors .actor', { hasText: 'toggle' });
      await entry.waitFor();
      expect(await entry.textContent()).toContain('client');
      expect(await page.locator('#actors .actor').count()).toBeGreaterThanOrEqual(6);
      await entry.click();
      await page.locator('#diagram[data-graph^="def-"] svg').waitFor();
      await expect.poll(active).toContain('toggle.on');
      await expect.poll(() => logRows().count()).toBe(2);
      expect(await logRows().last().textContent()).toContain('off → on');
      expect(await page.locator('#context').textContent()).toContain('count: 1');
      await expect.poll(coverage).toBe('1/2 transitions taken (inferred)');
      // The page's commands still go to the inspected lifecycle, not to the other program's actor.
      expect(await page.locator('#controls-target').textContent()).toContain('install');
      await page.screenshot({ path: join(SCREENSHOT_DIR, 'lifecycle-inspector-client.png') });
    } finally {
      other.stop();
      inspector.stop();
    }
    await page.locator('#actors .actor', { hasText: 'install' }).first().click();
    await expect.poll(active).toContain('install.installing.ilm_policies.running');
    expect(offsite).toEqual([]);
  });
});
