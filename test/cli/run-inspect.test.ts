/**
 * `lifecycle run --inspect`: a durable run shown live on the inspector page.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { attachInspector } from '../../src/inspect/attach.ts';
import { PAGE_PATH } from '../../src/inspect/protocol.ts';
import { DirectoryStore } from '../../src/runtime/directory-store.ts';
import { startRun } from '../../src/runtime/runs.ts';
import { lifecycle } from '../runtime/crash-harness.ts';
import { stepsMachine } from '../runtime/fixtures/machines.ts';

const FIXTURES = new URL('../runtime/fixtures/machines.ts', import.meta.url).pathname;
const temps: string[] = [];
/** A temp dir, removed after the file's tests. */
function temp(): string {
  const dir = mkdtempSync(join(tmpdir(), 'lk-run-inspect-'));
  temps.push(dir);
  return dir;
}
afterAll(() => {
  for (const dir of temps.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('run --inspect', () => {
  it('a durable run feeds the inspector: the page sees its actor and every snapshot', async () => {
    const inspector = await attachInspector({ machine: stepsMachine });
    const dir = temp();
    const received: string[] = [];
    // A page connection: the server replays the buffered history, so connecting after the run still shows it.
    try {
      const result = await startRun({
        store: new DirectoryStore(join(dir, 'store')),
        lifecycle: 'steps',
        machine: stepsMachine,
        input: { steps: 2, dir },
        inspect: (event) => inspector.inspect.next?.(event),
      });
      expect(result.status).toBe('succeeded');
      const { origin, search } = new URL(inspector.url); // the printed URL carries the session token
      const page = new WebSocket(`${origin.replace(/^http/, 'ws')}${PAGE_PATH}${search}`, { headers: { origin } });
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(resolve, 1500);
        page.on('message', (data) => received.push(String(data)));
        page.on('error', (e) => {
          clearTimeout(timer);
          reject(e);
        });
      });
      page.close();
    } finally {
      await inspector.close();
    }
    const messages = received.map((m) => JSON.parse(m) as { type: string; entry?: { actor: string; kind: string; snapshot?: { value?: unknown; status?: string } } });
    const root = messages.filter((m) => m.type === 'entry' && m.entry!.actor === 'main/x:0' && m.entry!.kind === 'snapshot');
    // Every transition of the run reached the page: the last snapshot of the root actor is the final one.
    expect(root.length).toBeGreaterThanOrEqual(3);
    expect(root.at(-1)!.entry!.snapshot).toMatchObject({ value: 'done', status: 'done' });
  });

  it('the CLI prints the page and ends with the run when not on a terminal; a bad port is a usage error', async () => {
    const dir = temp();
    const r = await lifecycle(['run', `${FIXTURES}#stepsMachine`, '--store', join(dir, 'store'), '--input', JSON.stringify({ steps: 1, dir }), '--inspect']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^inspector: http:\/\/127\.0\.0\.1:\d+\/\?token=[0-9a-f]{32}$/m);
    const bad = await lifecycle(['run', `${FIXTURES}#stepsMachine`, '--store', join(dir, 'store2'), '--input', '{}', '--inspect', 'nope']);
    expect(bad.code).toBe(2);
    expect(bad.stderr.trim()).toBe("lifecycle: --inspect takes a port from 0 to 65535, not 'nope'");
  });
});
