import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { inferenceCache } from '../../src/model/infer/cache.ts';
import { withoutTypedArrays } from '../../src/model/infer/program.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));
const tsx = join(root, 'node_modules/tsx/dist/cli.mjs');
const dirs: string[] = [];
function project(): { dir: string; cache: string } {
  const dir = mkdtempSync(join(tmpdir(), 'infer-cache-'));
  dirs.push(dir);
  mkdirSync(join(dir, 'node_modules'));
  return { dir, cache: join(dir, 'node_modules', '.cache', 'lifecycle-kit') };
}
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe('inference caches', () => {
  it('keeps an inferred catalogue while the files it was read from are unchanged, keeping undefined samples', () => {
    vi.stubEnv('LIFECYCLE_NO_CACHE', '');
    const { dir } = project();
    const source = join(dir, 'm.ts');
    writeFileSync(source, 'export const a = 1;\n');
    const cache = inferenceCache<{ done: unknown[] }>(source, 'machine', dir);
    expect(cache.get()).toBeUndefined();
    cache.set({ done: [undefined, { ok: true }] }, [source]);
    expect(inferenceCache(source, 'machine', dir).get()).toEqual({ done: [undefined, { ok: true }] });
    expect(inferenceCache(source, 'other', dir).get()).toBeUndefined();
    writeFileSync(source, 'export const a = 2;\n');
    expect(inferenceCache(source, 'machine', dir).get()).toBeUndefined();
    vi.unstubAllEnvs();
  });

  it("compiles the TypeScript compiler from a V8 code cache after a first inference, and from source when the cache is off or damaged", () => {
    const { dir, cache } = project();
    mkdirSync(cache, { recursive: true });
    const script = join(dir, 'load.ts');
    writeFileSync(
      script,
      `import ts, { compilerCacheState, saveCompilerCache } from ${JSON.stringify(join(root, 'src/model/infer/ts.ts'))};
const file = ts.createSourceFile('x.ts', 'const x: number = 1;', ts.ScriptTarget.ES2022);
saveCompilerCache();
console.log(compilerCacheState(), file.statements.length);\n`,
    );
    const run = (env: NodeJS.ProcessEnv = {}) => {
      const r = spawnSync(process.execPath, [tsx, script], { cwd: dir, encoding: 'utf8', env: { ...process.env, LIFECYCLE_NO_CACHE: '', ...env } });
      expect(r.stderr).toBe('');
      return r.stdout.trim();
    };
    writeFileSync(join(cache, 'typescript-0.0.0-v0-x64-1-1.v8cache'), 'an old cache');
    expect(run()).toBe('compiled 1');
    const written = readdirSync(cache).filter((f) => f.endsWith('.v8cache'));
    expect(written, 'the old cache is removed').toHaveLength(1);
    expect(written[0]).toContain(createRequire(import.meta.url)('typescript/package.json').version);
    expect(run()).toBe('used 1');
    expect(run({ LIFECYCLE_NO_CACHE: '1' })).toBe('off 1');
    // A damaged cache is rejected by V8: the compiler is compiled from source, and the cache written anew.
    writeFileSync(join(cache, written[0]!), Buffer.from('not a code cache'));
    expect(run()).toBe('compiled 1');
    expect(readFileSync(join(cache, written[0]!)).length).toBeGreaterThan(1000);
  });
});

describe('the standard library inference reads', () => {
  const lib = readFileSync(join(root, 'node_modules/typescript/lib/lib.es5.d.ts'), 'utf8');
  it('cuts the typed arrays to stubs and keeps the rest of lib.es5.d.ts as it is', () => {
    const cut = withoutTypedArrays(lib);
    expect(cut.length).toBeLessThan(lib.length / 2);
    for (const name of ['Int8Array', 'Uint8Array', 'Float64Array']) {
      expect(cut).toMatch(new RegExp(`^interface ${name}<TArrayBuffer extends ArrayBufferLike = ArrayBufferLike> \\{`, 'm'));
      expect(cut).toContain(`declare var ${name}: ${name}Constructor;`);
    }
    for (const kept of ['interface Array<T> {', 'interface ReadonlyArray<T> {', 'type Partial<T> = {', 'interface ArrayBuffer {', 'declare namespace Intl {']) expect(cut).toContain(kept);
  });

  it('leaves a library without the markers whole', () => {
    const other = 'interface Array<T> { length: number }\ninterface Int8Array { x: 1 }\n';
    expect(withoutTypedArrays(other)).toBe(other);
  });
});
