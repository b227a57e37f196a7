/**
 * Extracting the artifact, refusing any entry that would land outside the version directory: absolute paths, `..`
 * segments, symlinks or hard links pointing outside, and device or FIFO entries. The whole archive is checked before
 * anything is written; the extraction goes into a temp directory renamed into place when complete, so a version
 * directory is whole or absent. The current version knows one thing of the artifact's layout: its upgrade
 * entrypoint, `upgrade` at the root, which it links at the stable path `<home>/bin/upgrade`.
 */
import { mkdir, rename } from 'node:fs/promises';
import { join, posix, resolve } from 'node:path';
import * as tar from 'tar';
import type { ExtractInput, ExtractOutput } from '../../../machines/upgrade.ts';
import { isUserFsError } from '../../io/fs-errors.ts';
import { exists, fsServiceError, isSafeRelativePath, remove, serviceError, sha256File } from '../install/fs.ts';
import { assertSeparate } from '../safe-paths.ts';
import { ARTIFACT_ENTRYPOINT, currentTarget, layout, linkEntrypoint, restoreEntrypoint } from './home.ts';
import { assertSafeHome, assertVersionDir } from './safety.ts';

const VERSION = /^\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?$/;
const ALLOWED_TYPES = new Set(['File', 'OldFile', 'ContiguousFile', 'Directory', 'SymbolicLink', 'Link']);

