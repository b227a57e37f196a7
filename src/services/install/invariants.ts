/**
 * Per-state invariants of the install lifecycle: checks of the real target that must hold whenever the machine is
 * in a state. Each returns the violations it finds, one sentence each.
 */
import { readFile } from 'node:fs/promises';
import { isDeepStrictEqual } from 'node:util';
import { INSTALL_STEPS, type InstallContext, type InstallInput, type InstallStep } from '../../../machines/install.ts';
import type { Invariant, InvariantProbe } from '../types.ts';
import { checkPreconditions } from './actors.ts';
import { backedUpVersion, backupDir } from './backup.ts';
import { exists, isDirectory, listFiles } from './fs.ts';
import { STEP_KINDS, kindDir } from './kinds.ts';
import { readPackage } from './package.ts';
import { completedVersion, readRecord, recordPath, type InstallationRecordFile } from './record.ts';
import { packageFiles } from './steps.ts';
import { assetsAsBefore } from './test-hooks.ts';

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

/** Files of the package's `kinds` in the target (any file, asset or not). */
async function filesOf(target: string, name: string, kinds: readonly string[]): Promise<string[]> {
  const out: string[] = [];
  for (const kind of kinds) for (const f of await listFiles(kindDir(target, kind, name))) out.push(`${kindDir(target, kind, name)}/${f}`);
  return out;
}

/** The version the backup of `name` holds (null: no backup), read as `backup.ts` does. */
async function backupVersion(target: string, name: string): Promise<string | null> {
  return (await exists(backupDir(target, name))) ? ((await backedUpVersion(target, name)) ?? '(unknown)') : null;
}

/**
 * In `installing.<step>`: every step before it has written exactly the package's assets, and the record says the
 * step before it is the latest executed one (or `<step>` itself, when its service has just finished). With force,
 * whose cleanup removed every asset of the package, the kinds of the steps after it hold nothing yet (without force
 * they may hold what another version's attempt left, which their step removes). A run that replaces a version
 * keeps a backup of that version holding every kind replaced so far (what a rollback restores; force's cleanup backs
 * up all of them, each step its own before it writes); a run that replaces nothing keeps no backup.
 */
function duringStep(step: InstallStep): Check {
  const i = INSTALL_STEPS.indexOf(step);
  const expected = i === 0 ? null : INSTALL_STEPS[i - 1]!;
  return async (probe) => {
    const { manifest, previousVersion, force } = probe.context;
    const { target } = probe.input;
    if (!manifest) return [`in installing.${step} the manifest is not known`];
    const before = INSTALL_STEPS.slice(0, i).flatMap((s) => STEP_KINDS[s]);
    const problems = await assetsMatch(target, probe.input.package, before);
    const r = await record(probe);
    const latest = r !== null && r.version === manifest.version ? r.latestExecutedState : null;
    if (latest !== expected && latest !== step)
      problems.push(`in installing.${step} the record's latestExecutedState should be ${expected ?? 'null'}, found ${latest ?? 'null'}`);
    if (force) {
      const later = await filesOf(target, manifest.name, INSTALL_STEPS.slice(i + 1).flatMap((s) => STEP_KINDS[s]));
      if (later.length) problems.push(`in installing.${step} no step after it has run, yet ${later.join(', ')} ${later.length === 1 ? 'is' : 'are'} there`);
    }
    // Were the run stopped here, the next one would be told the truth: the version this attempt replaces is what the
    // target has installed (the preconditions, which write nothing, read it from the record each step rewrites).
    const next = await checkPreconditions({ package: probe.input.package, target }).then((o) => o.installedVersion, (e: Error) => `(the preconditions fail: ${e.message})`);
    if (next !== previousVersion) problems.push(`in installing.${step} the preconditions would now report ${next ?? 'nothing'} installed, not ${previousVersion ?? 'nothing'}, the version this run replaces`);
    const held = await backupVersion(target, manifest.name);
    if (previousVersion === null) {
      if (held !== null) problems.push(`in installing.${step} nothing is replaced, yet a backup (of ${held}) is in ${backupDir(target, manifest.name)}`);
    } else if (i === 0 && !force) {
      // The first step backs up what it replaces when it runs: before that, no backup yet (or a stale one it replaces).
    } else if (held !== previousVersion) {
      problems.push(`in installing.${step} the backup should hold ${previousVersion}, the version this run replaces; found ${held ?? 'no backup'}`);
    } else {
      for (const kind of before)
        if (!(await isDirectory(`${backupDir(target, manifest.name)}/kinds/${kind}`))) problems.push(`in installing.${step} the backup of ${previousVersion} lacks the ${kind} the steps before replaced`);
    }
    return problems;
  };
}

