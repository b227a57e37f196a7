// Source: https://github.com/sanity-io/sanity/blob/0ecb69612a9ca613440a148e3f2e8282cc7cd2b3/packages/sanity/src/presentation/machines/preview-url.ts
// Commit: 0ecb69612a9ca613440a148e3f2e8282cc7cd2b3
// License: MIT (sanity-io/sanity, LICENSE at repository root)
// Changes: inlined the @sanity/preview-url-secret constants (schemaIdSingleton/schemaType/schemaTypeSingleton),
//   SanityDocument, DocumentValuePermission/PermissionCheckResult ('sanity'), PreviewUrlPreviewMode (../types) and
//   ResolvePreviewModeUrlInput; stubbed @sanity/uuid and rxjs `throwError` (a subscribable that errors at once);
//   resolveUrlFromPreviewSearchParamActor (../actors) copied as a local fromPromise. xstate-layout comment
//   dropped. Machine verbatim (its own not-implemented actor defaults kept).
import {type ActorRefFrom, assign, fromObservable, fromPromise, log, setup} from 'xstate'

// --- stubs for app imports ---
const schemaIdSingleton = 'sanity-preview-url-secret.share-access'
const schemaType = 'sanity.previewUrlSecret'
const schemaTypeSingleton = 'sanity.previewUrlShareAccess'
type SanityDocument = {_id: string; _type: string; _createdAt: string; _updatedAt: string; _rev: string; [key: string]: unknown}
type DocumentValuePermission = 'read' | 'create' | 'update' | 'history' | 'editHistory'
type PermissionCheckResult = {granted: boolean; reason: string}
interface PreviewUrlPreviewMode {
  enable: string
  shareAccess?: boolean
  check?: string
  disable?: string
}
interface ResolvePreviewModeUrlInput {
  previewUrlSecret: string
  resolvedPreviewMode: PreviewUrlPreviewMode
  initialUrl: URL
}
const uuid = (): string => Math.random().toString(36).slice(2)
const throwError = (factory: () => unknown) => ({
  subscribe: (observer: {error?: (err: unknown) => void}) => {
    observer.error?.(factory())
    return {unsubscribe: () => {}}
  },
})
const resolveUrlFromPreviewSearchParamActor = fromPromise<
  URL,
  {initialUrl: URL; previewSearchParam: string | null | undefined; allowOrigins: URLPattern[]}
>(async ({input}) => {
  const {previewSearchParam, initialUrl, allowOrigins} = input
  if (!previewSearchParam) {
    return initialUrl
  }
  try {
    const previewSearchParamUrl = new URL(previewSearchParam, initialUrl.origin)
    if (!allowOrigins.some((pattern) => pattern.test(previewSearchParamUrl.origin))) {
      return initialUrl
    }
    return previewSearchParamUrl
  } catch (err) {
    return initialUrl
  }
})
// --- end stubs ---

interface Context {
  initialUrl: URL | null
  previewUrl: URL | null
  allowOrigins: URLPattern[] | null
  error: Error | null
  previewSearchParam: string | null
  previewUrlSecret: {secret: string; expiresAt: Date} | null
  previewAccessSharingCreatePermission: PermissionCheckResult | null
  previewAccessSharingReadPermission: PermissionCheckResult | null
  previewAccessSharingUpdatePermission: PermissionCheckResult | null
  previewUrlSecretPermission: PermissionCheckResult | null
  previewMode: PreviewUrlPreviewMode | null
}

type SetPreviewSearchParamEvent = {
  type: 'set preview search param'
  previewSearchParam: string | null
}
type Event = SetPreviewSearchParamEvent

type Input = Omit<SetPreviewSearchParamEvent, 'type'>

export interface CheckPermissionInput {
  checkPermissionName: DocumentValuePermission
  document: Partial<SanityDocument> | null
}

/**
 * Used for permissions checks
 */
export const shareAccessSingletonDocument = {_id: schemaIdSingleton, _type: schemaTypeSingleton}
export const previewUrlSecretDocument = {
  _id: `drafts.${uuid()}`,
  _type: schemaType,
}

