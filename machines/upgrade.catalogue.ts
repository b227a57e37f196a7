import type { EventCatalogue } from './catalogue.ts';

const home = '.lifecycle/agent';
const input = {
  agentHome: home,
  source: 'http://127.0.0.1:8080/agent-1.3.0.tar.gz',
  sha256: 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
  targetVersion: '1.3.0',
  targetBuildDate: '2026-06-01T00:00:00Z',
  gracePeriodMs: 60_000,
  healthCheckIntervalMs: 10_000,
  retry: { maxAttempts: 2, initialIntervalMs: 1000 },
};
const agent = (version: string, buildDate: string) => ({ version, buildDate, path: `${home}/data/agent-${version}-a1b2c3` });

/**
 * Payloads that let path generation take every transition of the upgrade lifecycle: an allowed upgrade, the same
 * version, a downgrade, the seed's trap (a higher version built earlier than the running one), a forced run,
 * download progress and failures, healthy and unhealthy probes.
 */
export const upgradeCatalogue: EventCatalogue = {
  // The third input pauses longer than the grace period, so the grace period ends after a healthy probe (completed);
  // in the first it ends before any probe answered (rolled back). healthCheckIntervalMs is in the identity for that.
  inputs: [input, { ...input, force: true }, { ...input, healthCheckIntervalMs: 120_000 }],
  events: {
    'DOWNLOAD.PROGRESS': [{ bytesReceived: 512, totalBytes: 1024 }],
    'DOWNLOAD.DONE': [{ artifactPath: `${home}/downloads/agent-1.3.0.tar.gz`, bytes: 1024 }],
    'DOWNLOAD.FAILED': [{ message: 'connection reset by peer', kind: 'ECONNRESET' }],
    UNHEALTHY: [{ reason: 'health endpoint answered 500' }],
  },
  services: {
    readCurrentAgent: {
      done: [
        agent('1.2.0', '2026-01-01T00:00:00Z'),
        agent('1.3.0', '2026-06-01T00:00:00Z'),
        agent('2.0.0', '2026-03-01T00:00:00Z'),
        agent('1.2.9', '2026-09-01T00:00:00Z'),
      ],
    },
    verifyChecksum: { done: [{ sha256: input.sha256 }], error: [{ message: 'checksum mismatch', kind: 'checksum-mismatch' }] },
    extract: { done: [{ extractedPath: `${home}/data/agent-1.3.0-d4e5f6`, hash: 'd4e5f6' }] },
    migrateState: { done: [{ backupPath: `${home}/backup/state-1.2.0` }] },
    startAgent: { done: [{ pid: 4242 }] },
    checkHealth: { done: [{ healthy: true }, { healthy: false, detail: 'not ready' }] },
  },
  identity: ['force', 'attempts', 'current', 'handedOff', 'healthCheckIntervalMs'],
};
