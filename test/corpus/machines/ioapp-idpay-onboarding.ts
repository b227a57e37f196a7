// Source: https://github.com/pagopa/io-app/blob/e869b6887ca01ef928bf9f9a8bdfd4f3c9f4a8a9/ts/features/idpay/onboarding/machine/machine.ts
// Commit: e869b6887ca01ef928bf9f9a8bdfd4f3c9f4a8a9
// License: MIT (pagopa/io-app)
// Changes: inlined Context/InitialContext (context.ts @292f01c3) and IdPayOnboardingEvents (events.ts @55a74130,
//   same folder); stubbed fp-ts (a minimal Option with some/none/map/getOrElse/fromEither/fold and `pipe`), the
//   generated idpay DTO types (field names the machine reads kept: `beneficiaryRule.automatedCriteria`,
//   `general.familyUnitComposition`, `criteria.accepted`), IdPayTags (../../common/machine/tags),
//   InitiativeFailureType (../../configuration/types/failure), OnboardingFailure/OnboardingFailureEnum (io-ts codec:
//   `decode` returns an Either) and the three selectors the guards call (./selectors, written here as `_type` filters
//   over `beneficiaryRule.selfDeclarationCriteria`). The `onError` key inside EnableMessage's `on` (an event named
//   "onError") is in the original. Machine verbatim.
import { and, assertEvent, assign, fromPromise, setup } from "xstate";

// --- stubs for app / library imports ---
// eslint-disable-next-line @typescript-eslint/no-namespace
namespace O {
  export type None = { readonly _tag: "None" };
  export type Some<A> = { readonly _tag: "Some"; readonly value: A };
  export type Option<A> = None | Some<A>;
  export const none: Option<never> = { _tag: "None" };
  export const some = <A>(value: A): Option<A> => ({ _tag: "Some", value });
  export const map =
    <A, B>(f: (a: A) => B) =>
    (fa: Option<A>): Option<B> =>
      fa._tag === "Some" ? some(f(fa.value)) : none;
  export const getOrElse =
    <A>(onNone: () => A) =>
    (fa: Option<A>): A =>
      fa._tag === "Some" ? fa.value : onNone();
  export const fold =
    <A, B>(onNone: () => B, onSome: (a: A) => B) =>
    (fa: Option<A>): B =>
      fa._tag === "Some" ? onSome(fa.value) : onNone();
  export const fromEither = <E, A>(fa: Either<E, A>): Option<A> =>
    fa._tag === "Right" ? some(fa.right) : none;
}
type Either<E, A> =
  | { readonly _tag: "Left"; readonly left: E }
  | { readonly _tag: "Right"; readonly right: A };
