/**
 * The generated suites' hooks into the install services (`LifecycleServices.scenarios` and `.faults`): called just
 * before a real service runs in a sandboxed path, they arrange the sandbox so that the real service answers what
 * the path's sample says (an older version installed first, an unfinished attempt left behind) or fails for real
 * (a file where an asset directory goes, a corrupt record, a package replaced by another version). Every fault
 * breaks the world rather than arming a throw, so the service's own checks are what fail, and a service that lost
 * a check lets the fault through and fails the suite.
 *
 * They only touch the sandbox: each refuses (returns false) a path it would write outside `dir`. They run the real
 * services to set things up (an earlier install is a real install). A set-up made before in this process from the
 * same target and package (every path starts from the same sandbox) is the target that first real run left, written
 * again ({@link sameWorld}): the same bytes, without the fsyncs of every step, which made the suite three times
 * slower.
 */
import { createHash } from 'node:crypto';
import { cp, mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join, posix, resolve } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import {
  INSTALL_STEPS,
  type CleanupPreviousInput,
  type InstallationRecord,
  type InstallInput,
  type InstallStep,
  type PreconditionsInput,
  type PreconditionsOutput,
  type ReadRecordInput,
  type ReadRecordOutput,
  type RollbackInput,
  type StepInput,
} from '../../../machines/install.ts';
import { PACKAGE_ROOT } from '../../package-root.ts';
import { isWithin, realPathOf } from '../safe-paths.ts';
import type { LifecycleServices } from '../types.ts';
import { checkPreconditions, cleanupPrevious } from './actors.ts';
import { backupDir } from './backup.ts';
import { exists, hashTree, isDirectory } from './fs.ts';
import { ASSET_KINDS, STEP_KINDS, assetTargetPath } from './kinds.ts';
import { readPackage, type ServiceManifest } from './package.ts';
import { completedVersion, readRecord, recordPath } from './record.ts';
import { runStep } from './steps.ts';

type Scenario = NonNullable<LifecycleServices<InstallInput>['scenarios']>[string];
type Fault = NonNullable<LifecycleServices<InstallInput>['faults']>[string];

/** Whether `path` (real path, symlinks resolved) lies inside the sandbox: the hooks write nowhere else. */
async function inSandbox(dir: string, path: string): Promise<boolean> {
  const [d, p] = await Promise.all([realPathOf(dir), realPathOf(path)]);
  return isWithin(d, p) && d !== p;
}

/** A directory tree as it is: its directories (empty ones count: an empty backup of a kind) and files, relative. */
interface Tree {
  dirs: string[];
  files: [string, Buffer][];
}

/** Reads `root` (a missing root is an empty tree); undefined when it holds anything but directories and files. */
async function readTree(root: string): Promise<Tree | undefined> {
  const tree: Tree = { dirs: [], files: [] };
  const walk = async (rel: string): Promise<boolean> => {
    let entries;
    try {
      entries = await readdir(join(root, rel), { withFileTypes: true });
    } catch (error) {
      return rel === '' && (error as NodeJS.ErrnoException).code === 'ENOENT';
    }
    for (const e of entries.sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const r = rel === '' ? e.name : `${rel}/${e.name}`;
      if (e.isDirectory()) {
        tree.dirs.push(r);
        if (!(await walk(r))) return false;
      } else if (e.isFile()) tree.files.push([r, await readFile(join(root, r))]);
      else return false;
    }
    return true;
  };
  return (await walk('')) ? tree : undefined;
}

function digest(tree: Tree | undefined): string {
  const hash = createHash('sha256');
  if (!tree) return 'unreadable';
  for (const d of tree.dirs) hash.update(`d ${d}\0`);
  for (const [f, data] of tree.files) hash.update(`f ${f} ${data.length}\0`).update(data);
  return hash.digest('hex');
}

const worlds = new Map<string, Tree>();

