import type { EventCatalogue } from './catalogue.ts';

const input = {
  specPath: '.lifecycle/operator/instance.json',
  workDir: '.lifecycle/operator/app',
  requeueMs: 1000,
  resyncMs: 30_000,
  retry: { maxAttempts: 2, initialIntervalMs: 500, nonRetryable: ['invalid-spec', 'fatal'] },
};
const v1 = { version: '1.0.0', parameters: { replicas: 1 } };
const v2 = { version: '2.0.0', parameters: { replicas: 1 } };
const v1Scaled = { version: '1.0.0', parameters: { replicas: 3 } };

/**
 * Payloads that let path generation take every transition of the operator: specs that deploy, upgrade (a new
 * version) and update (new parameters), a spec file that is gone (deletion), the app observed in each node of its
 * graph, transient and fatal step failures.
 */
export const operatorCatalogue: EventCatalogue = {
  input,
  services: {
    readSpec: {
      done: [{ spec: v1 }, { spec: v2 }, { spec: v1Scaled }, { spec: null }],
      error: [{ message: 'spec is not valid JSON', kind: 'invalid-spec' }, { message: 'EBUSY: resource busy', kind: 'EBUSY' }],
    },
    observeApp: {
      done: ['absent', 'start', 'running', 'servicing', 'stopping', 'end'].map((appState) => ({ appState })),
    },
    runAction: {
      // Where an action leaves the app: on its way (start) or arrived (running). Other outcomes are reached through
      // observation, which keeps the explored space (and the time to explore it) small.
      done: ['start', 'running'].map((appState) => ({ appState })),
      error: [{ message: 'the app exited with code 1', kind: 'app-crashed' }, { message: 'the image does not exist', kind: 'fatal' }],
    },
  },
  identity: ['attempts', 'spec', 'appState', 'lastAppliedInstanceSpec', 'activePlan', 'deletion.reason'],
};
