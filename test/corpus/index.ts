// Corpus of real third-party XState v5 machines (see README.md for sources, licenses and features).
// `file` is relative to test/corpus/machines; `exportName` is the machine's export in that module.
export const CORPUS: { file: string; exportName: string }[] = [
  { file: 'ioapp-idpay-unsubscription.ts', exportName: 'idPayUnsubscriptionMachine' },
  { file: 'ioapp-itw-credential-issuance.ts', exportName: 'itwCredentialIssuanceMachine' },
  { file: 'ioapp-itw-credential-upgrade.ts', exportName: 'itwCredentialUpgradeMachine' },
  { file: 'kittycad-3d-mouse.ts', exportName: '_3DMouseMachine' },
  { file: 'kittycad-auth.ts', exportName: 'authMachine' },
  { file: 'kittycad-billing.ts', exportName: 'billingMachine' },
  { file: 'kittycad-command-bar.ts', exportName: 'commandBarMachine' },
  { file: 'kittycad-engine-stream.ts', exportName: 'engineStreamMachine' },
  { file: 'kittycad-feature-tree.ts', exportName: 'featureTreeMachine' },
  { file: 'kittycad-file.ts', exportName: 'fileMachine' },
  { file: 'kittycad-kcl-editor.ts', exportName: 'kclEditorMachine' },
  { file: 'kittycad-projects.ts', exportName: 'projectsMachine' },
  { file: 'ledger-go-to-dashboard.ts', exportName: 'goToDashboardMachine' },
  { file: 'ledger-list-apps.ts', exportName: 'listAppsMachine' },
  { file: 'portabletext-mutation.ts', exportName: 'mutationMachine' },
  { file: 'portabletext-sync.ts', exportName: 'syncMachine' },
  { file: 'stately-flight-booker.ts', exportName: 'flightBookerMachine' },
];
