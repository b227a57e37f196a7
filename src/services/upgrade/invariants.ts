/**
 * Per-state invariants of the upgrade lifecycle: checks of the real agent home that must hold whenever the machine
 * is in a state. Each returns the violations it finds, one sentence each.
 */
import { isWithin, realPathOf } from '../safe-paths.ts';
import { access, constants, readdir, readFile, readlink, stat } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import * as tar from 'tar';
import type { UpgradeContext, UpgradeInput } from '../../../machines/upgrade.ts';
import type { Invariant, InvariantProbe } from '../types.ts';
import { exists, hashTree, isDirectory, sha256File } from '../install/fs.ts';
import { isAlive, readHomeRun } from './agent-process.ts';
import { ARTIFACT_ENTRYPOINT, currentTarget, isInside, layout, readAgentManifest } from './home.ts';
import { stateDir } from './next-version.ts';
import { stateAsBackedUp, strayAgents } from './test-hooks.ts';

type Probe = InvariantProbe<UpgradeInput, UpgradeContext>;
type Check = Invariant<UpgradeInput, UpgradeContext>;

/** `current` points at `expected`. */
async function currentIs(probe: Probe, expected: string | null | undefined, what: string): Promise<string[]> {
  if (!expected) return [];
  const actual = await currentTarget(probe.input.agentHome);
  return actual === expected ? [] : [`current should point at ${what} ${expected}, it points at ${actual ?? 'nothing'}`];
}

const atOldVersion = (probe: Probe) => currentIs(probe, probe.context.current?.path, 'the running version');
const atNewVersion = (probe: Probe) => currentIs(probe, probe.context.extractedPath, 'the new version');

/** No download and no extraction of the target version remains. */
async function nothingDownloaded(probe: Probe): Promise<string[]> {
  const home = probe.input.agentHome;
  const problems: string[] = [];
  // What the download wrote; a file of the user's that the download refused to touch (its source, or anything in a
  // download folder that is a symlink out of the home) stays.
  const escapes = !isWithin(await realPathOf(home), await realPathOf(layout.downloads(home)));
  const source = await realPathOf(probe.input.source);
  const downloads = escapes ? [] : await readdir(layout.downloads(home)).catch(() => [] as string[]);
  const left: string[] = [];
  for (const name of downloads) if ((await realPathOf(join(layout.downloads(home), name))) !== source) left.push(name);
  if (left.length > 0) problems.push(`${layout.downloads(home)} still holds ${left.join(', ')}`);
  const { extractedPath, current } = probe.context;
  if (extractedPath && extractedPath !== current?.path && (await exists(extractedPath))) problems.push(`the extracted version ${extractedPath} remains`);
  const temps = (await readdir(layout.data(home)).catch(() => [] as string[])).filter((n) => n.startsWith('.extract-'));
  if (temps.length > 0) problems.push(`extraction leftovers remain in ${layout.data(home)}: ${temps.join(', ')}`);
  const entry = await readlink(layout.entrypoint(home)).then((t) => resolve(dirname(layout.entrypoint(home)), t), () => null);
  if (entry !== null && !(await exists(entry))) problems.push(`${layout.entrypoint(home)} points at ${entry}, which does not exist`);
  return problems;
}

/** Every file of the running version's state was copied into the new version. */
async function stateMigrated(probe: Probe): Promise<string[]> {
  const { current, extractedPath, stateBackupPath } = probe.context;
  if (!current || !extractedPath) return [];
  const problems: string[] = [];
  if (stateBackupPath && !(await isDirectory(stateBackupPath))) problems.push(`the state backup ${stateBackupPath} does not exist`);
  const from = await hashTree(stateDir(current.path));
  const to = await hashTree(stateDir(extractedPath));
  for (const [f, h] of Object.entries(from)) {
    if (f.startsWith('run/')) continue; // run state the agents rewrite as they start
    if (to[f] !== h) problems.push(`state file ${f} of ${current.path} was not migrated to ${extractedPath}`);
  }
  return problems;
}

/**
 * The new agent was started and is the one the home runs. (Whether it is still alive is the watcher's question
 * during the trial; once `completed`, it must be.)
 */
