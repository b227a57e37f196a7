// Source: https://github.com/helgardferreira/xstate-workshop/blob/a7b212a04ad73896a513df3a4f1666c008b5b44d/apps/scene-workbench/src/common/actors/socket-server/actors/socket-client/socket-client.machine.ts
// Commit: a7b212a04ad73896a513df3a4f1666c008b5b44d (types.ts read at f66599185508ee6b9926270de726062270636d26)
// License: MIT (helgardferreira/xstate-workshop, package.json "license": "MIT" at repository root)
// Changes: inlined ./types (ReadyState as the ws numeric constants 0|1|2|3, WebSocket reduced to the members the
//   machine uses); stubbed Logger (@nestjs/common), CLOSED/CLOSING/OPEN (ws), ServerMessageSchema
//   (@xstate-workshop/scene-protocol) and the two listener actors (fromCallback no-ops). Machine verbatim.
import {
  type ActorRef,
  type ActorRefFrom,
  type Snapshot,
  type SnapshotFrom,
  assign,
  enqueueActions,
  fromCallback,
  sendTo,
  setup,
} from 'xstate';
// --- stubs for app imports ---
const Logger = { log: (..._args: unknown[]) => {}, error: (..._args: unknown[]) => {} };
const OPEN = 1 as const;
const CLOSING = 2 as const;
const CLOSED = 3 as const;
type BufferLike = string | ArrayBuffer | Uint8Array;
interface WebSocket {
  readyState: 0 | 1 | 2 | 3;
  close(code?: number, reason?: string | Buffer): void;
  ping(): void;
  send(data: BufferLike, options?: object): void;
  terminate(): void;
}
type ClientMessage = { type: 'UPDATE_SCENE'; scene?: unknown } | { type: 'PING' };
type WsError = { code: string; message: string };
const ServerMessageSchema = { encode: (value: unknown) => value };
const messageListenerLogic = fromCallback<{ type: string }, { client: WebSocket }>(() => () => {});
const pongListenerLogic = fromCallback<{ type: string }, { client: WebSocket }>(() => () => {});

type ParentActor = ActorRef<Snapshot<unknown>, { type: 'REMOVE_CLIENT'; id: string }>;
type ReadyState = 0 | 1 | 2 | 3;
type SocketClientActorContext = { client: WebSocket; parentActor: ParentActor; pulse: boolean };
type SocketClientActorInput = { client: WebSocket; parentActor: ParentActor };
type CloseEvent = { type: 'CLOSE'; code?: number; reason?: string | Buffer };
type ClosedEvent = { type: 'CLOSED'; code: number; reason: Buffer };
type MessageEvent = { type: 'MESSAGE'; message: ClientMessage };
type OpenedEvent = { type: 'OPENED' };
type PingEvent = { type: 'PING' };
type PongEvent = { type: 'PONG' };
type SendErrorEvent = { type: 'SEND_ERROR'; error: WsError };
type SendMessageEvent = {
  type: 'SEND_MESSAGE';
  data: BufferLike;
  options?: {
    mask?: boolean | undefined;
    binary?: boolean | undefined;
    compress?: boolean | undefined;
    fin?: boolean | undefined;
  };
};
type TerminateEvent = { type: 'TERMINATE' };
type SocketClientActorEvent =
  | CloseEvent
  | ClosedEvent
  | MessageEvent
  | OpenedEvent
  | PingEvent
  | PongEvent
  | SendErrorEvent
  | SendMessageEvent
  | TerminateEvent;
// --- end stubs ---

