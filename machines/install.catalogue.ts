import type { EventCatalogue } from './catalogue.ts';
import { INSTALL_STEPS, type InstallationRecord, type PackageManifest } from './install.ts';

const manifest: PackageManifest = {
  name: 'nginx',
  version: '1.1.0',
  assets: { kibana_assets: ['kibana/dashboard.json'], ilm_policies: ['ilm/logs.json'] },
};
const input = { package: 'examples/packages/nginx/1.1.0', target: '.lifecycle/target', retry: { maxAttempts: 2, initialIntervalMs: 1000 } };
const unfinished = (latestExecutedState: InstallationRecord['latestExecutedState']): { record: InstallationRecord } => ({
  record: { name: 'nginx', version: '1.1.0', status: 'installing', latestExecutedState, previousVersion: null },
});

/**
 * Payloads that let path generation take every transition of the install lifecycle: a fresh install, an upgrade
 * (so a failure rolls back), the same version (a no-op), a newer installed version (a refused downgrade), a run
 * resuming after each step, and a forced reinstall.
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
      error: [{ message: 'manifest.json is missing', kind: 'invalid-package' }],
    },
    readInstallationRecord: {
      done: [{ record: null }, ...INSTALL_STEPS.slice(0, -1).map((step) => unfinished(step))],
    },
  },
  identity: ['force', 'attempts', 'installedVersion', 'previousVersion', 'resumedFrom'],
};