async function newAgentStarted(probe: Probe): Promise<string[]> {
  const { agentPid, extractedPath } = probe.context;
  const run = await readHomeRun(probe.input.agentHome);
  return run?.pid === agentPid && run.path === extractedPath ? [] : [`${layout.runFile(probe.input.agentHome)} does not name the new agent ${agentPid} of ${extractedPath}`];
}

async function markerNamesTarget(probe: Probe): Promise<string[]> {
  const marker = await readFile(layout.marker(probe.input.agentHome), 'utf8').then((s) => JSON.parse(s) as { to?: string; path?: string }, () => null);
  if (!marker) return [`after the hand-off the upgrade marker ${layout.marker(probe.input.agentHome)} should exist`];
  // The entrypoint names its own real path: a home given through a symlink names the same directory otherwise.
  const samePath = marker.path === probe.context.extractedPath || (typeof marker.path === 'string' && probe.context.extractedPath !== null && (await realPathOf(marker.path)) === (await realPathOf(probe.context.extractedPath)));
  return marker.to === probe.context.targetVersion && samePath
    ? []
    : [`the upgrade marker names ${marker.to} at ${marker.path}, expected ${probe.context.targetVersion} at ${probe.context.extractedPath}`];
}

const isUrl = (s: string) => /^[a-z][a-z0-9+.-]*:\/\//i.test(s);

/** Where a symlink points (absolute), or null when there is none. */
const linkTarget = (link: string) => readlink(link).then((t) => resolve(dirname(link), t), () => null);

/** The upgrade marker is absent: nothing took the upgrade over (before the hand-off, or after a cleanup). */
async function noMarker(probe: Probe): Promise<string[]> {
  return (await exists(layout.marker(probe.input.agentHome))) ? [`the upgrade marker ${layout.marker(probe.input.agentHome)} exists before any hand-off`] : [];
}

/**
 * This run left no version of its own beside the running one: not the one it extracted (unless it is the running
 * one), no extraction temp, no file that escaped a version directory into `data/`, and the stable
 * entrypoint, if there is one, is not that version's. (Versions an earlier run left are not this run's.)
 */
async function noNewVersion(probe: Probe): Promise<string[]> {
  const home = probe.input.agentHome;
  const { current, extractedPath } = probe.context;
  const running = current?.path ? resolve(current.path) : null;
  // The context names the version once this run extracted it (a version directory there from before is not this run's).
  const own = (extractedPath ? [resolve(extractedPath)] : []).filter((p) => p !== running);
  const problems: string[] = [];
  for (const p of new Set(own)) if (await exists(p)) problems.push(`the version ${p} this run extracted remains`);
  const entries = await readdir(layout.data(home), { withFileTypes: true }).catch(() => []);
  const stray = entries.filter((e) => e.name.startsWith('.extract-') || (!e.isDirectory() && e.name !== basename(layout.marker(home)))).map((e) => e.name);
  if (stray.length > 0) problems.push(`${layout.data(home)} holds what no version directory should leave there: ${stray.join(', ')}`);
  const entry = await linkTarget(layout.entrypoint(home));
  const into = entry !== null ? [...new Set(own)].find((p) => isInside(p, entry)) : undefined;
  if (into) problems.push(`${layout.entrypoint(home)} points into ${into}, the version this run extracted, not the running one`);
  return problems;
}

/**
 * Before the version rules said yes, this run wrote nothing: no download of its artifact (or part of one), no backup
 * of the running version's state, no other version, no marker. (What an earlier run left, e.g. the backup of the
 * version it upgraded from, is not this run's.)
 */
async function nothingWritten(probe: Probe): Promise<string[]> {
  const home = probe.input.agentHome;
  const source = probe.input.source;
  const name = isUrl(source) ? decodeURIComponent(basename(new URL(source).pathname)) : basename(source);
  const made: string[] = [];
  // A source the user put in the download folder is theirs (the download refuses it), not this run's.
  const realSource = isUrl(source) ? null : await realPathOf(source);
  for (const file of [join(layout.downloads(home), name), join(layout.downloads(home), `${name}.part`)])
    if ((await exists(file)) && (await realPathOf(file)) !== realSource) made.push(file);
  const running = probe.context.current?.path;
  if (running && (await exists(join(layout.backups(home), `state-${basename(running)}`)))) made.push(join(layout.backups(home), `state-${basename(running)}`));
  return [...(made.length ? [`nothing should have been written yet, but ${made.join(', ')} exist${made.length === 1 ? 's' : ''}`] : []), ...(await noNewVersion(probe)), ...(await noMarker(probe))];
}

