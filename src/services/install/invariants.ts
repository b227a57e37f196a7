/**
 * Per-state invariants of the install lifecycle: checks of the real target that must hold whenever the machine is
 * in a state. Each returns the violations it finds, one sentence each.
 */
import { readFile } from 'node:fs/promises';
import { INSTALL_STEPS, type InstallContext, type InstallInput, type InstallStep } from '../../../machines/install.ts';
import type { Invariant, InvariantProbe } from '../types.ts';
import { backupDir } from './backup.ts';
import { exists, listFiles } from './fs.ts';
import { STEP_KINDS, kindDir } from './kinds.ts';
import { readPackage } from './package.ts';
import { readRecord, recordPath, type InstallationRecordFile } from './record.ts';
import { packageFiles } from './steps.ts';

type Probe = InvariantProbe<InstallInput, InstallContext>;
type Check = Invariant<InstallInput, InstallContext>;

/** The target holds exactly the package's assets of `kinds` (same names, same bytes, nothing else). */
async function assetsMatch(target: string, packagePath: string, kinds: readonly string[]): Promise<string[]> {
  const pkg = await readPackage(packagePath);
  const { name } = pkg.manifest;
  const problems: string[] = [];
  for (const kind of kinds) {
    const dir = kindDir(target, kind, name);
    const expected = new Map((pkg.manifest.assets[kind] ?? []).map((a) => [a.split('/').pop()!, a]));
    const found = await listFiles(dir);
    for (const f of found) if (!expected.has(f)) problems.push(`${dir}/${f} is not an asset of ${name}@${pkg.manifest.version}`);
    for (const [file, asset] of expected) {
      if (!found.includes(file)) problems.push(`${dir}/${file} (asset ${asset}) is missing`);
      else if (!(await readFile(`${dir}/${file}`)).equals(await pkg.read(asset))) problems.push(`${dir}/${file} differs from ${asset} in the package`);
    }
  }
  return problems;
}

async function record(probe: Probe): Promise<InstallationRecordFile | null> {
  const name = probe.context.manifest?.name;
  return name ? readRecord(probe.input.target, name) : null;
}

/** The package's files in the target are exactly those the record lists. */
async function filesMatchRecord(target: string, r: InstallationRecordFile): Promise<string[]> {
  if (r.files === null) return [`the record of ${r.name} lists no files`];
  const actual = await packageFiles(target, r.name);
  const problems: string[] = [];
  for (const [f, h] of Object.entries(r.files)) {
    if (actual[f] === undefined) problems.push(`${target}/${f} is listed in the record but missing`);
    else if (actual[f] !== h) problems.push(`${target}/${f} differs from the record's sha256`);
  }
  for (const f of Object.keys(actual)) if (r.files[f] === undefined) problems.push(`${target}/${f} is not listed in the record`);
  return problems;
}

/**
 * In `installing.<step>`: every step before it has written exactly the package's assets, and the record says the
 * step before it is the latest executed one (or `<step>` itself, when its service has just finished).
 */
function duringStep(step: InstallStep): Check {
  const i = INSTALL_STEPS.indexOf(step);
  const expected = i === 0 ? null : INSTALL_STEPS[i - 1]!;
  return async (probe) => {
    const { manifest } = probe.context;
    if (!manifest) return [`in installing.${step} the manifest is not known`];
    const problems = await assetsMatch(probe.input.target, probe.input.package, INSTALL_STEPS.slice(0, i).flatMap((s) => STEP_KINDS[s]));
    const r = await record(probe);
    const latest = r !== null && r.version === manifest.version ? r.latestExecutedState : null;
    if (latest !== expected && latest !== step)
      problems.push(`in installing.${step} the record's latestExecutedState should be ${expected ?? 'null'}, found ${latest ?? 'null'}`);
    return problems;
  };
}

export const installInvariants: Record<string, Check> = {
  ...Object.fromEntries(INSTALL_STEPS.map((s) => [`installing.${s}`, duringStep(s)])),
  installed: async (probe) => {
    const { target } = probe.input;
    const problems = await assetsMatch(target, probe.input.package, Object.values(STEP_KINDS).flat());
    const r = await record(probe);
    if (r === null) return [...problems, `installed, but ${target} has no installation record`];
    if (r.status !== 'installed' || r.version !== probe.context.manifest?.version || r.latestExecutedState !== 'save_installation_record')
      problems.push(`the record should say installed at ${probe.context.manifest?.version} after save_installation_record, found ${r.status} at ${r.version} after ${r.latestExecutedState}`);
    problems.push(...(await filesMatchRecord(target, r)));
    if (await exists(backupDir(target, r.name))) problems.push(`installed, but a backup of ${r.name} remains in ${backupDir(target, r.name)}`);
    return problems;
  },
  alreadyInstalled: async (probe) => {
    const r = await record(probe);
    if (r === null || r.status !== 'installed' || r.version !== probe.context.manifest?.version)
      return [`alreadyInstalled, but the record does not say installed at ${probe.context.manifest?.version}`];
    return filesMatchRecord(probe.input.target, r);
  },
  failed: async (probe) => {
    const { step, manifest, latestExecutedState } = probe.context;
    if (!manifest || !INSTALL_STEPS.includes(step as InstallStep)) return [];
    const r = await record(probe);
    if (r === null) return [`failed at ${step}, but ${recordPath(probe.input.target, manifest.name)} does not exist`];
    const problems: string[] = [];
    if (r.status !== 'failed') problems.push(`failed at ${step}, but the record's status is ${r.status}`);
    if (r.latestExecutedState !== latestExecutedState)
      problems.push(`the record's latestExecutedState is ${r.latestExecutedState}, the run's is ${latestExecutedState}`);
    if (r.lastError?.step !== step) problems.push(`the record's lastError should name step ${step}, found ${r.lastError?.step ?? 'none'}`);
    return problems;
  },
  rolledBack: async (probe) => {
    const { previousVersion, manifest } = probe.context;
    const r = await record(probe);
    if (r === null) return ['rolledBack, but there is no installation record'];
    const problems: string[] = [];
    if (r.status !== 'installed' || r.version !== previousVersion)
      problems.push(`rolledBack: the record should say installed at ${previousVersion}, found ${r.status} at ${r.version}`);
    if (r.rolledBackFrom !== manifest?.version) problems.push(`rolledBack: the record should name ${manifest?.version} as rolled back`);
    if (r.files !== null) problems.push(...(await filesMatchRecord(probe.input.target, r)));
    if (await exists(backupDir(probe.input.target, r.name))) problems.push(`rolledBack, but the backup of ${r.name} remains`);
    return problems;
  },
};