/**
 * Runs `make` (a set-up by the real services) on `target`, or, when the same set-up was made in this process from
 * the same target tree with the same `inputs` (package contents, the sample), writes the tree it left then.
 * Deterministic services make the same bytes from the same start; the records hold no absolute path.
 */
async function sameWorld(target: string, inputs: unknown[], make: () => Promise<void>): Promise<void> {
  const before = await readTree(target);
  const key = before && createHash('sha256').update(JSON.stringify(inputs)).update(digest(before)).digest('hex');
  const made = key && worlds.get(key);
  if (made) {
    await rm(target, { recursive: true, force: true });
    await mkdir(target, { recursive: true });
    for (const d of made.dirs) await mkdir(join(target, d), { recursive: true });
    for (const [f, data] of made.files) await writeFile(join(target, f), data);
    return;
  }
  await make();
  const after = key ? await readTree(target) : undefined;
  if (key && after) worlds.set(key, after);
}

/** Installs the package at `pkgPath` into `target` as a run would: preconditions, then every step. */
export async function installForReal(pkgPath: string, target: string): Promise<void> {
  await sameWorld(target, ['install', digest(await readTree(pkgPath))], async () => {
    const { manifest, installedVersion } = await checkPreconditions({ package: pkgPath, target });
    const previousVersion = installedVersion !== null && installedVersion !== manifest.version ? installedVersion : null;
    for (const step of INSTALL_STEPS) await runStep({ step, package: pkgPath, target, manifest, cleanup: false, previousVersion });
  });
}

/**
 * A package `name@version` to install first: the run's own package when it is that version, the example shipped
 * with lifecycle-kit when there is one (nginx 1.0.0: other assets than 1.1.0's, as a real upgrade has), else a copy
 * of the run's package under the sandbox with its manifest saying `version`.
 */
async function packageOf(dir: string, runPackage: string, manifest: ServiceManifest, version: string): Promise<string> {
  if (version === manifest.version) return runPackage;
  const shipped = join(PACKAGE_ROOT, 'examples/packages', manifest.name, version);
  if (await exists(join(shipped, 'manifest.json'))) return shipped;
  const copy = join(dir, 'scenario-packages', `${manifest.name}-${version}`);
  if (!(await exists(copy))) {
    await cp(runPackage, copy, { recursive: true });
    const json = JSON.parse(await readFile(join(copy, 'manifest.json'), 'utf8')) as Record<string, unknown>;
    await writeFile(join(copy, 'manifest.json'), `${JSON.stringify({ ...json, version }, null, 2)}\n`);
  }
  return copy;
}

/**
 * `checkPreconditions` reports the package's manifest and the version installed in the target: the manifest must
 * be the sandbox package's (nothing to arrange), the installed version (the sandbox's 1.0.0) is made by installing
 * the sample's version over it for real (the same version as the package, a newer 2.0.0 that the package would
 * downgrade), or by an empty target (nothing installed).
 */
const checkPreconditionsScenario: Scenario = async ({ input, dir, output }) => {
  const { package: pkgPath, target } = input as PreconditionsInput;
  const wanted = output as PreconditionsOutput;
  const pkg = await readPackage(pkgPath);
  if (!isDeepStrictEqual(wanted.manifest, pkg.manifest)) return false; // another package than the sandbox's
  const installed = completedVersion(await readRecord(target, pkg.manifest.name));
  if (installed === wanted.installedVersion) return true;
  if (!(await inSandbox(dir, target))) return false;
  if (wanted.installedVersion === null) await rm(target, { recursive: true, force: true });
  else await installForReal(await packageOf(dir, pkgPath, pkg.manifest, wanted.installedVersion), target);
  return true;
};

/**
 * `readInstallationRecord` reports the record of the package: the one the target holds (the sandbox's installed
 * 1.0.0), or one made by running the real steps of an earlier attempt up to the record's `latestExecutedState`
 * (and, for an unfinished one, leaving what a crash in the middle of the next step leaves).
 */