function pipe<A>(a: A): A;
function pipe<A, B>(a: A, ab: (a: A) => B): B;
function pipe<A, B, C>(a: A, ab: (a: A) => B, bc: (b: B) => C): C;
function pipe(a: unknown, ...fns: Array<(x: unknown) => unknown>): unknown {
  return fns.reduce((acc, f) => f(acc), a);
}
enum OnboardingStatusEnum {
  ACCEPTED_TC = "ACCEPTED_TC",
  ON_EVALUATION = "ON_EVALUATION",
  ONBOARDING_OK = "ONBOARDING_OK",
  ONBOARDING_KO = "ONBOARDING_KO",
  ELIGIBLE_KO = "ELIGIBLE_KO",
  UNSUBSCRIBED = "UNSUBSCRIBED",
  SUSPENDED = "SUSPENDED"
}
type InitiativeDataDTO = { initiativeId: string; initiativeName?: string };
type SelfDeclarationBoolDTO = { _type: "boolean"; code: string; value: boolean; description: string };
type SelfDeclarationMultiDTO = { _type: "multi"; code: string; description: string; value: Array<string> };
type SelfDeclarationDTO = SelfDeclarationBoolDTO | SelfDeclarationMultiDTO;
type SelfConsentMultiDTO = { _type: "multi"; code: string; value: string };
type SelfDeclarationTextDTO = { _type: "text"; code: string; value: string };
type SelfDeclarationTextInputDTO = { _type: "text"; code: string; description: string; value: string };
type OnboardingInitiativeDTO = {
  beneficiaryRule?: {
    automatedCriteria?: Array<{ code: string; description: string; authority: string }>;
    selfDeclarationCriteria?: Array<SelfDeclarationDTO | SelfDeclarationTextInputDTO>;
  };
  general?: { familyUnitComposition?: string };
};
enum IdPayTags {
  Loading = "Loading",
  DisableButtons = "DisableButtons"
}
enum OnboardingFailureEnum {
  GENERIC = "GENERIC",
  ONBOARDING_TOO_MANY_REQUESTS = "ONBOARDING_TOO_MANY_REQUESTS"
}
enum InitiativeFailureType {
  GENERIC = "GENERIC",
  SESSION_EXPIRED = "SESSION_EXPIRED"
}
type OnboardingFailure = string;
const OnboardingFailure = {
  decode: (u: unknown): Either<Array<unknown>, OnboardingFailure> =>
    typeof u === "string" ? { _tag: "Right", right: u } : { _tag: "Left", left: [u] }
};
// context.ts
type Context = {
  readonly serviceId: string;
  readonly initiative: O.Option<InitiativeDataDTO>;
  readonly onboardingStatus: O.Option<OnboardingStatusEnum>;
  readonly requiredCriteria: O.Option<OnboardingInitiativeDTO>;
  readonly selfDeclarationsMultiPage: number;
  readonly selfDeclarationsMultiAnswers: Record<number, SelfConsentMultiDTO>;
  readonly selfDeclarationsBoolAnswers: Record<string, boolean>;
  readonly failure: O.Option<OnboardingFailure>;
  readonly activeTextConsentPage: number;
  readonly selfDeclarationsTextAnswers: Record<string, SelfDeclarationTextDTO>;
  readonly isPushNotificationsEnabled: boolean;
  readonly hasInbox: boolean;
  readonly currentStep: number;
};
const InitialContext: Context = {
  serviceId: "",
  initiative: O.none,
  onboardingStatus: O.none,
  requiredCriteria: O.none,
  selfDeclarationsMultiPage: 0,
  selfDeclarationsMultiAnswers: {},
  selfDeclarationsBoolAnswers: {},
  failure: O.none,
  activeTextConsentPage: 0,
  selfDeclarationsTextAnswers: {},
  isPushNotificationsEnabled: false,
  hasInbox: false,
  currentStep: 0
};
// events.ts
type SelfConsentBoolDTO = { _type: "boolean"; code: string; accepted: boolean };
type SelfConsentMultiTypeDTO = { _type: "multi_consent"; code: string; value: string };
type SelfConsentTextDTO = { _type: "text"; code: string; value: string };
type StartOnboarding = {
  readonly type: "start-onboarding";
  readonly serviceId: string;
  readonly hasInbox: boolean;
};

type ToggleBoolCriteria = {
  readonly type: "toggle-bool-criteria";
  readonly criteria: SelfConsentBoolDTO;
};

type SelectMultiConsent = {
  readonly type: "select-multi-consent";
  readonly data: SelfConsentMultiDTO | SelfConsentMultiTypeDTO;
};

type InputTextCriteria = {
  readonly type: "input-text-criteria";
  readonly criteria: SelfConsentTextDTO;
};

type Next = {
  readonly type: "next";
};

type Back = {
  readonly type: "back";
};

type Close = {
  readonly type: "close";
};

type UpdatePushNotificationSetting = {
  readonly type: "update-notification-status";
  readonly isPushNotificationEnabled: boolean;
};

type CheckDetails = {
  readonly type: "check-details";
};

type RetryConnectionEvent = {
  readonly type: "retryConnection";
};

type IdPayOnboardingEvents =
  | StartOnboarding
  | SelectMultiConsent
  | ToggleBoolCriteria
  | InputTextCriteria
  | Next
  | Back
  | Close
  | UpdatePushNotificationSetting
  | CheckDetails
  | RetryConnectionEvent;
// selectors.ts (the io-ts `.is` refinements are the `_type` checks)
const filterCriteria = <T>(
  criteria: O.Option<OnboardingInitiativeDTO>,
  is: (u: SelfDeclarationDTO | SelfDeclarationTextInputDTO) => boolean
) =>
  pipe(
    criteria,
    O.fold(
      () => [],
      some => (some.beneficiaryRule?.selfDeclarationCriteria ?? []).filter(is)
    )
  ) as Array<T>;
const getMultiSelfDeclarationListFromContext = (context: Context) =>
  filterCriteria<SelfDeclarationMultiDTO>(context.requiredCriteria, u => u._type === "multi");
const getBooleanSelfDeclarationListFromContext = (context: Context) =>
  filterCriteria<SelfDeclarationBoolDTO>(context.requiredCriteria, u => u._type === "boolean");
