/**
 * The server's memory: every inspection event from every source, per actor, enriched with what the page needs
 * (active states, from → to, transitions taken, errors). A page that connects or reconnects is sent all of it and
 * rebuilds its view from nothing.
 */
import { createHash } from 'node:crypto';
import type { AnyStateMachine } from 'xstate';
import type { LifecycleGraph } from '../model/types.ts';
import { createCoverageTracker, type CoverageTracker } from './coverage.ts';
import { activeStateIds, buildGraphView, describeValue, graphFromDefinition } from './graph-view.ts';
import type { ActorInfo, Entry, GraphView, InspectionMessage, ServerMessage, WireSnapshot } from './protocol.ts';
import { describeWireError } from './serialize.ts';

export interface HistoryOptions {
  /** The inspected machine: actors that run it get its graph and exact coverage. */
  machine?: AnyStateMachine;
  graph?: LifecycleGraph;
  /** Entries kept per actor; older ones are dropped (their coverage is kept). Default 2000. */
  maxEntriesPerActor?: number;
  /** Called with every change, for the pages connected now. */
  onMessage?: (message: ServerMessage) => void;
}

export interface History {
  /** Records one message from a source. `source` namespaces session ids (`main`, `client 2`). */
  add(source: string, message: InspectionMessage): void;
  /** The key the server uses for an actor of a source. */
  keyOf(source: string, sessionId: string): string;
  /** Everything, for a page that (re)connects. */
  snapshot(): { graphs: Record<string, GraphView>; actors: ActorInfo[]; entries: Entry[] };
  actor(key: string): ActorInfo | undefined;
  /** Records a command the server refused, in the log of `actorKey`. */
  addRefusal(actorKey: string, event: { type: string; [key: string]: unknown }, message: string): void;
  /** Marks the actor the page's commands go to. */
  setControlled(key: string): void;
}

interface ActorState {
  info: ActorInfo;
  entries: Entry[];
  lastSnapshot?: WireSnapshot;
  tracker?: CoverageTracker;
  graph?: LifecycleGraph;
}

const KNOWN = 'machine';

export function createHistory(options: HistoryOptions = {}): History {
  const maxEntries = options.maxEntriesPerActor ?? 2000;
  const emit = options.onMessage ?? (() => {});
  const graphs = new Map<string, { view: GraphView; graph: LifecycleGraph }>();
  const actors = new Map<string, ActorState>();
  let seq = 0;
  let controlled: string | undefined;

  if (options.graph) graphs.set(KNOWN, { view: buildGraphView(options.graph), graph: options.graph });

  const keyOf = (source: string, sessionId: string) => `${source}/${sessionId}`;

  /** The graph for an actor: the inspected machine's when the ids match, else one rebuilt from the definition. */
  const graphFor = (name: string | undefined, definition: string | undefined): { id: string; graph: LifecycleGraph; machine?: AnyStateMachine } | undefined => {
    if (options.graph && name === options.graph.id) return { id: KNOWN, graph: options.graph, machine: options.machine };
    if (!definition || definition.length < 20) return undefined;
    const id = `def-${createHash('sha256').update(definition).digest('hex').slice(0, 12)}`;
    const cached = graphs.get(id);
    if (cached) return { id, graph: cached.graph };
    const graph = graphFromDefinition(definition);
    if (!graph || graph.states.length < 2) return undefined;
    const view = buildGraphView(graph);
    graphs.set(id, { view, graph });
    emit({ type: 'graph', id, view });
    return { id, graph };
  };

  const ensureActor = (source: string, sessionId: string, message?: Extract<InspectionMessage, { type: '@xstate.actor' }>): ActorState => {
    const key = keyOf(source, sessionId);
    let state = actors.get(key);
    if (state && !message) return state;
    const name = message?.name ?? state?.info.name ?? sessionId;
    const parentKey = message?.parentId ? keyOf(source, message.parentId) : state?.info.parentKey;
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

  const push = (state: ActorState, entry: Entry) => {
    state.entries.push(entry);
    if (state.entries.length > maxEntries) {
      const gone = state.entries.shift()!;
      state.info.dropped += 1;
      if (gone.taken?.length) state.info.droppedTaken = [...new Set([...state.info.droppedTaken, ...gone.taken])];
    }
    emit({ type: 'entry', entry });
  };

  return {
    keyOf,
    add(source, message) {
      const time = Number(message.createdAt) || Date.now();
      if (message.type === '@xstate.actor') {
        ensureActor(source, message.sessionId, message);
        return;
      }
      const state = ensureActor(source, message.sessionId);
      if (message.type === '@xstate.event') {
        push(state, {
          seq: ++seq,
          actor: state.info.key,
          kind: 'event',
          time,
          event: message.event,
          ...(message.sourceId ? { sourceKey: keyOf(source, message.sourceId) } : {}),
        });
        return;
      }
      const previous = state.lastSnapshot;
      const next = message.snapshot;
      const entry: Entry = { seq: ++seq, actor: state.info.key, kind: 'snapshot', time, event: message.event, snapshot: next };
      if (state.graph) {
        entry.active = activeStateIds(state.graph, next.value);
        entry.taken = state.tracker!.taken(previous, message.event, next);
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
      push(state, entry);
    },
    snapshot() {
      const entries = [...actors.values()].flatMap((a) => a.entries).sort((a, b) => a.seq - b.seq);
      return {
        graphs: Object.fromEntries([...graphs].map(([id, g]) => [id, g.view])),
        actors: [...actors.values()].map((a) => a.info),
        entries,
      };
    },
    actor: (key) => actors.get(key)?.info,
    addRefusal(actorKey, event, message) {
      const state = actors.get(actorKey);
      if (!state) return;
      push(state, { seq: ++seq, actor: actorKey, kind: 'refused', time: Date.now(), event, error: message });
    },
    setControlled(key) {
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