export const previewUrlMachine = setup({
  types: {} as {
    context: Context
    events: Event
    input: Input
    tags: 'busy' | 'error'
  },
  actions: {
    'notify preview will likely fail': log(
      `Missing permissions to create preview secret, or read shared preview secret. Preview will likely fail loading.`,
    ),
    'assign preview search param': assign({
      previewSearchParam: (_, params: {previewSearchParam: string | null}) =>
        params.previewSearchParam,
    }),
    'assign error': assign({
      error: (_, params: {message: string; error: unknown}) => {
        return params.error instanceof Error
          ? params.error
          : new Error(params.message, {cause: params.error})
      },
    }),
  },
  actors: {
    'check permission': fromObservable<PermissionCheckResult, CheckPermissionInput>(() =>
      throwError(
        () =>
          new Error(
            `The 'check permission' actor is not implemented. Add it to previewUrlMachine.provide({actors: {'check permission': fromObservable(({input}: {input: CheckPermissionInput}) => ...)}})`,
          ),
      ),
    ),
    'resolve initial url': fromPromise<URL, {previewSearchParam: string | null}>(() =>
      Promise.reject(
        new Error(
          `The 'resolve initial url' actor is not implemented. Add it to previewUrlMachine.provide({actors: {'resolve initial url': fromPromise(...)}})`,
        ),
      ),
    ),
    'resolve allow patterns': fromPromise<URLPattern[], {initialUrl: URL}>(() =>
      Promise.reject(
        new Error(
          `The 'resolve allow patterns' actor is not implemented. Add it to previewUrlMachine.provide({actors: {'resolve allow pattern': fromPromise(...)}})`,
        ),
      ),
    ),
    'resolve url from preview search param': resolveUrlFromPreviewSearchParamActor,
    'resolve preview mode': fromPromise<PreviewUrlPreviewMode | false, {targetOrigin: string}>(() =>
      Promise.reject(
        new Error(
          `The 'resolve preview mode' actor is not implemented. Add it to previewUrlMachine.provide({actors: {'resolve preview mode': fromPromise(...)}})`,
        ),
      ),
    ),
    'create preview secret': fromPromise<{
      secret: string
      expiresAt: Date
    }>(async () =>
      Promise.reject(
        new Error(
          `The 'create preview secret' actor is not implemented. Add it to previewUrlMachine.provide({actors: {'create preview secret': fromPromise(...)}})`,
        ),
      ),
    ),
    'read shared preview secret': fromPromise<string | null>(async () =>
      Promise.reject(
        new Error(
          `The 'read shared preview secret' actor is not implemented. Add it to previewUrlMachine.provide({actors: {'read shared preview secret': fromPromise(...)}})`,
        ),
      ),
    ),
    'resolve preview mode url': fromPromise<URL, ResolvePreviewModeUrlInput>(() =>
      Promise.reject(
        new Error(
          `The 'resolve preview mode url' actor is not implemented. Add it to previewUrlMachine.provide({actors: {'resolve preview mode url': fromPromise(...)}})`,
        ),
      ),
    ),
  },
  guards: {
    'has checked permissions': ({context}) => {
      return Boolean(
        context.previewAccessSharingCreatePermission &&
        context.previewAccessSharingReadPermission &&
        context.previewAccessSharingUpdatePermission &&
        context.previewUrlSecretPermission,
      )
    },
    'search param has new origin': ({context, event}) => {
      if (!context.previewUrl || !event.previewSearchParam) {
        return false
      }
      try {
        const previewSearchParamUrl = new URL(event.previewSearchParam, context.previewUrl)
        return context.previewUrl.origin !== previewSearchParamUrl.origin
      } catch {
        return false
      }
    },
    'can create preview secret': ({context}) => {
      return context.previewUrlSecretPermission?.granted === true
    },

    'has preview mode with created secret': ({context}, params: PreviewUrlPreviewMode | false) => {
      if (params === false) {
        return false
      }
      return context.previewUrlSecretPermission?.granted === true
    },
    'has preview mode with share access': ({context}, params: PreviewUrlPreviewMode | false) => {
      if (params === false) {
        return false
      }
      return context.previewAccessSharingReadPermission?.granted === true
    },
    'has preview mode without permissions': ({context}, params: PreviewUrlPreviewMode | false) => {
      if (params === false) {
        return false
      }
      return (
        context.previewAccessSharingReadPermission?.granted === false &&
        context.previewUrlSecretPermission?.granted === false
      )
    },
  },
  delays: {
    expiredSecret: ({context}) => {
      if (!context.previewUrlSecret?.expiresAt) {
        return 0
      }
      const now = Date.now()
      const expiresAt = context.previewUrlSecret.expiresAt.getTime()
      return Math.max(expiresAt - now, 0)
    },
  },
}).createMachine({
  // eslint-disable-next-line tsdoc/syntax
  id: 'Preview URL',
  context: ({input}) => ({
    initialUrl: null,
    previewUrl: null,
    error: null,
    allowOrigins: null,
    previewSearchParam: input.previewSearchParam,
    previewUrlSecret: null,
    previewAccessSharingCreatePermission: null,
    previewAccessSharingReadPermission: null,
    previewAccessSharingUpdatePermission: null,
    previewUrlSecretPermission: null,
    previewMode: null,
  }),

  invoke: [
    {
      src: 'check permission',
      input: () => ({checkPermissionName: 'read', document: shareAccessSingletonDocument}),
      onError: {
        target: '.error',
        actions: {
          type: 'assign error',
          params: ({event}) => ({
            message: 'Failed to check permission',
            error: event.error,
          }),
        },
      },
      onSnapshot: {
        actions: assign({
          previewAccessSharingReadPermission: ({event}) => event.snapshot.context ?? null,
        }),
      },
    },
    {
      src: 'check permission',
      input: () => ({checkPermissionName: 'create', document: shareAccessSingletonDocument}),
      onError: {
        target: '.error',
        actions: {
          type: 'assign error',
          params: ({event}) => ({
            message: 'Failed to check permission',
            error: event.error,
          }),
        },
      },
      onSnapshot: {
        actions: assign({
          previewAccessSharingCreatePermission: ({event}) => event.snapshot.context ?? null,
        }),
      },
    },
    {
      src: 'check permission',
      input: () => ({checkPermissionName: 'update', document: shareAccessSingletonDocument}),
      onError: {
        target: '.error',
        actions: {
          type: 'assign error',
          params: ({event}) => ({
            message: 'Failed to check permission',
            error: event.error,
          }),
        },
      },
      onSnapshot: {
        actions: assign({
          previewAccessSharingUpdatePermission: ({event}) => event.snapshot.context ?? null,
        }),
      },
    },
    {
      src: 'check permission',
      input: () => ({checkPermissionName: 'create', document: previewUrlSecretDocument}),
      onError: {
        target: '.error',
        actions: {
          type: 'assign error',
          params: ({event}) => ({
            message: 'Failed to check permission',
            error: event.error,
          }),
        },
      },
      onSnapshot: {
        actions: assign({
          previewUrlSecretPermission: ({event}) => event.snapshot.context ?? null,
        }),
      },
    },
  ],

  on: {
    'set preview search param': {
      actions: {
        type: 'assign preview search param',
        params: ({event}) => ({previewSearchParam: event.previewSearchParam}),
      },
    },
  },

  states: {
    checkingPermissions: {
      always: {
        guard: 'has checked permissions',
        target: 'resolvingInitialUrl',
      },
      tags: 'busy',
    },

    resolvingInitialUrl: {
      invoke: {
        src: 'resolve initial url',
        input: ({context}) => ({previewSearchParam: context.previewSearchParam}),
        onError: {
          target: 'error',
          actions: {
            type: 'assign error',
            params: ({event}) => ({
              message: 'Failed to resolve initial url',
              error: event.error,
            }),
          },
        },
        onDone: {
          target: 'resolvingAllowPatterns',
          actions: assign({initialUrl: ({event}) => event.output}),
        },
      },

      tags: 'busy',
    },

    error: {
      type: 'final',
      tags: 'error',
    },

    resolvingAllowPatterns: {
      invoke: {
        src: 'resolve allow patterns',
        input: ({context}) => ({initialUrl: context.initialUrl!}),
        onError: {
          target: 'error',
          actions: {
            type: 'assign error',
            params: ({event}) => ({
              message: 'Failed to resolve preview url allow patterns',
              error: event.error,
            }),
          },
        },
        onDone: {
          target: 'resolvingUrlFromPreviewSearchParam',
          actions: assign({allowOrigins: ({event}) => event.output}),
        },
      },
      tags: ['busy'],
    },

    resolvingUrlFromPreviewSearchParam: {
      id: 'loop',
      invoke: {
        src: 'resolve url from preview search param',
        input: ({context}) => ({
          initialUrl: context.initialUrl!,
          allowOrigins: context.allowOrigins!,
          previewSearchParam: context.previewSearchParam,
        }),
        onError: {
          target: 'error',
          actions: {
            type: 'assign error',
            params: ({event}) => ({
              message: 'Failed to resolve preview url from search param',
              error: event.error,
            }),
          },
        },
        onDone: {
          target: 'resolvingPreviewMode',
          actions: assign({initialUrl: ({event}) => event.output}),
        },
      },
      tags: ['busy'],
    },

    resolvingPreviewMode: {
      on: {
        'set preview search param': {
          guard: 'search param has new origin',
          actions: {
            type: 'assign preview search param',
            params: ({event}) => ({previewSearchParam: event.previewSearchParam}),
          },
          target: '#loop',
          reenter: true,
        },
      },
      invoke: {
        src: 'resolve preview mode',
        input: ({context}) => ({targetOrigin: context.initialUrl!.origin}),
        onError: {
          target: 'error',
          actions: {
            type: 'assign error',
            params: ({event}) => ({
              message: 'Failed to resolve preview url allow patterns',
              error: event.error,
            }),
          },
        },
        onDone: [
          {
            guard: {
              type: 'has preview mode with created secret',
              params: ({event}) => event.output,
            },
            actions: assign({
              previewMode: ({event}) => event.output as unknown as PreviewUrlPreviewMode,
            }),
            target: 'previewMode.createPreviewSecret',
          },
          {
            guard: {
              type: 'has preview mode with share access',
              params: ({event}) => event.output,
            },
            actions: assign({
              previewMode: ({event}) => event.output as unknown as PreviewUrlPreviewMode,
            }),
            target: 'previewMode.readShareAccess',
          },
          {
            guard: {
              type: 'has preview mode without permissions',
              params: ({event}) => event.output,
            },
            actions: [
              assign({
                previewUrl: ({context}) => context.initialUrl,
              }),
              'notify preview will likely fail',
            ],
            target: 'success',
          },
          {
            actions: assign({
              previewUrl: ({context}) => context.initialUrl,
            }),
            target: 'success',
          },
        ],
      },
      tags: ['busy'],
    },

    success: {
      on: {
        'set preview search param': {
          guard: 'search param has new origin',
          actions: {
            type: 'assign preview search param',
            params: ({event}) => ({previewSearchParam: event.previewSearchParam}),
          },
          target: '#loop',
          reenter: true,
        },
      },
    },

    previewMode: {
      on: {
        'set preview search param': {
          guard: 'search param has new origin',
          actions: {
            type: 'assign preview search param',
            params: ({event}) => ({previewSearchParam: event.previewSearchParam}),
          },
          target: '#loop',
          reenter: true,
        },
      },

      states: {
        createPreviewSecret: {
          invoke: {
            src: 'create preview secret',
            onError: {
              target: 'error',
              actions: {
                type: 'assign error',
                params: ({event}) => ({
                  message: 'Failed to create preview secret',
                  error: event.error,
                }),
              },
            },
            onDone: {
              target: 'resolvePreviewUrl',
              actions: assign({previewUrlSecret: ({event}) => event.output}),
            },
          },
          tags: ['busy'],
        },
        readShareAccess: {
          invoke: {
            src: 'read shared preview secret',
            onError: {
              target: 'error',
              actions: {
                type: 'assign error',
                params: ({event}) => ({
                  message: 'Failed to read shared preview secret',
                  error: event.error,
                }),
              },
            },
            onDone: {
              target: 'resolvePreviewUrl',
              actions: assign({
                previewUrlSecret: ({event}) => ({
                  secret: event.output!,
                  expiresAt: new Date(Date.now() + 1000 * 60 * 60 * 60 * 24),
                }),
              }),
            },
          },
          tags: ['busy'],
        },
        resolvePreviewUrl: {
          invoke: {
            src: 'resolve preview mode url',
            input: ({context}) => ({
              initialUrl: context.initialUrl!,
              resolvedPreviewMode: context.previewMode!,
              previewUrlSecret: context.previewUrlSecret!.secret,
            }),
            onError: {
              target: 'error',
              actions: {
                type: 'assign error',
                params: ({event}) => ({
                  message: 'Failed to resolve preview url',
                  error: event.error,
                }),
              },
            },
            onDone: {
              target: 'success',
              actions: assign({previewUrl: ({event}) => event.output}),
            },
          },
          tags: ['busy'],
        },
        error: {
          type: 'final',
          tags: ['error'],
        },
        success: {
          after: {
            expiredSecret: {
              guard: 'can create preview secret',
              actions: assign({previewUrlSecret: null}),
              target: 'createPreviewSecret',
              reenter: true,
            },
          },
        },
      },
      initial: 'readShareAccess',
    },
  },

  initial: 'checkingPermissions',
})
export type PreviewUrlRef = ActorRefFrom<typeof previewUrlMachine>
