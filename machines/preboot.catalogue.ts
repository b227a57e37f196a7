import type { EventCatalogue } from './catalogue.ts';

const input = {
  dataDir: '.lifecycle/preboot',
  configPath: '.lifecycle/preboot/kibana.json',
  host: '127.0.0.1',
  port: 0,
  plugins: ['interactive-setup'],
  retry: { maxAttempts: 2, initialIntervalMs: 500 },
};
const config = { elasticsearch: { hosts: ['http://127.0.0.1:9200'] } };
const server = { id: 'preboot-1', url: 'http://127.0.0.1:5601', port: 5601 };
const setupHold = { id: 'interactiveSetup', kind: 'setup', reason: 'waiting for Elasticsearch connection details' };
const startHold = { id: 'licenseCheck', kind: 'start', reason: 'waiting for the license check' };

/**
 * Payloads that let path generation take every transition of the preboot lifecycle: a server with a setup hold
 * and a start hold, one without holds, a hold registered late, resolutions with and without a config reload,
 * and a rejection.
 */
export const prebootCatalogue: EventCatalogue = {
  input,
  events: {
    'HOLD.REGISTERED': [{ hold: { id: 'telemetryOptIn', kind: 'setup', reason: 'waiting for the opt-in answer' } }],
    'HOLD.RESOLVED': [
      { id: 'interactiveSetup', shouldReloadConfig: true },
      { id: 'interactiveSetup' },
      { id: 'licenseCheck' },
      { id: 'telemetryOptIn' },
    ],
    'HOLD.REJECTED': [
      { id: 'interactiveSetup', message: 'the connection details were refused' },
      { id: 'licenseCheck', message: 'the license has expired' },
    ],
  },
  services: {
    loadConfig: { done: [{ config }] },
    reloadConfig: { done: [{ config: { elasticsearch: { hosts: ['https://127.0.0.1:9243'] } } }] },
    startPrebootServer: { done: [{ server, holds: [setupHold, startHold] }, { server, holds: [] }] },
    setupServices: { done: [{ components: ['http', 'elasticsearch', 'savedObjects'] }] },
    stopPrebootServer: { done: [{ redirectedRequests: 2 }] },
    startMainServer: { done: [{ server: { id: 'main-1', url: 'http://127.0.0.1:5601', port: 5601 } }] },
    releaseResources: { done: [{ released: ['preboot-1', 'main-1'] }] },
  },
  identity: ['attempts', 'holds.id', 'settledHolds.id', 'reloadRequested', 'stopReason'],
};