/** Why an entry may not be extracted under a root, or null when it may. Pure. */
export function entryProblem(path: string, type: string, linkpath?: string): string | null {
  const p = path.replace(/^\.\//, '');
  if (p.startsWith('/') || /^[A-Za-z]:/.test(p)) return `"${path}" is an absolute path`;
  if (!isSafeRelativePath(p.replace(/\/$/, '') || '.')) return `"${path}" has a ".." segment`;
  if (!ALLOWED_TYPES.has(type)) return `"${path}" is a ${type} entry`;
  if (type === 'SymbolicLink' || type === 'Link') {
    const link = linkpath ?? '';
    if (link.startsWith('/')) return `"${path}" links to the absolute path ${link}`;
    const resolved = type === 'Link' ? posix.normalize(link) : posix.normalize(posix.join(posix.dirname(p), link));
    if (resolved === '..' || resolved.startsWith('../')) return `"${path}" links to ${link}, outside the artifact`;
  }
  return null;
}

/** Lists the archive and returns every refused entry (empty when all are safe), and whether the entrypoint is there. */
export async function inspectArchive(file: string): Promise<{ problems: string[]; hasEntrypoint: boolean; entries: number }> {
  const problems: string[] = [];
  let hasEntrypoint = false;
  let entries = 0;
  try {
    await tar.t({
      file,
      strict: true,
      onReadEntry: (entry) => {
        entries++;
        const problem = entryProblem(entry.path, entry.type, entry.linkpath);
        if (problem) problems.push(problem);
        if (entry.path.replace(/^\.\//, '') === ARTIFACT_ENTRYPOINT && entry.type === 'File') hasEntrypoint = true;
      },
    });
  } catch (error) {
    throw serviceError('invalid-archive', `artifact ${file} is not a readable .tar.gz: ${(error as Error).message}`);
  }
  return { problems, hasEntrypoint, entries };
}

const inflight = new Map<string, Promise<unknown>>();

/** Waits until no extraction into `home` is running (a stopped one undoes itself before it settles). */
export async function settleExtractions(home: string): Promise<void> {
  await inflight.get(resolve(home))?.catch(() => undefined);
}

/** Waits until every extraction of this process has settled. */
export async function settleAllExtractions(): Promise<void> {
  await Promise.all([...inflight.values()].map((t) => t.catch(() => undefined)));
}

/**
 * Unpacks the artifact into `<home>/data/agent-<version>-<hash>` (hash: the first 6 hex digits of the artifact's
 * sha256) and links its entrypoint at `<home>/bin/upgrade`. Idempotent: a directory already there came from the same
 * bytes, and is kept. When `signal` aborts meanwhile (CANCEL), what this call created is removed again.
 */
export function extractArtifact(input: ExtractInput, signal?: AbortSignal): Promise<ExtractOutput> {
  const key = resolve(input.agentHome);
  const run = (inflight.get(key) ?? Promise.resolve()).catch(() => undefined).then(() => extractOnce(input, signal));
  inflight.set(key, run);
  void run.finally(() => {
    if (inflight.get(key) === run) inflight.delete(key);
  }).catch(() => undefined);
  return run;
}

async function extractOnce(input: ExtractInput, signal?: AbortSignal): Promise<ExtractOutput> {
  const { artifactPath, agentHome, version } = input;
  const aborted = () => serviceError('aborted', `extraction of ${artifactPath} was stopped`);
  if (signal?.aborted) throw aborted();
  if (!VERSION.test(version)) throw serviceError('invalid-version', `target version "${version}" is not a semantic version such as 1.2.3`);
  const hash = (await sha256File(artifactPath)).slice(0, 6);
  const extractedPath = join(layout.data(agentHome), `agent-${version}-${hash}`);
  const temp = join(layout.data(agentHome), `.extract-agent-${version}-${hash}.tmp`);
  // Before anything is written: an existing version directory is kept and later written into, so it must be a real
  // one; and the extraction replaces the temp directory, so the artifact must not lie in the folder it manages.
  await assertSafeHome(agentHome);
  await assertSeparate({ label: 'artifact', path: artifactPath }, { label: 'data folder', path: layout.data(agentHome) }, `move the artifact out of ${layout.data(agentHome)}, which the upgrade manages`);
  const created = !(await exists(extractedPath));
  if (!created) await assertVersionDir(agentHome, extractedPath, 'the extracted version');
  if (created) {
    const { problems, hasEntrypoint, entries } = await inspectArchive(artifactPath);
    if (problems.length > 0)
      throw serviceError('unsafe-archive', `refusing to extract ${artifactPath}: ${problems.length} entr${problems.length === 1 ? 'y escapes' : 'ies escape'} the target: ${problems.join('; ')}`);
    if (entries === 0) throw serviceError('invalid-archive', `artifact ${artifactPath} is not a readable .tar.gz: it holds no entries`);
    if (!hasEntrypoint) throw serviceError('no-entrypoint', `artifact ${artifactPath} has no upgrade entrypoint "${ARTIFACT_ENTRYPOINT}" at its root`);
    await remove(temp);
    await mkdir(temp, { recursive: true });
    const refused: string[] = [];
    try {
      await tar.x({
        file: artifactPath,
        cwd: temp,
        strict: true,
        preserveOwner: false,
        // Checked again as each entry is written (the listing above already refused the archive otherwise).
        filter: (path, entry) => {
          const e = entry as tar.ReadEntry;
          const problem = entryProblem(path, e.type ?? 'File', e.linkpath);
          if (problem) refused.push(problem);
          return problem === null;
        },
      });
    } catch (error) {
      await remove(temp);
      // A full or read-only disk is not a bad archive: say where, and what to do.
      if (isUserFsError(error)) throw fsServiceError(error, layout.data(agentHome), `extract ${artifactPath} into`);
      throw serviceError('invalid-archive', `cannot extract ${artifactPath}: ${(error as Error).message}`);
    }
    if (refused.length > 0) {
      await remove(temp);
      throw serviceError('unsafe-archive', `refusing to extract ${artifactPath}: ${refused.join('; ')}`);
    }
    await rename(temp, extractedPath);
  }
  await linkEntrypoint(agentHome, extractedPath);
  if (signal?.aborted) {
    if (created && (await currentTarget(agentHome)) !== extractedPath) {
      await restoreEntrypoint(agentHome, extractedPath);
      await remove(extractedPath);
    }
    throw aborted();
  }
  return { extractedPath, hash };
}
