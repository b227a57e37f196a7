// Source: https://github.com/LedgerHQ/device-sdk-ts/blob/0426584d35b367d515e7041b09ebb0aef4b92039/packages/device-management-kit/src/api/device-action/os/GoToDashboard/GoToDashboardDeviceAction.ts
// Commit: 0426584d35b367d515e7041b09ebb0aef4b92039
// License: Apache-2.0 (LedgerHQ/device-sdk-ts, packages/device-management-kit/package.json "license")
// Changes: stubbed purify-ts Left/Right (tiny Either with caseOf), the command classes, isSuccessCommandResult,
//   UserInteractionRequired, DEFAULT_UNLOCK_TIMEOUT_MS, UnknownDAError, DeviceSessionState(+Type), isDashboardName,
//   StateMachineTypes/DeviceActionStateMachine types and the XStateDeviceAction base class; GetDeviceStatusDeviceAction
//   (the invoked child machine) is replaced by a small local child machine with the same output shape.
//   makeStateMachine() body is verbatim (xstate-layout comment dropped). Added export `goToDashboardMachine`
//   = makeStateMachine() on a stub InternalApi, so the machine itself is importable.
import { assign, fromPromise, setup } from "xstate";

// --- stubs for app / third-party imports ---
type Either<L, R> = {
  caseOf: <T>(p: { Left: (l: L) => T; Right: (r: R) => T }) => T;
};
const Left = <L, R = never>(l: L): Either<L, R> => ({ caseOf: (p) => p.Left(l) });
const Right = <R, L = never>(r: R): Either<L, R> => ({ caseOf: (p) => p.Right(r) });
type DmkError = { readonly _tag: string; readonly message?: string; readonly originalError?: unknown };
class UnknownDAError implements DmkError {
  readonly _tag = "UnknownDAError";
  constructor(readonly message?: string) {}
}
type CommandResult<Data> =
  | { status: "SUCCESS"; data: Data }
  | { status: "ERROR"; error: DmkError };
const isSuccessCommandResult = <Data>(
  r: CommandResult<Data>,
): r is { status: "SUCCESS"; data: Data } => r.status === "SUCCESS";
type GetAppAndVersionCommandResult = CommandResult<{ name: string; version: string }>;
type CloseAppCommandResult = CommandResult<void>;
class CloseAppCommand {}
class GetAppAndVersionCommand {}
enum UserInteractionRequired {
  None = "none",
  UnlockDevice = "unlock-device",
  ConfirmOpenApp = "confirm-open-app",
}
const DEFAULT_UNLOCK_TIMEOUT_MS = 5 * 60 * 1000;
enum DeviceSessionStateType {
  Connected = "Connected",
  ReadyWithoutSecureChannel = "ReadyWithoutSecureChannel",
  ReadyWithSecureChannel = "ReadyWithSecureChannel",
}
type DeviceSessionState =
  | { sessionStateType: DeviceSessionStateType.Connected; deviceStatus: "CONNECTED" | "LOCKED" | "BUSY" }
  | {
      sessionStateType:
        | DeviceSessionStateType.ReadyWithoutSecureChannel
        | DeviceSessionStateType.ReadyWithSecureChannel;
      deviceStatus: "CONNECTED" | "LOCKED" | "BUSY";
      currentApp: { name: string; version: string };
    };
const isDashboardName = (name: string) => name === "BOLOS" || name === "OLOS\u0000";
type InternalApi = {
  sendCommand: (command: unknown) => Promise<any>;
  getDeviceSessionState: () => DeviceSessionState;
  setDeviceSessionState: (state: DeviceSessionState) => DeviceSessionState;
};
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
type GoToDashboardDAOutput = void;
type GoToDashboardDAInput = { readonly unlockTimeout?: number };
type GoToDashboardDAError = DmkError;
type GoToDashboardDAIntermediateValue = {
  readonly requiredUserInteraction: UserInteractionRequired;
};
// Stand-in for GetDeviceStatusDeviceAction's machine (invoked as a child).
class GetDeviceStatusDeviceAction {
  constructor(readonly args: { input: { unlockTimeout: number } }) {}
  makeStateMachine(_internalApi: InternalApi) {
    return setup({
      types: {
        input: {} as { unlockTimeout: number },
        context: {} as {
          intermediateValue: { requiredUserInteraction: UserInteractionRequired };
        },
        output: {} as Either<DmkError, { currentApp: string; currentAppVersion: string }>,
      },
    }).createMachine({
      id: "GetDeviceStatusDeviceAction",
      context: { intermediateValue: { requiredUserInteraction: UserInteractionRequired.None } },
      initial: "Success",
      states: { Success: { type: "final" } },
      output: () => Right({ currentApp: "BOLOS", currentAppVersion: "1.0.0" }),
    });
  }
}
// --- end stubs ---

