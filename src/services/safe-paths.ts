/**
 * Path safety for the services that delete or write: they compare *real* paths (symlinks resolved), so that a
 * package inside its target, a target that is the package, an artifact in the folder a download empties, or a
 * destination reached through a symlink out of its root is refused before anything is touched, with one line naming
 * both paths and what to do.
 */
import { realpath } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { serviceError } from './install/fs.ts';

/**
 * The real path of `path`, existing or not: `fs.realpath` of its nearest existing ancestor, with the rest of the path
 * appended. (A missing tail cannot hold a symlink yet.)
 *
 * @example
 * await realPathOf('/tmp/link-to-home/not/yet'); // '/home/me/not/yet'
 */
export async function realPathOf(path: string): Promise<string> {
  let head = resolve(path);
  const tail: string[] = [];
  // Bounded: each round drops one segment, and the root always exists.
  for (;;) {
    try {
      return join(await realpath(head), ...tail.reverse());
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      const parent = dirname(head);
      // ENOENT: not there yet; ENOTDIR: a file in the middle (the write will fail on its own, clearly).
      if ((code !== 'ENOENT' && code !== 'ENOTDIR') || parent === head) return join(head, ...tail.reverse());
      tail.push(basename(head));
      head = parent;
    }
  }
}

/** Whether `path` is `dir` or inside it (both absolute, already resolved). Pure. */
export function isWithin(dir: string, path: string): boolean {
  const rel = relative(dir, path);
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
}

/**
 * Refuses (kind `paths-overlap`) when `source` and `destination` are the same directory or one lies inside the
 * other, compared as real paths. `advice` says what to do.
 *
 * @example
 * await assertSeparate({ label: 'package', path: pkg }, { label: 'target', path: target }, 'install into a directory outside the package');
 */
export async function assertSeparate(
  source: { label: string; path: string },
  destination: { label: string; path: string },
  advice: string,
): Promise<void> {
  const [s, d] = await Promise.all([realPathOf(source.path), realPathOf(destination.path)]);
  const how = s === d ? 'are the same directory' : isWithin(d, s) ? `overlap: the ${source.label} lies inside the ${destination.label}` : isWithin(s, d) ? `overlap: the ${destination.label} lies inside the ${source.label}` : null;
  if (how === null) return;
  const named = (label: string, given: string, real: string) => `${label} ${given}${real !== resolve(given) ? ` (really ${real})` : ''}`;
  throw serviceError('paths-overlap', `${named(source.label, source.path, s)} and ${named(destination.label, destination.path, d)} ${how}; nothing was changed: ${advice}`);
}

/**
 * {@link assertSeparate} for every pair of `dirs` (a root's own folders, which must not alias one another through a
 * symlink: emptying one would empty the other), each real path resolved once.
 */
export async function assertApart(dirs: readonly { label: string; path: string }[], advice: string): Promise<void> {
  const real = await Promise.all(dirs.map((d) => realPathOf(d.path)));
  for (let i = 0; i < dirs.length; i++)
    for (let j = i + 1; j < dirs.length; j++)
      if (isWithin(real[i]!, real[j]!) || isWithin(real[j]!, real[i]!)) await assertSeparate(dirs[i]!, dirs[j]!, advice);
}

/**
 * Refuses (kind `path-escapes`) when `path`, a destination under `root`, would really be reached outside `root`:
 * a symlink on the way points out of it.
 */
export async function assertInside(root: string, path: string, what: string): Promise<void> {
  const [r, p] = await Promise.all([realPathOf(root), realPathOf(path)]);
  if (isWithin(r, p)) return;
  throw serviceError(
    'path-escapes',
    `${what} ${path} would be written at ${p}, outside ${root}${r !== resolve(root) ? ` (really ${r})` : ''}: a symlink on the way points out of it; nothing was changed: replace that symlink with a real directory`,
  );
}
