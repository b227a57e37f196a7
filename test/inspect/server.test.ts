/**
 * The inspector server without a browser: what it accepts from sources and pages, what it refuses, the history it
 * replays, `attachInspector`, and `lifecycle inspect` as a child process.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { request } from 'node:http';
import { fileURLToPath } from 'node:url';
import { createWebSocketInspector } from '@statelyai/inspect';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { createActor, createMachine } from 'xstate';
import { installMachine } from '../../machines/install.ts';
import { attachInspector } from '../../src/inspect/attach.ts';
import { inferTaken } from '../../src/inspect/coverage.ts';
import { activeStateIds, buildGraphView, describeValue } from '../../src/inspect/graph-view.ts';
import { PAGE_PATH, type ServerMessage } from '../../src/inspect/protocol.ts';
import { RAW_PATH } from '../../src/inspect/server.ts';
import { startInspectSession, type InspectSession } from '../../src/inspect/session.ts';
import { extractGraph } from '../../src/model/extract.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** A page connection: collects what the server sends, and sends commands. */
/** The page socket of a server whose (tokened) source URL is `wsUrl`: same host, same token, the page's own origin. */
async function openPage(wsUrl: string, origin = `http://${new URL(wsUrl).host}`) {
  const u = new URL(wsUrl);
  const ws = new WebSocket(`ws://${u.host}${PAGE_PATH}${u.search}`, { origin });
  const messages: ServerMessage[] = [];
  ws.on('message', (data) => messages.push(JSON.parse(String(data)) as ServerMessage));
  await once(ws, 'open');
  const next = async <T extends ServerMessage['type']>(type: T, from = 0): Promise<Extract<ServerMessage, { type: T }>> => {
    for (let i = 0; i < 200; i++) {
      const found = messages.slice(from).find((m) => m.type === type);
      if (found) return found as Extract<ServerMessage, { type: T }>;
      await new Promise((r) => setTimeout(r, 10));
    }
    throw new Error(`no ${type} message`);
  };
  const command = async (body: unknown) => {
    const from = messages.length;
    ws.send(typeof body === 'string' ? body : JSON.stringify(body));
    return next('result', from);
  };
  return { ws, messages, next, command };
}

