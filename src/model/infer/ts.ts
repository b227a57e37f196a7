import { isAscii } from 'node:buffer';
import { existsSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import Module from 'node:module';
import { basename, dirname, join } from 'node:path';
import { Script } from 'node:vm';
import type * as TS from 'typescript';
import { writeFileAtomic } from '../../io/atomic-write.ts';
import { cacheDir } from './cache.ts';

/**
 * The TypeScript compiler, loaded once per process. Loading it is most of what inference costs on a machine whose
 * inferred catalogue is not cached (after an edit): compiling its 9 MB of JavaScript takes ~0.3 s. So it is compiled
 * with a V8 code cache kept beside the inference cache (`node_modules/.cache/lifecycle-kit/`), keyed on the compiler's
 * version and Node's, and written after a first inference so that it holds the functions inference compiled lazily
 * too. V8 checks the cache against the source and its own version and flags; a cache it rejects, or one that cannot
 * be read or written, only means the compiler is compiled from source, as a plain `require` would.
 *
 * Importing it as an ES module instead would make Node scan its source for named exports first (about a second).
 */
const require = createRequire(import.meta.url);
const entry = require.resolve('typescript');
const cacheFile = compilerCacheFile();
const loaded = loadCompiler();
const ts = loaded.ts;
export default ts;

/** How the compiler was loaded: from its code cache, or compiled (and whether a cache is kept at all). */
export function compilerCacheState(): 'used' | 'compiled' | 'off' {
  return !cacheFile || !loaded.script ? 'off' : loaded.fromCache ? 'used' : 'compiled';
}

/** Writes the code cache when there was none (or V8 rejected it). Call after the compiler has done its work. */
export function saveCompilerCache(): void {
  if (!cacheFile || !loaded.script || loaded.fromCache || loaded.saved) return;
  loaded.saved = true; // once per process
  try {
    writeFileAtomic(cacheFile, loaded.script.createCachedData());
    // Caches of another compiler or Node (4 MB each) are of no more use.
    const dir = dirname(cacheFile);
    for (const f of readdirSync(dir)) if (/^typescript-.*\.v8cache$/.test(f) && f !== basename(cacheFile)) rmSync(join(dir, f), { force: true });
  } catch {
    // A read-only project or a full disk: the compiler is compiled from source next time too.
  }
}

interface LoadedCompiler {
  ts: typeof TS;
  script?: Script;
  fromCache: boolean;
  saved?: boolean;
}

function loadCompiler(): LoadedCompiler {
  if (!cacheFile) return { ts: require('typescript') as typeof TS, fromCache: false };
  try {
    // The compiler is ASCII, so its bytes are its characters: decoding them as Latin-1 takes 40 ms where Node's
    // UTF-8 read takes 150 (9 MB).
    const bytes = readFileSync(entry);
    const source = isAscii(bytes) ? bytes.toString('latin1') : bytes.toString('utf8');
    const cachedData = existsSync(cacheFile) ? readFileSync(cacheFile) : undefined;
    const script = new Script(Module.wrap(source), { filename: entry, ...(cachedData ? { cachedData } : {}) });
    const mod: { exports: unknown } = { exports: {} };
    const run = script.runInThisContext() as (this: unknown, ...args: unknown[]) => void;
    run.call(mod.exports, mod.exports, createRequire(entry), mod, entry, dirname(entry));
    return { ts: mod.exports as typeof TS, script, fromCache: !!cachedData && !script.cachedDataRejected };
  } catch {
    return { ts: require('typescript') as typeof TS, fromCache: false };
  }
}

function compilerCacheFile(): string | undefined {
  if (process.env.LIFECYCLE_NO_CACHE) return undefined;
  const dir = cacheDir(process.cwd());
  if (!dir) return undefined;
  try {
    const { version } = require('typescript/package.json') as { version: string };
    const { size, mtimeMs } = statSync(entry);
    const key = `${version}-${process.version}-${process.arch}-${size}-${Math.round(mtimeMs)}`.replace(/[^\w.-]/g, '_');
    return join(dir, `typescript-${key}.v8cache`);
  } catch {
    return undefined;
  }
}