const socketClientMachine = setup({
  types: {
    context: {} as SocketClientActorContext,
    events: {} as SocketClientActorEvent,
    input: {} as SocketClientActorInput,
  },
  actions: {
    close: (
      { context },
      { code, reason }: Pick<CloseEvent, 'code' | 'reason'>
    ) => context.client.close(code, reason),
    // TODO: implement this
    handleMessage: enqueueActions(
      ({ enqueue: _ }, { message }: Pick<MessageEvent, 'message'>) => {
        if (message.type === 'UPDATE_SCENE') {
          // TODO: implement this
          Logger.log('UPDATE_SCENE message received', message);
          /*
          enqueue.sendTo(({ context }) => context.parentActor, {
            type: 'UPDATE_SCENE',
            ...
          });
          */
        }
      }
    ),
    ping: enqueueActions(({ context, enqueue }) => {
      if (context.pulse === false) {
        enqueue.raise({ type: 'TERMINATE' });
      } else {
        enqueue.assign({ pulse: false });
        context.client.ping();
      }
    }),
    pong: assign({ pulse: true }),
    removeFromParent: sendTo(
      ({ context }) => context.parentActor,
      ({ self }) => ({ type: 'REMOVE_CLIENT', id: self.id })
    ),
    sendError: ({ context }, { error }: Pick<SendErrorEvent, 'error'>) => {
      const response = ServerMessageSchema.encode({
        error,
        meta: { ts: new Date() },
        type: 'ERROR',
      });
      context.client.send(JSON.stringify(response));
    },
    sendMessage: (
      { context },
      { data, options }: Pick<SendMessageEvent, 'data' | 'options'>
    ) =>
      options ? context.client.send(data, options) : context.client.send(data),
    terminate: ({ context }) => context.client.terminate(),
  },
  actors: {
    messageListener: messageListenerLogic,
    pongListener: pongListenerLogic,
  },
  guards: {
    isClosed: (_, { readyState }: { readyState: ReadyState }) =>
      readyState === CLOSED,
    isClosing: (_, { readyState }: { readyState: ReadyState }) =>
      readyState === CLOSING,
    isOpen: (_, { readyState }: { readyState: ReadyState }) =>
      readyState === OPEN,
  },
}).createMachine({
  id: 'socketClient',

  context: ({ input }) => ({
    client: input.client,
    parentActor: input.parentActor,
    pulse: true,
  }),

  exit: 'removeFromParent',

  invoke: [
    {
      id: 'messageListener',
      input: ({ context }) => ({ client: context.client }),
      src: 'messageListener',
    },
    {
      id: 'pongListener',
      input: ({ context }) => ({ client: context.client }),
      src: 'pongListener',
    },
  ],

  initial: 'connecting',

  states: {
    closed: {
      type: 'final',
    },

    closing: {
      on: {
        CLOSED: { target: 'closed' },
        TERMINATE: {
          actions: 'terminate',
          target: 'closed',
        },
      },
    },

    connecting: {
      on: {
        CLOSE: {
          actions: {
            params: ({ event }) => ({ code: event.code, reason: event.reason }),
            type: 'close',
          },
          target: 'closing',
        },
        CLOSED: { target: 'closed' },
        OPENED: { target: 'open' },
        TERMINATE: {
          actions: 'terminate',
          target: 'closed',
        },
      },

      always: [
        {
          guard: {
            params: ({ context }) => ({
              readyState: context.client.readyState,
            }),
            type: 'isOpen',
          },
          target: 'open',
        },
        {
          guard: {
            params: ({ context }) => ({
              readyState: context.client.readyState,
            }),
            type: 'isClosed',
          },
          target: 'closed',
        },
        {
          guard: {
            params: ({ context }) => ({
              readyState: context.client.readyState,
            }),
            type: 'isClosing',
          },
          target: 'closing',
        },
      ],
    },

    open: {
      on: {
        CLOSE: {
          actions: {
            params: ({ event }) => ({ code: event.code, reason: event.reason }),
            type: 'close',
          },
          target: 'closing',
        },
        CLOSED: { target: 'closed' },
        MESSAGE: {
          actions: {
            params: ({ event }) => ({ message: event.message }),
            type: 'handleMessage',
          },
        },
        PING: { actions: 'ping' },
        PONG: { actions: 'pong' },
        SEND_ERROR: {
          actions: {
            params: ({ event }) => ({ error: event.error }),
            type: 'sendError',
          },
        },
        SEND_MESSAGE: {
          actions: {
            params: ({ event }) => ({
              data: event.data,
              options: event.options,
            }),
            type: 'sendMessage',
          },
        },
        TERMINATE: { actions: 'terminate', target: 'closed' },
      },
    },
  },
});

type SocketClientActorRef = ActorRefFrom<typeof socketClientMachine>;
type SocketClientActorSnapshot = SnapshotFrom<typeof socketClientMachine>;

export { socketClientMachine };

export type { SocketClientActorRef, SocketClientActorSnapshot };
