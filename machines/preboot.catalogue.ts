import type { EventCatalogue } from './catalogue.ts';

/**
 * The run a sandbox makes real (`prebootServices.sandboxInput` gives the paths; port, plugins and retry are these):
 * a fixed port, so that the servers' handles are the same on every run (a free port cannot be used: a server's id and
 * URL name its port, so every sample naming a server would differ from what the real service returns, and the
 * harness maps only the sandbox's strings back to the path's, not a port inside ids and URLs; a port another process
 * holds is waited for a while, then that path leaves the real system: `portFree` in the test hooks), and two preboot plugins whose holds a file
 * decides (`hold-until-file`: a file that appears resolves the hold, one holding `{"shouldReloadConfig": true}`
 * asks for a reload, one holding `{"reject": "..."}` rejects it), so that every settlement below is one the real
 * hold watcher sends.
 */
const input = {
  dataDir: '.lifecycle/preboot',
  configPath: '.lifecycle/preboot/kibana.json',
  host: '127.0.0.1',
  port: 5601,
  plugins: ['hold-until-file:setup:telemetry-opt-in.json', 'hold-until-file:start:license-check.json'],
  retry: { maxAttempts: 2, initialIntervalMs: 500 },
};
/** Server ids are the kind and the port (`servers.ts`). */
const server = { id: 'preboot-5601', url: 'http://127.0.0.1:5601', port: 5601 };
const setupHold = { id: 'hold-until-file#1', kind: 'setup', reason: 'waiting for telemetry-opt-in.json to appear' };
const startHold = { id: 'hold-until-file#2', kind: 'start', reason: 'waiting for license-check.json to appear' };

/**
 * Payloads that let path generation take every transition of the preboot lifecycle: a server with a setup hold
 * and a start hold, one without holds (both files there already), a hold registered late, resolutions with and
 * without a config reload, and a rejection. Errors are what the real services throw under the suites' faults
 * (`src/services/preboot/test-hooks.ts`).
 */
export const prebootCatalogue: EventCatalogue = {
  input,
  events: {
    'HOLD.REGISTERED': [{ hold: { id: 'telemetryOptIn', kind: 'setup', reason: 'waiting for the opt-in answer' } }],
    'HOLD.RESOLVED': [
      { id: setupHold.id, shouldReloadConfig: true },
      { id: setupHold.id, shouldReloadConfig: false },
      { id: startHold.id, shouldReloadConfig: false },
      { id: 'telemetryOptIn' },
    ],
    'HOLD.REJECTED': [
      { id: setupHold.id, message: 'the opt-in was refused' },
      { id: startHold.id, message: 'the license has expired' },
    ],
  },
  services: {
    // A first launch: no config file (what a fresh sandbox reads); the operator writes one before a reload.
    loadConfig: {
      done: [{ config: {} }],
      error: [{ name: 'ServiceError', message: 'config .lifecycle/preboot/kibana.json must hold a JSON object, found an array', kind: 'invalid-config' }],
    },
    reloadConfig: {
      done: [{ config: { elasticsearch: { hosts: ['https://127.0.0.1:9243'] } } }],
      error: [{ name: 'ServiceError', message: 'config .lifecycle/preboot/kibana.json must hold a JSON object, found an array', kind: 'invalid-config' }],
    },
    startPrebootServer: {
      done: [{ server, holds: [setupHold, startHold] }, { server, holds: [] }],
      error: [{ name: 'ServiceError', message: 'listen EADDRINUSE: address already in use 127.0.0.1:5601', kind: 'EADDRINUSE' }],
    },
    // With the first launch's config (no Elasticsearch connection: no client).
    setupServices: {
      done: [{ components: ['uuid', 'http', 'status'] }],
      error: [{ name: 'ServiceError', message: 'cannot write .lifecycle/preboot/uuid: .lifecycle/preboot/uuid is a folder, not a file (EISDIR): remove the folder, or choose another path', kind: 'EISDIR' }],
    },
    stopPrebootServer: { done: [{ redirectedRequests: 2 }] },
    startMainServer: {
      done: [{ server: { id: 'main-5601', url: 'http://127.0.0.1:5601', port: 5601 } }],
      error: [{ name: 'ServiceError', message: 'listen EADDRINUSE: address already in use 127.0.0.1:5601', kind: 'EADDRINUSE' }],
    },
    releaseResources: { done: [{ released: [] }] },
  },
  identity: ['attempts', 'holds.id', 'settledHolds.id', 'reloadRequested', 'stopReason'],
};