/** Whether the machine waits out a backoff before running `step` again (the step's state other than running). */
function waitsToRetry(value: unknown, step: InstallStep): boolean {
  const inner = (value as { installing?: Record<string, unknown> } | null)?.installing?.[step];
  return typeof inner === 'string' && inner !== 'running';
}

/**
 * Waiting to retry `installing.<step>`: the attempt that just failed recorded its failure (status failed at this step,
 * its error, the attempts so far), unless the step was refused before anything was written (an unsafe target).
 */
function afterFailure(step: InstallStep): Check {
  return async (probe) => {
    const r = await record(probe);
    const { attempts, lastError } = probe.context;
    if (lastError?.kind === 'paths-overlap' || lastError?.kind === 'path-escapes') return [];
    if (r === null) return [`installing.${step} failed, but there is no installation record`];
    const problems: string[] = [];
    if (r.status !== 'failed' || r.step !== step) problems.push(`installing.${step} failed, but the record says ${r.status} at step ${r.step ?? 'null'}`);
    if (r.lastError?.step !== step) problems.push(`installing.${step} failed, but the record's lastError names ${r.lastError?.step ?? 'none'}`);
    if (r.attempts < attempts) problems.push(`installing.${step} failed on attempt ${attempts}, but the record counts ${r.attempts} attempts`);
    return problems;
  };
}

