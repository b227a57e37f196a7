/**
 * What every upgrade service that deletes, renames or writes checks first, on real paths (symlinks resolved): the
 * home's own folders lie in the home and apart from one another (a `backups` linked into a version's state would be
 * copied into itself, a `bin` linked elsewhere would get the entrypoint), every version directory it touches is a
 * real directory directly in `data/` and the one it replaces is not the one it installs, and what it copies from
 * never lies in what it deletes. Each check refuses with one line naming the paths, before anything is touched.
 */
import { basename, join, resolve } from 'node:path';
import { serviceError } from '../install/fs.ts';
import { assertApart, assertInside, assertSeparate, realPathOf } from '../safe-paths.ts';

/** The home's folders the services write under; `current` and the marker live in them or in the home itself. */
const FOLDERS = ['data', 'downloads', 'backups', 'bin', 'run'] as const;

/** Each of the home's folders is reached inside the home, and no two overlap. */
export async function assertSafeHome(home: string): Promise<void> {
  const dirs = FOLDERS.map((name) => ({ label: `${name} folder`, path: join(home, name) }));
  for (const dir of dirs) await assertInside(home, dir.path, `the agent home's ${dir.label}`);
  await assertApart(dirs, `make each of them a separate real directory of the home`);
}

/**
 * A version directory (`what`: "the running version", ...) is a real directory directly in the home's `data/`, not
 * a symlink to one elsewhere (or to another version): a migration, a rollback or a cleanup writes into it or removes
 * it.
 */
export async function assertVersionDir(home: string, path: string, what: string): Promise<void> {
  const [data, real] = await Promise.all([realPathOf(join(home, 'data')), realPathOf(path)]);
  if (real === join(data, basename(real)) && basename(real) === basename(path) && !basename(real).startsWith('.')) return;
  throw serviceError(
    'path-escapes',
    `${what} ${path}${real !== resolve(path) ? ` (really ${real})` : ''} is not a directory of ${join(home, 'data')}: a symlink on the way points elsewhere; nothing was changed: replace it with the version's real directory`,
  );
}

/** Two version directories that must differ (the one an upgrade installs and the one it replaces) really do. */
export async function assertOtherVersion(from: { label: string; path: string }, to: { label: string; path: string }): Promise<void> {
  if (resolve(from.path) === resolve(to.path)) return; // the same path on purpose: a forced reinstall of one version
  await assertSeparate(from, to, `remove ${to.path} (it is not a version of its own) and run the upgrade again`);
}