const getInputFormSelfDeclarationFromContext = (context: Context) =>
  filterCriteria<SelfDeclarationTextInputDTO>(context.requiredCriteria, u => u._type === "text");
// --- end stubs ---

const notImplementedStub = () => {
  throw new Error("Not implemented");
};

export const idPayOnboardingMachine = setup({
  types: {
    context: {} as Context,
    events: {} as IdPayOnboardingEvents
  },
  actions: {
    navigateToInitiativeDetailsScreen: notImplementedStub,
    navigateToPdndCriteriaScreen: notImplementedStub,
    navigateToBoolSelfDeclarationListScreen: notImplementedStub,
    navigateToMultiSelfDeclarationListScreen: notImplementedStub,
    navigateToCompletionScreen: notImplementedStub,
    navigateToFailureScreen: notImplementedStub,
    navigateToFailureToRetryScreen: notImplementedStub,
    navigateToInitiativeMonitoringScreen: notImplementedStub,
    closeOnboarding: notImplementedStub,
    closeOnboardingSuccess: notImplementedStub,
    handleSessionExpired: notImplementedStub,
    navigateToInputFormScreen: notImplementedStub,
    navigateToEnableNotificationScreen: notImplementedStub,
    navigateToEnableMessageScreen: notImplementedStub,
    navigateToLoadingScreen: notImplementedStub
  },
  actors: {
    getInitiativeInfo: fromPromise<InitiativeDataDTO, string>(
      notImplementedStub
    ),
    getOnboardingStatus: fromPromise<
      O.Option<OnboardingStatusEnum>,
      O.Option<string>
    >(notImplementedStub),
    getRequiredCriteria: fromPromise<
      O.Option<OnboardingInitiativeDTO>,
      O.Option<string>
    >(notImplementedStub),
    acceptRequiredCriteria: fromPromise<undefined, Context>(notImplementedStub)
  },
  guards: {
    assertServiceId: ({ event }) => {
      assertEvent(event, "start-onboarding");
      return event.serviceId.length > 0;
    },
    hasPdndCriteria: ({ context }) =>
      pipe(
        context.requiredCriteria,
        O.map(
          ({ beneficiaryRule, general }) =>
            (beneficiaryRule?.automatedCriteria?.length || 0) > 0 ||
            // since familyUnitComposition can also display Family Unit criteria if it's ANPR
            general?.familyUnitComposition !== undefined
        ),
        O.getOrElse(() => false)
      ),
    hasSelfDecalrationList: ({ context }) =>
      pipe(
        context.requiredCriteria,
        O.map(
          ({ beneficiaryRule }) =>
            (beneficiaryRule?.selfDeclarationCriteria?.length || 0) > 0
        ),
        O.getOrElse(() => false)
      ),
    hasBooleanSelfDeclarationList: ({ context }) =>
      getBooleanSelfDeclarationListFromContext(context).length > 0,
    hasMultiSelfDeclarationList: ({ context }) =>
      getMultiSelfDeclarationListFromContext(context).length > 0,
    hasInputFormDeclaration: ({ context }) =>
      getInputFormSelfDeclarationFromContext(context).length > 0,
    isFirstMultiConsentPage: ({ context }) =>
      context.selfDeclarationsMultiPage === 0,
    isLastMultiConsent: ({ context }) =>
      context.selfDeclarationsMultiPage >=
      getMultiSelfDeclarationListFromContext(context).length - 1,
    isFirstMultiTextConsent: ({ context }) =>
      context.activeTextConsentPage === 0,
    isLastTextConsent: ({ context }) =>
      context.activeTextConsentPage >=
      getInputFormSelfDeclarationFromContext(context).length - 1,
    isSessionExpired: ({ event }: { event: IdPayOnboardingEvents }) =>
      "error" in event && event.error === InitiativeFailureType.SESSION_EXPIRED,
    isTooManyRequests: ({ event }: { event: IdPayOnboardingEvents }) =>
      "error" in event &&
      event.error === OnboardingFailureEnum.ONBOARDING_TOO_MANY_REQUESTS,

    shouldShowEnableNotificationOnClose: ({ context }) =>
      !context.isPushNotificationsEnabled,
    hasMessageConsent: ({ context }) => !context.hasInbox
  }
}).createMachine({
  id: "idpay-onboarding",
  context: InitialContext,
  initial: "Idle",
  on: {
    close: {
      actions: "closeOnboarding"
    }
  },
  states: {
    Idle: {
      tags: [IdPayTags.Loading],
      on: {
        "start-onboarding": {
          guard: "assertServiceId",
          actions: assign(({ event }) => ({
            serviceId: event.serviceId,
            hasInbox: event.hasInbox,
            currentStep: 1
          })),
          target: "LoadingInitiative"
        }
      }
    },
    LoadingInitiative: {
      tags: [IdPayTags.Loading],
      entry: "navigateToInitiativeDetailsScreen",
      initial: "LoadingInitiativeInfo",
      states: {
        LoadingInitiativeInfo: {
          invoke: {
            src: "getInitiativeInfo",
            input: ({ context }) => context.serviceId,
            onDone: {
              actions: assign(({ event }) => ({
                initiative: O.some(event.output)
              })),
              target: "LoadingOnboardingStatus"
            },
            onError: [
              {
                guard: "isSessionExpired",
                target: "#idpay-onboarding.SessionExpired"
              },
              {
                actions: assign(({ event }) => ({
                  failure: pipe(
                    OnboardingFailure.decode(event.error),
                    O.fromEither
                  )
                })),
                target: "#idpay-onboarding.OnboardingFailure"
              }
            ]
          }
        },

        LoadingOnboardingStatus: {
          type: "final",
          invoke: {
            src: "getOnboardingStatus",
            input: ({ context }) => selectInitiativeId(context),
            onDone: {
              actions: assign(({ event }) => ({
                onboardingStatus: event.output
              }))
            },
            onError: {
              actions: assign(({ event }) => ({
                failure: pipe(
                  OnboardingFailure.decode(event.error),
                  O.fromEither
                )
              })),
              target: "#idpay-onboarding.OnboardingFailure"
            }
          }
        }
      },

      onDone: {
        target: "DisplayingInitiativeInfo"
      }
    },

    DisplayingInitiativeInfo: {
      entry: "navigateToInitiativeDetailsScreen",
      actions: assign(() => ({
        currentStep: 1
      })),
      on: {
        next: [
          {
            guard: "hasMessageConsent",
            target: "EnableMessage"
          },
          {
            target: "LoadingCriteria"
          }
        ]
      }
    },

    EnableMessage: {
      entry: "navigateToEnableMessageScreen",
      on: {
        next: {
          target: "LoadingCriteria"
        },
        onError: [
          {
            guard: "isTooManyRequests",
            target: "TooManyRequests"
          },
          {
            guard: "isSessionExpired",
            target: "SessionExpired"
          },
          {
            actions: assign(({ event }) => ({
              failure: pipe(OnboardingFailure.decode(event.error), O.fromEither)
            })),
            target: "OnboardingFailure"
          }
        ]
      }
    },

    LoadingCriteria: {
      tags: [IdPayTags.Loading],
      invoke: {
        id: "getRequiredCriteria",
        src: "getRequiredCriteria",
        input: ({ context }) => selectInitiativeId(context),
        onDone: {
          actions: assign(({ event }) => ({
            requiredCriteria: event.output
          })),
          target: "EvaluatingRequiredCriteria"
        },
        onError: [
          {
            guard: "isTooManyRequests",
            target: "TooManyRequests"
          },
          {
            guard: "isSessionExpired",
            target: "SessionExpired"
          },
          {
            actions: assign(({ event }) => ({
              failure: pipe(OnboardingFailure.decode(event.error), O.fromEither)
            })),
            target: "OnboardingFailure"
          }
        ]
      }
    },

    EvaluatingRequiredCriteria: {
      always: [
        {
          guard: "hasPdndCriteria",
          target: "DisplayingPdndCriteria"
        },
        {
          guard: "hasSelfDecalrationList",
          target: "DisplayingSelfDeclarationList"
        },
        {
          target: "OnboardingCompleted"
        }
      ]
    },

    DisplayingPdndCriteria: {
      entry: "navigateToPdndCriteriaScreen",
      on: {
        next: [
          {
            actions: assign(({ context }) => ({
              currentStep: context.currentStep + 1
            })),
            guard: "hasSelfDecalrationList",
            target: "DisplayingSelfDeclarationList"
          },
          {
            actions: assign(({ context }) => ({
              currentStep: context.currentStep + 1
            })),
            target: "AcceptingCriteria"
          }
        ],
        back: {
          target: "#idpay-onboarding.DisplayingInitiativeInfo"
        }
      }
    },

    DisplayingSelfDeclarationList: {
      initial: "Evaluating",
      states: {
        Evaluating: {
          tags: [IdPayTags.Loading],
          always: [
            {
              guard: "hasBooleanSelfDeclarationList",
              target: "DisplayingBooleanSelfDeclarationList"
            },
            {
              guard: "hasMultiSelfDeclarationList",
              target: "DisplayingMultiSelfDeclarationList"
            },
            {
              guard: "hasInputFormDeclaration",
              target: "DisplayingInputForm"
            }
          ]
        },

        DisplayingBooleanSelfDeclarationList: {
          entry: "navigateToBoolSelfDeclarationListScreen",
          on: {
            back: [
              {
                actions: assign(({ context }) => ({
                  currentStep: context.currentStep - 1
                })),
                guard: "hasPdndCriteria",
                target: "#idpay-onboarding.DisplayingPdndCriteria"
              },
              {
                actions: assign(({ context }) => ({
                  currentStep: context.currentStep - 1
                })),
                target: "#idpay-onboarding.DisplayingInitiativeInfo"
              }
            ],
            "toggle-bool-criteria": {
              actions: assign(({ context, event }) => ({
                selfDeclarationsBoolAnswers: {
                  ...context.selfDeclarationsBoolAnswers,
                  [event.criteria.code]: event.criteria.accepted
                }
              }))
            },
            next: [
              {
                guard: "hasMultiSelfDeclarationList",
                target: "DisplayingMultiSelfDeclarationList",
                actions: assign(({ context }) => ({
                  currentStep: context.currentStep + 1
                }))
              },
              {
                guard: "hasInputFormDeclaration",
                target: "DisplayingInputForm"
              },
              {
                target: "#idpay-onboarding.AcceptingCriteria"
              }
            ]
          }
        },

        DisplayingMultiSelfDeclarationList: {
          initial: "DisplayingMultiSelfDeclarationItem",
          states: {
            DisplayingMultiSelfDeclarationItem: {
              entry: "navigateToMultiSelfDeclarationListScreen",
              on: {
                "select-multi-consent": {
                  actions: assign(({ context, event }) => ({
                    currentStep:
                      context.currentStep +
                      // should only increment if there are text input forms after
                      (getInputFormSelfDeclarationFromContext(context)
                        .length === 0
                        ? 0
                        : 1),
                    selfDeclarationsMultiAnswers: {
                      ...context.selfDeclarationsMultiAnswers,
                      [context.selfDeclarationsMultiPage]: event.data
                    }
                  })),
                  target: "EvaluatingMultiSelfDeclarationList"
                },
                back: [
                  {
                    guard: and([
                      "isFirstMultiConsentPage",
                      "hasBooleanSelfDeclarationList"
                    ]),
                    target:
                      "#idpay-onboarding.DisplayingSelfDeclarationList.DisplayingBooleanSelfDeclarationList",
                    actions: assign(({ context }) => ({
                      selfDeclarationsMultiPage: Math.max(
                        0,
                        +context.selfDeclarationsMultiPage - 1
                      ),
                      currentStep: context.currentStep - 1
                    }))
                  },
                  {
                    guard: and(["isFirstMultiConsentPage", "hasPdndCriteria"]),
                    target: "#idpay-onboarding.DisplayingPdndCriteria",
                    actions: assign(({ context }) => ({
                      selfDeclarationsMultiPage: Math.max(
                        0,
                        +context.selfDeclarationsMultiPage - 1
                      ),
                      currentStep: context.currentStep - 1
                    }))
                  },
                  {
                    guard: "isFirstMultiConsentPage",
                    target: "#idpay-onboarding.DisplayingInitiativeInfo",
                    actions: assign(({ context }) => ({
                      selfDeclarationsMultiPage: Math.max(
                        0,
                        +context.selfDeclarationsMultiPage - 1
                      ),
                      currentStep: context.currentStep - 1
                    }))
                  },
                  {
                    actions: assign(({ context }) => ({
                      selfDeclarationsMultiPage: Math.max(
                        0,
                        +context.selfDeclarationsMultiPage - 1
                      ),
                      currentStep: context.currentStep - 1
                    }))
                  }
                ]
              }
            },
            EvaluatingMultiSelfDeclarationList: {
              always: [
                {
                  guard: "hasInputFormDeclaration",
                  target:
                    "#idpay-onboarding.DisplayingSelfDeclarationList.DisplayingInputForm"
                },
                {
                  guard: "isLastMultiConsent",
                  target: "#idpay-onboarding.AcceptingCriteria"
                },
                {
                  actions: assign(({ context }) => ({
                    selfDeclarationsMultiPage:
                      +context.selfDeclarationsMultiPage + 1,
                    currentStep: context.currentStep + 1
                  })),
                  target: "DisplayingMultiSelfDeclarationItem"
                }
              ]
            }
          }
        },

        DisplayingInputForm: {
          initial: "DisplayingInputFormScreen",
          states: {
            DisplayingInputFormScreen: {
              entry: "navigateToInputFormScreen",
              on: {
                "input-text-criteria": {
                  actions: assign(({ context, event }) => ({
                    selfDeclarationsTextAnswers: {
                      ...context.selfDeclarationsTextAnswers,
                      [context.activeTextConsentPage]: event.criteria
                    },
                    currentStep: context.currentStep + 1
                  })),
                  target: "EvaluatingInputForm"
                },
                back: [
                  {
                    guard: and([
                      "isFirstMultiTextConsent",
                      "hasMultiSelfDeclarationList"
                    ]),
                    target:
                      "#idpay-onboarding.DisplayingSelfDeclarationList.DisplayingMultiSelfDeclarationList"
                  },
                  {
                    guard: and([
                      "isFirstMultiTextConsent",
                      "hasBooleanSelfDeclarationList"
                    ]),
                    target:
                      "#idpay-onboarding.DisplayingSelfDeclarationList.DisplayingBooleanSelfDeclarationList"
                  },
                  {
                    guard: and(["isFirstMultiConsentPage", "hasPdndCriteria"]),
                    target: "#idpay-onboarding.DisplayingPdndCriteria"
                  },
                  {
                    guard: "isFirstMultiTextConsent",
                    target: "#idpay-onboarding.DisplayingInitiativeInfo"
                  },
                  {
                    actions: assign(({ context }) => ({
                      activeTextConsentPage: +context.activeTextConsentPage - 1,
                      currentStep: context.currentStep - 1
                    }))
                  }
                ]
              }
            },
            EvaluatingInputForm: {
              always: [
                {
                  guard: "isLastTextConsent",
                  target: "#idpay-onboarding.AcceptingCriteria"
                },
                {
                  actions: assign(({ context }) => ({
                    activeTextConsentPage: +context.activeTextConsentPage + 1
                  })),
                  target: "DisplayingInputFormScreen"
                }
              ]
            }
          }
        }
      }
    },

    AcceptingCriteria: {
      entry: "navigateToLoadingScreen",
      tags: [IdPayTags.Loading],
      invoke: {
        src: "acceptRequiredCriteria",
        input: ({ context }) => context,
        onDone: {
          target: "OnboardingCompleted"
        },
        onError: [
          {
            guard: "isSessionExpired",
            target: "SessionExpired"
          },
          {
            actions: assign(({ event }) => ({
              failure: pipe(OnboardingFailure.decode(event.error), O.fromEither)
            })),
            target: "OnboardingFailure"
          }
        ]
      }
    },

    EnableNotification: {
      entry: "navigateToEnableNotificationScreen",
      on: {
        "update-notification-status": {
          actions: assign(({ event }) => ({
            isPushNotificationsEnabled: event.isPushNotificationEnabled
          }))
        },
        back: {
          actions: "closeOnboarding",
          target: "Idle"
        },
        close: {
          actions: "closeOnboardingSuccess",
          target: "Idle"
        }
      }
    },

    OnboardingCompleted: {
      entry: "navigateToCompletionScreen",
      on: {
        "update-notification-status": {
          actions: assign(({ event }) => ({
            isPushNotificationsEnabled: event.isPushNotificationEnabled
          }))
        },
        close: [
          {
            target: "EnableNotification",
            guard: "shouldShowEnableNotificationOnClose"
          },
          {
            actions: "closeOnboardingSuccess"
          }
        ]
      }
    },

    TooManyRequests: {
      entry: "navigateToFailureToRetryScreen",
      on: {
        retryConnection: {
          target: "LoadingCriteria"
        },
        back: {
          actions: "closeOnboarding",
          target: "Idle"
        }
      }
    },

    OnboardingFailure: {
      entry: "navigateToFailureScreen",
      on: {
        "check-details": {
          actions: "navigateToInitiativeMonitoringScreen"
        }
      }
    },

    SessionExpired: {
      entry: ["handleSessionExpired"],
      always: { target: "LoadingInitiative" }
    }
  }
});

const selectInitiativeId = (context: Context) =>
  pipe(
    context.initiative,
    O.map(initiative => initiative.initiativeId)
  );

export type IdPayOnboardingMachine = typeof idPayOnboardingMachine;