/** The downloaded artifact is whole: the size the download reported, no part file beside it, the source's bytes. */
async function artifactComplete(probe: Probe): Promise<string[]> {
  const { artifactPath, bytesReceived } = probe.context;
  if (!artifactPath) return [];
  const s = await stat(artifactPath).catch(() => null);
  if (!s?.isFile()) return [];
  const problems: string[] = [];
  if (s.size !== bytesReceived) problems.push(`the artifact ${artifactPath} has ${s.size} bytes, the download reported ${bytesReceived}`);
  if (await exists(`${artifactPath}.part`)) problems.push(`the partial download ${artifactPath}.part remains beside the complete artifact`);
  const source = probe.input.source;
  if (!isUrl(source) && (await exists(source)) && (await sha256File(source)) !== (await sha256File(artifactPath)))
    problems.push(`the artifact ${artifactPath} differs from its source ${source}`);
  return problems;
}

/** Once verified, the artifact is the one asked for. */
async function artifactVerified(probe: Probe): Promise<string[]> {
  const { artifactPath, sha256 } = probe.context;
  if (!artifactPath) return ['extracting without a downloaded artifact'];
  const actual = await sha256File(artifactPath).catch(() => null);
  return actual === sha256.trim().toLowerCase() ? [] : [`extracting ${artifactPath}, whose sha256 is ${actual ?? 'unreadable'}, not the expected ${sha256}`];
}

/**
 * The extracted version is the artifact, whole: its directory is `data/agent-<version>-<first 6 digits of the
 * sha256>`, every file of the archive is there with its size, its `agent.json` names the target version, its
 * entrypoint is executable, no extraction temp remains, and the entrypoint it replaced is kept for a cancel.
 */
