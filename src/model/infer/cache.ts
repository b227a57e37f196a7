import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeFileAtomic } from '../../io/atomic-write.ts';

/**
 * A cache of inferred catalogues in `node_modules/.cache/lifecycle-kit/`, so that only the first `paths` after an
 * edit pays for starting the TypeScript checker (about a second). An entry lists the source files it was read
 * from with their content hashes, and is used only while every one of them is unchanged. Best effort: a cache that
 * cannot be read or written is ignored. `LIFECYCLE_NO_CACHE=1` turns it off.
 */
export interface InferenceCache<T> {
  get(): T | undefined;
  set(value: T, files: string[]): void;
}

const FORMAT = 1;

export function inferenceCache<T>(file: string, exportName: string, cwd: string = process.cwd()): InferenceCache<T> {
  const dir = process.env.LIFECYCLE_NO_CACHE ? undefined : cacheDir(cwd);
  const key = createHash('sha1').update(`${FORMAT}\0${inferenceCodeHash()}\0${file}\0${exportName}`).digest('hex').slice(0, 20);
  const path = dir && join(dir, `infer-${key}.json`);
  return {
    get() {
      if (!path || !existsSync(path)) return undefined;
      try {
        const entry = JSON.parse(readFileSync(path, 'utf8'), revive) as { files: [string, string][]; value: T };
        for (const [f, hash] of entry.files) if (hashOf(f) !== hash) return undefined;
        return entry.value;
      } catch {
        return undefined;
      }
    },
    set(value, files) {
      if (!path) return;
      try {
        const entry = { files: files.map((f) => [f, hashOf(f)]), value };
        writeFileAtomic(path, JSON.stringify(entry, keepUndefined));
      } catch {
        // A read-only project or a full disk: inference just runs again next time.
      }
    },
  };
}

let codeHash: string | undefined;
/** The inference code itself is part of the key: a new lifecycle-kit (or an edit here) infers anew. */
function inferenceCodeHash(): string {
  if (codeHash) return codeHash;
  const dir = fileURLToPath(new URL('.', import.meta.url));
  const hash = createHash('sha1');
  for (const f of readdirSync(dir).sort()) if (/\.[jt]s$/.test(f)) hash.update(readFileSync(join(dir, f)));
  return (codeHash = hash.digest('hex'));
}

/** `node_modules/.cache/lifecycle-kit` of the nearest folder up from `cwd` that has `node_modules`. */
export function cacheDir(cwd: string): string | undefined {
  for (let dir = cwd, i = 0; i < 30; i++) {
    if (existsSync(join(dir, 'node_modules'))) return join(dir, 'node_modules', '.cache', 'lifecycle-kit');
    const up = dirname(dir);
    if (up === dir) return undefined;
    dir = up;
  }
  return undefined;
}

function hashOf(file: string): string | undefined {
  try {
    return createHash('sha1').update(readFileSync(file)).digest('hex');
  } catch {
    return undefined;
  }
}

/** JSON drops `undefined` (and turns it into null in arrays); samples need it kept: `done: [undefined]`. */
const UNDEFINED = { $undefined: true };
function keepUndefined(_key: string, value: unknown): unknown {
  if (Array.isArray(value)) return value.map((v) => (v === undefined ? UNDEFINED : v));
  if (value && typeof value === 'object' && !Array.isArray(value)) {
    const entries = Object.entries(value).map(([k, v]) => [k, v === undefined ? UNDEFINED : v]);
    return Object.fromEntries(entries);
  }
  return value;
}
function revive(_key: string, value: unknown): unknown {
  if (Array.isArray(value)) return value.map((v) => (isUndefinedMark(v) ? undefined : v));
  if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) if (isUndefinedMark(v)) (value as Record<string, unknown>)[k] = undefined;
  }
  return value;
}
function isUndefinedMark(v: unknown): boolean {
  return !!v && typeof v === 'object' && (v as { $undefined?: unknown }).$undefined === true && Object.keys(v).length === 1;
}
