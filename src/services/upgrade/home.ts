/**
 * The agent home's layout, and the few operations on it that both versions share:
 *
 * ```
 * <home>/current                    symlink to data/agent-<version>-<hash>, the active version
 * <home>/data/agent-<version>-<hash>/ one directory per version (agent.json, bin/agent.mjs, state/, run/, upgrade)
 * <home>/data/.upgrade-marker.json  written by the next version when it takes an upgrade over
 * <home>/bin/upgrade                the stable, well-known upgrade entrypoint (symlink into the next version)
 * <home>/downloads/                 artifacts being downloaded (removed on cancel and cleanup)
 * <home>/backups/                   state backups for a rollback
 * <home>/run/agent.json             the agent process the home runs: { pid, version, path, port }
 * ```
 */
import { readdir, readFile, readlink, rename, rm, symlink, mkdir, unlink } from 'node:fs/promises';
import { basename, dirname, join, relative, resolve, sep } from 'node:path';
import type { AgentVersionInfo } from '../../../machines/upgrade.ts';
import { UPGRADE_ENTRYPOINT } from '../../../machines/upgrade.ts';
import { exists, serviceError } from '../install/fs.ts';
import { isWithin, realPathOf } from '../safe-paths.ts';
import { assertSafeHome, assertVersionDir } from './safety.ts';

export const layout = {
  current: (home: string) => join(home, 'current'),
  data: (home: string) => join(home, 'data'),
  downloads: (home: string) => join(home, 'downloads'),
  backups: (home: string) => join(home, 'backups'),
  entrypoint: (home: string) => join(home, UPGRADE_ENTRYPOINT),
  previousEntrypoint: (home: string) => join(home, `${UPGRADE_ENTRYPOINT}.previous`),
  marker: (home: string) => join(home, 'data', '.upgrade-marker.json'),
  runFile: (home: string) => join(home, 'run', 'agent.json'),
  stoppedFile: (home: string) => join(home, 'run', 'stopped-agent.json'),
};

/** The file name inside an artifact of its upgrade entrypoint: the one thing the current version knows of the next. */
export const ARTIFACT_ENTRYPOINT = 'upgrade';

/** What a version directory says about itself in `agent.json` (read by that version's own code only). */
export interface AgentManifest {
  version: string;
  buildDate: string;
  /** The agent's executable script, relative to its version directory. */
  entry: string;
  /** Example fault: how the agent behaves once started. */
  health?: 'healthy' | 'unhealthy' | 'crash' | 'silent';
}

export async function readAgentManifest(path: string): Promise<AgentManifest> {
  const file = join(path, 'agent.json');
  try {
    return JSON.parse(await readFile(file, 'utf8')) as AgentManifest;
  } catch (error) {
    throw serviceError('agent-unreadable', `cannot read ${file}: ${(error as Error).message}`);
  }
}

/**
 * Where `<home>/current` points (an absolute path under the home as given), or null when there is no `current`. An
 * absolute link to the real home (the home given through a symlink) is named under the given home, so that paths
 * compared with it, and `swapCurrent`'s check, agree.
 */
export async function currentTarget(home: string): Promise<string | null> {
  let target: string;
  try {
    target = resolve(home, await readlink(layout.current(home)));
  } catch {
    return null;
  }
  if (isInside(layout.data(home), target)) return target;
  const [data, real] = await Promise.all([realPathOf(layout.data(home)), realPathOf(target)]);
  return isWithin(data, real) ? join(layout.data(home), relative(data, real)) : target;
}

/**
 * The running agent's version, build date and versioned path. Writes nothing; it is the first step, so a home the
 * later steps would refuse to touch (a folder or `current` reached through a symlink out of it) is refused here.
 */
export async function readCurrentAgent(home: string): Promise<AgentVersionInfo> {
  await assertSafeHome(home);
  const path = await currentTarget(home);
  if (path === null) throw serviceError('no-agent', `${layout.current(home)} does not exist: install an agent in ${home} first`);
  await assertVersionDir(home, path, 'the running version');
  const m = await readAgentManifest(path);
  if (typeof m.version !== 'string' || typeof m.buildDate !== 'string')
    throw serviceError('agent-unreadable', `${path}/agent.json must name a version and a buildDate`);
  return { version: m.version, buildDate: m.buildDate, path };
}

