/**
 * Cases on a full disk: what the command works on is built on the real disk, copied into a 256 KiB tmpfs mounted at
 * `<dir>/full` in a user namespace, the tmpfs filled, then `freeKiB` freed again. The tmpfs is gone when the command
 * ends, so its listing before and after is written outside it and compared: a failure on a full disk leaves what
 * it found.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { canMount, type Invocation } from './cli.ts';
import type { Case, Ctx } from './case.ts';

export function onFullDisk(
  id: string,
  cls: Case['cls'],
  freeKiB: number,
  /** Builds the tree to copy (under `<dir>/build/<name>`) and the command, given where the tree will be. */
  build: (c: Ctx, at: string) => Promise<{ tree: string; inv: Invocation }>,
  line: RegExp,
  /** What the command may leave on the full disk (default: nothing); temp files never. */
  mayLeave: (entry: string) => boolean = () => false,
): Case {
  return {
    id,
    cls,
    skip: () => (canMount ? null : 'no mount namespace (unshare -rm) on this machine'),
    async prepare(c) {
      const full = join(c.dir, 'full');
      mkdirSync(full);
      const { tree, inv } = await build(c, join(full, 'tree'));
      const list = (name: string) => `(cd "${full}" && find tree | sort > "${c.dir}/${name}")`;
      const fill = `{ head -c 1048576 /dev/zero > "${full}/fill" 2>/dev/null; truncate -s -${freeKiB}k "${full}/fill"; }`;
      return { ...inv, mounts: `mount -t tmpfs -o size=256k tmpfs "${full}" && cp -a "${tree}" "${full}/tree" && ${fill} && ${list('before.txt')}`, epilogue: list('after.txt') };
    },
    line: () => line,
    writes: ['store', 'build', 'before.txt', 'after.txt'],
    after: (c) => {
      const [before, after] = ['before.txt', 'after.txt'].map((f) => readFileSync(join(c.dir, f), 'utf8').split('\n'));
      const added = after!.filter((l) => !before!.includes(l) && (/\.tmp$/.test(l) || !mayLeave(l)));
      const lost = before!.filter((l) => !after!.includes(l));
      return [...added.map((l) => `litter on the full disk: ${l}`), ...lost.map((l) => `lost on the full disk: ${l}`)];
    },
  };
}
