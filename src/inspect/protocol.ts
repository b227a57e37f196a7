/**
 * The two wire protocols of the inspector server.
 *
 * 1. **Sources → server**: what `createWebSocketInspector` from `@statelyai/inspect` (0.7) sends. One JSON text
 *    frame per inspection event; the client never reads what the server sends back. Three kinds arrive
 *    (XState's `@xstate.microstep` and `@xstate.action` are dropped by the client):
 *    - `@xstate.actor`: an actor was created. `sessionId`, `parentId`, `rootId` (session ids, unique per actor
 *      system, not per process: two programs both have `x:0`), `name` (the machine id or the invoke id),
 *      `definition` (the machine config as a JSON string, functions replaced by `{ type: fnName }`),
 *      `snapshot` (the actor's snapshot when the event was serialized).
 *    - `@xstate.event`: an event was delivered. `sessionId` (target), `sourceId` (sender), `event`.
 *    - `@xstate.snapshot`: an actor has a new snapshot. `sessionId`, `event` (its cause), `snapshot`
 *      (the snapshot's `toJSON()`: `value`, `context`, `status`, `children` as `{ id, xstate$$type: 1 }`,
 *      `output`, `error`, `tags`...).
 *    All carry `_version` (the package version), `createdAt` (ms since the epoch, as a string) and `rootId`.
 *    Errors arrive as `{ name }` only (an Error's `message` is not enumerable) unless the sender serializes them
 *    with {@link toWire}.
 * 2. **Page ↔ server**: lifecycle-kit's own, on the path {@link PAGE_PATH}: the server sends the buffered history
 *    once (`init`), then every new record; the page may send only the commands in {@link PageCommand}.
 */
import type { LifecycleGraph } from '../model/types.ts';

/** The WebSocket path the page connects to; any other path is an inspection source. */
export const PAGE_PATH = '/_lifecycle/page';

/** Largest frame the server accepts, from a source or from the page. */
export const MAX_FRAME_BYTES = 4 * 1024 * 1024;

/** Deepest nesting of objects and arrays a frame may hold (deeper ones would overflow the stack when re-serialized). */
export const MAX_FRAME_DEPTH = 100;

/** How deep `{` and `[` nest in a JSON text (outside strings), stopping early past `limit`. O(n), no recursion. */
export function jsonDepth(raw: string, limit = MAX_FRAME_DEPTH): number {
  let depth = 0;
  let max = 0;
  let inString = false;
  for (let i = 0; i < raw.length; i++) {
    const c = raw.charCodeAt(i);
    if (inString) {
      if (c === 92) i++; // backslash: skip the escaped character
      else if (c === 34) inString = false;
    } else if (c === 34) inString = true;
    else if (c === 123 || c === 91) {
      if (++depth > max) max = depth;
      if (max > limit) return max;
    } else if (c === 125 || c === 93) depth--;
  }
  return max;
}

/** Largest command the page may send. */
export const MAX_COMMAND_BYTES = 64 * 1024;

interface InspectionBase {
  sessionId: string;
  rootId?: string;
  createdAt?: string;
  _version?: string;
}

export interface ActorMessage extends InspectionBase {
  type: '@xstate.actor';
  name?: string;
  parentId?: string;
  definition?: string;
  snapshot?: unknown;
}

export interface EventMessage extends InspectionBase {
  type: '@xstate.event';
  sourceId?: string;
  event: { type: string; [key: string]: unknown };
}

export interface SnapshotMessage extends InspectionBase {
  type: '@xstate.snapshot';
  event: { type: string; [key: string]: unknown };
  snapshot: WireSnapshot;
}

export type InspectionMessage = ActorMessage | EventMessage | SnapshotMessage;

/** A snapshot as it arrives: JSON, not an XState object. */
export interface WireSnapshot {
  status?: string;
  value?: unknown;
  context?: unknown;
  children?: Record<string, unknown>;
  output?: unknown;
  error?: unknown;
  input?: unknown;
  [key: string]: unknown;
}

/**
 * Parses one frame from a source. Returns the message, or a one-line reason it was ignored.
 *
 * @example
 * parseInspectionMessage('{"type":"@xstate.event","sessionId":"x:0","event":{"type":"GO"}}'); // { type: '@xstate.event', ... }
 */
