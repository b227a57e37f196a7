/**
 * Which asset kinds each install step writes, and where an asset lands in the target store:
 * `<target>/<kind>/<package>/<asset file name>`.
 */
import { basename, join } from 'node:path';
import type { InstallStep } from '../../../machines/install.ts';

/** The asset kinds written by each step (`save_installation_record` writes none). */
export const STEP_KINDS: Readonly<Record<InstallStep, readonly string[]>> = {
  kibana_assets: ['dashboards', 'visualizations', 'saved_searches'],
  ilm_policies: ['ilm_policies'],
  index_templates_and_pipelines: ['component_templates', 'index_templates', 'ingest_pipelines'],
  transforms: ['transforms'],
  ml_models: ['ml_models'],
  save_installation_record: [],
};

/** Every asset kind a manifest may name. */
export const ASSET_KINDS: readonly string[] = Object.values(STEP_KINDS).flat();

/** The step that writes `kind`. */
export function stepOfKind(kind: string): InstallStep | undefined {
  return (Object.keys(STEP_KINDS) as InstallStep[]).find((s) => STEP_KINDS[s].includes(kind));
}

/** The directory holding a package's assets of one kind. */
export function kindDir(target: string, kind: string, name: string): string {
  return join(target, kind, name);
}

/** Where an asset of the package lands in the target. */
export function assetTargetPath(target: string, kind: string, name: string, asset: string): string {
  return join(kindDir(target, kind, name), basename(asset));
}

/** `.installations/`: the records, backups and fault counters of every package in the target. */
export function installationsDir(target: string): string {
  return join(target, '.installations');
}
