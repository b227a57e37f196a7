// Source: https://github.com/sanity-io/visual-editing/blob/0969fda3c9ef2cbbe5cf8974d85828fe92e130e0/packages/comlink/src/connection.ts
// Commit: 0969fda3c9ef2cbbe5cf8974d85828fe92e130e0
// License: MIT (sanity-io/visual-editing, packages/comlink/package.json "license")
// Changes: stubbed uuid, the constants (./constants), the message types (./types), createListenLogic /
//   listenInputFromContext (./common; the listener is a never-emitting observable) and createRequestMachine
//   (./request, a one-state stand-in with the same input type; the real one is sanity-comlink-request.ts); dropped
//   the `createConnection` wrapper (createActor + @statelyai/inspect helpers), the `Connection` type and the
//   `@xstate-layout` comment. The factory is kept and a concrete machine is additionally exported as
//   `connectionMachine` (`createConnectionMachine<Message, Message>()`). Machine verbatim.
import {
  assertEvent,
  assign,
  emit,
  enqueueActions,
  fromCallback,
  fromEventObservable,
  raise,
  setup,
  stopChild,
  type ActorRefFrom,
  type EventObject,
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
export interface ConnectionInput {
  connectTo: string
  domain?: string
  heartbeat?: boolean
  name: string
  id?: string
  target?: MessageEventSource
  targetOrigin: string
}

const sendBackAtInterval = fromCallback<
  EventObject,
  {event: EventObject; immediate?: boolean; interval: number}
>(({sendBack, input}) => {
  const send = () => {
    sendBack(input.event)
  }

  if (input.immediate) {
    send()
  }

  const interval = setInterval(send, input.interval)

  return () => {
    clearInterval(interval)
  }
})

/**
 * @public
 */
export const createConnectionMachine = <
  S extends Message, // Sends
  R extends Message, // Receives
  V extends WithoutResponse<S> = WithoutResponse<S>,
  // eslint-disable-next-line @typescript-eslint/explicit-module-boundary-types
>() => {
  const connectionMachine = setup({
    types: {} as {
      children: {
        'listen for handshake': 'listen'
        'listen for messages': 'listen'
        'send heartbeat': 'sendBackAtInterval'
        'send syn': 'sendBackAtInterval'
      }
      context: {
        buffer: Array<V>
        channelId: string
        connectTo: string
        domain: string
        heartbeat: boolean
        id: string
        name: string
        requests: Array<RequestActorRef<S>>
        target: MessageEventSource | undefined
        targetOrigin: string
      }
      emitted:
        | BufferAddedEmitEvent<V>
        | BufferFlushedEmitEvent<V>
        | MessageEmitEvent<R>
        | ReceivedEmitEvent<R>
        | StatusEmitEvent
      events:
        | {type: 'connect'}
        | {type: 'disconnect'}
        | {type: 'message.received'; message: MessageEvent<ProtocolMessage<R>>}
        | {type: 'post'; data: V}
        | {type: 'response'; respondTo: string; data: Pick<S, 'response'>}
        | {type: 'request.aborted'; requestId: string}
        | {type: 'request.failed'; requestId: string}
        | {
            type: 'request.success'
            requestId: string
            response: S['response'] | null
            responseTo: string | undefined
          }
        | {type: 'request'; data: RequestData<S> | RequestData<S>[]}
        | {type: 'syn'}
        | {type: 'target.set'; target: MessageEventSource}
      input: ConnectionInput
    },
    actors: {
      requestMachine: createRequestMachine<S>(),
      listen: createListenLogic(),
      sendBackAtInterval,
    },
    actions: {
      'buffer message': enqueueActions(({enqueue}) => {
        enqueue.assign({
          buffer: ({event, context}) => {
            assertEvent(event, 'post')
            return [...context.buffer, event.data]
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
        requests: ({context, event, self, spawn}) => {
          assertEvent(event, 'request')
          const arr = Array.isArray(event.data) ? event.data : [event.data]
          const requests = arr.map((request) => {
            const id = `req-${uuid()}`
            return spawn('requestMachine', {
              id,
              input: {
                channelId: context.channelId,
                data: request.data,
                domain: context.domain,
                expectResponse: request.expectResponse,
                from: context.name,
                parentRef: self,
                responseTo: request.responseTo,
                sources: context.target!,
                targetOrigin: context.targetOrigin,
                to: context.connectTo,
                type: request.type,
              },
            })
          })
          return [...context.requests, ...requests]
        },
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
      'emit status': emit((_, params: {status: Status}) => {
        return {
          type: '_status',
          status: params.status,
        } satisfies StatusEmitEvent
      }),
      'flush buffer': enqueueActions(({enqueue}) => {
        enqueue.raise(({context}) => ({
          type: 'request',
          data: context.buffer.map(({data, type}) => ({data, type})),
        }))
        enqueue.emit(({context}) => {
          return {
            type: '_buffer.flushed',
            messages: context.buffer,
          } satisfies BufferFlushedEmitEvent<V>
        })
        enqueue.assign({
          buffer: [],
        })
      }),
      'post': raise(({event}) => {
        assertEvent(event, 'post')
        return {
          type: 'request' as const,
          data: {
            data: event.data.data,
            expectResponse: true,
            type: event.data.type,
          },
        }
      }),
      'remove request': enqueueActions(({context, enqueue, event}) => {
        assertEvent(event, ['request.success', 'request.failed', 'request.aborted'])
        stopChild(event.requestId)
        enqueue.assign({requests: context.requests.filter(({id}) => id !== event.requestId)})
      }),
      'respond': raise(({event}) => {
        assertEvent(event, 'response')
        return {
          type: 'request' as const,
          data: {
            data: event.data,
            type: MSG_RESPONSE,
            responseTo: event.respondTo,
          },
        }
      }),
      'send handshake ack': raise({
        type: 'request',
        data: {type: MSG_HANDSHAKE_ACK},
      }),
      'send disconnect': raise(() => {
        return {
          type: 'request' as const,
          data: {type: MSG_DISCONNECT},
        }
      }),
      'send handshake syn': raise({
        type: 'request',
        data: {type: MSG_HANDSHAKE_SYN},
      }),
      'set target': assign({
        target: ({event}) => {
          assertEvent(event, 'target.set')
          return event.target
        },
      }),
    },
    guards: {
      'has target': ({context}) => !!context.target,
      'should send heartbeats': ({context}) => context.heartbeat,
    },
  }).createMachine({
    id: 'connection',
    context: ({input}) => ({
      id: input.id || `${input.name}-${uuid()}`,
      buffer: [],
      channelId: `chn-${uuid()}`,
      connectTo: input.connectTo,
      domain: input.domain ?? DOMAIN,
      heartbeat: input.heartbeat ?? false,
      name: input.name,
      requests: [],
      target: input.target,
      targetOrigin: input.targetOrigin,
    }),
    on: {
      'target.set': {
        actions: 'set target',
      },
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
        entry: [{type: 'emit status', params: {status: 'idle'}}],
        on: {
          connect: {
            target: 'handshaking',
            guard: 'has target',
          },
          post: {
            actions: 'buffer message',
          },
        },
      },
      handshaking: {
        id: 'handshaking',
        entry: [{type: 'emit status', params: {status: 'handshaking'}}],
        invoke: [
          {
            id: 'send syn',
            src: 'sendBackAtInterval',
            input: () => ({
              event: {type: 'syn'},
              interval: HANDSHAKE_INTERVAL,
              immediate: true,
            }),
          },
          {
            id: 'listen for handshake',
            src: 'listen',
            input: (input) =>
              listenInputFromContext({
                include: MSG_HANDSHAKE_SYN_ACK,
                count: 1,
              })(input),
            /* Below would maybe be more readable than transitioning to
          'connected' on 'message', and 'ack' on exit but having onDone when
          using passing invocations currently breaks XState Editor */
            // onDone: {
            //   target: 'connected',
            //   actions: 'ack',
            // },
          },
        ],
        on: {
          'syn': {
            actions: 'send handshake syn',
          },
          'request': {
            actions: 'create request',
          },
          'post': {
            actions: 'buffer message',
          },
          'message.received': {
            target: 'connected',
          },
          'disconnect': {
            target: 'disconnected',
          },
        },
        exit: 'send handshake ack',
      },
      connected: {
        entry: ['flush buffer', {type: 'emit status', params: {status: 'connected'}}],
        invoke: {
          id: 'listen for messages',
          src: 'listen',
          input: listenInputFromContext({
            exclude: [MSG_RESPONSE, MSG_HEARTBEAT],
          }),
        },
        on: {
          'post': {
            actions: 'post',
          },
          'request': {
            actions: 'create request',
          },
          'response': {
            actions: 'respond',
          },
          'message.received': {
            actions: 'emit received message',
          },
          'disconnect': {
            target: 'disconnected',
          },
        },
        initial: 'heartbeat',
        states: {
          heartbeat: {
            initial: 'checking',
            states: {
              checking: {
                always: {
                  guard: 'should send heartbeats',
                  target: 'sending',
                },
              },
              sending: {
                on: {
                  'request.failed': {
                    target: '#handshaking',
                  },
                },
                invoke: {
                  id: 'send heartbeat',
                  src: 'sendBackAtInterval',
                  input: () => ({
                    event: {type: 'post', data: {type: MSG_HEARTBEAT, data: undefined}},
                    interval: 2000,
                    immediate: false,
                  }),
                },
              },
            },
          },
        },
      },
      disconnected: {
        id: 'disconnected',
        entry: ['send disconnect', {type: 'emit status', params: {status: 'disconnected'}}],
        on: {
          request: {
            actions: 'create request',
          },
          post: {
            actions: 'buffer message',
          },
          connect: {
            target: 'handshaking',
            guard: 'has target',
          },
        },
      },
    },
  })

  return connectionMachine
}

export const connectionMachine = createConnectionMachine<Message, Message>()