type GoToDashboardMachineInternalState = {
  readonly currentApp: string | null;
  readonly error: GoToDashboardDAError | null;
};

export type MachineDependencies = {
  readonly getAppAndVersion: () => Promise<GetAppAndVersionCommandResult>;
  readonly closeApp: () => Promise<CloseAppCommandResult>;
  readonly getDeviceSessionState: () => DeviceSessionState;
  readonly setDeviceSessionState: (
    state: DeviceSessionState,
  ) => DeviceSessionState;
};

export type ExtractMachineDependencies = (
  internalApi: InternalApi,
) => MachineDependencies;

export class GoToDashboardDeviceAction extends XStateDeviceAction<
  GoToDashboardDAOutput,
  GoToDashboardDAInput,
  GoToDashboardDAError,
  GoToDashboardDAIntermediateValue,
  GoToDashboardMachineInternalState
> {
  makeStateMachine(
    internalApi: InternalApi,
  ): DeviceActionStateMachine<
    GoToDashboardDAOutput,
    GoToDashboardDAInput,
    GoToDashboardDAError,
    GoToDashboardDAIntermediateValue,
    GoToDashboardMachineInternalState
  > {
    type types = StateMachineTypes<
      GoToDashboardDAOutput,
      GoToDashboardDAInput,
      GoToDashboardDAError,
      GoToDashboardDAIntermediateValue,
      GoToDashboardMachineInternalState
    >;

    const {
      getDeviceSessionState,
      setDeviceSessionState,
      closeApp,
      getAppAndVersion,
    } = this.extractDependencies(internalApi);

    const unlockTimeout = this.input.unlockTimeout ?? DEFAULT_UNLOCK_TIMEOUT_MS;

    const getDeviceStatusMachine = new GetDeviceStatusDeviceAction({
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
        getAppAndVersion: fromPromise(getAppAndVersion),
        closeApp: fromPromise(closeApp),
        getDeviceStatus: getDeviceStatusMachine,
      },
      guards: {
        hasError: ({ context }: { context: types["context"] }) => {
          return context._internalState.error !== null;
        },
        isDashboardOpen: ({ context }: { context: types["context"] }) =>
          context._internalState.currentApp !== null &&
          isDashboardName(context._internalState.currentApp),
      },
      actions: {
        // assignGetDeviceStatusUnknownError: assign({
        //   _internalState: (_) => ({
        //     ..._.context._internalState,
        //     error: new UnknownDAError("GetDeviceUnknownStatusError"),
        //   }),
        // }),
        assignErrorFromEvent: assign({
          _internalState: (_) => ({
            ..._.context._internalState,
            error: _.event["error"], // NOTE: it should never happen, the error is not typed anymore here
          }),
        }),
      },
    }).createMachine({
      id: "GoToDashboardDeviceAction",
      initial: "DeviceReady",
      context: (_) => {
        const sessionState = getDeviceSessionState();
        return {
          input: {
            unlockTimeout: _.input.unlockTimeout,
          },
          intermediateValue: {
            requiredUserInteraction: UserInteractionRequired.None,
          },
          _internalState: {
            currentApp:
              "currentApp" in sessionState
                ? sessionState.currentApp.name
                : null,
            error: null,
          },
        };
      },
      states: {
        DeviceReady: {
          always: {
            target: "GetDeviceStatus",
          },
        },
        GetDeviceStatus: {
          // We run the GetDeviceStatus flow to get information about the device state
          invoke: {
            id: "deviceStatus",
            src: "getDeviceStatus",
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
              target: "CheckDeviceStatus",
              actions: assign({
                _internalState: (_) => {
                  return _.event.output.caseOf<GoToDashboardMachineInternalState>(
                    {
                      Right: (output) => ({
                        ..._.context._internalState,
                        currentApp: output.currentApp,
                      }),
                      Left: (error) => ({
                        ..._.context._internalState,
                        error,
                      }),
                    },
                  );
                },
              }),
            },
            // NOTE: The way we handle our DeviceActions means that we should never as we return an Either
            // onError: {
            //   target: "Error",
            //   actions: "assignGetDeviceStatusUnknownError",
            // },
          },
        },
        CheckDeviceStatus: {
          // We check the device status to see if we can have an error
          always: [
            {
              target: "Error",
              guard: "hasError",
            },
            {
              target: "DashboardCheck",
            },
          ],
        },
        DashboardCheck: {
          // We check if the dashboard is open
          always: [
            {
              target: "Success",
              guard: "isDashboardOpen",
            },
            {
              target: "Error",
              guard: "hasError",
            },
            {
              target: "Error",
              guard: (_) => {
                return _.context._internalState.currentApp === null;
              },
              actions: assign({
                _internalState: (_) => ({
                  ..._.context._internalState,
                  error: new UnknownDAError("currentApp === null"),
                }),
              }),
            },
            {
              target: "CloseApp",
            },
          ],
        },
        CloseApp: {
          invoke: {
            src: "closeApp",
            onDone: {
              target: "CloseAppCheck",
              actions: assign({
                _internalState: (_) => {
                  if (isSuccessCommandResult(_.event.output)) {
                    return _.context._internalState;
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
        CloseAppCheck: {
          always: [
            {
              target: "Error",
              guard: "hasError",
            },
            {
              target: "GetAppAndVersion",
              reenter: true,
            },
          ],
        },
        GetAppAndVersion: {
          invoke: {
            src: "getAppAndVersion",
            onDone: {
              target: "DashboardCheck",
              actions: assign({
                _internalState: (_) => {
                  if (isSuccessCommandResult(_.event.output)) {
                    const state: DeviceSessionState = getDeviceSessionState();
                    // Narrow the type to ReadyWithoutSecureChannelState or ReadyWithSecureChannelState
                    if (
                      state.sessionStateType !==
                      DeviceSessionStateType.Connected
                    ) {
                      setDeviceSessionState({
                        ...state,
                        currentApp: _.event.output.data,
                      });
                    }
                    return {
                      ..._.context._internalState,
                      currentApp: _.event.output.data.name,
                    };
                  }
                  return {
                    ..._.context._internalState,
                    error: _.event.output.error,
                  };
                },
              }),
            },
          },
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

        return Right(undefined);
      },
    });
  }

  extractDependencies(internalApi: InternalApi): MachineDependencies {
    const closeApp = async () => internalApi.sendCommand(new CloseAppCommand());
    const getAppAndVersion = async () =>
      internalApi.sendCommand(new GetAppAndVersionCommand());

    return {
      closeApp,
      getAppAndVersion,
      getDeviceSessionState: () => internalApi.getDeviceSessionState(),
      setDeviceSessionState: (state: DeviceSessionState) =>
        internalApi.setDeviceSessionState(state),
    };
  }
}

// --- corpus addition: a concrete machine built on a stub InternalApi ---
const stubInternalApi: InternalApi = {
  sendCommand: async (command) =>
    command instanceof GetAppAndVersionCommand
      ? { status: "SUCCESS", data: { name: "BOLOS", version: "1.0.0" } }
      : { status: "SUCCESS", data: undefined },
  getDeviceSessionState: () => ({
    sessionStateType: DeviceSessionStateType.ReadyWithoutSecureChannel,
    deviceStatus: "CONNECTED",
    currentApp: { name: "Bitcoin", version: "2.1.0" },
  }),
  setDeviceSessionState: (state) => state,
};
export const goToDashboardMachine = new GoToDashboardDeviceAction({
  input: {},
}).makeStateMachine(stubInternalApi);
