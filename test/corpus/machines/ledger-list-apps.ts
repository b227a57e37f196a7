// Source: https://github.com/LedgerHQ/device-sdk-ts/blob/d338b028f77724d523daca00bc718a05b47bc195/packages/device-management-kit/src/api/device-action/os/ListApps/ListAppsDeviceAction.ts
// Commit: d338b028f77724d523daca00bc718a05b47bc195
// License: Apache-2.0 (LedgerHQ/device-sdk-ts, packages/device-management-kit/package.json "license")
// Changes: stubbed purify-ts Left/Right (tiny Either with caseOf), ListAppsCommand/AppResponse, isSuccessCommandResult,
//   UserInteractionRequired, DEFAULT_UNLOCK_TIMEOUT_MS, listAppsDAStateStep, the DA types, StateMachineTypes/
//   DeviceActionStateMachine and the XStateDeviceAction base class; GoToDashboardDeviceAction (invoked child machine)
//   is replaced by a small local child machine with the same output shape. makeStateMachine() body is verbatim
//   (xstate-layout comment dropped). Added export `listAppsMachine` = makeStateMachine() on a stub InternalApi.
import { assign, fromPromise, setup } from "xstate";

// --- stubs for app / third-party imports ---
type Either<L, R> = {
  caseOf: <T>(p: { Left: (l: L) => T; Right: (r: R) => T }) => T;
};
const Left = <L, R = never>(l: L): Either<L, R> => ({ caseOf: (p) => p.Left(l) });
const Right = <R, L = never>(r: R): Either<L, R> => ({ caseOf: (p) => p.Right(r) });
type DmkError = { readonly _tag: string; readonly message?: string; readonly originalError?: unknown };
type CommandResult<Data> =
  | { status: "SUCCESS"; data: Data }
  | { status: "ERROR"; error: DmkError };
const isSuccessCommandResult = <Data>(
  r: CommandResult<Data>,
): r is { status: "SUCCESS"; data: Data } => r.status === "SUCCESS";
type AppResponse = {
  readonly appEntryLength: number;
  readonly appSizeInBlocks: number;
  readonly appCodeHash: string;
  readonly appFullHash: string;
  readonly appName: string;
};
type ListAppsCommandResult = CommandResult<AppResponse[]>;
class ListAppsCommand {
  constructor(readonly args: { isContinue: boolean }) {}
}
enum UserInteractionRequired {
  None = "none",
  UnlockDevice = "unlock-device",
  AllowListApps = "allow-list-apps",
}
const DEFAULT_UNLOCK_TIMEOUT_MS = 5 * 60 * 1000;
enum listAppsDAStateStep {
  GO_TO_DASHBOARD = "dmk.listApps.steps.goToDashboard",
  LIST_APPS = "dmk.listApps.steps.listApps",
}
type ListAppsDAOutput = AppResponse[];
type ListAppsDAInput = { readonly unlockTimeout?: number };
type ListAppsDAError = DmkError;
type ListAppsDAIntermediateValue = {
  readonly requiredUserInteraction: UserInteractionRequired;
  readonly step: listAppsDAStateStep;
};
type InternalApi = { sendCommand: (command: unknown) => Promise<any> };
type StateMachineTypes<Output, Input, Error, IntermediateValue, InternalState> = {
  input: Input;
  context: {
    input: Input;
    intermediateValue: IntermediateValue;
    _internalState: InternalState;
  };
  output: Either<Error, Output>;
  error: Error;
};
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type DeviceActionStateMachine<_O, _I, _E, _IV, _IS> = any;
abstract class XStateDeviceAction<Output, Input, Error, IntermediateValue, InternalState> {
  readonly input: Input;
  constructor(args: { input: Input }) {
    this.input = args.input;
  }
  abstract makeStateMachine(
    internalApi: InternalApi,
  ): DeviceActionStateMachine<Output, Input, Error, IntermediateValue, InternalState>;
}
// Stand-in for GoToDashboardDeviceAction's machine (invoked as a child).
class GoToDashboardDeviceAction {
  constructor(readonly args: { input: { unlockTimeout: number } }) {}
  makeStateMachine(_internalApi: InternalApi) {
    return setup({
      types: {
        input: {} as { unlockTimeout: number },
        context: {} as { intermediateValue: ListAppsDAIntermediateValue },
        output: {} as Either<DmkError, void>,
      },
    }).createMachine({
      id: "GoToDashboardDeviceAction",
      context: {
        intermediateValue: {
          requiredUserInteraction: UserInteractionRequired.None,
          step: listAppsDAStateStep.GO_TO_DASHBOARD,
        },
      },
      initial: "Success",
      states: { Success: { type: "final" } },
      output: () => Right(undefined),
    });
  }
}
// --- end stubs ---

