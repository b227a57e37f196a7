/**
 * Misbehaving download servers, on 127.0.0.1 only. Each answers every request the same way; `close` destroys its
 * sockets, so no peer outlives its case (an endless body stops with its socket).
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export type PeerKind = 'no-headers' | 'half-then-stall' | 'trickle' | 'endless' | 'too-long' | 'reset' | 'not-found';

const behaviours: Record<PeerKind, (req: IncomingMessage, res: ServerResponse) => void> = {
  // Accepts the connection and never answers.
  'no-headers': () => {},
  'half-then-stall': (_req, res) => {
    res.writeHead(200, { 'content-length': 4000 });
    res.write(Buffer.alloc(2000, 1));
  },
  // A byte every 20 ms, forever: never idle, never done.
  trickle: (_req, res) => {
    res.writeHead(200);
    const timer = setInterval(() => res.write('x'), 20);
    res.on('close', () => clearInterval(timer));
  },
  // As fast as the socket takes it, forever.
  endless: (_req, res) => {
    res.writeHead(200);
    const chunk = Buffer.alloc(64 * 1024, 2);
    const pump = () => {
      while (!res.destroyed && res.write(chunk));
      if (!res.destroyed) res.once('drain', pump);
    };
    pump();
  },
  'too-long': (_req, res) => {
    res.writeHead(200, { 'content-length': 50 * 1024 * 1024 * 1024 });
    res.write('x');
  },
  // Half the promised body, then the connection is cut.
  reset: (req, res) => {
    res.writeHead(200, { 'content-length': 4000 });
    res.write(Buffer.alloc(2000, 1), () => req.socket.destroy());
  },
  'not-found': (_req, res) => res.writeHead(404).end('no such artifact'),
};

export interface Peer {
  url: string;
  close(): Promise<void>;
}

export async function startPeer(kind: PeerKind): Promise<Peer> {
  const sockets = new Set<Socket>();
  const server = createServer(behaviours[kind]);
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/agent-1.1.0.tar.gz`,
    close: () =>
      new Promise((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
