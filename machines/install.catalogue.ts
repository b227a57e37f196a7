import type { EventCatalogue } from './catalogue.ts';
import { INSTALL_STEPS, type InstallationRecord, type PackageManifest } from './install.ts';

/**
 * The manifest of the example package the input names (`examples/packages/nginx/1.1.0/manifest.json`, as
 * `checkPreconditions` reads it): the first samples are what the real services return for it in a fresh sandbox
 * (`installServices.sandboxInput` installs a copy of it into an empty target), so the generated suites follow the
 * real system from the start. A test of the services checks that they agree.
 */
const manifest: PackageManifest = {
  name: 'nginx',
  version: '1.1.0',
  assets: {
    dashboards: ['kibana/dashboard/nginx-overview.json'],
    visualizations: ['kibana/visualization/nginx-response-codes.json'],
    ilm_policies: ['elasticsearch/ilm/logs-nginx.json'],
    index_templates: ['elasticsearch/index_template/logs-nginx.access.json', 'elasticsearch/index_template/logs-nginx.error.json'],
    ingest_pipelines: ['elasticsearch/ingest_pipeline/nginx-access.json'],
    transforms: ['elasticsearch/transform/nginx-top-urls.json'],
    ml_models: ['ml/nginx-anomalous-status.json'],
  },
};
const input = { package: 'examples/packages/nginx/1.1.0', target: '.lifecycle/target', retry: { maxAttempts: 2, initialIntervalMs: 1000 } };
const unfinished = (latestExecutedState: InstallationRecord['latestExecutedState']): { record: InstallationRecord } => ({
  record: { name: 'nginx', version: '1.1.0', status: 'installing', latestExecutedState, previousVersion: null },
});

/**
 * Payloads that let path generation take every transition of the install lifecycle: a fresh install, an upgrade
 * (so a failure rolls back), the same version (a no-op), a newer installed version (a refused downgrade), a run
 * resuming after each step, and a forced reinstall. The errors are the services' own (their `kind`s), which the
 * services' `faults` make happen for real.
 */
export const installCatalogue: EventCatalogue = {
  inputs: [input, { ...input, force: true }],
  services: {
    checkPreconditions: {
      done: [
        { manifest, installedVersion: null },
        { manifest, installedVersion: '1.0.0' },
        { manifest, installedVersion: '1.1.0' },
        { manifest, installedVersion: '2.0.0' },
      ],
      error: [{ message: 'package examples/packages/nginx/1.1.0 has no manifest.json at its root', kind: 'invalid-manifest' }],
    },
    readInstallationRecord: {
      done: [{ record: null }, ...INSTALL_STEPS.slice(0, -1).map((step) => unfinished(step))],
      error: [{ message: 'installation record .lifecycle/target/.installations/nginx.json is not valid JSON', kind: 'invalid-record' }],
    },
    cleanupPrevious: {
      error: [{ message: 'installation record .lifecycle/target/.installations/nginx.json is not valid JSON', kind: 'invalid-record' }],
    },
    rollback: {
      error: [{ message: 'cannot roll nginx back to 1.0.0: the backup in .lifecycle/target holds 1.0.0-other', kind: 'rollback-unavailable' }],
    },
  },
  identity: ['force', 'attempts', 'installedVersion', 'previousVersion', 'resumedFrom'],
};
