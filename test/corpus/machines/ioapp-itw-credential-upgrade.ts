// Source: https://github.com/pagopa/io-app/blob/5c85742f7e658098e0dfa7113068f518fd425671/ts/features/itwallet/machine/upgrade/machine.ts
// Commit: 5c85742f7e658098e0dfa7113068f518fd425671
// License: MIT (pagopa/io-app)
// Changes: inlined Context/getInitialContext (context.ts @9f547fad), Input (input.ts @77cb123b) and
//   CredentialUpgradeEvents (events.ts @4ee92269) from the same folder; inlined minimal StoredCredential,
//   EidIssuanceMode, Output and UpgradeCredential{Params,Output} types; dropped the @xstate-layout comment.
//   Machine verbatim.
import { assign, fromPromise, setup } from "xstate";
import type { DoneActorEvent, ErrorActorEvent } from "xstate";

// --- inlined / stubbed app types ---
type StoredCredential = {
  credential: string;
  credentialType: "PersonIdentificationData" | "MDL" | "EuropeanHealthInsuranceCard" | "EuropeanDisabilityCard";
  format: "vc+sd-jwt" | "mso_mdoc";
  keyTag: string;
  issuerConf: Record<string, unknown>;
  parsedCredential: Record<string, unknown>;
  jwt: { expiration: string; issuedAt?: string };
};
type EidIssuanceMode = "issuance" | "reissuance" | "upgrade";
type Input = {
  walletInstanceAttestation: string;
  pid: StoredCredential;
  credentials: ReadonlyArray<StoredCredential>;
  issuanceMode: EidIssuanceMode;
};
type Context = {
  walletInstanceAttestation: string;
  pid: StoredCredential;
  credentials: ReadonlyArray<StoredCredential>;
  credentialIndex: number;
  failedCredentials: ReadonlyArray<StoredCredential>;
  issuanceMode: EidIssuanceMode;
  errorMessage?: string;
};
const getInitialContext = (input: Input): Context => ({
  walletInstanceAttestation: input.walletInstanceAttestation,
  pid: input.pid,
  credentials: input.credentials,
  credentialIndex: -1,
  failedCredentials: [],
  issuanceMode: input.issuanceMode,
  errorMessage: undefined
});
type Output = { failedCredentials: ReadonlyArray<StoredCredential> };
type UpgradeCredentialParams = {
  pid: StoredCredential;
  walletInstanceAttestation: string;
  credential: StoredCredential;
  issuanceMode: EidIssuanceMode;
};
type UpgradeCredentialOutput = StoredCredential;
type CredentialUpgradeEvents = DoneActorEvent | ErrorActorEvent;
// --- end stubs ---

const notImplemented = () => {
  throw new Error("Not implemented");
};

export const itwCredentialUpgradeMachine = setup({
  types: {
    events: {} as CredentialUpgradeEvents,
    context: {} as Context,
    input: {} as Input,
    output: {} as Output
  },
  actions: {
    storeCredential: notImplemented,
    pickNextCredential: assign({
      credentialIndex: ({ context }) => context.credentialIndex + 1
    }),
    setFailedCredential: assign({
      failedCredentials: ({ context }) => [
        ...context.failedCredentials,
        context.credentials[context.credentialIndex]
      ]
    })
  },
  actors: {
    upgradeCredential: fromPromise<
      UpgradeCredentialOutput,
      UpgradeCredentialParams
    >(notImplemented)
  },
  guards: {
    hasMoreCredentials: ({ context }) =>
      context.credentialIndex < context.credentials.length - 1
  }
}).createMachine({
  id: "itwCredentialUpgradeMachine",
  context: ({ input }) => getInitialContext(input),
  initial: "Checking",
  states: {
    Checking: {
      always: [
        {
          guard: "hasMoreCredentials",
          actions: "pickNextCredential",
          target: "UpgradeCredential"
        },
        {
          target: "Completed"
        }
      ]
    },
    UpgradeCredential: {
      invoke: {
        src: "upgradeCredential",
        input: ({ context }) => ({
          pid: context.pid,
          walletInstanceAttestation: context.walletInstanceAttestation,
          credential: context.credentials[context.credentialIndex],
          issuanceMode: context.issuanceMode
        }),
        onDone: {
          actions: ["storeCredential"],
          target: "Checking"
        },
        onError: {
          actions: ["setFailedCredential"],
          target: "Checking"
        }
      }
    },
    Completed: {
      type: "final"
    }
  },
  output: ({ context }) => ({
    failedCredentials: context.failedCredentials
  })
});

export type ItwCredentialUpgradeMachine = typeof itwCredentialUpgradeMachine;
