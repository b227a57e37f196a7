/**
 * Per-state invariants of the upgrade lifecycle: checks of the real agent home that must hold whenever the machine
 * is in a state. Each returns the violations it finds, one sentence each.
 */
import { isWithin, realPathOf } from '../safe-paths.ts';
import { readdir, readFile, readlink, stat } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import type { UpgradeContext, UpgradeInput } from '../../../machines/upgrade.ts';
import type { Invariant, InvariantProbe } from '../types.ts';
import { exists, hashTree, isDirectory } from '../install/fs.ts';
import { isAlive, readHomeRun } from './agent-process.ts';
import { currentTarget, isInside, layout } from './home.ts';
import { stateDir } from './next-version.ts';

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

const all =
  (...checks: Check[]): Check =>
  async (probe) =>
    (await Promise.all(checks.map((c) => c(probe)))).flat();

export const upgradeInvariants: Record<string, Check> = {
  /** Before the hand-off the running version stays active. */
  currentVersion: atOldVersion,
  'currentVersion.verifying': async (probe) => {
    const path = probe.context.artifactPath;
    if (!path) return ['verifying without a downloaded artifact'];
    const s = await stat(path).catch(() => null);
    const problems = s?.isFile() ? [] : [`the downloaded artifact ${path} does not exist`];
    if (!isInside(layout.downloads(probe.input.agentHome), path)) problems.push(`the artifact ${path} is not under ${layout.downloads(probe.input.agentHome)}`);
    if (s && probe.context.totalBytes !== null && s.size !== probe.context.totalBytes) problems.push(`the artifact has ${s.size} bytes, the download reported ${probe.context.totalBytes}`);
    return problems;
  },
  handingOff: all(atOldVersion, async (probe) => {
    const { extractedPath } = probe.context;
    if (!extractedPath || !(await isDirectory(extractedPath))) return [`the extracted version ${extractedPath} does not exist`];
    const entry = await readlink(layout.entrypoint(probe.input.agentHome)).then((t) => resolve(dirname(layout.entrypoint(probe.input.agentHome)), t), () => null);
    return entry !== null && isInside(extractedPath, entry) && (await exists(entry))
      ? []
      : [`the stable entrypoint ${layout.entrypoint(probe.input.agentHome)} should point into ${extractedPath}, it points at ${entry ?? 'nothing'}`];
  }),
  nextVersion: markerNamesTarget,
  'nextVersion.migrating': atOldVersion,
  'nextVersion.swapping': stateMigrated,
  /** From the swap on, `current` points at the new version. */
  'nextVersion.trial': atNewVersion,
  'nextVersion.trial.agent.running': newAgentStarted,
  completed: all(atNewVersion, newAgentStarted, async (probe) => {
    const alive = isAlive(probe.context.agentPid) ? [] : [`the new agent (pid ${probe.context.agentPid}) is not running`];
    const parts = (await readdir(layout.downloads(probe.input.agentHome)).catch(() => [] as string[])).filter((n) => n.endsWith('.part'));
    return parts.length > 0 ? [...alive, `partial downloads remain: ${parts.join(', ')}`] : alive;
  }),
  /** After a rollback `current` points at the old version again, the new one is gone and not running. */
  rolledBack: all(atOldVersion, nothingDownloaded, async (probe) => {
    const problems: string[] = [];
    if (isAlive(probe.context.agentPid)) problems.push(`the new agent (pid ${probe.context.agentPid}) still runs`);
    if (await exists(layout.marker(probe.input.agentHome))) problems.push('the upgrade marker remains');
    const run = await readHomeRun(probe.input.agentHome);
    if (run && run.path !== probe.context.current?.path) problems.push(`${layout.runFile(probe.input.agentHome)} names ${run.path}, not the old version`);
    return problems;
  }),
  /** Cancelled: no downloaded or extracted file remains, and the running version is untouched. */
  cancelled: all(atOldVersion, nothingDownloaded),
  refused: all(atOldVersion, nothingDownloaded),
  failed: async (probe) => (probe.context.handedOff ? [] : [...(await atOldVersion(probe)), ...(await nothingDownloaded(probe))]),
};