async function extractedWhole(probe: Probe): Promise<string[]> {
  const { extractedPath, artifactPath, targetVersion, sha256, current } = probe.context;
  const home = probe.input.agentHome;
  if (!extractedPath || !(await isDirectory(extractedPath))) return [];
  const problems: string[] = [];
  const expected = join(layout.data(home), `agent-${targetVersion}-${sha256.trim().toLowerCase().slice(0, 6)}`);
  if (resolve(extractedPath) !== resolve(expected)) problems.push(`the extracted version is ${extractedPath}, expected ${expected}`);
  if (artifactPath && (await exists(artifactPath))) {
    const files: { path: string; size: number }[] = [];
    await tar.t({ file: artifactPath, onReadEntry: (e) => void (e.type === 'File' && files.push({ path: e.path.replace(/^\.\//, ''), size: e.size ?? 0 })) }).catch(() => undefined);
    for (const f of files) {
      const s = await stat(join(extractedPath, f.path)).catch(() => null);
      if (!s?.isFile() || s.size !== f.size) problems.push(`${f.path} of the artifact is ${s ? `${s.size} bytes` : 'missing'} in ${extractedPath}${s ? `, not ${f.size}` : ''}`);
    }
  }
  const manifest = await readAgentManifest(extractedPath).catch(() => null);
  if (manifest?.version !== targetVersion) problems.push(`${extractedPath}/agent.json names version ${manifest?.version}, not ${targetVersion}`);
  if (!(await access(join(extractedPath, ARTIFACT_ENTRYPOINT), constants.X_OK).then(() => true, () => false))) problems.push(`the entrypoint ${join(extractedPath, ARTIFACT_ENTRYPOINT)} is not executable`);
  const temps = (await readdir(layout.data(home)).catch(() => [] as string[])).filter((n) => n.startsWith('.extract-'));
  if (temps.length > 0) problems.push(`extraction leftovers remain in ${layout.data(home)}: ${temps.join(', ')}`);
  const previous = await linkTarget(layout.previousEntrypoint(home));
  if (previous !== null && current && !isInside(current.path, previous)) problems.push(`${layout.previousEntrypoint(home)} points at ${previous}, not into the running version ${current.path}`);
  return problems;
}

/** The backup holds the running version's state as it is (what a rollback restores). */
async function backupTaken(probe: Probe): Promise<string[]> {
  const { current, stateBackupPath } = probe.context;
  if (!current || !stateBackupPath || !(await isDirectory(stateBackupPath))) return [];
  const from = await hashTree(stateDir(current.path));
  const backup = await hashTree(stateBackupPath);
  const problems: string[] = [];
  for (const [f, h] of Object.entries(from)) if (!f.startsWith('run/') && backup[f] !== h) problems.push(`state file ${f} of ${current.path} is not in the backup ${stateBackupPath}`);
  return problems;
}

/** During the trial the version upgraded from stays on disk, with its state, for a rollback. */
async function previousKept(probe: Probe): Promise<string[]> {
  const { current } = probe.context;
  if (!current) return [];
  return (await isDirectory(stateDir(current.path))) ? [] : [`the version upgraded from ${current.path} (or its state) is gone during the trial`];
}

/** A rollback leaves no backup, no record of a stopped agent, and the running version's state in place. */
async function rollbackTidy(probe: Probe): Promise<string[]> {
  const home = probe.input.agentHome;
  const { stateBackupPath, current } = probe.context;
  const problems: string[] = [];
  if (stateBackupPath && (await exists(stateBackupPath))) problems.push(`the state backup ${stateBackupPath} remains after the rollback`);
  if (await exists(layout.stoppedFile(home))) problems.push(`${layout.stoppedFile(home)} remains after the rollback`);
  if (current && !(await isDirectory(stateDir(current.path)))) problems.push(`the restored version ${current.path} has no state directory`);
  return problems;
}

/**
 * Once the new agent runs, it is the only agent of the home: the one the upgrade stopped (recorded for a rollback)
 * is not alive, and no other version's run file names a live process.
 */
async function onlyNewAgentRuns(probe: Probe): Promise<string[]> {
  const home = probe.input.agentHome;
  const { agentPid, extractedPath } = probe.context;
  const problems: string[] = [];
  const stopped = await readFile(layout.stoppedFile(home), 'utf8').then((s) => JSON.parse(s) as { pid?: number; path?: string }, () => null);
  if (stopped?.pid && stopped.pid !== agentPid && isAlive(stopped.pid)) problems.push(`the agent the upgrade stopped (pid ${stopped.pid} of ${stopped.path}) still runs beside the new one`);
  for (const name of await readdir(layout.data(home)).catch(() => [] as string[])) {
    const path = join(layout.data(home), name);
    if (extractedPath && resolve(path) === resolve(extractedPath)) continue;
    const run = await readFile(join(path, 'run', 'agent.json'), 'utf8').then((s) => JSON.parse(s) as { pid?: number }, () => null);
    if (run?.pid && run.pid !== agentPid && isAlive(run.pid)) problems.push(`the agent of ${path} (pid ${run.pid}) still runs beside the new one`);
  }
  return [...problems, ...strayAgents(home, agentPid)];
}

/**
 * The version directory this run extracts to (`data/agent-<target version>-<first 6 digits of its sha256>`) is gone
 * unless it is the running version: what a cancel or a failure before the hand-off, or a rollback, must remove,
 * whatever the context still names.
 */
async function targetNotExtracted(probe: Probe): Promise<string[]> {
  const { targetVersion, sha256 } = probe.input;
  const path = join(layout.data(probe.input.agentHome), `agent-${targetVersion}-${String(sha256).trim().toLowerCase().slice(0, 6)}`);
  const running = probe.context.current?.path;
  if (running && resolve(running) === resolve(path)) return [];
  return (await exists(path)) ? [`the version directory ${path} this run extracts to remains`] : [];
}

const all =
  (...checks: Check[]): Check =>
  async (probe) =>
    (await Promise.all(checks.map((c) => c(probe)))).flat();

export const upgradeInvariants: Record<string, Check> = {
  /** Before the hand-off the running version stays active, and nothing took the upgrade over. */
  currentVersion: all(atOldVersion, noMarker),
  /** Reading the running version writes nothing. */
  'currentVersion.checkingVersion': nothingWritten,
  /** Until the extraction, the running version is the only one in the home. */
  'currentVersion.downloading': noNewVersion,
  'currentVersion.verifying': all(noNewVersion, artifactComplete, async (probe) => {
    const path = probe.context.artifactPath;
    if (!path) return ['verifying without a downloaded artifact'];
    const s = await stat(path).catch(() => null);
    const problems = s?.isFile() ? [] : [`the downloaded artifact ${path} does not exist`];
    if (!isInside(layout.downloads(probe.input.agentHome), path)) problems.push(`the artifact ${path} is not under ${layout.downloads(probe.input.agentHome)}`);
    if (s && probe.context.totalBytes !== null && s.size !== probe.context.totalBytes) problems.push(`the artifact has ${s.size} bytes, the download reported ${probe.context.totalBytes}`);
    return problems;
  }),
  'currentVersion.extracting': all(noNewVersion, artifactVerified),
  handingOff: all(atOldVersion, noMarker, extractedWhole, async (probe) => {
    const { extractedPath } = probe.context;
    if (!extractedPath || !(await isDirectory(extractedPath))) return [`the extracted version ${extractedPath} does not exist`];
    const entry = await readlink(layout.entrypoint(probe.input.agentHome)).then((t) => resolve(dirname(layout.entrypoint(probe.input.agentHome)), t), () => null);
    return entry !== null && isInside(extractedPath, entry) && (await exists(entry))
      ? []
      : [`the stable entrypoint ${layout.entrypoint(probe.input.agentHome)} should point into ${extractedPath}, it points at ${entry ?? 'nothing'}`];
  }),
  nextVersion: markerNamesTarget,
  'nextVersion.migrating': atOldVersion,
  'nextVersion.swapping': all(stateMigrated, backupTaken),
  /** From the swap on, `current` points at the new version; the old one is kept for a rollback. */
  'nextVersion.trial': all(atNewVersion, stateMigrated, previousKept),
  'nextVersion.trial.agent.running': all(newAgentStarted, onlyNewAgentRuns),
  completed: all(atNewVersion, newAgentStarted, onlyNewAgentRuns, async (probe) => {
    const alive = isAlive(probe.context.agentPid) ? [] : [`the new agent (pid ${probe.context.agentPid}) is not running`];
    const parts = (await readdir(layout.downloads(probe.input.agentHome)).catch(() => [] as string[])).filter((n) => n.endsWith('.part'));
    return parts.length > 0 ? [...alive, `partial downloads remain: ${parts.join(', ')}`] : alive;
  }),
  /** After a rollback `current` points at the old version again, the new one is gone and not running. */
  rolledBack: all(atOldVersion, nothingDownloaded, noNewVersion, targetNotExtracted, rollbackTidy, (probe) => stateAsBackedUp(probe.input.agentHome, probe.context.current?.path), async (probe) => {
    const problems: string[] = [];
    if (isAlive(probe.context.agentPid)) problems.push(`the new agent (pid ${probe.context.agentPid}) still runs`);
    if (await exists(layout.marker(probe.input.agentHome))) problems.push('the upgrade marker remains');
    const run = await readHomeRun(probe.input.agentHome);
    if (run && run.path !== probe.context.current?.path) problems.push(`${layout.runFile(probe.input.agentHome)} names ${run.path}, not the old version`);
    problems.push(...strayAgents(probe.input.agentHome, run?.pid));
    return problems;
  }),
  /** Cancelled: no downloaded or extracted file remains, and the running version is untouched. */
  cancelled: all(atOldVersion, nothingDownloaded, noNewVersion, targetNotExtracted),
  /** Refused by a version rule: nothing was written at all. */
  refused: all(atOldVersion, nothingDownloaded, nothingWritten),
  failed: async (probe) => (probe.context.handedOff ? [] : (await all(atOldVersion, nothingDownloaded, noNewVersion, targetNotExtracted)(probe))),
};

