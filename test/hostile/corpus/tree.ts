/**
 * What a case's directory holds, to prove nothing was lost and nothing littered: every entry (symlinks not followed)
 * with its kind and content hash, and the difference between two such pictures outside the paths a case may write.
 */
import { createHash } from 'node:crypto';
import { lstatSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';

/** `{ relative path: 'dir' | 'file <sha256>' | 'link <text>' | 'other' }`; an unreadable entry is named as such. */
export function picture(root: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (rel: string) => {
    const abs = join(root, rel);
    let stat;
    try {
      stat = lstatSync(abs);
    } catch {
      return;
    }
    if (stat.isSymbolicLink()) out[rel] = `link ${readlinkSync(abs)}`;
    else if (stat.isDirectory()) {
      if (rel) out[rel] = 'dir';
      let names: string[] = [];
      try {
        names = readdirSync(abs);
      } catch {
        out[rel] = 'dir (unreadable)';
      }
      for (const name of names.sort()) walk(rel ? `${rel}/${name}` : name);
    } else if (stat.isFile()) {
      // Large files (a 1 MB manifest) are hashed like any other: the corpus stays small.
      out[rel] = `file ${createHash('sha256').update(readFileSync(abs)).digest('hex').slice(0, 16)}`;
    } else out[rel] = 'other';
  };
  walk('');
  return out;
}

/** Whether `rel` is one of `allowed` or lies under one of them (`store` allows `store` and `store/...`). */
const allowedBy = (allowed: readonly string[], rel: string) => allowed.some((a) => rel === a || rel.startsWith(`${a}/`));

/** One sentence per entry changed, removed or added outside `allowed`. */
export function differences(before: Record<string, string>, after: Record<string, string>, allowed: readonly string[] = []): string[] {
  const out: string[] = [];
  for (const [rel, what] of Object.entries(before)) {
    if (allowedBy(allowed, rel)) continue;
    if (!(rel in after)) out.push(`lost ${rel}`);
    else if (after[rel] !== what) out.push(`changed ${rel} (${what} -> ${after[rel]})`);
  }
  for (const rel of Object.keys(after)) if (!(rel in before) && !allowedBy(allowed, rel)) out.push(`litter ${rel} (${after[rel]})`);
  return out;
}
