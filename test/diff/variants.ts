// Modified copies of the built-ins, made by string edits to machines/*.ts and loaded from a hidden file beside the
// original (so its relative imports resolve); the file is removed as soon as it is loaded.
import { randomBytes } from 'node:crypto';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadMachine } from '../../src/model/load.ts';
import { extractGraph } from '../../src/model/extract.ts';
import type { LifecycleGraph } from '../../src/model/types.ts';
import { PACKAGE_ROOT } from '../../src/package-root.ts';

/** `[find, replace]`; a string `find` must occur exactly once, a RegExp (global) at least once. */
export type Edit = [find: string | RegExp, replace: string];

export const MACHINES = join(PACKAGE_ROOT, 'machines');

/** The source of a built-in with the edits applied. Throws when an edit no longer matches the machine. */
export function editSource(name: string, edits: Edit[]): string {
  let source = readFileSync(join(MACHINES, `${name}.ts`), 'utf8');
  for (const [find, replace] of edits) {
    const count = typeof find === 'string' ? source.split(find).length - 1 : (source.match(find) ?? []).length;
    if (typeof find === 'string' ? count !== 1 : count === 0) throw new Error(`edit of ${name}.ts: ${String(find)} occurs ${count} times`);
    source = typeof find === 'string' ? source.replace(find, () => replace) : source.replace(find, replace);
  }
  return source;
}

/** Writes `source` beside the built-ins under a temp name, loads `exportName` from it, and removes it. */
export async function loadVariant(source: string, exportName: string): Promise<LifecycleGraph> {
  const file = join(MACHINES, `.diff-test-${randomBytes(6).toString('hex')}.ts`);
  try {
    writeFileSync(file, source);
    return extractGraph((await loadMachine(`${file}#${exportName}`)).machine);
  } finally {
    rmSync(file, { force: true });
  }
}
