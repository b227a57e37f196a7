/**
 * The inspector server: HTTP for the page (and Mermaid, from `node_modules`, so it works offline) and WebSocket for
 * everything live, on one port, bound to loopback unless told otherwise.
 *
 * WebSocket paths:
 * - `/` (any path but the two below): an inspection source. Any `createWebSocketInspector({ url })` client can
 *   attach; what it sends is buffered per actor, never executed. Frames from a source are only ever parsed as data.
 * - {@link PAGE_PATH}: a page. It gets the whole buffered history (`init`), then every change. It may send only
 *   `send` (an event for the inspected actor, checked against what the current state accepts), `resolve` and
 *   `reject` (a pending fake service); everything else is refused with a message.
 * - {@link RAW_PATH}: the raw inspection frames, replayed then live, for the Stately bridge page (read-only).
 *
 * Every HTTP request and WebSocket upgrade is checked: a `Host` that is not this server (DNS rebinding) is refused,
 * and so is an `Origin` that is not this server's own. The page (`/`, `/stately`) and its sockets need the
 * per-session token of the printed URL (`?token=`); a source needs it too unless it connects from loopback without
 * a browser origin or from a loopback origin (so a site open in the browser cannot feed the page). What sources send
 * is bounded per actor and in total (entries, bytes, actors: the oldest history goes first, and the page says so),
 * and no frame can crash the server.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { WebSocket, WebSocketServer } from 'ws';
import type { AnyStateMachine } from 'xstate';
import type { ViewOptions } from '../diagram/view.ts';
import type { LifecycleGraph } from '../model/types.ts';
import { acceptedEvents, refuseEvent } from './controls.ts';
import { createHistory, type HistoryLimits, type HistoryStats } from './history.ts';
import {
  jsonDepth,
  MAX_FRAME_BYTES,
  MAX_FRAME_DEPTH,
  PAGE_PATH,
  parseInspectionMessage,
  parsePageCommand,
  type ControlState,
  type PageCommand,
  type ServerMessage,
} from './protocol.ts';
import { deliver, readTarget, type ControlTarget } from './target.ts';

export type { ActorTarget, ControlTarget, RunTarget } from './target.ts';

/** Raw inspection frames, for the Stately bridge. */
export const RAW_PATH = '/_lifecycle/raw';

/** The source name of the server's own actor; other clients are `client 1`, `client 2`, ... */
export const MAIN_SOURCE = 'main';

/** A page whose unsent data grows past this is closed; it reconnects and rebuilds from the history. */
const SLOW_PAGE_BYTES = 16 * 1024 * 1024;
const MAX_RAW_FRAMES = 5000;
const MAX_RAW_BYTES = 32 * 1024 * 1024;
/** Source connections open at once; more are refused (503). */
const MAX_SOURCES = 64;

export interface InspectorServerOptions {
  /** Interface to bind; default `127.0.0.1`. */
  host?: string;
  /** Port; 0 (the default) picks a free one. */
  port?: number;
  /** Shown in the page's title bar. */
  title?: string;
  /** The inspected machine and its graph: actors running it get its diagram and exact coverage. */
  machine?: AnyStateMachine;
  graph?: LifecycleGraph;
  /** How machines are drawn: steps collapsed, as `lifecycle diagram` draws them, the active ones open (default). */
  view?: ViewOptions;
  /** Entries kept per actor. */
  maxEntriesPerActor?: number;
  /** The history's other limits (bytes per actor and in total, entries in total, actors). */
  limits?: Partial<HistoryLimits>;
  /** Told about refused commands and ignored frames (one line each), e.g. to print them. */
  onNotice?: (line: string) => void;
}

export interface InspectorServer {
  /** The page, with the session token: `http://127.0.0.1:PORT/?token=...`. */
  url: string;
  /** What an app passes to `createWebSocketInspector({ url })`: `ws://127.0.0.1:PORT/?token=...`. */
  wsUrl: string;
  /** Stately's hosted inspector, fed by this server (needs internet): `http://127.0.0.1:PORT/stately?token=...`. */
  statelyUrl: string;
  /** The per-session token the URLs carry. */
  token: string;
  /** What the history holds and what its limits dropped (for tests and diagnostics). */
  stats(): HistoryStats & { rawFrames: number; rawBytes: number; sources: number };
  host: string;
  port: number;
  /** A private source URL: actors inspected through it are the server's own (`main`), the ones the page controls. */
  mainSourceUrl: string;
  /**
   * Makes `target` what the page's commands go to: an actor of this process, or a run that takes events through
   * its `send`. Returns a function that undoes it.
   */
  control(target: ControlTarget): () => void;
  close(): Promise<void>;
}

