// Source: https://github.com/clerk/javascript/blob/344d59c4be746f0e423cc33ca1bb2e9b80500b9b/packages/elements/src/internals/machines/sign-up/machines/verification.machine.ts
// Commit: 344d59c4be746f0e423cc33ca1bb2e9b80500b9b
// License: MIT (clerk/javascript, packages/elements/package.json "license")
// Changes: stubbed Poller (@clerk/shared: runs the callback once), the @clerk/types used (SignUpResource with
//   status / unverifiedFields / verifications, LoadedClerk with client.signUp, buildAfterSignUpUrl and
//   __unstable__environment.userSettings.attributes, Attribute / SignUpVerifiableField / VerificationStrategy
//   literal unions, Prepare/AttemptVerificationParams), type-fest Writable, SIGN_UP_DEFAULT_BASE_PATH,
//   ClerkElementsError / ClerkElementsRuntimeError, assertActorEventError, WithClerk / WithParams, and a small
//   stand-in FormMachine (context.fields Map). The SignUpVerification* types are inlined from
//   sign-up/types/verification.types.ts, with context/input fields matching this commit's machine
//   (clerk, resource, formRef, routerRef / clerk, form, router). Machine verbatim.
import { and, assign, enqueueActions, fromCallback, fromPromise, raise, sendParent, sendTo, setup } from 'xstate';
import type { ActorRefFrom, AnyActorRef, DoneActorEvent, ErrorActorEvent } from 'xstate';
// --- stubs for app imports ---
type Attribute = 'email_address' | 'phone_number' | 'username' | 'web3_wallet' | 'first_name' | 'last_name' | 'password';
type SignUpVerifiableField = 'email_address' | 'phone_number' | 'web3_wallet';
type VerificationStrategy = 'email_code' | 'email_link' | 'phone_code' | 'web3_metamask_signature';
type VerificationStatus = 'unverified' | 'verified' | 'transferable' | 'failed' | 'expired';
type PrepareVerificationParams = { strategy: 'email_link'; redirectUrl: string } | { strategy: 'email_code' } | { strategy: 'phone_code' };
type AttemptVerificationParams = { strategy: 'email_code' | 'phone_code'; code: string };
interface SignUpVerificationsResource {
  emailAddress: { status: VerificationStatus | null };
  phoneNumber: { status: VerificationStatus | null };
  web3Wallet: { status: VerificationStatus | null };
  externalAccount: { status: VerificationStatus | null };
}
interface SignUpResource {
  status: 'missing_requirements' | 'complete' | 'abandoned' | null;
  unverifiedFields: SignUpVerifiableField[];
  verifications: SignUpVerificationsResource;
  prepareVerification: (params: PrepareVerificationParams) => Promise<SignUpResource>;
  attemptVerification: (params: AttemptVerificationParams) => Promise<SignUpResource>;
  reload: () => Promise<SignUpResource>;
}
interface LoadedClerk {
  client: { signUp: SignUpResource };
  buildAfterSignUpUrl: () => string;
  __unstable__environment?: {
    userSettings: { attributes: Record<Attribute, { enabled: boolean; verifications: VerificationStrategy[] }> };
  };
}
type Writable<T> = { -readonly [K in keyof T]: T[K] };
const Poller = () => {
  let stopped = false;
  return {
    run: async (cb: () => Promise<unknown>) => {
      if (!stopped) await cb();
    },
    stop: () => {
      stopped = true;
    },
  };
};
const SIGN_UP_DEFAULT_BASE_PATH = '/sign-up';
class ClerkElementsError extends Error {
  constructor(readonly code: string, message: string) {
    super(message);
    this.name = 'ClerkElementsError';
  }
}
class ClerkElementsRuntimeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ClerkElementsRuntimeError';
  }
}
function assertActorEventError<T extends { type: string }>(event: T | ErrorActorEvent): asserts event is ErrorActorEvent {
  if (!event.type.startsWith('xstate.error.actor')) {
    throw new Error(`Expected an error event, got "${event.type}"`);
  }
}
type WithClerk<T = Record<string, unknown>> = { clerk: LoadedClerk } & T;
type WithParams<T> = { params: T };
const FormMachine = setup({
  types: {
    context: {} as { fields: Map<string, { name?: string; value?: string | readonly string[] | number }> },
    events: {} as { type: 'ERRORS.SET'; error: any },
  },
}).createMachine({ id: 'Form', context: () => ({ fields: new Map() }) });

