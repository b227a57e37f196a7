/**
 * The server's memory: every inspection event from every source, per actor, enriched with what the page needs
 * (active states, from → to, transitions taken, errors). A page that connects or reconnects is sent all of it and
 * rebuilds its view from nothing.
 */
import { createHash } from 'node:crypto';
import type { AnyStateMachine } from 'xstate';
import type { ViewOptions } from '../diagram/view.ts';
import type { LifecycleGraph } from '../model/types.ts';
import { createCoverageTracker, type CoverageTracker } from './coverage.ts';
import { activeStateIds, buildGraphView, describeValue, graphFromDefinition } from './graph-view.ts';
import { createPictureSet, type PictureSet } from './pictures.ts';
import type { ActorInfo, Entry, GraphPicture, GraphView, InspectionMessage, ServerMessage, WireSnapshot } from './protocol.ts';
import { describeWireError } from './serialize.ts';

/**
 * What the history keeps at most. Past a limit the oldest entries go first (their transitions stay counted in the
 * coverage), and actors past `maxActors` are refused; either way a notice tells the page. A frame's cost is its size
 * as received.
 */
export interface HistoryLimits {
  maxEntriesPerActor: number;
  maxBytesPerActor: number;
  /** All actors together. */
  maxEntries: number;
  maxBytes: number;
  maxActors: number;
  /** Pictures rebuilt from definitions that attached programs send. */
  maxGraphs: number;
  /** Extra pictures of all graphs together (an active step drawn open). */
  maxPictures: number;
}

export const DEFAULT_HISTORY_LIMITS: HistoryLimits = {
  maxEntriesPerActor: 2000,
  maxBytesPerActor: 16 * 1024 * 1024,
  maxEntries: 50_000,
  maxBytes: 64 * 1024 * 1024,
  maxActors: 1000,
  maxGraphs: 50,
  maxPictures: 256,
};

/** What the history holds now, and what its limits dropped or refused. */
export interface HistoryStats {
  entries: number;
  bytes: number;
  actors: number;
  graphs: number;
  droppedEntries: number;
  refusedActors: number;
}

export interface HistoryOptions {
  /** The inspected machine: actors that run it get its graph and exact coverage. */
  machine?: AnyStateMachine;
  graph?: LifecycleGraph;
  /** How graphs are drawn: steps collapsed by default, the active ones drawn open (see `pictures.ts`). */
  view?: ViewOptions;
  /** Entries kept per actor; older ones are dropped (their coverage is kept). Default 2000. */
  maxEntriesPerActor?: number;
  /** The other limits (defaults: {@link DEFAULT_HISTORY_LIMITS}). */
  limits?: Partial<HistoryLimits>;
  /** Called with every change, for the pages connected now. */
  onMessage?: (message: ServerMessage) => void;
}

export interface History {
  /**
   * Records one message from a source. `source` namespaces session ids (`main`, `client 2`); `bytes` is its size as
   * received (what the byte limits count). Returns false when the message was refused (an actor over the limit).
   */
  add(source: string, message: InspectionMessage, bytes?: number): boolean;
  /** What the limits dropped or refused so far, as one line, or undefined. */
  notice(): string | undefined;
  stats(): HistoryStats;
  /** The key the server uses for an actor of a source. */
  keyOf(source: string, sessionId: string): string;
  /** Everything, for a page that (re)connects. */
  snapshot(): { graphs: Record<string, GraphView>; pictures: Record<string, GraphPicture>; actors: ActorInfo[]; entries: Entry[] };
  actor(key: string): ActorInfo | undefined;
  /** The last snapshot an actor sent. */
  lastSnapshot(key: string): WireSnapshot | undefined;
  /** The newest actor of `source` that has no parent and is named `name` (a run's machine; a resumed run makes a new one). */
  latestRoot(source: string, name: string): string | undefined;
  /** Records a command the server refused, in the log of `actorKey`. */
  addRefusal(actorKey: string, event: { type: string; [key: string]: unknown }, message: string): void;
  /** Marks the actor the page's commands go to. */
  setControlled(key: string): void;
}

