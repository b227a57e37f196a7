/**
 * The install steps' real work. Every step is idempotent: it backs up what it replaces (when the install replaces
 * another version), removes its kinds' directories for the package — so whatever a failed or crashed attempt left
 * there goes — writes each asset atomically, and as its last act records itself as `latestExecutedState`. Running a
 * step twice, or after a crash in the middle of it, leaves the same files.
 */
import { writeFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { InstallStep, StepInput } from '../../../machines/install.ts';
import { toStepError } from '../../../machines/progress.ts';
import { writeFileAtomic } from '../../io/atomic-write.ts';
import { dropBackup, ensureBackup } from './backup.ts';
import { dueFault } from './faults.ts';
import { hashTree, remove, serviceError } from './fs.ts';
import { ASSET_KINDS, STEP_KINDS, assetTargetPath, kindDir } from './kinds.ts';
import { readPackage, type InstallPackage, type ServiceManifest } from './package.ts';
import { readRecord, writeRecord, type InstallationRecordFile } from './record.ts';
import { assertSafeInstall } from './safety.ts';

/**
 * Runs one install step against the target; on failure records the error (status `failed`) and rethrows.
 *
 * @example
 * await runStep({ step: 'ilm_policies', package, target, manifest, cleanup: false, previousVersion: null });
 */
export async function runStep(input: StepInput): Promise<void> {
  // Refused before anything is written, the failure record included: writing it could be the very harm.
  await assertSafeInstall(input.package, input.target, input.manifest.name);
  try {
    if (input.step === 'save_installation_record') await saveInstallationRecord(input);
    else await writeStepAssets(input);
  } catch (error) {
    await recordFailure(input, error).catch(() => undefined);
    throw error;
  }
}

/** Backup, remove, write, record: one asset step. */
async function writeStepAssets(input: StepInput): Promise<void> {
  const { step, target } = input;
  const manifest = input.manifest as ServiceManifest;
  const pkg = await samePackage(input);
  const kinds = STEP_KINDS[step];
  await mkdir(target, { recursive: true });
  if (input.previousVersion !== null) await ensureBackup(target, manifest.name, input.previousVersion, kinds);
  for (const kind of kinds) await remove(kindDir(target, kind, manifest.name));
  const fault = await dueFault(target, manifest, step);
  let written = 0;
  for (const kind of kinds) {
    for (const asset of manifest.assets[kind] ?? []) {
      const to = assetTargetPath(target, kind, manifest.name, asset);
      const data = await pkg.read(asset);
      if (fault && written === 1) {
        // A crash in the middle of a step: one asset written, the next one's temp file left behind.
        await mkdir(dirname(to), { recursive: true });
        writeFileSync(join(dirname(to), `.${asset.split('/').pop()}.crashed.tmp`), data.subarray(0, data.length >> 1));
        throw fault;
      }
      writeFileAtomic(to, data);
      written++;
    }
  }
  if (fault) throw fault;
  const record = await readRecord(target, manifest.name).catch(() => null);
  writeRecord(target, {
    ...base(record, input),
    status: 'installing',
    latestExecutedState: step,
    step,
    attempts: attemptsAt(record, step),
  });
}

/**
 * The package the run started with, read again: a package replaced by another version since the preconditions read
 * it (a new build copied over it) must not have its assets mixed with the old one's, nor be recorded as installed.
 */
async function samePackage(input: StepInput): Promise<InstallPackage> {
  const { manifest } = input;
  const pkg = await readPackage(input.package);
  if (pkg.manifest.name !== manifest.name || pkg.manifest.version !== manifest.version)
    throw serviceError('package-changed', `package ${input.package} is now ${pkg.manifest.name}@${pkg.manifest.version}, not ${manifest.name}@${manifest.version}: start the install again`);
  return pkg;
}

/**
 * The last step: the record says installed at the package's version, with the files it wrote; backups go. The
 * package is checked to be the one the steps installed, as every asset step does, so a package replaced after the
 * last asset step is not recorded as installed.
 */
async function saveInstallationRecord(input: StepInput): Promise<void> {
  const { target, manifest, step } = input;
  await samePackage(input);
  const fault = await dueFault(target, manifest as ServiceManifest, step);
  if (fault) throw fault;
  const record = await readRecord(target, manifest.name).catch(() => null);
  writeRecord(target, {
    ...base(record, input),
    status: 'installed',
    latestExecutedState: step,
    installedVersion: manifest.version,
    step,
    attempts: attemptsAt(record, step),
    lastError: null,
    files: await packageFiles(target, manifest.name),
  });
  await dropBackup(target, manifest.name);
}

async function recordFailure(input: StepInput, error: unknown): Promise<void> {
  const { target, manifest, step } = input;
  const record = await readRecord(target, manifest.name).catch(() => null);
  const e = toStepError(step, 0, error);
  writeRecord(target, {
    ...base(record, input),
    status: 'failed',
    step,
    attempts: attemptsAt(record, step),
    lastError: { step, message: e.message, ...(e.kind ? { kind: e.kind } : {}), time: e.time },
  });
}

/** The fields every write of this attempt shares; what an earlier write of the same version recorded is kept. */
function base(record: InstallationRecordFile | null, input: StepInput): Omit<InstallationRecordFile, 'updatedAt'> {
  const same = record !== null && record.version === input.manifest.version && record.status !== 'installed';
  return {
    name: input.manifest.name,
    version: input.manifest.version,
    status: 'installing',
    latestExecutedState: same ? record.latestExecutedState : null,
    previousVersion: input.previousVersion,
    installedVersion: input.previousVersion,
    step: same ? record.step : null,
    attempts: same ? record.attempts : 0,
    lastError: same ? record.lastError : null,
    files: null,
  };
}

function attemptsAt(record: InstallationRecordFile | null, step: InstallStep): number {
  return (record?.step === step && record.status !== 'installed' ? record.attempts : 0) + 1;
}

/** `{ "<kind>/<name>/<file>": sha256 }` of every asset of `name` in the target. */
export async function packageFiles(target: string, name: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const kind of ASSET_KINDS) {
    for (const [file, hash] of Object.entries(await hashTree(kindDir(target, kind, name)))) out[`${kind}/${name}/${file}`] = hash;
  }
  return out;
}
