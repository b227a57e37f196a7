import type { EventCatalogue } from './catalogue.ts';

/*
 * The first input and every first sample are what the real services give in the sandbox that `sandboxInput` makes
 * (1.0.0 installed in `<dir>/agent`, the example artifacts in `<dir>/artifacts`), written the way the generated
 * suites name the sandbox's paths: `<dir>` is `.lifecycle`. The example artifacts are deterministic (fixed mtimes,
 * portable tar headers), so their sha256s, sizes and the 6-digit hashes of the version directories are fixed; the
 * test in test/services/upgrade-catalogue.test.ts says so when they change (then update the constants below). The
 * other samples are what `upgradeServices.scenarios` and `.faults` make the real system give (another version
 * installed first, a corrupt artifact, an entrypoint that refuses the hand-off): see src/services/upgrade/test-hooks.ts.
 */
const home = '.lifecycle/agent';
const artifacts = '.lifecycle/artifacts';
/** sha256 and size of the example 1.1.0 artifact (`buildExampleArtifacts().v2`). */
const V2_SHA256 = '4e744a73048a4d38636210c761b75c2c6a25de67e70008f0f0859f27d7eb9443';
const V2_BYTES = 2097;
/** The first 6 hex digits of the sha256 of the example 1.0.0 artifact: its version directory's hash. */
const V1_HASH = '14075e';
/** sha256 of the example corrupt 1.1.0 artifact (one byte flipped), what the checksum fault downloads. */
const CORRUPT_SHA256 = '69fe19d70e98a90d6bf759bcd10bed9d1298146dc1e75588b112aaa8fc2ab3e5';
const source = `${artifacts}/agent-1.1.0.tar.gz`;
const artifactPath = `${home}/downloads/agent-1.1.0.tar.gz`;
const extractedPath = `${home}/data/agent-1.1.0-${V2_SHA256.slice(0, 6)}`;

const input = {
  agentHome: home,
  source,
  sha256: V2_SHA256,
  targetVersion: '1.1.0',
  targetBuildDate: '2024-03-01T00:00:00Z',
  gracePeriodMs: 60_000,
  healthCheckIntervalMs: 10_000,
  retry: { maxAttempts: 2, initialIntervalMs: 1000 },
};
const agent = (version: string, buildDate: string, hash: string) => ({ version, buildDate, path: `${home}/data/agent-${version}-${hash}` });
const serviceError = (kind: string, message: string) => ({ name: 'ServiceError', message, kind });
/** What every writing service says of a home whose folder is a symlink out of it (the faults of the later steps). */
const escapes = (folder: string) =>
  serviceError(
    'path-escapes',
    `the agent home's ${folder} folder ${home}/${folder} would be written at .lifecycle/outside-home-${folder}, outside ${home}: a symlink on the way points out of it; nothing was changed: replace that symlink with a real directory`,
  );

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
    // A local copy of a 2 KiB artifact is one chunk: the download reports it once it arrived.
    'DOWNLOAD.PROGRESS': [{ bytesReceived: V2_BYTES, totalBytes: V2_BYTES }],
    'DOWNLOAD.DONE': [{ artifactPath, bytes: V2_BYTES }],
    // faults['DOWNLOAD.FAILED'] withholds the artifact from its source folder (a mirror that does not have it yet).
    'DOWNLOAD.FAILED': [{ message: `artifact ${source} does not exist`, kind: 'ENOENT' }],
    // From outside (a process monitor, a person): the suites send it as they send CANCEL, so it carries no reason
    // (the machine then records "reported unhealthy"); a payload no real service sends would end the real part.
    UNHEALTHY: [{}],
  },
  services: {
    readCurrentAgent: {
      done: [
        agent('1.0.0', '2024-01-10T00:00:00Z', V1_HASH),
        agent('1.1.0', '2024-03-01T00:00:00Z', V2_SHA256.slice(0, 6)),
        agent('2.0.0', '2024-02-01T00:00:00Z', 'c0ffee'),
        agent('1.0.9', '2024-06-01T00:00:00Z', 'b0a7ed'),
      ],
      // The home has no `current` symlink (no agent installed).
      error: [serviceError('no-agent', `${home}/current does not exist: install an agent in ${home} first`)],
    },
    verifyChecksum: {
      done: [{ sha256: V2_SHA256 }],
      error: [
        serviceError(
          'checksum-mismatch',
          `artifact ${artifactPath} has sha256 ${CORRUPT_SHA256}, expected ${V2_SHA256}: it is corrupt or not the artifact that was asked for`,
        ),
      ],
    },
    extract: {
      done: [{ extractedPath, hash: V2_SHA256.slice(0, 6) }],
      error: [
        serviceError(
          'unsafe-archive',
          `refusing to extract ${artifactPath}: 2 entries escape the target: "../escape.txt" has a ".." segment; "bin/passwd" links to the absolute path /etc/passwd`,
        ),
      ],
    },
    handOff: {
      error: [
        serviceError(
          'handoff-refused',
          `upgrade entrypoint ${home}/bin/upgrade exited with code 4: agent 1.1.0 refuses to take the upgrade from 1.0.0 over: its state format is newer`,
        ),
      ],
    },
    migrateState: { done: [{ backupPath: `${home}/backups/state-agent-1.0.0-${V1_HASH}` }], error: [escapes('backups')] },
    swapSymlink: { error: [escapes('run')] },
    startAgent: {
      done: [{ pid: 4242 }],
      error: [serviceError('start-failed', `agent 1.1.0 in ${extractedPath} exited with code 3 before it was up: this build of the agent is broken`)],
    },
    rollback: { error: [escapes('backups')] },
    cleanupDownload: { error: [escapes('downloads')] },
    checkHealth: { done: [{ healthy: true }, { healthy: false, detail: 'GET /health answered 503: not ready' }] },
  },
  identity: ['force', 'attempts', 'current', 'handedOff', 'healthCheckIntervalMs'],
};
