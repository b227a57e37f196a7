// Source: https://github.com/pagopa/io-app/blob/8f35ddacad2be27d8ec221a82d24a25964e15e93/ts/features/idpay/unsubscription/machine/machine.ts
// Commit: 8f35ddacad2be27d8ec221a82d24a25964e15e93
// License: MIT (pagopa/io-app)
// Changes: inlined Context, Events and Input (context.ts/events.ts/input.ts @1bb52498, same folder) as local namespaces;
//   stubbed InitiativeDTO/InitiativeRewardTypeEnum (generated API definitions) and LOADING_TAG/WAITING_USER_INPUT_TAG/
//   notImplementedStub (ts/xstate/utils). Machine verbatim.
import { assertEvent, assign, fromPromise, setup } from "xstate";

// --- inlined / stubbed app modules ---
enum InitiativeRewardTypeEnum {
  REFUND = "REFUND",
  DISCOUNT = "DISCOUNT"
}
type InitiativeDTO = {
  initiativeId: string;
  initiativeName?: string;
  initiativeRewardType?: InitiativeRewardTypeEnum;
  status: "ACTIVE" | "SUSPENDED" | "UNSUBSCRIBED";
};
const LOADING_TAG = "LOADING";
const WAITING_USER_INPUT_TAG = "WAITING_USER_INPUT";
const notImplementedStub = () => {
  throw new Error("Not implemented");
};
// eslint-disable-next-line @typescript-eslint/no-namespace
namespace Context {
  export interface Context {
    readonly initiativeId: string;
    readonly initiativeName: string | undefined;
    readonly initiativeType: InitiativeRewardTypeEnum | undefined;
  }
  export const Context: Context = {
    initiativeId: "",
    initiativeName: undefined,
    initiativeType: undefined
  };
}
// eslint-disable-next-line @typescript-eslint/no-namespace
namespace Input {
  export interface Input {
    readonly initiativeId: string;
    readonly initiativeName: string | undefined;
    readonly initiativeType: InitiativeRewardTypeEnum | undefined;
  }
  export const Input = (input: Input): Promise<Context.Context> =>
    Promise.resolve({ ...input });
}
// eslint-disable-next-line @typescript-eslint/no-namespace
namespace Events {
  export interface AutoInit {
    readonly type: "xstate.init";
    readonly input: Input.Input;
  }
  export interface Exit {
    readonly type: "exit";
  }
  export interface ConfirmUnsubscription {
    readonly type: "confirm-unsubscription";
  }
  export type Events = AutoInit | Exit | ConfirmUnsubscription;
}
// --- end stubs ---

export const idPayUnsubscriptionMachine = setup({
  types: {
    input: {} as Input.Input,
    context: {} as Context.Context,
    events: {} as Events.Events
  },
  actions: {
    navigateToConfirmationScreen: notImplementedStub,
    navigateToResultScreen: notImplementedStub,
    exitToWallet: notImplementedStub,
    exitUnsubscription: notImplementedStub,
    handleSessionExpired: notImplementedStub
  },
  actors: {
    onInit: fromPromise<Context.Context, Input.Input>(({ input }) =>
      Input.Input(input)
    ),
    getInitiativeInfo: fromPromise<InitiativeDTO, string>(notImplementedStub),
    unsubscribeFromInitiative: fromPromise<undefined, string>(
      notImplementedStub
    )
  },
  guards: {
    hasMissingInitiativeData: ({ context }) =>
      context.initiativeName === undefined ||
      context.initiativeType === undefined,
    isSessionExpired: () => false
  }
}).createMachine({
  id: "idpay-unsubscription",
  context: Context.Context,
  entry: "navigateToConfirmationScreen",
  invoke: {
    src: "onInit",
    input: ({ event }) => {
      assertEvent(event, "xstate.init");
      return event.input;
    },
    onError: {
      target: ".UnsubscriptionFailure"
    },
    onDone: {
      actions: assign(event => ({ ...event.event.output })),
      target: ".Idle"
    }
  },
  initial: "Idle",
  states: {
    Idle: {
      tags: [LOADING_TAG],
      always: [
        {
          guard: "hasMissingInitiativeData",
          target: "LoadingInitiativeInfo"
        },
        {
          target: "WaitingConfirmation"
        }
      ]
    },
    LoadingInitiativeInfo: {
      tags: [LOADING_TAG],
      invoke: {
        input: ({ context }) => context.initiativeId,
        src: "getInitiativeInfo",
        onError: [
          {
            guard: "isSessionExpired",
            target: "SessionExpired"
          },
          {
            target: "UnsubscriptionFailure"
          }
        ],
        onDone: {
          actions: assign(({ event }) => ({
            initiativeId: event.output.initiativeId,
            initiativeName: event.output.initiativeName,
            initiativeType: event.output.initiativeRewardType
          })),
          target: "WaitingConfirmation"
        }
      }
    },
    WaitingConfirmation: {
      tags: [WAITING_USER_INPUT_TAG],
      on: {
        "confirm-unsubscription": {
          target: "Unsubscribing"
        },
        exit: {
          actions: "exitUnsubscription"
        }
      }
    },
    Unsubscribing: {
      tags: [LOADING_TAG],
      invoke: {
        input: ({ context }) => context.initiativeId,
        src: "unsubscribeFromInitiative",
        onError: [
          {
            guard: "isSessionExpired",
            target: "SessionExpired"
          },
          {
            target: "UnsubscriptionFailure"
          }
        ],
        onDone: {
          target: "UnsubscriptionSuccess"
        }
      }
    },
    UnsubscriptionSuccess: {
      entry: "navigateToResultScreen",
      on: {
        exit: {
          actions: "exitToWallet"
        }
      }
    },
    UnsubscriptionFailure: {
      entry: "navigateToResultScreen",
      on: {
        exit: {
          actions: "exitUnsubscription"
        }
      }
    },
    SessionExpired: {
      entry: ["handleSessionExpired", "exitUnsubscription"]
    }
  }
});

export type IdPayUnsubscriptionMachine = typeof idPayUnsubscriptionMachine;