const readInstallationRecordScenario: Scenario = async ({ input, runInput, dir, output }) => {
  const { target, name } = input as ReadRecordInput;
  const wanted = (output as ReadRecordOutput).record;
  if (!(await inSandbox(dir, target))) return false;
  const current = await readRecord(target, name);
  await rememberInstalled(target, name, completedVersion(current));
  if (isDeepStrictEqual(current && pick(current), wanted)) return true;
  // No record where the preconditions have just read one (the version they found installed): a world in which it
  // vanished in between would contradict what the machine was told, so this sandbox cannot give it.
  if (wanted === null) return false;
  const pkg = await readPackage(runInput.package);
  const { manifest } = pkg;
  if (wanted.name !== name || wanted.name !== manifest.name || wanted.version !== manifest.version) return false;
  // The earlier attempt replaced what the target held then: only the version it holds now can be that one.
  if (wanted.previousVersion !== completedVersion(current)) return false;
  const steps = wanted.latestExecutedState === null ? [] : INSTALL_STEPS.slice(0, INSTALL_STEPS.indexOf(wanted.latestExecutedState) + 1);
  if (wanted.status === 'installed' ? steps.length !== INSTALL_STEPS.length : steps.length === INSTALL_STEPS.length) return false;
  const setUp = () => earlierAttempt(target, runInput.package, pkg, wanted, steps);
  // A failure record names the sandbox's paths in its message: made afresh every time.
  if (wanted.status === 'failed') await setUp();
  else await sameWorld(target, ['attempt', digest(await readTree(runInput.package)), wanted], setUp);
  return true;
};

/**
 * The attempt a record sample tells of, run by the real steps: every step up to its `latestExecutedState`, then
 * (unfinished) what a crash in the middle of the next step leaves, or (failed) the next step failing.
 */
async function earlierAttempt(target: string, pkgPath: string, pkg: Awaited<ReturnType<typeof readPackage>>, wanted: InstallationRecord, steps: InstallStep[]): Promise<void> {
  const { manifest } = pkg;
  const name = manifest.name;
  const stepInput = (step: InstallStep, m: ServiceManifest = manifest): StepInput => ({ step, package: pkgPath, target, manifest: m, cleanup: false, previousVersion: wanted.previousVersion });
  // An attempt that had started but written nothing yet: what force's cleanup leaves is exactly that record.
  if (steps.length === 0) await cleanupPrevious({ target, name, version: manifest.version });
  for (const step of steps) await runStep(stepInput(step));
  if (wanted.status === 'installed') return;
  const next = INSTALL_STEPS[steps.length]!;
  if (wanted.status === 'failed') {
    // The attempt failed at the next step: the package's own fault declaration (faults.ts) makes it fail once,
    // after its first asset, and the step records the failure.
    await runStep(stepInput(next, { ...manifest, faults: [{ step: next, times: 1 }] })).catch(() => undefined);
    return;
  }
  // status installing: the attempt was killed in the middle of the next step, which had written its first asset and
  // half of the second one's temp file. The resumed run must clean that up (its invariants say so).
  const kind = STEP_KINDS[next].find((k) => (manifest.assets[k] ?? []).length > 0);
  const assets = kind ? manifest.assets[kind]! : [];
  if (kind && assets.length > 0) {
    const first = assetTargetPath(target, kind, name, assets[0]!);
    await mkdir(dirname(first), { recursive: true });
    await writeFile(first, await pkg.read(assets[0]!));
    const half = await pkg.read(assets[1] ?? assets[0]!);
    await writeFile(join(dirname(first), `.${posix.basename(assets[1] ?? assets[0]!)}.crashed.tmp`), half.subarray(0, half.length >> 1));
  }
}

/** The assets of the version a target held before the run (by the target's resolved path), per kind: file → sha256. */
const before = new Map<string, { name: string; version: string; assets: Record<string, Record<string, string>> }>();

