import type { EventCatalogue } from './catalogue.ts';

const input = {
  specPath: '.lifecycle/operator/instance.json',
  workDir: '.lifecycle/operator/app',
  requeueMs: 1000,
  resyncMs: 30_000,
  retry: { maxAttempts: 2, initialIntervalMs: 500, nonRetryable: ['invalid-spec', 'fatal'] },
};
// The first spec is the one `sandboxInput` writes (SANDBOX_SPEC), so a path's first readSpec is what the real one
// reads in a fresh sandbox; the others differ from it in version (upgrade) or in parameters (update: the message
// dropped, which the spec file says by leaving `parameters` out).
const v1 = { version: '1.0.0', parameters: { message: 'hello from the sandbox' } };
const v2 = { version: '2.0.0', parameters: { message: 'hello from the sandbox' } };
const v1Updated = { version: '1.0.0', parameters: {} };

/** A folder where one of the operator's files should be, as the real services report it (a ServiceError of kind EISDIR). */
const folderInstead = (doing: string, path: string) => ({
  name: 'ServiceError',
  message: `cannot ${doing} ${path}: ${path} is a folder, not a file (EISDIR): remove the folder, or choose another path`,
  kind: 'EISDIR',
});

/**
 * Payloads that let path generation take every transition of the operator: specs that deploy, upgrade (a new
 * version) and update (new parameters), a spec file that is gone (deletion), the app observed in each node of its
 * graph, transient and fatal step failures.
 *
 * The errors of readSpec, observeApp and writeStatus are the ones the real services throw for the faults the
 * generated suites inject (src/services/operator/test-hooks.ts), paths as the catalogue's input names them: the
 * machine then goes on with the real error.
 */
export const operatorCatalogue: EventCatalogue = {
  input,
  services: {
    readSpec: {
      done: [{ spec: v1 }, { spec: v2 }, { spec: v1Updated }, { spec: null }],
      error: [
        { name: 'ServiceError', message: `spec ${input.specPath} is invalid: unknown field replicas; valid fields: version, parameters`, kind: 'invalid-spec' },
        folderInstead('read the spec', input.specPath),
      ],
    },
    observeApp: {
      done: ['absent', 'start', 'running', 'servicing', 'stopping', 'end'].map((appState) => ({ appState })),
      error: [folderInstead('read the instance record', `${input.workDir}/app.json`)],
    },
    runAction: {
      // Where an action leaves the app: on its way (start) or arrived (running). Other outcomes are reached through
      // observation, which keeps the explored space (and the time to explore it) small.
      done: ['start', 'running'].map((appState) => ({ appState })),
      error: [{ message: 'the app was killed before it listened', kind: 'app-exited' }, { message: 'the image does not exist', kind: 'fatal' }],
    },
    writeStatus: {
      error: [folderInstead('write', '.lifecycle/operator/instance.status.json')],
    },
  },
  identity: ['attempts', 'spec', 'appState', 'lastAppliedInstanceSpec', 'activePlan', 'deletion.reason'],
};
