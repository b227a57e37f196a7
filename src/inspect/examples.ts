/**
 * Example inputs and service outputs for the built-in lifecycles, for `lifecycle inspect --fake-services`: the
 * machine starts from the input, and the page pre-fills a fake service's output with the example (edit it there).
 * Paths are never touched: with fake services nothing runs.
 */

/** A run's input per built-in lifecycle. */
export const EXAMPLE_INPUTS: Record<string, unknown> = {
  install: { package: '/example/packages/nginx-1.2.0', target: '/example/store' },
  upgrade: {
    agentHome: '/example/agent',
    source: 'file:///example/downloads/elastic-agent-8.15.0.tar.gz',
    sha256: '0'.repeat(64),
    targetVersion: '8.15.0',
    targetBuildDate: '2024-08-01T00:00:00Z',
  },
  preboot: { dataDir: '/example/data', configPath: '/example/config.json' },
  operator: { specPath: '/example/spec.json', workDir: '/example/work' },
};

const manifest = { name: 'nginx', version: '1.2.0', assets: { kibana_assets: ['kibana/dashboard.json'] } };

/** Suggested outputs per built-in lifecycle, by service name. Services not listed suggest `null`. */
export const EXAMPLE_OUTPUTS: Record<string, Record<string, unknown>> = {
  install: {
    checkPreconditions: { manifest, installedVersion: null },
    readInstallationRecord: { record: null },
  },
  upgrade: {
    readCurrentAgent: { version: '8.14.0', buildDate: '2024-05-01T00:00:00Z', path: '/example/agent/data/elastic-agent-8.14.0' },
    verifyChecksum: { sha256: '0'.repeat(64) },
    extract: { extractedPath: '/example/agent/data/elastic-agent-8.15.0', hash: 'abc123' },
    migrateState: { backupPath: '/example/agent/state.bak' },
    startAgent: { pid: 4242 },
    checkHealth: { healthy: true },
  },
  preboot: {
    setupServices: { components: ['http', 'plugins'] },
    stopPrebootServer: { redirectedRequests: 0 },
    releaseResources: { released: ['preboot-server'] },
  },
  operator: {
    readSpec: { spec: null },
  },
};
