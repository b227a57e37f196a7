/**
 * Checks the context keys that tell explored states apart (`--identity a,b.c`): a key that names nothing in the
 * context makes every state with the same value one node, so a misspelt key would quietly explore less.
 */
import { UserError } from '../errors.ts';
import type { StateIdentity } from './explore.ts';

/** A dotted path of names: `jobStatus`, `holds.id` (no empty segment, no blanks). */
const DOTTED = /^[^\s.]+(\.[^\s.]+)*$/;

/**
 * Throws a one-line usage error naming the first key that is not a dotted path, or that no explored context has.
 * A key counts as found when some context has its first segment and the rest does not lead into a value that
 * cannot hold it (a string, or an object without the name); null or an empty array on the way may still fill in.
 */
export function checkIdentity(identity: StateIdentity | undefined, contexts: readonly unknown[]): void {
  if (identity === undefined || typeof identity === 'string') return;
  for (const key of identity.context) {
    if (!DOTTED.test(key)) throw new UserError(`--identity: '${key}' is not a context key or dotted path such as 'status' or 'job.id'`, 2);
    if (!contexts.some((c) => reaches(c, key.split('.'), true))) {
      const known = [...new Set(contexts.flatMap((c) => (isRecord(c) ? Object.keys(c) : [])))].sort();
      throw new UserError(`--identity: '${key}' is not in the machine's context (${known.length ? `its keys: ${known.join(', ')}` : 'it has none'})`, 2);
    }
  }
}

const isRecord = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

function reaches(value: unknown, path: string[], top = false): boolean {
  if (path.length === 0) return true;
  if (value === null || value === undefined) return !top;
  if (Array.isArray(value)) return value.length === 0 || value.some((v) => reaches(v, path));
  if (!isRecord(value)) return false;
  return path[0]! in value && reaches(value[path[0]!], path.slice(1));
}
