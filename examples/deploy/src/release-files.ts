/**
 * The file operations of the deploy services. Each is safe to run again after a crash cut it short (a resume runs
 * the step in flight again): a tree is made under a temp name and renamed into place, and the `current` link is
 * replaced by a rename, so a reader never sees half a release.
 */
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, readlinkSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';

export const MANIFEST = 'manifest.json';

/** `{ "index.html": "<sha256>", … }` of the files under a folder (the manifest itself left out). */
export type Manifest = Record<string, string>;

export function hashTree(dir: string): Manifest {
  const out: Manifest = {};
  const walk = (d: string) => {
    for (const entry of readdirSync(d, { withFileTypes: true }).sort((x, y) => x.name.localeCompare(y.name))) {
      const path = join(d, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (relative(dir, path) !== MANIFEST) out[relative(dir, path).split('\\').join('/')] = createHash('sha256').update(readFileSync(path)).digest('hex');
    }
  };
  walk(dir);
  return out;
}

/** Copies `from` to `to` through `<to>.tmp`, replacing what a killed attempt left at either. */
export function replaceTree(from: string, to: string, extra?: (tmp: string) => void): void {
  const tmp = `${to}.tmp`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(dirname(to), { recursive: true });
  cpSync(from, tmp, { recursive: true });
  extra?.(tmp);
  rmSync(to, { recursive: true, force: true });
  renameSync(tmp, to);
}

export function writeManifest(dir: string, manifest: Manifest): void {
  writeFileSync(join(dir, MANIFEST), `${JSON.stringify(manifest, null, 2)}\n`);
}

export function readManifest(dir: string): Manifest {
  return JSON.parse(readFileSync(join(dir, MANIFEST), 'utf8')) as Manifest;
}

/** Points `<releases>/current` at `version` (a relative link), atomically. */
export function switchCurrent(releases: string, version: string): void {
  const tmp = join(releases, '.current.tmp');
  rmSync(tmp, { force: true });
  symlinkSync(version, tmp);
  renameSync(tmp, join(releases, 'current'));
}

/** The version `<releases>/current` points at, or null. */
export function currentVersion(releases: string): string | null {
  try {
    return readlinkSync(join(releases, 'current'));
  } catch {
    return null;
  }
}

/** What differs between a manifest and the files of a folder, one sentence each. */
export function differences(expected: Manifest, dir: string): string[] {
  if (!existsSync(dir)) return [`${dir} does not exist`];
  const found = hashTree(dir);
  const problems = Object.keys(expected).filter((f) => found[f] !== expected[f]).map((f) => (found[f] ? `${f} differs from the build` : `${f} is missing`));
  return [...problems, ...Object.keys(found).filter((f) => !(f in expected)).map((f) => `${f} is not in the build`)];
}