function get(url: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string; headers: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers }, (res) => {
      let body = '';
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('inspector server', () => {
  let session: InspectSession;
  beforeAll(async () => {
    session = await startInspectSession({ machine: installMachine, builtin: 'install', fakeServices: true });
  });
  afterAll(() => session.close());

  it('serves the page, Mermaid from node_modules, and nothing else', async () => {
    const page = await get(session.server.url);
    expect(page.status).toBe(200);
    expect(page.headers['content-security-policy']).toContain("default-src 'self'");
    expect(page.body).toContain('/vendor/mermaid.min.js');
    const mermaid = await get(new URL('/vendor/mermaid.min.js', session.server.url).href);
    expect(mermaid.status).toBe(200);
    expect(mermaid.body.length).toBeGreaterThan(1_000_000);
    expect((await get(new URL('/package.json', session.server.url).href)).status).toBe(404);
    expect((await get(new URL('/..%2f..%2fpackage.json', session.server.url).href)).status).toBe(404);
  });

  it('refuses requests for another Host (DNS rebinding) and page sockets from another origin', async () => {
    expect((await get(session.server.url, { Host: 'attacker.example' })).status).toBe(421);
    const foreign = new WebSocket(`ws://${new URL(session.server.wsUrl).host}${PAGE_PATH}${new URL(session.server.wsUrl).search}`, { origin: 'http://attacker.example' });
    foreign.on('error', () => {});
    const [, response] = (await once(foreign, 'unexpected-response')) as [unknown, { statusCode: number }];
    expect(response.statusCode).toBe(403);
    foreign.terminate();
  });

  it('sends the buffered history to a page, with the initial state and what it accepts', async () => {
    const page = await openPage(session.server.wsUrl);
    const init = await page.next('init');
    expect(init.graphs.machine.graph.id).toBe('install');
    const root = init.actors.find((a) => a.controlled)!;
    expect(root).toMatchObject({ name: 'install', source: 'main', coverage: 'exact', graphId: 'machine' });
    const first = init.entries.find((e) => e.actor === root.key && e.kind === 'snapshot')!;
    expect(first.event.type).toBe('xstate.init');
    expect(first.active).toEqual(['install', 'install.checkingPreconditions']);
    expect(init.control.pending.map((p) => p.src)).toEqual(['checkPreconditions']);
    expect(init.control.fakeServices).toBe(true);
    page.ws.close();
  });

  it('refuses everything but valid events and pending fake services', async () => {
    const page = await openPage(session.server.wsUrl);
    const init = await page.next('init');
    const root = init.actors.find((a) => a.controlled)!;
    const child = init.actors.find((a) => a.parentKey === root.key)!;

    expect(await page.command('not json')).toMatchObject({ ok: false, message: 'command is not JSON' });
    expect((await page.command({ type: 'eval', code: 'process.exit()' })).message).toMatch(/unknown command "eval"/);
    expect((await page.command({ type: 'send', actor: root.key, event: { type: 'RETRY_NOW' } })).message).toMatch(
      /'RETRY_NOW' is not accepted in checkingPreconditions: it accepts no user events/,
    );
    expect((await page.command({ type: 'send', actor: root.key, event: { type: 'xstate.stop' } })).message).toMatch(/internal XState event/);
    expect((await page.command({ type: 'send', actor: child.key, event: { type: 'X' } })).message).toMatch(/only the inspected actor/);
    expect((await page.command({ type: 'resolve', service: 'x:99', output: null })).message).toMatch(/no fake service x:99 is pending/);
    // Refusals are kept in the history, so every page's log shows them.
    const refused = page.messages.filter((m) => m.type === 'entry' && m.entry.kind === 'refused');
    expect(refused.length).toBe(6);

    const pending = init.control.pending[0]!;
    const resolved = await page.command({
      type: 'resolve',
      service: pending.id,
      output: { manifest: { name: 'nginx', version: '1.2.0', assets: {} }, installedVersion: '1.1.0' },
    });
    expect(resolved).toMatchObject({ ok: true, message: 'resolved checkPreconditions' });
    await expect.poll(() => session.actor.getSnapshot().value).toBe('readingRecord');
    // Settled once: a second resolve is refused.
    expect((await page.command({ type: 'resolve', service: pending.id, output: null })).ok).toBe(false);
    page.ws.close();
  });

  it('buffers what any createWebSocketInspector client sends, namespaced per connection, and ignores garbage', async () => {
    const raw = new WebSocket(session.server.wsUrl);
    await once(raw, 'open');
    raw.send('garbage');
    raw.send(JSON.stringify({ type: '@xstate.event', sessionId: 'x:0' })); // no event: ignored
    raw.send(JSON.stringify({ type: '@xstate.snapshot', sessionId: 'x:0', event: { type: 'PING' }, snapshot: { status: 'active', value: 'idle' } }));
    await new Promise((r) => setTimeout(r, 50));
    const page = await openPage(session.server.wsUrl);
    const init = await page.next('init');
    const client = init.actors.find((a) => a.source.startsWith('client'))!;
    expect(client.key).not.toBe(init.actors.find((a) => a.controlled)!.key); // both are x:0 in their own system
    expect(init.entries.filter((e) => e.actor === client.key).map((e) => e.event.type)).toEqual(['PING']);
    raw.close();
    page.ws.close();
  });

  it('replays raw frames to the Stately bridge, read-only', async () => {
    const u = new URL(session.server.wsUrl);
    const bridge = new WebSocket(`ws://${u.host}${RAW_PATH}${u.search}`, { origin: `http://${u.host}` });
    const frames: string[] = [];
    bridge.on('message', (d) => frames.push(String(d)));
    await once(bridge, 'open');
    await expect.poll(() => frames.length).toBeGreaterThan(3);
    expect(JSON.parse(frames[0]!)).toMatchObject({ type: '@xstate.actor', name: 'install' });
    bridge.close();
    expect((await get(session.server.statelyUrl)).body).toContain('https://stately.ai/inspect');
  });
});

describe('real services', () => {
  it('runs a built-in with its real services on a sandboxed input, and removes the sandbox on close', async () => {
    const session = await startInspectSession({ machine: installMachine, builtin: 'install' });
    try {
      await expect.poll(() => session.actor.getSnapshot().status, { timeout: 20_000 }).toBe('done');
      expect(session.actor.getSnapshot().value).toBe('installed');
      const page = await openPage(session.server.wsUrl);
      const init = await page.next('init');
      const root = init.actors.find((a) => a.controlled)!;
      const steps = init.entries.filter((e) => e.actor === root.key && e.kind === 'snapshot');
      expect(steps.at(-1)!.to).toBe('installed');
      expect(new Set(steps.flatMap((e) => e.taken ?? [])).size).toBeGreaterThan(8);
      expect(init.control).toMatchObject({ fakeServices: false, pending: [], status: 'done' });
      expect((await page.command({ type: 'send', actor: root.key, event: { type: 'RETRY_NOW' } })).message).toMatch(/the actor is done/);
      page.ws.close();
    } finally {
      await session.close();
    }
    expect(existsSync(session.sandbox!)).toBe(false);
  });
});

describe('attachInspector', () => {
  it('feeds an actor the runtime owns to the page, and lets the page send it accepted events', async () => {
    const machine = createMachine({ id: 'door', initial: 'closed', states: { closed: { on: { OPEN: 'open' } }, open: { on: { CLOSE: 'closed' } } } });
    const inspector = await attachInspector({ machine });
    const actor = createActor(machine, { inspect: inspector.inspect });
    inspector.control(actor);
    actor.start();
    try {
      expect(inspector.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/\?token=[0-9a-f]{32}$/);
      const page = await openPage(inspector.wsUrl);
      const init = await page.next('init');
      await expect.poll(() => page.messages.some((m) => m.type === 'control' && m.control.accepts.some((a) => a.type === 'OPEN')) || init.control.accepts.length > 0).toBe(true);
      const key = page.messages.flatMap((m) => (m.type === 'init' ? m.actors : m.type === 'actor' ? [m.actor] : [])).find((a) => a.controlled)?.key;
      expect(key).toBeDefined();
      expect((await page.command({ type: 'send', actor: key, event: { type: 'OPEN' } })).ok).toBe(true);
      expect(actor.getSnapshot().value).toBe('open');
      expect((await page.command({ type: 'send', actor: key, event: { type: 'OPEN' } })).message).toMatch(/it accepts CLOSE/);
      page.ws.close();
    } finally {
      actor.stop();
      await inspector.close();
    }
  });

  it('a plain createWebSocketInspector client attaches with two lines', async () => {
    const inspector = await attachInspector();
    const client = createWebSocketInspector({ url: inspector.wsUrl });
    const machine = createMachine({ id: 'light', initial: 'red', states: { red: { on: { GO: 'green' } }, green: {} } });
    const actor = createActor(machine, { inspect: client.inspect }).start();
    actor.send({ type: 'GO' });
    try {
      const page = await openPage(inspector.wsUrl);
      await expect
        .poll(async () => {
          const again = await openPage(inspector.wsUrl);
          const init = await again.next('init');
          again.ws.close();
          return init.entries.filter((e) => e.kind === 'snapshot').map((e) => e.to);
        })
        .toEqual(['red', 'green']);
      page.ws.close();
    } finally {
      actor.stop();
      client.stop();
      await inspector.close();
    }
  });
});

describe('graph view and inferred coverage', () => {
  const graph = extractGraph(installMachine);
  const view = buildGraphView(graph, { expand: true });

  it('numbers transition edges the way Mermaid does: after every start and end arrow, one per target', () => {
    // Drawn in full and with the steps collapsed (the page's default), one arrow per drawn transition.
    for (const v of [view, buildGraphView(graph)]) {
      const relations = v.mermaid.split('\n').filter((l) => / --> /.test(l)).length;
      const indexes = Object.values(v.edges).flat();
      expect(new Set(indexes).size).toBe(indexes.length);
      expect(Math.max(...indexes)).toBe(relations - 1);
    }
    expect(view.edges['install.checkingPreconditions:xstate.done.actor.0.install.checkingPreconditions:0']).toEqual([13]);
  });

  it('reads a state value into active state ids and a readable line', () => {
    expect(activeStateIds(graph, { installing: { kibana_assets: 'running' } })).toEqual([
      'install',
      'install.installing',
      'install.installing.kibana_assets',
      'install.installing.kibana_assets.running',
    ]);
    expect(describeValue({ a: { x: 'y' }, b: 'z' })).toBe('a.x.y | b.z');
  });

  it('infers the transitions of a step from two values when only a definition is known', () => {
    const taken = inferTaken(
      graph,
      { value: 'checkingPreconditions' },
      { type: 'xstate.done.actor.0.install.checkingPreconditions' },
      { value: 'readingRecord' },
    );
    // The done transition, then the eventless version decision (its unguarded branch lands in readingRecord).
    expect(taken[0]).toBe('install.checkingPreconditions:xstate.done.actor.0.install.checkingPreconditions:0');
    expect(taken[1]).toMatch(/^install\.decidingVersion:always:/);
  });
});

describe('lifecycle inspect (child process)', () => {
  it('prints the URL, serves the page, and stops cleanly on SIGINT', async () => {
    const child = spawn(process.execPath, ['bin/lifecycle.js', 'inspect', 'install', '--fake-services', '--port', '0'], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    await expect.poll(() => stdout, { timeout: 30_000 }).toMatch(/page: +http:\/\/127\.0\.0\.1:\d+\/\?token=[0-9a-f]{32}\n/);
    const url = /page: +(http:\/\/\S+)/.exec(stdout)![1]!;
    expect(stdout).toMatch(/createWebSocketInspector\(\{ url: 'ws:\/\/127\.0\.0\.1:\d+\/\?token=[0-9a-f]{32}' \}\)/);
    expect((await get(url)).status).toBe(200);
    child.kill('SIGINT');
    const [code] = await once(child, 'exit');
    expect(code).toBe(0);
    expect(stderr).toContain('inspect: stopped');
  });

  it('rejects a bad port as a usage error', async () => {
    const child = spawn(process.execPath, ['bin/lifecycle.js', 'inspect', 'install', '--port', 'abc'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    const [code] = await once(child, 'exit');
    expect(code).toBe(2);
    expect(stderr).toContain('--port must be an integer from 0 to 65535');
  });
});
