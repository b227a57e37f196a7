/**
 * A throwaway user project for the example tests: its own package.json, and node_modules holding lifecycle-kit,
 * xstate and vitest as a user's install would, without an install. `lifecycle-kit` there is a folder whose
 * package.json maps the package's entry points to this repo's sources (linked), not to dist/: dist/ is rebuilt only by
 * `npm run build`, and a stale one would test old code (test/package/pack.test.ts tests the packed build). The CLI is
 * this repo's bin/lifecycle.js, which runs the sources when they are newer than its build.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const BIN = join(ROOT, 'bin/lifecycle.js');

const ENTRIES = {
  '.': './src/index.ts',
  './testing': './src/testgen/harness.ts',
  './steps': './src/steps/index.ts',
  './catalogue.schema.json': './schema/catalogue.schema.json',
  './package.json': './package.json',
};

const made: string[] = [];

/** A fresh temp folder, removed by `cleanUp`. */
export function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  made.push(dir);
  return dir;
}

export function cleanUp(): void {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
}

/** A project folder with lifecycle-kit, xstate and vitest in its node_modules (and their bins in .bin). */
export function makeProject(prefix: string, scripts: Record<string, string> = { test: 'vitest run' }): string {
  const dir = tempDir(prefix);
  writeFileSync(join(dir, 'package.json'), `${JSON.stringify({ name: 'my-app', private: true, type: 'module', scripts }, null, 2)}\n`);
  const kit = join(dir, 'node_modules/lifecycle-kit');
  mkdirSync(kit, { recursive: true });
  writeFileSync(join(kit, 'package.json'), JSON.stringify({ name: 'lifecycle-kit', type: 'module', bin: { lifecycle: './bin/lifecycle.js' }, exports: ENTRIES }));
  for (const sub of ['src', 'machines', 'schema', 'bin']) symlinkSync(join(ROOT, sub), join(kit, sub));
  for (const dep of ['xstate', 'vitest']) symlinkSync(join(ROOT, 'node_modules', dep), join(dir, 'node_modules', dep));
  mkdirSync(join(dir, 'node_modules/.bin'));
  symlinkSync('../lifecycle-kit/bin/lifecycle.js', join(dir, 'node_modules/.bin/lifecycle'));
  symlinkSync('../vitest/vitest.mjs', join(dir, 'node_modules/.bin/vitest'));
  return dir;
}

export interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a command in `cwd` with the project's bins first on PATH; no LIFECYCLE_*, NODE_OPTIONS or VITEST* of the runner. */
export function sh(command: string, args: string[], cwd: string, env: Record<string, string> = {}): Promise<Result> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, env: projectEnv(cwd, env), stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d));
    child.stderr.on('data', (d: Buffer) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** `lifecycle <args>` as the project's `npx lifecycle` runs it. */
export const lifecycle = (args: string[], cwd: string, env?: Record<string, string>) => sh(process.execPath, [BIN, ...args], cwd, env);

export function projectEnv(cwd: string, env: Record<string, string> = {}): NodeJS.ProcessEnv {
  return { PATH: `${join(cwd, 'node_modules/.bin')}:${process.env.PATH}`, HOME: process.env.HOME, NO_COLOR: '1', NO_PROGRESS: '1', ...env };
}

/** Throws with the output unless the command exited 0. */
export function ok(r: Result): Result {
  if (r.code !== 0) throw new Error(`exit ${r.code}\nstdout:\n${r.stdout}\nstderr:\n${r.stderr}`);
  return r;
}

/** `lifecycle <args>` in the background: `until` resolves once its stdout matches; `closed` gives its exit code. */
export function background(args: string[], cwd: string) {
  const child = spawn(process.execPath, [BIN, ...args], { cwd, env: projectEnv(cwd), stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d));
  child.stderr.on('data', (d: Buffer) => (stderr += d));
  const closed = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  return {
    child,
    closed,
    out: () => stdout,
    err: () => stderr,
    async until(pattern: RegExp, ms = 20_000) {
      const end = Date.now() + ms;
      while (!pattern.test(stdout)) {
        if (Date.now() > end || child.exitCode !== null) throw new Error(`no ${pattern} in the output (exit ${child.exitCode}); stdout:\n${stdout}\nstderr:\n${stderr}`);
        await new Promise((r) => setTimeout(r, 25));
      }
    },
  };
}
