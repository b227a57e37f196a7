import type { EventCatalogue } from './catalogue.ts';
import { INSTALL_STEPS, type InstallationRecord, type PackageManifest } from './install.ts';

/**
 * The manifest of the example package the input names (`examples/packages/nginx/1.1.0/manifest.json`, as
 * `checkPreconditions` reads it). The first samples are what the real services return in a fresh sandbox
 * (`installServices.sandboxInput`: nginx 1.0.0 installed in the target, a copy of 1.1.0 to install), an upgrade,
 * so that the generated suites follow the real system from the start and a failure has a version to roll back to.
 * A test of the services checks that they agree.
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
/** The record of the installed 1.0.0, as the sandbox's install left it. */
const installed: { record: InstallationRecord } = {
  record: { name: 'nginx', version: '1.0.0', status: 'installed', latestExecutedState: 'save_installation_record', previousVersion: null },
};
/** An upgrade to 1.1.0 that stopped after `latestExecutedState` (killed in the middle of the next step). */
const unfinished = (latestExecutedState: InstallationRecord['latestExecutedState']): { record: InstallationRecord } => ({
  record: { name: 'nginx', version: '1.1.0', status: 'installing', latestExecutedState, previousVersion: '1.0.0' },
});

/**
 * Payloads that let path generation take every transition of the install lifecycle: an upgrade from 1.0.0 (so a
 * failure rolls back), a fresh install, the same version (a no-op), a newer installed version (a refused downgrade),
 * an upgrade resuming after each step, and a forced reinstall. The errors are the services' own (their `kind`s),
 * which the services' `faults` make happen for real.
 */
export const installCatalogue: EventCatalogue = {
  inputs: [input, { ...input, force: true }],
  services: {
    checkPreconditions: {
      done: [
        { manifest, installedVersion: '1.0.0' },
        { manifest, installedVersion: null },
        { manifest, installedVersion: '1.1.0' },
        { manifest, installedVersion: '2.0.0' },
      ],
      error: [{ message: 'examples/packages/nginx/1.1.0/manifest.json: asset "ml/nginx-anomalous-status.json" (kind ml_models) is not in the package', kind: 'invalid-manifest' }],
    },
    readInstallationRecord: {
      done: [installed, ...INSTALL_STEPS.slice(0, -1).map((step) => unfinished(step)), { record: null }],
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
