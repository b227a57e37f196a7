/**
 * What every install service that deletes or writes checks first: the package and the target do not overlap (the
 * steps empty the target's asset directories, which would delete the package's own files), and no directory it
 * writes under is reached through a symlink out of the target, or is another of them through a symlink.
 */
import { assertApart, assertInside, assertSeparate } from '../safe-paths.ts';
import { ASSET_KINDS, installationsDir, kindDir } from './kinds.ts';

/** Throws (kind `paths-overlap` or `path-escapes`) before anything is touched. */
export async function assertSafeInstall(packagePath: string | null, target: string, name?: string): Promise<void> {
  if (packagePath !== null) await assertSeparate({ label: 'package', path: packagePath }, { label: 'target', path: target }, 'install into a target directory that neither holds the package nor lies inside it');
  await assertInside(target, installationsDir(target), 'the installation records directory');
  if (name === undefined) return;
  for (const kind of ASSET_KINDS) await assertInside(target, kindDir(target, kind, name), `the ${kind} directory`);
  // A step empties its kinds' directories: one linked to another kind's, or to the records and backups, would lose them.
  const dirs = [{ label: 'installation records directory', path: installationsDir(target) }, ...ASSET_KINDS.map((kind) => ({ label: `${kind} directory`, path: kindDir(target, kind, name) }))];
  await assertApart(dirs, 'make each a separate real directory of the target');
}