export function parseInspectionMessage(raw: string): InspectionMessage | string {
  if (jsonDepth(raw) > MAX_FRAME_DEPTH) return `nested deeper than ${MAX_FRAME_DEPTH} levels`;
  let data: unknown;
  try {
    data = JSON.parse(raw);
  } catch {
    return 'not JSON';
  }
  if (!isRecord(data)) return 'not a JSON object';
  if (typeof data.sessionId !== 'string' || data.sessionId === '') return 'no sessionId';
  if (data.sessionId.length > 200) return 'sessionId longer than 200 characters';
  switch (data.type) {
    case '@xstate.actor':
      if (data.definition !== undefined && typeof data.definition !== 'string') return 'definition is not a string';
      return data as unknown as ActorMessage;
    case '@xstate.event':
      if (!isEventObject(data.event)) return '@xstate.event without an event object';
      return data as unknown as EventMessage;
    case '@xstate.snapshot':
      if (!isEventObject(data.event)) return '@xstate.snapshot without an event object';
      if (!isRecord(data.snapshot)) return '@xstate.snapshot without a snapshot object';
      return data as unknown as SnapshotMessage;
    default:
      return `unknown inspection event type ${JSON.stringify(data.type)}`;
  }
}

// ---- page protocol -----------------------------------------------------------------------------------------------

/**
 * One drawing of a machine: steps collapsed (one state with a retry badge) except the ones `expanded`, so the
 * transitions drawn are not the machine's one for one.
 */
export interface GraphPicture {
  /** Mermaid `stateDiagram-v2` text, rendered by the page. */
  mermaid: string;
  /** Mermaid node id per drawn state id. */
  nodeIds: Record<string, string>;
  /** Mermaid edge indexes (`edgeN` in the SVG) per drawn transition id: one per target. */
  edges: Record<string, number[]>;
  /** The machine's transition ids each drawn transition stands for (a collapsed step's exits are merged). */
  members: Record<string, string[]>;
  /** Collapsed state ids, with the badge drawn in each. */
  collapsed: Record<string, string>;
  /** The collapsible states drawn open because they are active. */
  expanded: string[];
}

/** A machine's picture, sent once per distinct graph: the machine, drawn with nothing expanded. */
export interface GraphView extends GraphPicture {
  graph: LifecycleGraph;
}

/** An actor as the page lists it. `key` is unique across sources; `sessionId` only within its source. */
export interface ActorInfo {
  key: string;
  sessionId: string;
  /** `main` for the actor the server runs, `client N` for other programs. */
  source: string;
  name: string;
  /** A readable label: the machine id, or `src (invoke id)` for an invoked service. */
  label: string;
  parentKey?: string;
  /** Key into `graphs`, when the actor is a machine whose picture is known. */
  graphId?: string;
  /** Whether coverage is exact (XState's own transition logic) or inferred from snapshots. */
  coverage?: 'exact' | 'inferred';
  /** The actor the page's commands go to. */
  controlled: boolean;
  createdAt: number;
  /** Transitions taken by entries that were dropped from the buffer (coverage stays complete). */
  droppedTaken: string[];
  /** Entries dropped from the start of this actor's buffer. */
  dropped: number;
}

/** One buffered inspection event of one actor, with what the server worked out about it. */
export interface Entry {
  seq: number;
  actor: string;
  /** `refused`: a command from a page that the server refused (kept, so that every page's log shows it). */
  kind: 'event' | 'snapshot' | 'refused';
  time: number;
  event: { type: string; [key: string]: unknown };
  /** Key of the actor that sent the event, when known. */
  sourceKey?: string;
  snapshot?: WireSnapshot;
  /** Active state ids (all levels) after this snapshot, for machines with a graph. */
  active?: string[];
  /** Readable state before and after (`installing.kibana_assets.running`; regions joined with ` | `). */
  from?: string;
  to?: string;
  /** Transition ids this step took. */
  taken?: string[];
  /** An error this step carries: an error event's payload, or an actor that ended in error. */
  error?: string;
  /** The picture to draw this snapshot with (its active step expanded), a key of `pictures`; absent: the graph's own. */
  picture?: string;
}

/** An event the controlled actor's current state accepts. */
export interface AcceptedEvent {
  type: string;
  /** Whether `snapshot.can(event)` holds for the bare event, or for one of its samples. */
  enabled: boolean;
  /** The catalogue's events of this type (whole events, payload included), each with whether a guard lets it through now. */
  samples?: { event: { type: string; [key: string]: unknown }; enabled: boolean }[];
}

