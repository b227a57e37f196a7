/** A page's socket for server-level tests: collects what the server sends, and sends commands. */
import { once } from 'node:events';
import { WebSocket } from 'ws';
import { PAGE_PATH, type ServerMessage } from '../../src/inspect/protocol.ts';

export type PageSocket = Awaited<ReturnType<typeof openPage>>;

/** The page socket of a server whose (tokened) source URL is `wsUrl`: same host, same token, the page's own origin. */
export async function openPage(wsUrl: string, origin = `http://${new URL(wsUrl).host}`) {
  const u = new URL(wsUrl);
  const ws = new WebSocket(`ws://${u.host}${PAGE_PATH}${u.search}`, { origin });
  const messages: ServerMessage[] = [];
  ws.on('message', (data) => messages.push(JSON.parse(String(data)) as ServerMessage));
  await once(ws, 'open');
  const next = async <T extends ServerMessage['type']>(type: T, from = 0): Promise<Extract<ServerMessage, { type: T }>> => {
    for (let i = 0; i < 300; i++) {
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
  /** The newest control state (from `init` or a later `control` message). */
  const control = () => {
    for (let i = messages.length - 1; i >= 0; i--) {
      const m = messages[i]!;
      if (m.type === 'control' || m.type === 'init') return m.control;
    }
    return undefined;
  };
  /** Every entry sent so far, in order. */
  const entries = () => messages.flatMap((m) => (m.type === 'init' ? m.entries : m.type === 'entry' ? [m.entry] : []));
  /** Every picture sent so far, by key. */
  const pictures = () => Object.assign({}, ...messages.map((m) => (m.type === 'init' ? m.pictures : m.type === 'picture' ? { [m.id]: m.picture } : {})));
  return { ws, messages, next, command, control, entries, pictures };
}