async function assetsOf(target: string, name: string): Promise<Record<string, Record<string, string>>> {
  const out: Record<string, Record<string, string>> = {};
  for (const kind of ASSET_KINDS) out[kind] = await hashTree(join(target, kind, name)).catch(() => ({}));
  return out;
}

/** Remembers, before the run writes anything, the files of the version the target holds (none: nothing to keep). */
async function rememberInstalled(target: string, name: string, version: string | null): Promise<void> {
  if (version === null) before.delete(resolve(target));
  else before.set(resolve(target), { name, version, assets: await assetsOf(target, name) });
}

/**
 * After a rollback to the version the target held before the run, its files are back byte for byte: every asset of
 * every kind as it was, none missing, none left of the version rolled back from. (Known only in the generated
 * suites, which saw the target before the run; elsewhere nothing to compare.)
 */
export async function assetsAsBefore(target: string, version: string | null): Promise<string[]> {
  const was = before.get(resolve(target));
  if (!was || was.version !== version) return [];
  const now = await assetsOf(target, was.name);
  const problems: string[] = [];
  for (const kind of ASSET_KINDS) {
    const a = was.assets[kind] ?? {};
    const b = now[kind] ?? {};
    for (const f of new Set([...Object.keys(a), ...Object.keys(b)]))
      if (a[f] !== b[f]) problems.push(`${kind}/${was.name}/${f} ${f in b ? (f in a ? `is not the ${version} file` : `was not there before (${version})`) : `of ${version} is missing`}`);
  }
  return problems.length ? [`rolled back to ${version}, but its files are not as they were: ${problems.slice(0, 6).join('; ')}${problems.length > 6 ? ` (and ${problems.length - 6} more)` : ''}`] : [];
}

function pick(r: InstallationRecord): InstallationRecord {
  return { name: r.name, version: r.version, status: r.status, latestExecutedState: r.latestExecutedState, previousVersion: r.previousVersion };
}

/**
 * A rollback that the path lets finish runs once what made the steps fail is cleared: the file a step fault put where
 * an asset directory goes (see {@link stepFault}) would make restoring that directory fail too, a failure the path
 * does not ask for. Nothing else is touched: the backup, the record and the assets are as the failed run left them.
 */
const rollbackScenario: Scenario = async ({ input, dir }) => {
  const { target } = input as RollbackInput;
  for (const kind of ASSET_KINDS) {
    const inTheWay = join(target, kind);
    if ((await exists(inTheWay)) && !(await isDirectory(inTheWay)) && (await inSandbox(dir, inTheWay))) await rm(inTheWay, { force: true });
  }
  return true;
};

export const installScenarios: Record<string, Scenario> = {
  checkPreconditions: checkPreconditionsScenario,
  readInstallationRecord: readInstallationRecordScenario,
  rollback: rollbackScenario,
};

// ---- faults ------------------------------------------------------------------------------------------------------

/** A record that is not JSON, where the services read the package's record: they refuse it (`invalid-record`). */
async function corruptRecord(dir: string, target: string, name: string): Promise<boolean> {
  const path = recordPath(target, name);
  if (!(await inSandbox(dir, path))) return false;
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, '{ "name": "' + name + '", "version": ');
  return true;
}

/**
 * The preconditions fail as the sample says, by breaking what they check: an asset the manifest names gone from the
 * package (`invalid-manifest`, the default), the package gone (`package-unreadable`), a file where the target directory
 * goes (`target-unwritable`), a corrupt record (`invalid-record`).
 */