/** A fake service waiting for the page to resolve or fail it. */
export interface PendingService {
  /** The service actor's session id (what resolve/fail commands name). */
  id: string;
  /** The invoke id. */
  invokeId: string;
  /** The actor name in `setup({ actors })`. */
  src: string;
  input: unknown;
  /** The first suggested output (undefined: a service without output). */
  exampleOutput: unknown;
  /** Suggested outputs as JSON text, first pre-filled on the page; `''` means "no output". From the catalogue. */
  outputs: string[];
  /** Suggested errors to fail it with, from the catalogue. */
  errors: { message: string; kind?: string }[];
  since: number;
}

/** What the page can do right now. */
export interface ControlState {
  /** Key of the controlled actor; absent when the server only watches, or a run has not reported its actor yet. */
  actor?: string;
  /** What the page's commands go to: an actor of the server's process, or a run through its runtime; absent: watch only. */
  drives?: 'actor' | 'run';
  status?: string;
  /** The controlled actor's error, one line, when it failed. */
  error?: string;
  accepts: AcceptedEvent[];
  /** The state also accepts any other event (`*`). */
  wildcard: boolean;
  pending: PendingService[];
  fakeServices: boolean;
}

export type ServerMessage =
  | {
      type: 'init';
      title: string;
      /** What the server's limits dropped or refused so far, when anything. */
      notice?: string;
      graphs: Record<string, GraphView>;
      /** Other pictures of those graphs (an active step expanded), by the key entries name. */
      pictures: Record<string, GraphPicture>;
      actors: ActorInfo[];
      entries: Entry[];
      control: ControlState;
    }
  | { type: 'graph'; id: string; view: GraphView }
  | { type: 'picture'; id: string; picture: GraphPicture }
  | { type: 'actor'; actor: ActorInfo }
  | { type: 'entry'; entry: Entry }
  | { type: 'control'; control: ControlState }
  /** The server's limits dropped history or refused frames: shown above the page. */
  | { type: 'notice'; text: string }
  | { type: 'result'; requestId?: string; ok: boolean; message: string };

/** What the page may send. Anything else is refused. */
export type PageCommand =
  | { type: 'send'; requestId?: string; actor: string; event: { type: string; [key: string]: unknown } }
  | { type: 'resolve'; requestId?: string; service: string; output: unknown }
  | { type: 'reject'; requestId?: string; service: string; error: { message: string; kind?: string } };

/**
 * Parses a frame from the page into a command, or returns why it is refused (one line).
 */
export function parsePageCommand(raw: string): PageCommand | { refused: string; requestId?: string } {
  if (raw.length > MAX_COMMAND_BYTES) return { refused: `command too large (over ${MAX_COMMAND_BYTES} bytes)` };
  let data: unknown;
  try {
    data = JSON.parse(raw);
  } catch {
    return { refused: 'command is not JSON' };
  }
  if (!isRecord(data)) return { refused: 'command is not a JSON object' };
  const requestId = typeof data.requestId === 'string' ? data.requestId.slice(0, 64) : undefined;
  const refuse = (why: string) => ({ refused: why, ...(requestId ? { requestId } : {}) });
  switch (data.type) {
    case 'send':
      if (typeof data.actor !== 'string') return refuse('send: no actor');
      if (!isEventObject(data.event)) return refuse('send: the event must be an object with a string type');
      return { type: 'send', actor: data.actor, event: data.event, ...(requestId ? { requestId } : {}) };
    case 'resolve':
      if (typeof data.service !== 'string') return refuse('resolve: no service');
      // No `output`: the service finishes without one (a void service), not with `null`.
      return { type: 'resolve', service: data.service, output: data.output, ...(requestId ? { requestId } : {}) };
    case 'reject': {
      if (typeof data.service !== 'string') return refuse('reject: no service');
      const error = isRecord(data.error) ? data.error : {};
      const message = typeof error.message === 'string' && error.message !== '' ? error.message : 'failed from the inspector';
      const kind = typeof error.kind === 'string' && error.kind !== '' ? error.kind : undefined;
      return { type: 'reject', service: data.service, error: { message, ...(kind ? { kind } : {}) }, ...(requestId ? { requestId } : {}) };
    }
    default:
      return refuse(`unknown command ${JSON.stringify(data.type)}: the inspector accepts only send, resolve and reject`);
  }
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isEventObject(value: unknown): value is { type: string; [key: string]: unknown } {
  return isRecord(value) && typeof value.type === 'string' && value.type !== '';
}