type SignUpVerificationTags =
  | 'state:preparing'
  | 'state:pending'
  | 'state:attempting'
  | 'state:loading'
  | 'verification:category:code'
  | 'verification:category:link'
  | 'verification:method:email'
  | 'verification:method:phone'
  | 'verification:email_link'
  | 'verification:email_code'
  | 'verification:phone_code';
type SignUpVerificationEvents =
  | DoneActorEvent
  | ErrorActorEvent
  | { type: 'SUBMIT' }
  | { type: 'NEXT'; resource?: SignUpResource }
  | { type: 'EMAIL_LINK.VERIFIED'; resource: SignUpResource }
  | { type: 'EMAIL_LINK.UNVERIFIED'; resource: SignUpResource }
  | { type: 'EMAIL_LINK.EXPIRED'; resource: SignUpResource }
  | { type: 'EMAIL_LINK.RESTART' }
  | { type: 'EMAIL_LINK.FAILED'; resource: SignUpResource; error: Error };
type SignUpVerificationInput = {
  basePath?: string;
  clerk: LoadedClerk;
  form: ActorRefFrom<typeof FormMachine>;
  router?: AnyActorRef;
};
interface SignUpVerificationContext {
  basePath: string;
  clerk: LoadedClerk;
  resource: SignUpResource;
  error?: Error;
  formRef: ActorRefFrom<typeof FormMachine>;
  routerRef?: AnyActorRef;
}
interface SignUpVerificationSchema {
  context: SignUpVerificationContext;
  input: SignUpVerificationInput;
  events: SignUpVerificationEvents;
  tags: SignUpVerificationTags;
}
// --- end stubs ---

export type SignUpVerificationsResourceKey = keyof SignUpVerificationsResource;
export type TSignUpVerificationMachine = typeof SignUpVerificationMachine;

export type StartSignUpEmailLinkFlowEvents = { type: 'STOP' };
export type StartSignUpEmailLinkFlowInput = WithClerk;

export const SignUpVerificationMachineId = 'SignUpVerification';

const shouldVerify = (field: SignUpVerifiableField, strategy?: VerificationStrategy) => {
  const guards: Writable<Parameters<typeof and<SignUpVerificationContext, SignUpVerificationEvents, any>>[0]> = [
    {
      type: 'isFieldUnverified',
      params: {
        field,
      },
    },
  ];

  if (strategy) {
    guards.push({
      type: 'isStrategyEnabled',
      params: {
        attribute: field,
        strategy,
      },
    });
  }

  return and(guards);
};

export type PrepareVerificationInput = WithClerk<WithParams<PrepareVerificationParams>>;
export type AttemptVerificationInput = WithClerk<WithParams<AttemptVerificationParams>>;