interface ActorState {
  info: ActorInfo;
  entries: Entry[];
  bytes: number;
  lastSnapshot?: WireSnapshot;
  tracker?: CoverageTracker;
  graph?: LifecycleGraph;
}

const KNOWN = 'machine';

export function createHistory(options: HistoryOptions = {}): History {
  const limits: HistoryLimits = { ...DEFAULT_HISTORY_LIMITS, ...(options.maxEntriesPerActor ? { maxEntriesPerActor: options.maxEntriesPerActor } : {}), ...options.limits };
  const maxEntries = limits.maxEntriesPerActor;
  const emit = options.onMessage ?? (() => {});
  // Every entry kept, oldest first across actors (dropped ones are skipped lazily), with its size.
  const order: Entry[] = [];
  let head = 0;
  const sizes = new WeakMap<Entry, number>();
  const gone = new WeakSet<Entry>();
  let totalBytes = 0;
  let totalEntries = 0;
  let droppedEntries = 0;
  let refusedActors = 0;
  let lastNotice = 0;
  let noticeTimer: NodeJS.Timeout | undefined;
  const graphs = new Map<string, { view: GraphView; graph: LifecycleGraph; pictures: PictureSet }>();
  const pictures = new Map<string, GraphPicture>();
  const viewOptions = options.view ?? {};
  const addGraph = (id: string, graph: LifecycleGraph): GraphView => {
    const view = buildGraphView(graph, viewOptions);
    graphs.set(id, { view, graph, pictures: createPictureSet(id, graph, viewOptions, () => pictures.size < limits.maxPictures) });
    return view;
  };
  /** The picture key a snapshot is drawn with, sending a new picture to the pages first. */
  const pictureFor = (graphId: string | undefined, active: string[]): string | undefined => {
    const set = graphId ? graphs.get(graphId)?.pictures : undefined;
    try {
      const found = set?.forActive(active);
      if (found?.built) {
        pictures.set(found.key, found.built);
        emit({ type: 'picture', id: found.key, picture: found.built });
      }
      return found?.key;
    } catch {
      return undefined; // a graph the renderer cannot open: drawn collapsed
    }
  };
  const actors = new Map<string, ActorState>();
  let seq = 0;
  let controlled: string | undefined;

  if (options.graph) addGraph(KNOWN, options.graph);

  const keyOf = (source: string, sessionId: string) => `${source}/${sessionId}`;

  /** The graph for an actor: the inspected machine's when the ids match, else one rebuilt from the definition. */
  const graphFor = (name: string | undefined, definition: string | undefined): { id: string; graph: LifecycleGraph; machine?: AnyStateMachine } | undefined => {
    if (options.graph && name === options.graph.id) return { id: KNOWN, graph: options.graph, machine: options.machine };
    if (!definition || definition.length < 20) return undefined;
    const id = `def-${createHash('sha256').update(definition).digest('hex').slice(0, 12)}`;
    const cached = graphs.get(id);
    if (cached) return { id, graph: cached.graph };
    if (graphs.size >= limits.maxGraphs || definition.length > 1024 * 1024) return undefined; // drawn without a diagram
    const graph = graphFromDefinition(definition);
    if (!graph || graph.states.length < 2) return undefined;
    emit({ type: 'graph', id, view: addGraph(id, graph) });
    return { id, graph };
  };

  const ensureActor = (source: string, sessionId: string, message?: Extract<InspectionMessage, { type: '@xstate.actor' }>): ActorState | undefined => {
    const key = keyOf(source, sessionId);
    let state = actors.get(key);
    if (state && !message) return state;
    if (!state && actors.size >= limits.maxActors) {
      refusedActors++;
      scheduleNotice();
      return undefined;
    }
    const name = (typeof message?.name === 'string' ? message.name.slice(0, 200) : undefined) ?? state?.info.name ?? sessionId;
    const parentKey = typeof message?.parentId === 'string' && message.parentId.length <= 200 ? keyOf(source, message.parentId) : state?.info.parentKey;
    const found = message ? graphFor(name, message.definition) : undefined;
    const info: ActorInfo = {
      key,
      sessionId,
      source,
      name,
      label: labelFor(name, parentKey),
      ...(parentKey ? { parentKey } : {}),
      ...(found ? { graphId: found.id, coverage: found.machine ? 'exact' : 'inferred' } : {}),
      controlled: key === controlled,
      createdAt: Number(message?.createdAt) || Date.now(),
      droppedTaken: state?.info.droppedTaken ?? [],
      dropped: state?.info.dropped ?? 0,
    };
    state = {
      info,
      entries: state?.entries ?? [],
      bytes: state?.bytes ?? 0,
      lastSnapshot: state?.lastSnapshot,
      ...(found ? { graph: found.graph, tracker: createCoverageTracker(found.graph, found.machine) } : {}),
    };
    actors.set(key, state);
    emit({ type: 'actor', actor: info });
    return state;
  };

  /** An invoked service is labelled with its `src` from the parent's graph: `checkPreconditions`. */
  const labelFor = (name: string, parentKey: string | undefined): string => {
    const parent = parentKey ? actors.get(parentKey) : undefined;
    const invoke = parent?.graph?.states.flatMap((s) => s.invoke).find((i) => i.id === name);
    return invoke && invoke.src !== 'inline' ? invoke.src : name;
  };

  const noticeText = (): string | undefined => {
    if (droppedEntries === 0 && refusedActors === 0) return undefined;
    const parts: string[] = [];
    if (droppedEntries > 0)
      parts.push(`the oldest ${droppedEntries} entries were dropped to stay within the history limits (${limits.maxEntriesPerActor} entries or ${limits.maxBytesPerActor / 1024 / 1024} MiB per actor, ${limits.maxEntries} entries or ${limits.maxBytes / 1024 / 1024} MiB in all); coverage still counts them`);
    if (refusedActors > 0) parts.push(`${refusedActors} actors over the limit of ${limits.maxActors} were not recorded`);
    return parts.join('; ');
  };
  /** Tells the pages, at most once a second (a flood must not become a flood of notices). */
  const scheduleNotice = () => {
    if (noticeTimer) return;
    const wait = Math.max(0, lastNotice + 1000 - Date.now());
    noticeTimer = setTimeout(() => {
      noticeTimer = undefined;
      lastNotice = Date.now();
      const text = noticeText();
      if (text) emit({ type: 'notice', text });
    }, wait);
    noticeTimer.unref?.();
  };

  const dropOldest = (state: ActorState) => {
    const old = state.entries.shift();
    if (!old) return;
    gone.add(old);
    const size = sizes.get(old) ?? 0;
    state.bytes -= size;
    totalBytes -= size;
    totalEntries -= 1;
    droppedEntries += 1;
    state.info.dropped += 1;
    if (old.taken?.length) state.info.droppedTaken = [...new Set([...state.info.droppedTaken, ...old.taken])];
    // The last snapshot is kept for from → to; once its entry is gone only its value and status are.
    if (old.snapshot && old.snapshot === state.lastSnapshot) state.lastSnapshot = { value: old.snapshot.value, status: old.snapshot.status };
    // `order` may still hold the entry until the queue is compacted: let its payload go now.
    delete old.snapshot;
    old.event = { type: old.event.type };
  };

  const push = (state: ActorState, entry: Entry, bytes: number) => {
    state.entries.push(entry);
    order.push(entry);
    sizes.set(entry, bytes);
    state.bytes += bytes;
    totalBytes += bytes;
    totalEntries += 1;
    const before = droppedEntries;
    while (state.entries.length > maxEntries || (state.bytes > limits.maxBytesPerActor && state.entries.length > 1)) dropOldest(state);
    while ((totalBytes > limits.maxBytes || totalEntries > limits.maxEntries) && head < order.length) {
      const oldest = order[head]!;
      if (oldest === entry) break; // the newest stays, even alone over a limit
      head++;
      if (gone.has(oldest)) continue;
      const owner = actors.get(oldest.actor);
      if (owner?.entries[0] === oldest) dropOldest(owner);
    }
    while (head < order.length && gone.has(order[head]!)) head++;
    if (head > 256 && head * 2 > order.length) {
      order.splice(0, head);
      head = 0;
    }
    emit({ type: 'entry', entry });
    if (droppedEntries > before) scheduleNotice();
  };

  return {
    keyOf,
    add(source, message, bytes = 256) {
      const time = Number(message.createdAt) || Date.now();
      if (message.type === '@xstate.actor') return ensureActor(source, message.sessionId, message) !== undefined;
      const state = ensureActor(source, message.sessionId);
      if (!state) return false;
      if (message.type === '@xstate.event') {
        push(state, {
          seq: ++seq,
          actor: state.info.key,
          kind: 'event',
          time,
          event: message.event,
          ...(typeof message.sourceId === 'string' && message.sourceId.length <= 200 ? { sourceKey: keyOf(source, message.sourceId) } : {}),
        }, bytes);
        return true;
      }
      const previous = state.lastSnapshot;
      const next = message.snapshot;
      const entry: Entry = { seq: ++seq, actor: state.info.key, kind: 'snapshot', time, event: message.event, snapshot: next };
      if (state.graph) {
        entry.active = activeStateIds(state.graph, next.value);
        entry.taken = state.tracker!.taken(previous, message.event, next);
        const picture = pictureFor(state.info.graphId, entry.active);
        if (picture) entry.picture = picture;
      }
      if (next.value !== undefined) {
        entry.to = describeValue(next.value);
        if (previous?.value !== undefined) entry.from = describeValue(previous.value);
      } else if (next.status) {
        entry.to = next.status;
        if (previous?.status) entry.from = previous.status;
      }
      const error = errorOf(message.event, next, previous);
      if (error) entry.error = error;
      state.lastSnapshot = next;
      push(state, entry, bytes);
      return true;
    },
    notice: noticeText,
    stats: () => ({ entries: totalEntries, bytes: totalBytes, actors: actors.size, graphs: graphs.size, droppedEntries, refusedActors }),
    snapshot() {
      const entries = [...actors.values()].flatMap((a) => a.entries).sort((a, b) => a.seq - b.seq);
      return {
        graphs: Object.fromEntries([...graphs].map(([id, g]) => [id, g.view])),
        pictures: Object.fromEntries(pictures),
        actors: [...actors.values()].map((a) => a.info),
        entries,
      };
    },
    actor: (key) => actors.get(key)?.info,
    lastSnapshot: (key) => actors.get(key)?.lastSnapshot,
    latestRoot(source, name) {
      let latest: string | undefined;
      for (const a of actors.values()) if (a.info.source === source && !a.info.parentKey && a.info.name === name) latest = a.info.key;
      return latest;
    },
    addRefusal(actorKey, event, message) {
      const state = actors.get(actorKey);
      if (!state) return;
      push(state, { seq: ++seq, actor: actorKey, kind: 'refused', time: Date.now(), event, error: message }, 256 + message.length);
    },
    setControlled(key) {
      if (controlled === key) return;
      const before = controlled ? actors.get(controlled) : undefined;
      if (before) {
        before.info.controlled = false;
        emit({ type: 'actor', actor: before.info });
      }
      controlled = key;
      const state = actors.get(key);
      if (state) {
        state.info.controlled = true;
        emit({ type: 'actor', actor: state.info });
      }
    },
  };
}

/** The error a step carries, as one line: an error event's payload, or an actor that ended in error. */
function errorOf(event: { type: string; [key: string]: unknown }, next: WireSnapshot, previous: WireSnapshot | undefined): string | undefined {
  if (event.type.startsWith('xstate.error.actor.')) return describeWireError(event.error);
  if (event.type === 'xstate.promise.reject') return describeWireError(event.data);
  if (next.status === 'error' && previous?.status !== 'error') return describeWireError(next.error);
  return undefined;
}
