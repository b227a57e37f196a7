/**
 * The inspector server under hostile input: sources from a foreign origin, pages without the session token, floods
 * of huge frames and actors, nesting bombs. Nothing gets in, nothing grows without bound, nothing crashes it.
 * Loopback only; every wait is bounded.
 */
import { once } from 'node:events';
import { request } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { PAGE_PATH, type ServerMessage } from '../../src/inspect/protocol.ts';
import { startInspectorServer, type InspectorServer } from '../../src/inspect/server.ts';

const open: InspectorServer[] = [];
afterEach(async () => {
  for (const server of open.splice(0)) await server.close();
});

async function server(options: Parameters<typeof startInspectorServer>[0] = {}) {
  const s = await startInspectorServer(options);
  open.push(s);
  return s;
}

const hostOf = (s: InspectorServer) => new URL(s.url).host;

function get(url: string, headers: Record<string, string> = {}): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end();
  });
}

/** Opens a WebSocket; resolves with it once open, or with the HTTP status it was refused with. */
async function connect(url: string, origin?: string): Promise<WebSocket | number> {
  const ws = new WebSocket(url, origin ? { origin } : {});
  ws.on('error', () => {});
  const result = await Promise.race([
    once(ws, 'open').then(() => ws),
    once(ws, 'unexpected-response').then(([, res]) => (res as { statusCode: number }).statusCode),
  ]);
  if (typeof result === 'number') ws.terminate();
  return result;
}

/** A page: its init message (with a deadline). The listener is on before the socket opens: init comes at once. */
async function pageInit(s: InspectorServer): Promise<Extract<ServerMessage, { type: 'init' }>> {
  const ws = new WebSocket(`ws://${hostOf(s)}${PAGE_PATH}?token=${s.token}`, { origin: `http://${hostOf(s)}` });
  ws.on('error', () => {});
  try {
    const [data] = (await Promise.race([once(ws, 'message'), new Promise((_, reject) => setTimeout(() => reject(new Error('no init within 10 s')), 10_000))])) as [Buffer];
    return JSON.parse(String(data)) as Extract<ServerMessage, { type: 'init' }>;
  } finally {
    ws.close();
  }
}

const snapshotFrame = (sessionId: string, blob: string) =>
  JSON.stringify({ type: '@xstate.snapshot', sessionId, event: { type: 'BIG' }, snapshot: { status: 'active', value: 'idle', context: { blob } } });

async function sendAll(ws: WebSocket, frames: Iterable<string>) {
  for (const frame of frames) await new Promise<void>((resolve, reject) => ws.send(frame, (error) => (error ? reject(error) : resolve())));
}

/** Waits until the server has handled what was sent (a page's init comes after every frame before it). */
const settle = () => new Promise((r) => setTimeout(r, 100));

describe('who may connect', () => {
  it('a source from a foreign origin is refused; a local program (no origin), a loopback origin or the token are let in', async () => {
    const s = await server();
    const plain = `ws://${hostOf(s)}/`;
    expect(await connect(plain, 'http://attacker.example')).toBe(403);
    expect(await connect(plain, 'null')).toBe(403);
    for (const ws of [await connect(plain), await connect(plain, 'http://localhost:3000'), await connect(s.wsUrl, 'http://attacker.example')]) {
      expect(ws).toBeInstanceOf(WebSocket);
      (ws as WebSocket).close();
    }
  });

  it('the page and its sockets need the session token; any request from another origin is refused', async () => {
    const s = await server();
    const base = `http://${hostOf(s)}`;
    expect(s.url).toBe(`${base}/?token=${s.token}`);
    expect(await get(s.url)).toBe(200);
    expect(await get(`${base}/`)).toBe(403);
    expect(await get(`${base}/?token=${'0'.repeat(32)}`)).toBe(403);
    expect(await get(`${base}/stately`)).toBe(403);
    expect(await get(`${base}/app.js`)).toBe(200); // public code, no data
    expect(await get(s.url, { Origin: 'http://attacker.example' })).toBe(403);
    expect(await get(s.url, { Host: 'attacker.example' })).toBe(421);
    expect(await connect(`ws://${hostOf(s)}${PAGE_PATH}`, base)).toBe(403);
    expect(await connect(`ws://${hostOf(s)}${PAGE_PATH}?token=${s.token}`, 'http://attacker.example')).toBe(403);
    expect(await connect(`ws://${hostOf(s)}/_lifecycle/raw`, base)).toBe(403);
  });
});

