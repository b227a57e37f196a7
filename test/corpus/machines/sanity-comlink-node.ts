// Source: https://github.com/sanity-io/visual-editing/blob/0771ec5ad337576676d997abbd403b95f2885a0c/packages/comlink/src/node.ts
// Commit: 0771ec5ad337576676d997abbd403b95f2885a0c
// License: MIT (sanity-io/visual-editing, packages/comlink/package.json "license")
// Changes: stubbed uuid, the constants (./constants), the message types (./types), createListenLogic /
//   listenInputFromContext (./common; the listener is a never-emitting observable) and createRequestMachine
//   (./request, a one-state stand-in with the same input type; the real one is sanity-comlink-request.ts); dropped
//   the `createNode` wrapper (createActor + helpers) and the `@xstate-layout` comment. The factory is kept and a
//   concrete machine is additionally exported as `nodeMachine` (`createNodeMachine<Message, Message>()`).
//   Machine verbatim.
import {
  type ActorRefFrom,
  assertEvent,
  assign,
  emit,
  enqueueActions,
  fromEventObservable,
  raise,
  setup,
} from 'xstate'

// --- stubs for app / library imports ---
const uuid = (): string => Math.random().toString(36).slice(2)
const DOMAIN = 'sanity/comlink'
const HANDSHAKE_INTERVAL = 500
const MSG_DISCONNECT = 'comlink/disconnect'
const MSG_HANDSHAKE_ACK = 'comlink/handshake/ack'
const MSG_HANDSHAKE_SYN = 'comlink/handshake/syn'
const MSG_HANDSHAKE_SYN_ACK = 'comlink/handshake/syn-ack'
const MSG_HEARTBEAT = 'comlink/heartbeat'
const MSG_RESPONSE = 'comlink/response'
type MessageType = string
type MessageData = Record<string, unknown> | undefined
interface Message {
  type: MessageType
  data?: MessageData
  response?: MessageData
}
type WithoutResponse<T extends Message> = Omit<T, 'response'>
interface HeartbeatMessage {
  type: typeof MSG_HEARTBEAT
  data: undefined
}
type Status = 'idle' | 'handshaking' | 'connected' | 'disconnected'
interface ProtocolMessage<T extends Message = Message> {
  id: string
  channelId?: string
  connectionId: string
  data?: T['data']
  domain: string
  from: string
  responseTo?: string
  to: string
  type: T['type']
}
interface RequestData<S extends Message> {
  data?: MessageData
  expectResponse?: boolean
  responseTo?: string
  type: MessageType
  resolvable?: PromiseWithResolvers<S['response']>
}
type BufferAddedEmitEvent<T> = {type: '_buffer.added'; message: T}
type BufferFlushedEmitEvent<T> = {type: '_buffer.flushed'; messages: T[]}
type HeartbeatEmitEvent = {type: '_heartbeat'}
type MessageEmitEvent<T extends Message> = {type: '_message'; message: ProtocolMessage<T>}
type ReceivedEmitEvent<T extends Message> = T extends T ? {type: T['type']; message: ProtocolMessage<T>} : never
type StatusEmitEvent = {type: '_status'; status: Status}
interface ListenInput {
  count?: number
  domain: string
  exclude: string[]
  from: string
  include: string[]
  responseType: string
  target: MessageEventSource | undefined
  to: string
}
// ./common: the listener is an rxjs fromEvent(window, 'message') pipeline; here an observable that never emits
const createListenLogic = () =>
  fromEventObservable(({input: _input}: {input: ListenInput}) => ({
    subscribe: () => ({unsubscribe: () => {}}),
  }))
const listenInputFromContext =
  (
    config: (
      | {include: string | string[]; exclude?: string | string[]}
      | {include?: string | string[]; exclude: string | string[]}
    ) & {matches?: boolean; count?: number; responseType?: string},
  ) =>
  <T extends {domain: string; connectTo: string; name: string; target: MessageEventSource | undefined}>({
    context,
  }: {
    context: T
  }): ListenInput => {
    const {count, include, exclude, responseType = 'message.received'} = config
    return {
      count,
      domain: context.domain,
      from: context.connectTo,
      include: include ? (Array.isArray(include) ? include : [include]) : [],
      exclude: exclude ? (Array.isArray(exclude) ? exclude : [exclude]) : [],
      responseType,
      target: context.target,
      to: context.name,
    }
  }
// ./request: the spawned per-message request machine (in the corpus as sanity-comlink-request.ts); a one-state stand-in
const createRequestMachine = <S extends Message>() =>
  setup({
    types: {} as {
      input: {
        connectionId?: string
        data?: S['data']
        domain: string
        expectResponse?: boolean
        from: string
        parentRef?: unknown
        channelId?: string
        responseTo?: string
        resolvable?: PromiseWithResolvers<S['response']>
        sources: Set<MessageEventSource> | MessageEventSource
        targetOrigin: string
        to: string
        type: S['type']
      }
    },
  }).createMachine({initial: 'sent', states: {sent: {type: 'final'}}})