/**
 * Removes the temp siblings of `path` — `<path>.<pid>.<token>.tmp`, files, links or trees, as {@link swapLink} and
 * `copyTreeAtomic` name them — whose writer process is gone: what an attempt killed before its rename left. A temp
 * of a live process (another run working on the same home) is kept. Run lock semantics do not make this safe to do
 * wholesale: the lock is per run store, and two stores may name the same agent home.
 */
export async function removeDeadTemps(path: string): Promise<void> {
  const prefix = `${basename(path)}.`;
  const entries = await readdir(dirname(path)).catch(() => [] as string[]);
  for (const entry of entries) {
    if (!entry.startsWith(prefix) || !entry.endsWith('.tmp')) continue;
    const match = /^(\d+)\.[0-9a-z]+\.tmp$/.exec(entry.slice(prefix.length));
    if (!match) continue;
    const pid = Number(match[1]);
    if (pid !== process.pid && !pidAlive(pid)) await rm(join(dirname(path), entry), { recursive: true, force: true });
  }
}

function pidAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Makes `link` a symlink whose text is `text` atomically: a temp symlink beside it, renamed over it. */
async function placeLink(link: string, text: string): Promise<void> {
  await mkdir(dirname(link), { recursive: true });
  await removeDeadTemps(link);
  const temp = `${link}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
  await symlink(text, temp);
  try {
    await rename(temp, link);
  } catch (error) {
    await unlink(temp).catch(() => undefined);
    throw error;
  }
}

/**
 * Points the symlink `link` at `to` atomically: a temp symlink beside it, renamed over it. Temps an earlier,
 * killed attempt left beside `link` are removed first.
 */
export async function swapLink(link: string, to: string): Promise<void> {
  await placeLink(link, relative(dirname(link), to) || '.');
}

/** Points `current` at `toPath` atomically. */
export async function swapCurrent(home: string, toPath: string): Promise<void> {
  if (!isInside(layout.data(home), toPath)) throw serviceError('invalid-path', `${toPath} is not a version directory under ${layout.data(home)}`);
  await assertVersionDir(home, toPath, 'the version to make current');
  await swapLink(layout.current(home), toPath);
}

/** Whether `path` is `dir` or lies under it (lexically). */
export function isInside(dir: string, path: string): boolean {
  const rel = relative(resolve(dir), resolve(path));
  return rel === '' || (!rel.startsWith(`..${sep}`) && rel !== '..' && !rel.startsWith(sep));
}

/**
 * Installs the upgrade entrypoint of `versionDir` at the stable path. An entrypoint of another version is kept as
 * `bin/upgrade.previous`, for a cancel or a rollback to put back.
 *
 * Crash-safe: `bin/upgrade` is never moved away. `bin/upgrade.previous` is first made (temp link + rename) a copy
 * of the link `bin/upgrade` is now, then the new link is renamed over `bin/upgrade`. Until that last rename
 * `bin/upgrade` still names the version being replaced, so a re-run after a kill anywhere in between writes the
 * same `previous` again; after it, `bin/upgrade` names `versionDir` and the re-run returns at once, so `previous`
 * is never overwritten with the new version.
 */
export async function linkEntrypoint(home: string, versionDir: string): Promise<void> {
  const link = layout.entrypoint(home);
  const previous = layout.previousEntrypoint(home);
  const to = join(versionDir, ARTIFACT_ENTRYPOINT);
  const text = await readlink(link).catch(() => null);
  if (text !== null && resolve(dirname(link), text) === to) {
    await removeDeadTemps(link);
    await removeDeadTemps(previous);
    return;
  }
  // Both links live in the same directory, so the link text means the same there.
  if (text !== null) await placeLink(previous, text);
  else {
    await removeDeadTemps(previous);
    await unlink(previous).catch(() => undefined);
  }
  await swapLink(link, to);
}

/** Undoes {@link linkEntrypoint} for a version directory that is going away. */
export async function restoreEntrypoint(home: string, removedDir: string | null): Promise<void> {
  const link = layout.entrypoint(home);
  await removeDeadTemps(link);
  await removeDeadTemps(layout.previousEntrypoint(home));
  const now = await readlink(link).then((t) => resolve(dirname(link), t), () => null);
  if (now === null || removedDir === null || !isInside(removedDir, now)) return;
  if (await exists(layout.previousEntrypoint(home))) await rename(layout.previousEntrypoint(home), link);
  else await unlink(link);
}