const checkPreconditionsFault: Fault = async ({ input, dir, error }) => {
  const { package: pkgPath, target } = input as PreconditionsInput;
  const kind = (error as { kind?: unknown } | null)?.kind ?? 'invalid-manifest';
  switch (kind) {
    case 'invalid-manifest': {
      // An asset the manifest names is missing from the package (a partial copy): the check of every asset fails.
      if (!(await inSandbox(dir, pkgPath))) return false;
      const { assets } = (await readPackage(pkgPath)).manifest;
      const last = Object.values(assets).flat().pop();
      await rm(join(pkgPath, last ?? 'manifest.json'), { force: true });
      return true;
    }
    case 'package-unreadable':
      if (!(await inSandbox(dir, pkgPath))) return false;
      await rm(pkgPath, { recursive: true, force: true });
      return true;
    case 'target-unwritable':
      if (!(await inSandbox(dir, target)) || (await exists(target))) return false;
      await mkdir(dirname(target), { recursive: true });
      await writeFile(target, 'a file where the target directory goes\n');
      return true;
    case 'invalid-record':
      return corruptRecord(dir, target, (await readPackage(pkgPath)).manifest.name);
    default:
      return false;
  }
};

/**
 * An asset step fails for real because a regular file stands where its first kind's directory goes
 * (`<target>/<kind>`): removing what an earlier attempt left there fails with ENOTDIR, after the step backed up what
 * it replaces. Earlier steps' assets are untouched, as the invariants check (a rollback the path lets finish finds
 * the file cleared: {@link rollbackScenario}). The last step writes no assets: it
 * fails because the package was replaced by another version since the steps read it (`package-changed`), which it
 * must refuse to record as installed.
 */
const stepFault: Fault = async ({ input, dir }) => {
  const { step, target, manifest } = input as StepInput;
  if (step === 'save_installation_record') {
    const file = join((input as StepInput).package, 'manifest.json');
    if (!(await inSandbox(dir, file))) return false;
    const json = JSON.parse(await readFile(file, 'utf8')) as Record<string, unknown>;
    if (json.version === manifest.version) await writeFile(file, `${JSON.stringify({ ...json, version: `${manifest.version}-rebuilt` }, null, 2)}\n`);
    return true;
  }
  const kinds = STEP_KINDS[step];
  const kind = kinds.find((k) => (manifest.assets[k] ?? []).length > 0) ?? kinds[0]!;
  const inTheWay = join(target, kind);
  if (!(await inSandbox(dir, inTheWay))) return false;
  if (await isDirectory(inTheWay)) await rm(inTheWay, { recursive: true, force: true });
  await mkdir(target, { recursive: true });
  await writeFile(inTheWay, `a file where the ${kind} directory goes\n`);
  return true;
};

/** Force's cleanup reads the record to know what to back up: a corrupt record stops it before it removes anything. */
const cleanupPreviousFault: Fault = async ({ input, dir }) => {
  const { target, name } = input as CleanupPreviousInput;
  return corruptRecord(dir, target, name);
};

/**
 * A rollback restores the backup of the version it rolls back to: a backup that holds another version (left by
 * another attempt) must be refused (`rollback-unavailable`), not restored.
 */
const rollbackFault: Fault = async ({ input, dir }) => {
  const { target, manifest, previousVersion } = input as RollbackInput;
  const version = join(backupDir(target, manifest.name), 'VERSION');
  if (!(await inSandbox(dir, version))) return false;
  await mkdir(dirname(version), { recursive: true });
  await writeFile(version, `${previousVersion}-other\n`);
  return true;
};

export const installFaults: Record<string, Fault> = {
  checkPreconditions: checkPreconditionsFault,
  readInstallationRecord: async ({ input, dir }) => corruptRecord(dir, (input as ReadRecordInput).target, (input as ReadRecordInput).name),
  cleanupPrevious: cleanupPreviousFault,
  installKibanaAssets: stepFault,
  installIlmPolicies: stepFault,
  installIndexTemplatesAndPipelines: stepFault,
  installTransforms: stepFault,
  installMlModels: stepFault,
  saveInstallationRecord: stepFault,
  rollback: rollbackFault,
};