type ListAppsMachineInternalState = {
  readonly error: ListAppsDAError | null;
  readonly apps: AppResponse[];
  readonly shouldContinue: boolean;
};

export type MachineDependencies = {
  readonly listApps: ({
    input,
  }: {
    input: boolean;
  }) => Promise<ListAppsCommandResult>;
};

export type ExtractMachineDependencies = (
  internalApi: InternalApi,
) => MachineDependencies;

export class ListAppsDeviceAction extends XStateDeviceAction<
  ListAppsDAOutput,
  ListAppsDAInput,
  ListAppsDAError,
  ListAppsDAIntermediateValue,
  ListAppsMachineInternalState
> {
  makeStateMachine(
    internalApi: InternalApi,
  ): DeviceActionStateMachine<
    ListAppsDAOutput,
    ListAppsDAInput,
    ListAppsDAError,
    ListAppsDAIntermediateValue,
    ListAppsMachineInternalState
  > {
    type types = StateMachineTypes<
      ListAppsDAOutput,
      ListAppsDAInput,
      ListAppsDAError,
      ListAppsDAIntermediateValue,
      ListAppsMachineInternalState
    >;

    const { listApps } = this.extractDependencies(internalApi);

    const unlockTimeout = this.input.unlockTimeout ?? DEFAULT_UNLOCK_TIMEOUT_MS;

    const goToDashboardMachine = new GoToDashboardDeviceAction({
      input: {
        unlockTimeout,
      },
    }).makeStateMachine(internalApi);

    return setup({
      types: {
        input: {
          unlockTimeout,
        } as types["input"],
        context: {} as types["context"],
        output: {} as types["output"],
      },
      actors: {
        listApps: fromPromise<ListAppsCommandResult, boolean>(listApps),
        goToDashboard: goToDashboardMachine,
      },
      guards: {
        hasError: ({ context }: { context: types["context"] }) => {
          return context._internalState.error !== null;
        },
        hasMoreApps: (_) => _.context._internalState.shouldContinue,
      },
      actions: {
        assignAllowListApps: assign({
          intermediateValue: (_) =>
            ({
              requiredUserInteraction: UserInteractionRequired.AllowListApps,
              step: listAppsDAStateStep.LIST_APPS,
            }) satisfies types["context"]["intermediateValue"],
        }),
        assignErrorFromEvent: assign({
          _internalState: (_) => ({
            ..._.context._internalState,
            error: _.event["error"], // NOTE: it should never happen, the error is not typed anymore here
          }),
        }),
      },
    }).createMachine({
      id: "ListAppsDeviceAction",
      initial: "DeviceReady",
      context: (_) => {
        return {
          input: {
            unlockTimeout: _.input.unlockTimeout,
          },
          intermediateValue: {
            requiredUserInteraction: UserInteractionRequired.None,
            step: listAppsDAStateStep.GO_TO_DASHBOARD,
          },
          _internalState: {
            error: null,
            apps: [],
            shouldContinue: false,
          },
        };
      },
      states: {
        DeviceReady: {
          always: {
            target: "GoToDashboard",
          },
        },
        GoToDashboard: {
          invoke: {
            id: "dashboard",
            src: "goToDashboard",
            input: (_) => ({
              unlockTimeout: _.context.input.unlockTimeout,
            }),
            onSnapshot: {
              actions: assign({
                intermediateValue: (_) =>
                  _.event.snapshot.context.intermediateValue,
              }),
            },
            onDone: {
              target: "GoToDashboardCheck",
              actions: assign({
                _internalState: (_) => {
                  return _.event.output.caseOf<ListAppsMachineInternalState>({
                    Right: () => _.context._internalState,
                    Left: (error) => ({
                      ..._.context._internalState,
                      error,
                    }),
                  });
                },
              }),
            },
            onError: {
              target: "Error",
              actions: "assignErrorFromEvent",
            },
          },
        },
        GoToDashboardCheck: {
          always: [
            {
              target: "Error",
              guard: "hasError",
            },
            {
              target: "ListApps",
            },
          ],
        },
        ListApps: {
          // NOTE: This is a timeout that is currently not used
          // We need to discuss this as a team, how do we want to
          // handle the case when the user does not validate or reject on the device
          // after: {
          //   15000: "Error",
          //   actions: assign({
          //     _internalState: (_) => ({
          //       error: new UnknownDAError("ListAppsTimeout"),
          //     }),
          //   }),
          // },
          entry: "assignAllowListApps",
          invoke: {
            src: "listApps",
            input: (_) => false,
            onDone: {
              target: "Continue",
              actions: assign({
                _internalState: (_) => {
                  if (isSuccessCommandResult(_.event.output)) {
                    return {
                      ..._.context._internalState,
                      apps: _.context._internalState.apps.concat(
                        _.event.output.data,
                      ),
                      shouldContinue: _.event.output.data.length >= 2,
                    };
                  }
                  return {
                    ..._.context._internalState,
                    error: _.event.output.error,
                  };
                },
                intermediateValue: {
                  requiredUserInteraction: UserInteractionRequired.None,
                  step: listAppsDAStateStep.LIST_APPS,
                },
              }),
            },
            onError: {
              target: "Error",
              actions: "assignErrorFromEvent",
            },
          },
        },
        ListAppsCheck: {
          always: [
            {
              target: "Error",
              guard: "hasError",
            },
            "ListAppsContinue",
          ],
        },
        ListAppsContinue: {
          invoke: {
            src: "listApps",
            input: (_) => true,
            onDone: {
              target: "Continue",
              actions: assign({
                _internalState: (_) => {
                  if (isSuccessCommandResult(_.event.output)) {
                    return {
                      ..._.context._internalState,
                      apps: _.context._internalState.apps.concat(
                        _.event.output.data,
                      ),
                      shouldContinue: _.event.output.data.length >= 2,
                    };
                  }
                  return {
                    ..._.context._internalState,
                    error: _.event.output.error,
                  };
                },
              }),
            },
            onError: {
              target: "Error",
              actions: "assignErrorFromEvent",
            },
          },
        },
        Continue: {
          always: [
            {
              target: "ListAppsContinue",
              guard: "hasMoreApps",
            },
            {
              target: "Success",
            },
          ],
        },
        Success: {
          type: "final",
        },
        Error: {
          type: "final",
        },
      },
      output: (_) => {
        if (_.context._internalState.error) {
          return Left(_.context._internalState.error);
        }

        return Right(_.context._internalState.apps);
      },
    });
  }

  extractDependencies(internalApi: InternalApi): MachineDependencies {
    const listApps = async ({ input }: { input: boolean }) => {
      const command = new ListAppsCommand({ isContinue: input });
      return internalApi.sendCommand(command);
    };

    return {
      listApps,
    };
  }
}

// --- corpus addition: a concrete machine built on a stub InternalApi ---
const stubInternalApi: InternalApi = {
  sendCommand: async (_command) => ({
    status: "SUCCESS",
    data: [
      {
        appEntryLength: 1,
        appSizeInBlocks: 1,
        appCodeHash: "00",
        appFullHash: "00",
        appName: "Bitcoin",
      },
    ],
  }),
};
export const listAppsMachine = new ListAppsDeviceAction({
  input: {},
}).makeStateMachine(stubInternalApi);
