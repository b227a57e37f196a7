/**
 * HTTP plumbing shared by the preboot and main servers: a server that tracks its sockets so that closing it frees
 * the port at once (idle keep-alive connections included), small request/response helpers, and a loopback client
 * with `agent: false` (no pooled connection outlives a request) for verification, invariants and tests.
 */
import { createServer, request, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { connect, type AddressInfo, type Socket } from 'node:net';
import { serviceError } from '../install/fs.ts';

export type RequestHandler = (req: IncomingMessage, res: ServerResponse, url: URL) => void | Promise<void>;

/** A listening server, its sockets, and a close that leaves nothing open. */
export interface TrackedServer {
  host: string;
  port: number;
  url: string;
  server: Server;
  /** Every open connection. */
  sockets: Set<Socket>;
  /**
   * Stops listening (the port is free once this resolves) and destroys every socket except those in `keep`
   * (requests whose answer is handed over to someone else).
   */
  close(keep?: ReadonlySet<Socket>): Promise<void>;
}

/** Binds `host:port` (0 = a free port) and serves `handler`; a handler that throws answers 500. */
export async function listen(host: string, port: number, handler: RequestHandler): Promise<TrackedServer> {
  const sockets = new Set<Socket>();
  const server = createServer((req, res) => {
    // A fixed base: a hostile Host header must not make the URL unparsable (an exception here would crash the process).
    let url: URL;
    try {
      url = new URL(req.url ?? '/', 'http://preboot.invalid');
    } catch {
      return sendJson(res, 400, { error: 'malformed request URL' });
    }
    Promise.resolve()
      .then(() => handler(req, res, url))
      .catch((error: unknown) => {
        if (!res.headersSent) sendJson(res, 500, { error: error instanceof Error ? error.message : String(error) });
        else res.destroy();
      });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    // A port taken or an address not there (EADDRINUSE, EADDRNOTAVAIL, EACCES) as a service error of that kind,
    // in the system's words: retry policies match on the kind, and its fields do not vary by platform (errno).
    server.once('error', (error: NodeJS.ErrnoException) => reject(error.code ? serviceError(error.code, error.message) : error));
    server.listen(port, host, () => {
      server.removeAllListeners('error');
      resolve();
    });
  });
  const bound = (server.address() as AddressInfo).port;
  const display = host.includes(':') ? `[${host}]` : host;
  return {
    host,
    port: bound,
    url: `http://${display}:${bound}`,
    server,
    sockets,
    async close(keep = new Set()) {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const socket of sockets) if (!keep.has(socket)) socket.destroy();
      // With sockets kept, 'close' waits for them; the listening handle is already gone, so the port is free.
      if (keep.size === 0) await closed;
      else await new Promise((resolve) => setImmediate(resolve));
    },
  };
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = `${JSON.stringify(body)}\n`;
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

export function sendText(res: ServerResponse, status: number, body: string, headers: Record<string, string> = {}): void {
  const type = body.startsWith('<!doctype html>') ? 'text/html; charset=utf-8' : 'text/plain; charset=utf-8';
  res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body), ...headers });
  res.end(body);
}

/** Reads a JSON request body of at most `limit` bytes; errors carry an HTTP status. */
export async function readJsonBody(req: IncomingMessage, limit = 64 * 1024): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit) throw Object.assign(serviceError('body-too-large', `request body is larger than ${limit} bytes`), { status: 413 });
    chunks.push(chunk as Buffer);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  try {
    return JSON.parse(text);
  } catch (error) {
    throw Object.assign(serviceError('invalid-json', `request body is not valid JSON: ${(error as Error).message}`), { status: 400 });
  }
}

/** An app URL: `/app` or anything under `/app/` (the RFC's `/app/{id}/{any*}`). */
export function isAppUrl(pathname: string): boolean {
  return pathname === '/app' || pathname.startsWith('/app/');
}

/** Where a request that arrived at preboot for `original` (path and query) is sent: `/?next=<original>`. */
export function nextRedirect(original: string): string {
  return `/?next=${encodeURIComponent(original)}`;
}

/** A `next` target that stays on this server: a path, not `//host` or a URL. */
export function isSafeNext(next: string): boolean {
  return next.startsWith('/') && !next.startsWith('//') && !next.includes('\\');
}

/** The RFC 7240 `Prefer: wait=<seconds>` of a request, or null. */
export function preferredWait(headers: IncomingHttpHeaders): number | null {
  const match = /(?:^|[,;\s])wait=(\d+)/.exec(String(headers.prefer ?? ''));
  return match ? Number(match[1]) : null;
}

export interface HttpAnswer {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

/**
 * One HTTP request on a fresh connection (`agent: false`), following no redirect.
 *
 * @example
 * const { status, body } = await httpRequest('GET', 'http://127.0.0.1:5601/api/status');
 */
export function httpRequest(
  method: string,
  url: string,
  options: { body?: unknown; headers?: Record<string, string>; timeoutMs?: number } = {},
): Promise<HttpAnswer> {
  const data = options.body === undefined ? undefined : typeof options.body === 'string' ? options.body : JSON.stringify(options.body);
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method,
        agent: false,
        timeout: options.timeoutMs ?? 5000,
        headers: {
          ...(data !== undefined ? { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(data)) } : {}),
          ...options.headers,
        },
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (body += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(Object.assign(new Error(`${method} ${url}: no answer within ${options.timeoutMs ?? 5000} ms`), { code: 'ETIMEDOUT' })));
    req.on('error', reject);
    req.end(data);
  });
}

/** Whether something accepts TCP connections on `host:port` (a refused connection means nothing listens). */
export function isListening(host: string, port: number, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const done = (value: boolean) => {
      socket.destroy();
      resolve(value);
    };
    socket.setTimeout(timeoutMs, () => done(true));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}