export const SignUpVerificationMachine = setup({
  actors: {
    prepare: fromPromise<SignUpResource, PrepareVerificationInput>(({ input: { clerk, params } }) =>
      clerk.client.signUp.prepareVerification(params),
    ),
    attempt: fromPromise<SignUpResource, AttemptVerificationInput>(({ input: { clerk, params } }) =>
      clerk.client.signUp.attemptVerification(params),
    ),
    attemptEmailLinkVerification: fromCallback<StartSignUpEmailLinkFlowEvents, StartSignUpEmailLinkFlowInput>(
      ({ receive, sendBack, input: { clerk } }) => {
        const { run, stop } = Poller();

        void run(async () =>
          clerk.client.signUp
            .reload()
            .then(resource => {
              const signInStatus = resource.status;
              const verificationStatus = resource.verifications.emailAddress.status;

              // Short-circuit if the sign-up resource is already complete
              if (signInStatus === 'complete') {
                return sendBack({ type: `EMAIL_LINK.VERIFIED`, resource });
              }

              switch (verificationStatus) {
                case 'verified':
                case 'transferable':
                case 'expired': {
                  sendBack({ type: `EMAIL_LINK.${verificationStatus.toUpperCase()}`, resource });
                  break;
                }
                case 'failed': {
                  sendBack({
                    type: `EMAIL_LINK.FAILED`,
                    error: new ClerkElementsError('email-link-verification-failed', 'Email verification failed'),
                    resource,
                  });
                  break;
                }
                case 'unverified':
                default:
                  return;
              }

              stop();
            })
            .catch(error => {
              stop();
              new ClerkElementsRuntimeError(error);
            }),
        );

        receive(event => {
          if (event.type === 'STOP') {
            stop();
          }
        });

        return () => stop();
      },
    ),
  },
  actions: {
    setFormErrors: sendTo(
      ({ context }) => context.formRef,
      ({ event }) => {
        assertActorEventError(event);
        return {
          type: 'ERRORS.SET',
          error: event.error,
        };
      },
    ),
  },
  guards: {
    isComplete: ({ context }) => context.resource.status === 'complete',
    isFieldUnverified: ({ context, event }, { field }: { field: SignUpVerifiableField }) => {
      let resource = context.resource;

      if (event?.type === 'NEXT' && event.resource) {
        resource = event.resource;
      }

      return resource.unverifiedFields.includes(field);
    },
    isStrategyEnabled: (
      { context },
      { attribute, strategy }: { attribute: Attribute; strategy: VerificationStrategy },
    ) =>
      Boolean(
        context.clerk.__unstable__environment?.userSettings.attributes[attribute].verifications.includes(strategy),
      ),
    shouldVerifyPhoneCode: shouldVerify('phone_number'),
    shouldVerifyEmailLink: shouldVerify('email_address', 'email_link'),
    shouldVerifyEmailCode: shouldVerify('email_address', 'email_code'),
  },
  types: {} as SignUpVerificationSchema,
}).createMachine({
  id: SignUpVerificationMachineId,
  initial: 'Init',
  context: ({ input }) => ({
    basePath: input.basePath || SIGN_UP_DEFAULT_BASE_PATH,
    clerk: input.clerk,
    resource: input.clerk.client.signUp,
    formRef: input.form,
    routerRef: input.router,
  }),
  on: {
    NEXT: [
      {
        guard: 'isComplete',
        actions: sendParent(({ event }) => ({ type: 'NEXT', resource: event.resource })),
      },
      {
        description: 'Validate via phone number',
        guard: 'shouldVerifyPhoneCode',
        target: '.PhoneCode',
      },
      {
        description: 'Validate via email link',
        guard: 'shouldVerifyEmailLink',
        target: '.EmailLink',
      },
      {
        description: 'Verify via email code',
        guard: 'shouldVerifyEmailCode',
        target: '.EmailCode',
      },
      {
        actions: sendParent(({ event }) => ({ type: 'NEXT', resource: event.resource })),
      },
    ],
  },
  states: {
    Init: {
      always: [
        {
          description: 'Validate via phone number',
          guard: 'shouldVerifyPhoneCode',
          target: 'PhoneCode',
        },
        {
          description: 'Validate via email link',
          guard: 'shouldVerifyEmailLink',
          target: 'EmailLink',
        },
        {
          description: 'Verify via email code',
          guard: 'shouldVerifyEmailCode',
          target: 'EmailCode',
        },
        {
          actions: sendParent(({ context }) => ({ type: 'NEXT', resource: context.resource })),
        },
      ],
    },
    EmailLink: {
      tags: ['verification:method:email', 'verification:category:link', 'verification:email_link'],
      initial: 'Preparing',
      on: {
        'EMAIL_LINK.RESTART': {
          target: '.Attempting',
          reenter: true,
        },
        'EMAIL_LINK.FAILED': {
          actions: [
            { type: 'setFormErrors', params: ({ event }) => ({ error: event.error }) },
            assign({ resource: ({ event }) => event.resource }),
          ],
          target: '.Pending',
        },
        'EMAIL_LINK.*': {
          actions: enqueueActions(({ enqueue, event }) => {
            if (event.type === 'EMAIL_LINK.RESTART') return;

            enqueue.assign({ resource: event.resource });
            enqueue.raise({ type: 'NEXT', resource: event.resource });
          }),
        },
      },
      states: {
        Preparing: {
          tags: ['state:preparing', 'state:loading'],
          invoke: {
            id: 'prepareEmailLinkVerification',
            src: 'prepare',
            input: ({ context }) => ({
              clerk: context.clerk,
              params: {
                strategy: 'email_link',
                redirectUrl: context.clerk.buildAfterSignUpUrl(),
              },
            }),
            onDone: {
              target: 'Attempting',
              actions: assign({ resource: ({ event }) => event.output }),
            },
            onError: {
              actions: 'setFormErrors',
              target: 'Pending',
            },
          },
        },
        Pending: {
          description: 'Placeholder for allowing resending of email link',
          tags: ['state:pending'],
          on: {
            NEXT: {
              target: 'Preparing',
              reenter: true,
            },
          },
        },
        Attempting: {
          tags: ['state:attempting'],
          invoke: {
            id: 'attemptEmailLinkVerification',
            src: 'attemptEmailLinkVerification',
            input: ({ context }) => ({
              clerk: context.clerk,
            }),
          },
          after: {
            // TODO: Use named delays
            300_000: {
              description: 'Timeout after 5 minutes',
              target: 'Pending',
              actions: sendTo(({ context }) => context.formRef, {
                type: 'ERRORS.SET',
                error: new ClerkElementsError('verify-email-link-timeout', 'Email link verification timed out'),
              }),
            },
          },
        },
      },
    },
    EmailCode: {
      tags: ['verification:method:email', 'verification:category:code', 'verification:email_code'],
      initial: 'Preparing',
      states: {
        Preparing: {
          tags: ['state:preparing', 'state:loading'],
          invoke: {
            id: 'prepareEmailAddressCodeVerification',
            src: 'prepare',
            input: ({ context }) => ({
              clerk: context.clerk,
              params: {
                strategy: 'email_code',
              },
            }),
            onDone: [
              {
                guard: 'shouldVerifyEmailCode',
                target: 'Pending',
              },
              {
                actions: [
                  assign({ resource: ({ event }) => event.output }),
                  raise(({ event }) => ({ type: 'NEXT', resource: event.output })),
                ],
              },
            ],
          },
        },
        Pending: {
          tags: ['state:pending'],
          on: {
            SUBMIT: {
              target: 'Attempting',
              reenter: true,
            },
          },
        },
        Attempting: {
          tags: ['state:attempting', 'state:loading'],
          invoke: {
            id: 'attemptEmailAddressCodeVerification',
            src: 'attempt',
            input: ({ context }) => ({
              clerk: context.clerk,
              params: {
                strategy: 'email_code',
                code: (context.formRef.getSnapshot().context.fields.get('code')?.value as string) || '',
              },
            }),
            onDone: {
              actions: raise(({ event }) => ({ type: 'NEXT', resource: event.output })),
            },
            onError: {
              actions: 'setFormErrors',
              target: 'Pending',
            },
          },
        },
      },
    },
    PhoneCode: {
      tags: ['verification:method:phone', 'verification:category:code', 'verification:phone_code'],
      initial: 'Preparing',
      states: {
        Preparing: {
          tags: ['state:preparing', 'state:loading'],
          invoke: {
            id: 'preparePhoneCodeVerification',
            src: 'prepare',
            input: ({ context }) => ({
              clerk: context.clerk,
              params: {
                strategy: 'phone_code',
              },
            }),
            onDone: [
              {
                guard: 'shouldVerifyPhoneCode',
                target: 'Pending',
                actions: assign({ resource: ({ event }) => event.output }),
              },
              {
                actions: [
                  assign({ resource: ({ event }) => event.output }),
                  raise(({ event }) => ({ type: 'NEXT', resource: event.output })),
                ],
              },
            ],
            onError: {
              actions: 'setFormErrors',
              target: 'Pending',
            },
          },
        },
        Pending: {
          tags: ['state:pending'],
          on: {
            SUBMIT: {
              target: 'Attempting',
              reenter: true,
            },
          },
        },
        Attempting: {
          tags: ['state:attempting', 'state:loading'],
          invoke: {
            id: 'attemptPhoneNumberVerification',
            src: 'attempt',
            input: ({ context }) => ({
              clerk: context.clerk,
              params: {
                strategy: 'phone_code',
                code: (context.formRef.getSnapshot().context.fields.get('code')?.value as string) || '',
              },
            }),
            onDone: {
              actions: raise(({ event }) => ({ type: 'NEXT', resource: event.output })),
            },
            onError: {
              actions: 'setFormErrors',
              target: 'Pending',
            },
          },
        },
      },
    },
  },
});