type RequestActorRef<S extends Message> = ActorRefFrom<ReturnType<typeof createRequestMachine<S>>>
// --- end stubs ---

/**
 * @public
 */
export interface NodeInput {
  name: string
  connectTo: string
  domain?: string
}

/**
 * @public
 */
export const createNodeMachine = <
  R extends Message, // Receives
  S extends Message, // Sends
  V extends WithoutResponse<S> = WithoutResponse<S>,
  // eslint-disable-next-line @typescript-eslint/explicit-module-boundary-types
>() => {
  const nodeMachine = setup({
    types: {} as {
      context: {
        buffer: Array<{data: V; resolvable?: PromiseWithResolvers<S['response']>}>
        connectionId: string | null
        connectTo: string
        domain: string
        // The handshake buffer is a workaround to maintain backwards
        // compatibility with the Sanity channels package, which may incorrectly
        // send buffered messages _before_ it completes the handshake (i.e.
        // sends an ack message). It should be removed in the next major.
        handshakeBuffer: Array<{
          type: 'message.received'
          message: MessageEvent<ProtocolMessage<R>>
        }>
        name: string
        requests: Array<RequestActorRef<S>>
        target: MessageEventSource | undefined
        targetOrigin: string | null
      }
      emitted:
        | BufferAddedEmitEvent<V>
        | BufferFlushedEmitEvent<V>
        | HeartbeatEmitEvent
        | MessageEmitEvent<R>
        | (R extends R ? {type: R['type']; message: ProtocolMessage<R>} : never)
      events:
        | {type: 'heartbeat.received'; message: MessageEvent<ProtocolMessage<HeartbeatMessage>>}
        | {type: 'message.received'; message: MessageEvent<ProtocolMessage<R>>}
        | {type: 'post'; data: V; resolvable?: PromiseWithResolvers<S['response']>}
        | {type: 'request.failed'; requestId: string}
        | {type: 'request.success'; requestId: string}
        | {type: 'request'; data: RequestData<S> | RequestData<S>[]}
      input: NodeInput
    },
    actors: {
      requestMachine: createRequestMachine<S>(),
      listen: createListenLogic(),
    },
    actions: {
      'buffer incoming message': assign({
        handshakeBuffer: ({event, context}) => {
          assertEvent(event, 'message.received')
          return [...context.handshakeBuffer, event]
        },
      }),
      'buffer message': enqueueActions(({enqueue}) => {
        enqueue.assign({
          buffer: ({event, context}) => {
            assertEvent(event, 'post')
            return [...context.buffer, {data: event.data, resolvable: event.resolvable}]
          },
        })
        enqueue.emit(({event}) => {
          assertEvent(event, 'post')
          return {
            type: '_buffer.added',
            message: event.data,
          } satisfies BufferAddedEmitEvent<V>
        })
      }),
      'create request': assign({
        requests: ({context, event, spawn}) => {
          assertEvent(event, 'request')
          const arr = Array.isArray(event.data) ? event.data : [event.data]
          const requests = arr.map((request) => {
            const id = `req-${uuid()}`
            return spawn('requestMachine', {
              id,
              input: {
                connectionId: context.connectionId!,
                data: request.data,
                domain: context.domain!,
                expectResponse: request.expectResponse,
                from: context.name,
                resolvable: request.resolvable,
                responseTo: request.responseTo,
                sources: context.target!,
                targetOrigin: context.targetOrigin!,
                to: context.connectTo,
                type: request.type,
              },
            })
          })
          return [...context.requests, ...requests]
        },
      }),
      'emit heartbeat': emit(() => {
        return {
          type: '_heartbeat',
        } satisfies HeartbeatEmitEvent
      }),
      'emit received message': enqueueActions(({enqueue}) => {
        enqueue.emit(({event}) => {
          assertEvent(event, 'message.received')
          return {
            type: '_message',
            message: event.message.data,
          } satisfies MessageEmitEvent<R>
        })
        enqueue.emit(({event}) => {
          assertEvent(event, 'message.received')
          const emit = {
            type: event.message.data.type,
            message: event.message.data,
          }
          return emit
        })
      }),
      'flush buffer': enqueueActions(({enqueue}) => {
        enqueue.raise(({context}) => ({
          type: 'request',
          data: context.buffer.map(({data, resolvable}) => ({
            data: data.data,
            type: data.type,
            expectResponse: resolvable ? true : false,
            resolvable,
          })),
        }))
        enqueue.emit(({context}) => {
          return {
            type: '_buffer.flushed',
            messages: context.buffer.map(({data}) => data),
          } satisfies BufferFlushedEmitEvent<V>
        })
        enqueue.assign({
          buffer: [],
        })
      }),
      'flush handshake buffer': enqueueActions(({context, enqueue}) => {
        context.handshakeBuffer.forEach((event) => enqueue.raise(event))
        enqueue.assign({
          handshakeBuffer: [],
        })
      }),
      'post': raise(({event}) => {
        assertEvent(event, 'post')
        return {
          type: 'request' as const,
          data: {
            data: event.data.data,
            expectResponse: event.resolvable ? true : false,
            type: event.data.type,
            resolvable: event.resolvable,
          },
        }
      }),
      'remove request': assign({
        requests: ({context, event}) => {
          assertEvent(event, ['request.success', 'request.failed'])
          return context.requests.filter((request) => request.id !== event.requestId)
        },
      }),
      'send response': raise(({event}) => {
        assertEvent(event, ['message.received', 'heartbeat.received'])
        return {
          type: 'request' as const,
          data: {
            type: MSG_RESPONSE,
            responseTo: event.message.data.id,
            data: undefined,
          },
        }
      }),
      'send handshake syn ack': raise({
        type: 'request',
        data: {type: MSG_HANDSHAKE_SYN_ACK},
      }),
      'set connection config': assign({
        connectionId: ({event}) => {
          assertEvent(event, 'message.received')
          return event.message.data.connectionId
        },
        target: ({event}) => {
          assertEvent(event, 'message.received')
          return event.message.source || undefined
        },
        targetOrigin: ({event}) => {
          assertEvent(event, 'message.received')
          return event.message.origin
        },
      }),
    },
    guards: {
      hasSource: ({context}) => context.target !== null,
    },
  }).createMachine({
    id: 'node',
    context: ({input}) => ({
      buffer: [],
      connectionId: null,
      connectTo: input.connectTo,
      domain: input.domain ?? DOMAIN,
      handshakeBuffer: [],
      name: input.name,
      requests: [],
      target: undefined,
      targetOrigin: null,
    }),
    on: {
      'request.success': {
        actions: 'remove request',
      },
      'request.failed': {
        actions: 'remove request',
      },
    },
    initial: 'idle',
    states: {
      idle: {
        invoke: {
          src: 'listen',
          id: 'listenForHandshakeSyn',
          input: listenInputFromContext({
            include: MSG_HANDSHAKE_SYN,
            count: 1,
          }),
          onDone: {
            target: 'handshaking',
            guard: 'hasSource',
          },
        },
        on: {
          'message.received': {
            actions: 'set connection config',
          },
          'post': {
            actions: 'buffer message',
          },
        },
      },
      handshaking: {
        entry: 'send handshake syn ack',
        invoke: [
          {
            src: 'listen',
            id: 'listenForHandshakeAck',
            input: listenInputFromContext({
              include: MSG_HANDSHAKE_ACK,
              count: 1,
            }),
            onDone: 'connected',
          },
          {
            src: 'listen',
            id: 'listenForDisconnect',
            input: listenInputFromContext({
              include: MSG_DISCONNECT,
              count: 1,
              responseType: 'disconnect',
            }),
          },
          {
            src: 'listen',
            id: 'listenForMessages',
            input: listenInputFromContext({
              exclude: [MSG_DISCONNECT, MSG_HANDSHAKE_ACK, MSG_HEARTBEAT, MSG_RESPONSE],
            }),
          },
        ],
        on: {
          'request': {
            actions: 'create request',
          },
          'post': {
            actions: 'buffer message',
          },
          'message.received': {
            actions: 'buffer incoming message',
          },
          'disconnect': {
            target: 'idle',
          },
        },
      },
      connected: {
        entry: ['flush handshake buffer', 'flush buffer'],
        invoke: [
          {
            src: 'listen',
            id: 'listenForMessages',
            input: listenInputFromContext({
              exclude: [MSG_RESPONSE, MSG_HEARTBEAT],
            }),
          },
          {
            src: 'listen',
            id: 'listenForHeartbeats',
            input: listenInputFromContext({
              include: MSG_HEARTBEAT,
              responseType: 'heartbeat.received',
            }),
          },
          {
            src: 'listen',
            id: 'listenForDisconnect',
            input: listenInputFromContext({
              include: MSG_DISCONNECT,
              count: 1,
              responseType: 'disconnect',
            }),
          },
        ],
        on: {
          'request': {
            actions: 'create request',
          },
          'post': {
            actions: 'post',
          },
          'disconnect': {
            target: 'idle',
          },
          'message.received': {
            actions: ['send response', 'emit received message'],
          },
          'heartbeat.received': {
            actions: ['send response', 'emit heartbeat'],
          },
        },
      },
    },
  })
  return nodeMachine
}

export const nodeMachine = createNodeMachine<Message, Message>()
