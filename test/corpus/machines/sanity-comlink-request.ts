// Source: https://github.com/sanity-io/visual-editing/blob/0771ec5ad337576676d997abbd403b95f2885a0c/packages/comlink/src/request.ts
// Commit: 0771ec5ad337576676d997abbd403b95f2885a0c
// License: MIT (sanity-io/visual-editing, packages/comlink/package.json "license")
// Changes: stubbed rxjs (`fromEvent`/`filter`/`take`, a never-emitting stand-in) and uuid; inlined MSG_RESPONSE /
//   RESPONSE_TIMEOUT (./constants) and the Message/ProtocolMessage types (./types); dropped the commented-out
//   `delayedRequestMachine`. The factory is kept and a concrete machine is additionally exported as
//   `requestMachine` (`createRequestMachine<Message>()`). Machine verbatim.
import {type ActorRefFrom, assign, fromEventObservable, sendParent, setup} from 'xstate'

// --- stubs for app / library imports ---
const uuid = (): string => Math.random().toString(36).slice(2)
const MSG_RESPONSE = 'comlink/response'
const RESPONSE_TIMEOUT = 3000
type MessageType = string
type MessageData = Record<string, unknown> | undefined
interface Message {
  type: MessageType
  data?: MessageData
  response?: MessageData
}
interface ProtocolMessage<T extends Message = Message> {
  id: string
  channelId?: string
  connectionId?: string
  data?: T['data']
  domain: string
  from: string
  responseTo?: string
  to: string
  type: T['type']
}
interface ResponseMessage {
  type: typeof MSG_RESPONSE
  data: MessageData
}
type Observer<T> = {next?: (value: T) => void}
type StubObservable<T> = {
  subscribe: (observer?: Observer<T>) => {unsubscribe: () => void}
  pipe: (...ops: unknown[]) => StubObservable<T>
}
const fromEvent = <T>(_target: unknown, _name: string): StubObservable<T> => {
  const obs: StubObservable<T> = {subscribe: () => ({unsubscribe: () => {}}), pipe: () => obs}
  return obs
}
const filter = <T>(_predicate: (value: T) => boolean) => _predicate
const take = (_count: number) => _count
declare const window: unknown
// --- end stubs ---

/**
 * @public
 */
export interface RequestMachineContext<S extends Message> {
  connectionId: string
  data: MessageData | undefined
  domain: string
  expectResponse: boolean
  from: string
  id: string
  resolvable: PromiseWithResolvers<S['response']> | undefined
  response: S['response'] | null
  responseTo: string | undefined
  sources: Set<MessageEventSource>
  targetOrigin: string
  to: string
  type: MessageType
}

/**
 * @public
 */
export type RequestActorRef<S extends Message> = ActorRefFrom<
  ReturnType<typeof createRequestMachine<S>>
>

/**
 * @public
 */
export const createRequestMachine = <
  S extends Message,
  // eslint-disable-next-line @typescript-eslint/explicit-module-boundary-types
>() => {
  return setup({
    types: {} as {
      context: RequestMachineContext<S>
      // @todo Should response types be specified?
      events: {type: 'message'; data: ProtocolMessage<ResponseMessage>}
      emitted:
        | {
            type: 'request.success'
            requestId: string
            response: MessageData | null
            responseTo: string | undefined
          }
        | {type: 'request.failed'; requestId: string}
      input: {
        connectionId: string
        data?: S['data']
        domain: string
        expectResponse?: boolean
        from: string
        responseTo?: string
        resolvable?: PromiseWithResolvers<S['response']>
        sources: Set<MessageEventSource> | MessageEventSource
        targetOrigin: string
        to: string
        type: S['type']
      }
    },
    actors: {
      listen: fromEventObservable(
        ({input}: {input: {requestId: string; sources: Set<MessageEventSource>}}) =>
          fromEvent<MessageEvent<ProtocolMessage<ResponseMessage>>>(window, 'message').pipe(
            filter(
              (event: MessageEvent<ProtocolMessage<ResponseMessage>>) =>
                event.data.type === MSG_RESPONSE &&
                event.data.responseTo === input.requestId &&
                !!event.source &&
                input.sources.has(event.source),
            ),
            take(input.sources.size),
          ),
      ),
    },
    actions: {
      'send message': ({context}, params: {message: ProtocolMessage}) => {
        const {sources, targetOrigin} = context
        const {message} = params

        sources.forEach((source) => {
          source.postMessage(message, {targetOrigin})
        })
      },
      'on success': sendParent(({context, self}) => {
        if (context.response) {
          context.resolvable?.resolve(context.response)
        }
        return {
          type: 'request.success',
          requestId: self.id,
          response: context.response,
          responseTo: context.responseTo,
        }
      }),
      'on fail': sendParent(({context, self}) => {
        // eslint-disable-next-line no-console
        console.warn(
          `Received no response to message '${context.type}' on client '${context.from}' (ID: '${context.id}').`,
        )
        context.resolvable?.reject(new Error('No response received'))
        return {type: 'request.failed', requestId: self.id}
      }),
    },
    guards: {
      expectsResponse: ({context}) => context.expectResponse,
    },
    delays: {
      initialTimeout: 0,
      responseTimeout: RESPONSE_TIMEOUT,
    },
  }).createMachine({
    context: ({input}) => {
      return {
        connectionId: input.connectionId,
        data: input.data,
        domain: input.domain,
        expectResponse: input.expectResponse ?? false,
        from: input.from,
        id: `msg-${uuid()}`,
        resolvable: input.resolvable,
        response: null,
        responseTo: input.responseTo,
        sources: input.sources instanceof Set ? input.sources : new Set([input.sources]),
        targetOrigin: input.targetOrigin,
        to: input.to,
        type: input.type,
      }
    },
    initial: 'idle',
    states: {
      idle: {
        after: {
          initialTimeout: 'sending',
        },
      },
      sending: {
        entry: {
          type: 'send message',
          params: ({context}) => {
            const {connectionId, data, domain, from, id, responseTo, to, type} = context
            const message = {
              connectionId,
              data,
              domain,
              from,
              id,
              to,
              type,
              responseTo,
            }
            return {message}
          },
        },
        always: [
          {
            guard: 'expectsResponse',
            target: 'awaiting',
          },
          'success',
        ],
      },
      awaiting: {
        invoke: {
          src: 'listen',
          input: ({context}) => ({
            requestId: context.id,
            sources: context.sources,
          }),
        },
        after: {
          responseTimeout: 'failed',
        },
        on: {
          message: {
            actions: assign({
              response: ({event}) => event.data.data,
              responseTo: ({event}) => event.data.responseTo,
            }),
            target: 'success',
          },
        },
      },
      failed: {
        type: 'final',
        entry: 'on fail',
      },
      success: {
        type: 'final',
        entry: 'on success',
      },
    },
    output: ({context, self}) => {
      const output = {
        requestId: self.id,
        response: context.response,
        responseTo: context.responseTo,
      }
      return output
    },
  })
}

export const requestMachine = createRequestMachine<Message>()