/**
 * Starts the server.
 *
 * @example
 * const server = await startInspectorServer({ machine, graph: extractGraph(machine) });
 * const inspector = createWebSocketInspector({ url: server.mainSourceUrl });
 * const actor = createActor(machine, { inspect: inspector.inspect });
 * server.control({ actor, graph });
 * actor.start();
 * console.log(server.url);
 */
export async function startInspectorServer(options: InspectorServerOptions = {}): Promise<InspectorServer> {
  const bindHost = options.host ?? '127.0.0.1';
  const notice = options.onNotice ?? (() => {});
  // Two secrets: the session token (printed: the page and other programs) and the main token (this process only).
  const sessionToken = randomBytes(16).toString('hex');
  const mainToken = randomBytes(16).toString('hex');
  const pages = new Set<WebSocket>();
  const rawPages = new Set<WebSocket>();
  const rawFrames: string[] = [];
  let rawBytes = 0;
  let sources = 0;
  let clients = 0;
  let target: ControlTarget | undefined;

  const broadcast = (message: ServerMessage) => {
    if (pages.size === 0) return;
    const text = stringify(message);
    if (text === undefined) return notice(`could not send a ${message.type} message to the page: it cannot be serialized`);
    for (const page of pages) sendText(page, text);
  };
  const history = createHistory({
    machine: options.machine,
    graph: options.graph,
    view: options.view,
    maxEntriesPerActor: options.maxEntriesPerActor,
    limits: options.limits,
    onMessage: broadcast,
  });

  const controlState = (): ControlState => {
    if (!target) return { accepts: [], wildcard: false, pending: [], fakeServices: false };
    const now = readTarget(target, history, MAIN_SOURCE);
    // A run's newest actor is the one the page drives (a resumed run reports a new one).
    if (now.key && !('actor' in target)) history.setControlled(now.key);
    const fakes = 'fakes' in target ? target.fakes : undefined;
    return {
      drives: 'actor' in target ? 'actor' : 'run',
      ...(now.key ? { actor: now.key } : {}),
      ...(now.status ? { status: now.status } : {}),
      ...(now.error ? { error: now.error } : {}),
      ...(now.snapshot ? acceptedEvents(now.snapshot, target.graph, target.samples?.events) : { accepts: [], wildcard: false }),
      pending: fakes?.pending() ?? [],
      fakeServices: fakes !== undefined,
    };
  };
  // Coalesce bursts (a done event, its snapshot, the next service starting) into one control message.
  let controlQueued = false;
  const pushControl = () => {
    if (controlQueued) return;
    controlQueued = true;
    setTimeout(() => {
      controlQueued = false;
      broadcast({ type: 'control', control: controlState() });
    }, 0);
  };

  // ---- HTTP --------------------------------------------------------------------------------------------------------

  const require = createRequire(import.meta.url);
  const page = (name: string) => fileURLToPath(new URL(`./page/${name}`, import.meta.url));
  const files: Record<string, { path: string; type: string; csp?: string }> = {
    '/': { path: page('index.html'), type: 'text/html; charset=utf-8' },
    '/app.js': { path: page('app.js'), type: 'text/javascript; charset=utf-8' },
    '/style.css': { path: page('style.css'), type: 'text/css; charset=utf-8' },
    '/vendor/mermaid.min.js': { path: require.resolve('mermaid/dist/mermaid.min.js'), type: 'text/javascript; charset=utf-8' },
    '/stately': {
      path: page('stately.html'),
      type: 'text/html; charset=utf-8',
      csp: "default-src 'self'; style-src 'self' 'unsafe-inline'; frame-src https://stately.ai; connect-src 'self'",
    },
    '/stately.js': { path: page('stately.js'), type: 'text/javascript; charset=utf-8' },
  };
  const cache = new Map<string, Promise<Buffer>>();
  const read = (path: string) => {
    let p = cache.get(path);
    if (!p) {
      p = readFile(path);
      cache.set(path, p);
      p.catch(() => cache.delete(path));
    }
    return p;
  };

  let port = 0;
  const allowedHost = (host: string | undefined): boolean => {
    if (!host) return false;
    if (!isLoopback(bindHost)) return true; // the user chose to serve beyond loopback
    return [`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`, `${bindHost}:${port}`].includes(host.toLowerCase());
  };
  /** An `Origin` header, when there is one, must be this server's own. */
  const ownOrigin = (req: IncomingMessage): boolean => req.headers.origin === undefined || req.headers.origin === `http://${req.headers.host}`;
  const tokenOf = (req: IncomingMessage): string | null => {
    try {
      return new URL(req.url ?? '/', 'http://x').searchParams.get('token');
    } catch {
      return null;
    }
  };
  const hasToken = (req: IncomingMessage, expected: string) => {
    const given = tokenOf(req);
    return given !== null && given.length === expected.length && timingSafeEqual(Buffer.from(given), Buffer.from(expected));
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const baseHeaders = {
      'X-Content-Type-Options': 'nosniff',
      'Referrer-Policy': 'no-referrer',
      'Cache-Control': 'no-store',
    };
    if (!allowedHost(req.headers.host)) {
      res.writeHead(421, { ...baseHeaders, 'Content-Type': 'text/plain' }).end('misdirected request: unknown Host\n');
      return;
    }
    if (!ownOrigin(req)) {
      res.writeHead(403, { ...baseHeaders, 'Content-Type': 'text/plain' }).end('forbidden: a request from another origin\n');
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { ...baseHeaders, Allow: 'GET, HEAD', 'Content-Type': 'text/plain' }).end('method not allowed\n');
      return;
    }
    let path: string;
    try {
      path = new URL(req.url ?? '/', 'http://x').pathname;
    } catch {
      res.writeHead(400, { ...baseHeaders, 'Content-Type': 'text/plain' }).end('bad request URL\n');
      return;
    }
    if (path === '/favicon.ico') {
      res.writeHead(204, baseHeaders).end();
      return;
    }
    const file = files[path === '/index.html' ? '/' : path];
    if (!file) {
      res.writeHead(404, { ...baseHeaders, 'Content-Type': 'text/plain' }).end('not found\n');
      return;
    }
    // The pages need the session token; the scripts and styles they load are public code, served without it.
    if (file.type.startsWith('text/html') && !hasToken(req, sessionToken)) {
      res.writeHead(403, { ...baseHeaders, 'Content-Type': 'text/plain' }).end('forbidden: open the URL the inspector printed (it carries the session token)\n');
      return;
    }
    try {
      const body = await read(file.path);
      res.writeHead(200, {
        ...baseHeaders,
        'Content-Type': file.type,
        'Content-Length': body.length,
        // Mermaid writes <style> into its SVG, hence 'unsafe-inline' for styles only.
        'Content-Security-Policy':
          file.csp ?? "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'",
      });
      res.end(req.method === 'HEAD' ? undefined : body);
    } catch (error) {
      res.writeHead(500, { ...baseHeaders, 'Content-Type': 'text/plain' }).end(`cannot read ${path}: ${(error as Error).message}\n`);
    }
  };

  const http = createServer((req, res) => {
    handle(req, res).catch(() => res.destroy());
  });

  // ---- WebSocket ---------------------------------------------------------------------------------------------------

  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_FRAME_BYTES });

  http.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => {});
    const refuse = (status: string) => {
      socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
    };
    let url: URL;
    try {
      url = new URL(req.url ?? '/', 'http://x');
    } catch {
      return refuse('400 Bad Request');
    }
    if (!allowedHost(req.headers.host)) return refuse('421 Misdirected Request');
    const isPage = url.pathname === PAGE_PATH || url.pathname === RAW_PATH;
    // A page must come from this server's own origin, with the token: another site must not watch or drive the actor.
    if (isPage && (req.headers.origin !== `http://${req.headers.host}` || !hasToken(req, sessionToken))) return refuse('403 Forbidden');
    let source: string | undefined;
    if (!isPage) {
      if (hasToken(req, mainToken)) source = MAIN_SOURCE;
      else if (hasToken(req, sessionToken) || isLocalProgram(req)) source = `client ${clients + 1}`;
      else return refuse('403 Forbidden');
      if (sources >= MAX_SOURCES && source !== MAIN_SOURCE) return refuse('503 Service Unavailable');
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      if (url.pathname === PAGE_PATH) onPage(ws);
      else if (url.pathname === RAW_PATH) onRaw(ws);
      else onSource(ws, source === MAIN_SOURCE ? MAIN_SOURCE : `client ${++clients}`);
    });
  });

  const keepRaw = (text: string) => {
    rawFrames.push(text);
    rawBytes += text.length;
    while (rawFrames.length > 1 && (rawFrames.length > MAX_RAW_FRAMES || rawBytes > MAX_RAW_BYTES)) rawBytes -= rawFrames.shift()!.length;
  };

  const onSource = (ws: WebSocket, source: string) => {
    let ignored = 0;
    let refused = 0;
    sources++;
    ws.on('close', () => sources--);
    ws.on('message', (data, isBinary) => {
      // Nothing a source sends may take the server down: a frame that cannot be handled is ignored, with a notice.
      try {
        if (isBinary) return;
        const text = data.toString();
        const message = parseInspectionMessage(text);
        if (typeof message === 'string') {
          if (ignored++ < 3) notice(`ignored a frame from ${source}: ${message}`);
          return;
        }
        if (!history.add(source, message, text.length)) {
          if (refused++ === 0) notice(`${source}: an actor over the inspector's limit was not recorded`);
          return;
        }
        if (source === MAIN_SOURCE && message.type === '@xstate.snapshot') pushControl();
        keepRaw(text);
        for (const raw of rawPages) sendText(raw, text);
      } catch (error) {
        if (ignored++ < 3) notice(`ignored a frame from ${source}: ${error instanceof Error ? error.message : String(error)}`);
      }
    });
    ws.on('error', () => {});
  };

  const onPage = (ws: WebSocket) => {
    pages.add(ws);
    ws.on('close', () => pages.delete(ws));
    ws.on('error', () => {});
    const limitNotice = history.notice();
    const init = stringify({ type: 'init', title: options.title ?? 'lifecycle inspector', ...history.snapshot(), control: controlState(), ...(limitNotice ? { notice: limitNotice } : {}) } satisfies ServerMessage);
    if (init !== undefined) sendText(ws, init);
    else ws.close(1011, 'the history cannot be serialized');
    ws.on('message', (data, isBinary) => {
      const reply = (ok: boolean, message: string, requestId?: string) => {
        if (!ok) notice(`refused a command from the page: ${message}`);
        sendText(ws, JSON.stringify({ type: 'result', ok, message, ...(requestId ? { requestId } : {}) } satisfies ServerMessage));
      };
      if (isBinary) return reply(false, 'binary frames are not accepted');
      if (jsonDepth(data.toString()) > MAX_FRAME_DEPTH) return reply(false, `command nested deeper than ${MAX_FRAME_DEPTH} levels`);
      const command = parsePageCommand(data.toString());
      const logRefusal = (event: { type: string; [key: string]: unknown }, message: string) => {
        const key = target ? readTarget(target, history, MAIN_SOURCE).key : undefined;
        if (key) history.addRefusal(key, event, message);
      };
      if ('refused' in command) {
        logRefusal({ type: '(command)' }, command.refused);
        return reply(false, command.refused, command.requestId);
      }
      const outcome = execute(command);
      if (!outcome.ok) logRefusal(command.type === 'send' ? command.event : { type: `${command.type} ${command.service}` }, outcome.message);
      reply(outcome.ok, outcome.message, command.requestId);
    });
  };

  const onRaw = (ws: WebSocket) => {
    rawPages.add(ws);
    ws.on('close', () => rawPages.delete(ws));
    ws.on('error', () => {});
    ws.on('message', () => {}); // read-only
    for (const frame of rawFrames) sendText(ws, frame);
  };

  /** The only things the page can make happen. */
  const execute = (command: PageCommand): { ok: boolean; message: string } => {
    if (!target) return { ok: false, message: 'this inspector only watches: there is no actor to control' };
    const now = readTarget(target, history, MAIN_SOURCE);
    switch (command.type) {
      case 'send': {
        if (!now.key) return { ok: false, message: 'the run has not started yet: no actor to send to' };
        if (command.actor !== now.key) {
          return { ok: false, message: `only the inspected actor (${history.actor(now.key)?.label ?? now.key}) accepts events from the page` };
        }
        if (!now.snapshot) return { ok: false, message: `the run's state cannot be read${now.status ? ` (it is ${now.status})` : ''}: nothing was sent` };
        const why = refuseEvent(now.snapshot, target.graph, command.event) ?? deliver(target, command.event);
        if (why) return { ok: false, message: why };
        return { ok: true, message: `sent ${command.event.type}` };
      }
      case 'resolve':
      case 'reject': {
        if (!('fakes' in target) || !target.fakes) return { ok: false, message: 'services are real here: start with --fake-services to settle them from the page' };
        const pending = target.fakes.pending().find((p) => p.id === command.service);
        if (!pending) return { ok: false, message: `no fake service ${command.service} is pending` };
        if (command.type === 'resolve') target.fakes.resolve(command.service, command.output);
        else target.fakes.reject(command.service, command.error);
        return { ok: true, message: `${command.type === 'resolve' ? 'resolved' : 'failed'} ${pending.src}` };
      }
    }
  };

  // ---- start ---------------------------------------------------------------------------------------------------------

  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    http.listen(options.port ?? 0, bindHost, () => {
      http.off('error', reject);
      resolve();
    });
  });
  port = (http.address() as AddressInfo).port;
  const browseHost = isLoopback(bindHost) || bindHost === '0.0.0.0' || bindHost === '::' ? '127.0.0.1' : bindHost;
  const hostPort = `${browseHost.includes(':') ? `[${browseHost}]` : browseHost}:${port}`;

  let closed: Promise<void> | undefined;
  return {
    url: `http://${hostPort}/?token=${sessionToken}`,
    wsUrl: `ws://${hostPort}/?token=${sessionToken}`,
    statelyUrl: `http://${hostPort}/stately?token=${sessionToken}`,
    token: sessionToken,
    stats: () => ({ ...history.stats(), rawFrames: rawFrames.length, rawBytes, sources }),
    host: bindHost,
    port,
    mainSourceUrl: `ws://${hostPort}/?token=${mainToken}`,
    control(next) {
      target = next;
      let undo: () => void = () => {};
      if ('actor' in next) {
        history.setControlled(history.keyOf(MAIN_SOURCE, next.actor.sessionId));
        const subscription = next.actor.subscribe({ next: pushControl, error: pushControl, complete: pushControl });
        const offFakes = next.fakes?.onChange(pushControl);
        undo = () => {
          subscription.unsubscribe();
          offFakes?.();
        };
      } // a run: every snapshot its actors report pushes the control state already
      pushControl();
      return () => {
        undo();
        if (target === next) target = undefined;
        pushControl();
      };
    },
    close() {
      closed ??= new Promise<void>((resolve) => {
        for (const client of wss.clients) client.terminate();
        wss.close();
        http.closeAllConnections();
        http.close(() => resolve());
      });
      return closed;
    },
  };
}

