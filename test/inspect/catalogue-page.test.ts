/**
 * The inspector page in a real browser (Debian's Chromium through playwright-core) on a user's machine with its
 * catalogue: the event picker sends the catalogue's payloads, bad JSON is refused on the page, and an actor that
 * fails is shown failed with its message, in the Actors list and above the diagram.
 */
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startInspectSession, type InspectSession } from '../../src/inspect/session.ts';
import { deployMachine, deployMachineCatalogue } from './fixtures/deploy.ts';

/** Where the screenshots go (kept out of the tree). */
const SCREENSHOT_DIR = process.env.LIFECYCLE_SCREENSHOT_DIR || tmpdir();
const CHROMIUM = process.env.LIFECYCLE_CHROMIUM || '/usr/bin/chromium';

let session: InspectSession;
let browser: Browser;
let page: Page;

const active = async () => ((await page.locator('#diagram').getAttribute('data-active')) ?? '').split(' ');
const result = () => page.locator('#result').textContent();

beforeAll(async () => {
  session = await startInspectSession({ machine: deployMachine, fakeServices: true, samples: deployMachineCatalogue });
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run'], headless: true });
  page = await (await browser.newContext({ viewport: { width: 1440, height: 900 } })).newPage();
  await page.goto(session.server.url);
  await page.locator('#diagram svg').waitFor({ timeout: 30_000 });
});

afterAll(async () => {
  await browser?.close();
  await session?.close();
});

describe('a user machine with its catalogue, on the page', () => {
  it("pre-fills the service with the catalogue's output, and offers APPROVE's payloads in a picker", async () => {
    const output = page.locator('textarea[aria-label="output of build"]');
    await expect.poll(() => output.inputValue()).toContain('app.sbom');
    expect(await page.locator('input[aria-label="error message for build"]').inputValue()).toBe('compiler crashed');
    expect(await page.locator('input[aria-label="error kind for build"]').inputValue()).toBe('build-error');
    await page.locator('[data-testid="resolve-build"]').click();
    await expect.poll(active).toContain('deploy.awaitingApproval');

    const picker = page.locator('.event-picker[data-event="APPROVE"]');
    const options = picker.locator('select option');
    await expect.poll(() => options.allTextContents()).toEqual(['{"by":{"name":"ana","role":"ops"}}', '{"by":{"name":"dev","role":"dev"}} (a guard refuses it now)']);
    await picker.locator('select').selectOption('1');
    expect(await picker.locator('button.event').getAttribute('class')).toContain('guarded');
    await picker.locator('select').selectOption('0');
    expect(await picker.locator('button.event').getAttribute('class')).not.toContain('guarded');
    // `edit` puts the sample into the JSON field, to change before sending.
    await picker.locator('button.edit').click();
    expect(JSON.parse(await page.locator('#custom-event-input').inputValue())).toEqual({ type: 'APPROVE', by: { name: 'ana', role: 'ops' } });
    await page.screenshot({ path: join(SCREENSHOT_DIR, 'lifecycle-inspector-picker.png') });
  });

  it('refuses bad JSON and a bare APPROVE on the page, with a message; the actor lives on', async () => {
    await page.locator('#custom-event-input').fill('{"type": "APPROVE", by: }');
    await page.locator('#custom-event button').click();
    await expect.poll(result).toMatch(/^refused: not sent: the event is not JSON/);
    await page.locator('#custom-event-input').fill('{"by": {"name": "ana"}}');
    await page.locator('#custom-event button').click();
    await expect.poll(result).toBe('refused: not sent: an event is a JSON object with a "type" string');
    await page.locator('#custom-event-input').fill('{"type": "APPROVE"}');
    await page.locator('#custom-event button').click();
    await expect.poll(result).toMatch(/^refused: 'APPROVE' was not sent: the machine throws on it/);
    expect(session.actor.getSnapshot().status).toBe('active');

    await page.locator('.event-picker[data-event="APPROVE"] button.event').click();
    await expect.poll(active).toContain('deploy.shipping.attempt');
    // The step the run is in is drawn open.
    await expect.poll(() => page.locator('#diagram').getAttribute('data-expanded')).toBe('deploy.shipping');
    await page.screenshot({ path: join(SCREENSHOT_DIR, 'lifecycle-inspector-step-open.png') });
  });

  it('an actor that fails is shown failed, with its error, not active', async () => {
    // A second run whose build output the assign cannot read: XState inspects no snapshot for that failure.
    await session.close();
    session = await startInspectSession({ machine: deployMachine, fakeServices: true, samples: deployMachineCatalogue });
    await page.goto(session.server.url);
    const output = page.locator('textarea[aria-label="output of build"]');
    await output.waitFor();
    await output.fill('{}');
    await page.locator('[data-testid="resolve-build"]').click();

    const root = page.locator('#actors .actor', { hasText: 'deploy' }).first();
    await expect.poll(() => root.locator('.badge').textContent()).toBe('failed');
    expect(await root.locator('.actor-error').textContent()).toMatch(/reading 'length'/);
    await expect.poll(() => page.locator('#actor-failed').isVisible()).toBe(true);
    expect(await page.locator('#actor-failed').textContent()).toMatch(/^failed: .*reading 'length'/);
    expect(await page.locator('#controls-target').textContent()).toMatch(/\(failed: .*reading 'length'/);
    expect(await page.locator('#log tbody tr.snapshot').last().getAttribute('class')).toContain('error');
    await page.screenshot({ path: join(SCREENSHOT_DIR, 'lifecycle-inspector-actor-failed.png') });
  });
});