export const installInvariants: Record<string, Check> = {
  // The preconditions told the truth: the manifest is the package's, the installed version the record's.
  readingRecord: async (probe) => {
    const { manifest, installedVersion } = probe.context;
    const pkg = await readPackage(probe.input.package);
    const problems: string[] = [];
    if (!isDeepStrictEqual(manifest, pkg.manifest)) problems.push(`the run's manifest is not the manifest of ${probe.input.package}`);
    const found = completedVersion(await record(probe));
    if (found !== installedVersion) problems.push(`the run says ${installedVersion ?? 'no version'} is installed, the record says ${found ?? 'none'}`);
    return problems;
  },
  // The failure check is keyed by the step, not its backoff state: the step helper names that state (retrying).
  ...Object.fromEntries(INSTALL_STEPS.map((s) => [`installing.${s}`, async (probe: Probe) => [...(await duringStep(s)(probe)), ...(waitsToRetry(probe.value, s) ? await afterFailure(s)(probe) : [])]])),
  // A step failed for good and the run rolls back: the record says where it failed and after how many attempts.
  rollingBack: async (probe) => {
    const { lastError } = probe.context;
    if (!INSTALL_STEPS.includes(lastError?.step as InstallStep)) return [];
    const r = await record(probe);
    if (r === null) return [`rolling back after ${lastError!.step} failed, but there is no installation record`];
    const problems: string[] = [];
    if (r.status !== 'failed' || r.step !== lastError!.step || r.lastError?.step !== lastError!.step)
      problems.push(`rolling back after ${lastError!.step} failed, but the record says ${r.status} at ${r.step ?? 'null'} (its error at ${r.lastError?.step ?? 'none'})`);
    if (r.attempts < lastError!.attempt) problems.push(`${lastError!.step} failed on attempt ${lastError!.attempt}, but the record counts ${r.attempts} attempts`);
    return problems;
  },
  installed: async (probe) => {
    const { target } = probe.input;
    const version = probe.context.manifest?.version;
    const problems = await assetsMatch(target, probe.input.package, Object.values(STEP_KINDS).flat());
    const r = await record(probe);
    if (r === null) return [...problems, `installed, but ${target} has no installation record`];
    if (r.status !== 'installed' || r.version !== version || r.latestExecutedState !== 'save_installation_record')
      problems.push(`the record should say installed at ${version} after save_installation_record, found ${r.status} at ${r.version} after ${r.latestExecutedState}`);
    if (r.installedVersion !== version) problems.push(`installed, but the record's installedVersion is ${r.installedVersion}, not ${version}`);
    if (r.lastError !== null) problems.push(`installed, but the record still holds the error of ${r.lastError.step}`);
    if (probe.context.installedVersion !== version) problems.push(`installed, but the run says ${probe.context.installedVersion} is installed`);
    problems.push(...(await filesMatchRecord(target, r)));
    if (await exists(backupDir(target, r.name))) problems.push(`installed, but a backup of ${r.name} remains in ${backupDir(target, r.name)}`);
    return problems;
  },
  alreadyInstalled: async (probe) => {
    const r = await record(probe);
    if (r === null || r.status !== 'installed' || r.version !== probe.context.manifest?.version)
      return [`alreadyInstalled, but the record does not say installed at ${probe.context.manifest?.version}`];
    return [...(await assetsMatch(probe.input.target, probe.input.package, Object.values(STEP_KINDS).flat())), ...(await filesMatchRecord(probe.input.target, r))];
  },
  // Refused before anything was written: a refused downgrade leaves the installed version as it was.
  preconditionFailed: async (probe) => {
    const { manifest, installedVersion } = probe.context;
    if (!manifest) return [];
    const r = await record(probe);
    const problems: string[] = [];
    if (installedVersion !== null) {
      if (r === null || r.status !== 'installed' || r.version !== installedVersion) problems.push(`preconditionFailed, but the record no longer says installed at ${installedVersion}`);
      else problems.push(...(await filesMatchRecord(probe.input.target, r)));
    }
    if (await exists(backupDir(probe.input.target, manifest.name))) problems.push(`preconditionFailed, but a backup of ${manifest.name} was made`);
    return problems;
  },
  failed: async (probe) => {
    const { step, manifest, latestExecutedState, attempts } = probe.context;
    if (!manifest || !INSTALL_STEPS.includes(step as InstallStep)) return [];
    const r = await record(probe);
    if (r === null) return [`failed at ${step}, but ${recordPath(probe.input.target, manifest.name)} does not exist`];
    const problems: string[] = [];
    if (r.status !== 'failed') problems.push(`failed at ${step}, but the record's status is ${r.status}`);
    if (r.latestExecutedState !== latestExecutedState)
      problems.push(`the record's latestExecutedState is ${r.latestExecutedState}, the run's is ${latestExecutedState}`);
    if (r.lastError?.step !== step) problems.push(`the record's lastError should name step ${step}, found ${r.lastError?.step ?? 'none'}`);
    if (r.attempts < attempts) problems.push(`failed at ${step} after ${attempts} attempts, but the record counts ${r.attempts}`);
    // A failed step leaves what the steps before it wrote as they wrote it (a resume starts from there).
    const i = INSTALL_STEPS.indexOf(step as InstallStep);
    problems.push(...(await assetsMatch(probe.input.target, probe.input.package, INSTALL_STEPS.slice(0, i).flatMap((s) => STEP_KINDS[s]))));
    return problems;
  },
  rolledBack: async (probe) => {
    const { previousVersion, manifest, installedVersion } = probe.context;
    const r = await record(probe);
    if (r === null) return ['rolledBack, but there is no installation record'];
    const problems: string[] = [];
    if (r.status !== 'installed' || r.version !== previousVersion || r.installedVersion !== previousVersion)
      problems.push(`rolledBack: the record should say installed at ${previousVersion}, found ${r.status} at ${r.version} (installedVersion ${r.installedVersion})`);
    if (installedVersion !== previousVersion) problems.push(`rolledBack: the run says ${installedVersion} is installed, not ${previousVersion}`);
    if (r.rolledBackFrom !== manifest?.version) problems.push(`rolledBack: the record should name ${manifest?.version} as rolled back`);
    if (r.files !== null) problems.push(...(await filesMatchRecord(probe.input.target, r)));
    if (await exists(backupDir(probe.input.target, r.name))) problems.push(`rolledBack, but the backup of ${r.name} remains`);
    problems.push(...(await assetsAsBefore(probe.input.target, previousVersion)));
    return problems;
  },
};