/** JSON text, or undefined when the value cannot be serialized (a cycle, a nesting too deep, a string too long). */
function stringify(value: unknown): string | undefined {
  try {
    return JSON.stringify(value);
  } catch {
    return undefined;
  }
}

/**
 * A source on this machine that is not a web page: from a loopback address, with no `Origin` (Node's clients send
 * none) or a loopback one. A browser always sends the page's origin, so a site cannot pass as one.
 */
function isLocalProgram(req: IncomingMessage): boolean {
  const remote = req.socket.remoteAddress ?? '';
  if (!(remote === '::1' || remote.startsWith('127.') || remote.startsWith('::ffff:127.'))) return false;
  const origin = req.headers.origin;
  if (origin === undefined) return true;
  try {
    const { protocol, hostname } = new URL(origin);
    return (protocol === 'http:' || protocol === 'https:') && (hostname === 'localhost' || hostname === '[::1]' || hostname.startsWith('127.'));
  } catch {
    return false;
  }
}

function sendText(ws: WebSocket, text: string): void {
  if (ws.readyState !== WebSocket.OPEN) return;
  if (ws.bufferedAmount > SLOW_PAGE_BYTES) {
    // Too far behind: drop it; the page reconnects and rebuilds from the buffered history.
    ws.close(4000, 'too slow: reconnect');
    return;
  }
  ws.send(text);
}

function isLoopback(host: string): boolean {
  return host === '127.0.0.1' || host === 'localhost' || host === '::1' || host.startsWith('127.');
}