describe('limits: bounded memory, the oldest history dropped, a notice on the page', () => {
  it('60 frames of 3.9 MB: the history stays within its byte limit and a page still loads, with a notice', async () => {
    const s = await server();
    const ws = (await connect(s.wsUrl)) as WebSocket;
    const blob = 'x'.repeat(3_900_000);
    await sendAll(ws, (function* () {
      for (let i = 0; i < 60; i++) yield snapshotFrame('x:0', blob);
    })());
    ws.close();
    await settle();
    const stats = s.stats();
    expect(stats.bytes).toBeLessThanOrEqual(64 * 1024 * 1024);
    expect(stats.rawBytes).toBeLessThanOrEqual(32 * 1024 * 1024);
    expect(stats.droppedEntries).toBeGreaterThan(40);
    const init = await pageInit(s);
    expect(init.entries.length).toBe(stats.entries);
    expect(init.notice).toMatch(/the oldest \d+ entries were dropped to stay within the history limits/);
  });

  it('entries and actors in total: the oldest go first, actors over the limit are refused', async () => {
    const s = await server({ limits: { maxEntries: 100, maxActors: 5 } });
    const ws = (await connect(s.wsUrl)) as WebSocket;
    await sendAll(ws, (function* () {
      for (let i = 0; i < 300; i++) yield snapshotFrame(`x:${i % 10}`, `n${i}`);
    })());
    await settle();
    const stats = s.stats();
    expect(stats).toMatchObject({ entries: 100, actors: 5 });
    expect(stats.refusedActors).toBeGreaterThan(0);
    const init = await pageInit(s);
    expect(init.notice).toMatch(/actors over the limit of 5 were not recorded/);
    // The newest survived: the last frame of an admitted actor is there.
    expect(init.entries.at(-1)!.snapshot!.context).toEqual({ blob: 'n294' });
    ws.close();
  });

  it('a page told about drops while it is open', async () => {
    const s = await server({ limits: { maxEntriesPerActor: 10 } });
    const page = new WebSocket(`ws://${hostOf(s)}${PAGE_PATH}?token=${s.token}`, { origin: `http://${hostOf(s)}` });
    const messages: ServerMessage[] = [];
    page.on('message', (d) => messages.push(JSON.parse(String(d)) as ServerMessage));
    await once(page, 'open');
    const ws = (await connect(s.wsUrl)) as WebSocket;
    await sendAll(ws, Array.from({ length: 30 }, (_, i) => snapshotFrame('x:0', `n${i}`)));
    await expect.poll(() => messages.some((m) => m.type === 'notice'), { timeout: 5000 }).toBe(true);
    expect(s.stats().entries).toBe(10);
    ws.close();
    page.close();
  });
});

describe('no crash on any input', () => {
  it('a nesting bomb, garbage, binary, oversized ids: ignored with a notice, the server answers on', async () => {
    const notices: string[] = [];
    const s = await server({ onNotice: (line) => notices.push(line) });
    const ws = (await connect(s.wsUrl)) as WebSocket;
    const deep = `{"type":"@xstate.event","sessionId":"x:0","event":{"type":"E","x":${'['.repeat(200_000)}${']'.repeat(200_000)}}}`;
    await sendAll(ws, [deep, 'garbage', JSON.stringify({ type: '@xstate.actor', sessionId: 'y'.repeat(1000) })]);
    ws.send(Buffer.from([1, 2, 3]), { binary: true });
    await settle();
    expect(notices.join('\n')).toMatch(/nested deeper than 100 levels/);
    expect(notices.join('\n')).toMatch(/sessionId longer than 200/);
    const init = await pageInit(s);
    expect(init.type).toBe('init');
    ws.close();
  });

  it('a frame over the size limit closes that socket only', async () => {
    const s = await server();
    const ws = (await connect(s.wsUrl)) as WebSocket;
    ws.send('x'.repeat(5 * 1024 * 1024));
    const [code] = (await once(ws, 'close')) as [number];
    expect(code).toBe(1009);
    expect((await pageInit(s)).type).toBe('init');
  });
});
