/**
 * A synchronised race of many processes for one store lock: `racers` plain-Node processes (test/hostile/
 * lock-racer.mjs, running lock-file.ts bundled by esbuild, so each starts in a few tens of milliseconds) wait on a
 * barrier, call `acquireLock` in the same millisecond, and the winner holds the lock until every other has tried.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { buildSync } from 'esbuild';

const RACER = fileURLToPath(new URL('../hostile/lock-racer.mjs', import.meta.url));

/** Bundles a lock-file module (default: the project's) into one ESM file the racers import; returns its URL. */
export function bundleLock(source = fileURLToPath(new URL('../../src/runtime/lock-file.ts', import.meta.url))): string {
  const out = join(mkdtempSync(join(tmpdir(), 'lk-lock-bundle-')), 'lock-file.mjs');
  buildSync({ entryPoints: [source], bundle: true, format: 'esm', platform: 'node', outfile: out, logLevel: 'silent' });
  return pathToFileURL(out).href;
}

/** Removes the temp dir of a bundle made by `bundleLock`. */
export function removeBundle(bundle: string): void {
  rmSync(dirname(fileURLToPath(bundle)), { recursive: true, force: true });
}

export interface RaceResult {
  got: number;
  refused: number;
  /** Winners that found the lock no longer theirs once everyone had tried. */
  lost: number;
  errors: string[];
}

/**
 * Runs one race. `prepare(lockPath)` sets the store up first (a stale lock, garbage). Bounded: racers give up
 * after 30 s, the barrier after 20 s.
 */
export async function raceForLock(bundle: string, racers: number, prepare?: (lockPath: string) => void): Promise<RaceResult> {
  const dir = mkdtempSync(join(tmpdir(), 'lk-lock-race-'));
  try {
    return await raceIn(dir, bundle, racers, prepare);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function raceIn(dir: string, bundle: string, racers: number, prepare?: (lockPath: string) => void): Promise<RaceResult> {
  const store = join(dir, 'store');
  mkdirSync(store);
  const lockPath = join(store, 'lock');
  prepare?.(lockPath);
  const race = join(dir, 'race');
  mkdirSync(race);
  const children = Array.from({ length: racers }, () => {
    const child = spawn(process.execPath, [RACER, bundle, lockPath, race, String(racers)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    return new Promise<string>((resolve) => child.on('close', (code) => resolve(code === 0 ? '' : `exit ${code}: ${stderr.trim().split('\n').pop()}`)));
  });
  const until = Date.now() + 20_000;
  while (readdirSync(race).filter((f) => f.startsWith('ready-')).length < racers && Date.now() < until) await new Promise((r) => setTimeout(r, 10));
  writeFileSync(join(race, 'go.tmp'), String(Date.now() + 50));
  // rename: a racer never reads a half-written start time
  (await import('node:fs')).renameSync(join(race, 'go.tmp'), join(race, 'go'));
  const exits = (await Promise.all(children)).filter(Boolean);
  const files = readdirSync(race);
  const count = (prefix: string) => files.filter((f) => f.startsWith(prefix)).length;
  return { got: count('got-'), refused: count('refused-'), lost: count('lost-'), errors: [...exits, ...(existsSync(lockPath) ? ['lock left behind'] : [])] };
}
