/**
 * The crash-consistency harness: runs the real `lifecycle` binary as a child process, SIGKILLs it at chosen points
 * (see fixtures/crash-at.mjs), resumes, and compares what the run left with an uninterrupted run.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, lstatSync, readFileSync, readdirSync, readlinkSync } from 'node:fs';
import { cpus } from 'node:os';
import { join, relative } from 'node:path';

export const BIN = new URL('../../bin/lifecycle.js', import.meta.url).pathname;
const CRASH_AT = new URL('./fixtures/crash-at.mjs', import.meta.url).pathname;

export interface Proc {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs `lifecycle <args>`; with `crashAt` it SIGKILLs itself before its n-th mutating fs call; with `trace` it lists them. */
export function lifecycle(args: string[], opts: { cwd?: string; crashAt?: number; trace?: string; env?: Record<string, string> } = {}): Promise<Proc> {
  const preload = opts.crashAt || opts.trace ? ['--import', CRASH_AT] : [];
  const env: Record<string, string | undefined> = { ...process.env, NO_COLOR: '1', ...opts.env };
  if (opts.crashAt) env.LIFECYCLE_CRASH_AT = String(opts.crashAt);
  if (opts.trace) env.LIFECYCLE_CRASH_TRACE = opts.trace;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...preload, BIN, ...args], { cwd: opts.cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d));
    child.stderr.on('data', (d: Buffer) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

/** One mutating filesystem call of a traced run. */
export interface Op {
  op: string;
  path: string;
}

/** A place to kill a run: before op `n` (1-based), and what is happening there. */
export interface KillPoint {
  n: number;
  label: string;
}

/**
 * Chooses kill points from the ops of an uninterrupted run, for every transition and every step:
 * - `saved`: the snapshot is saved, the next step's service has not touched anything yet (a step boundary);
 * - `inside`: in the middle of a step's own writes, and before its last one (the step done, its done event not saved);
 * - `before-meta`: before the run's meta exists (a resume finds no run; running again is the answer);
 * - with `more`, also `journaled`: the transition's journal line is on disk, its snapshot not yet.
 * With `all`, every op is a kill point.
 */
export function chooseKillPoints(ops: Op[], storeDir: string, mode: 'default' | 'more' | 'all' = 'default'): KillPoint[] {
  if (mode === 'all') return ops.map((o, i) => ({ n: i + 1, label: `${o.op} ${o.path}` }));
  const inStore = (o: Op) => o.path === storeDir || o.path.startsWith(`${storeDir}/`);
  const points: KillPoint[] = [];
  const metaRename = ops.findIndex((o) => o.op === 'renameSync' && o.path === join(storeDir, 'run.json'));
  points.push({ n: metaRename + 1, label: 'before-meta' });
  let transition = 0;
  let service: number[] = [];
  const flushService = () => {
    if (service.length >= 2) points.push({ n: service[Math.floor(service.length / 2)]! + 1, label: `inside step after transition ${transition}` });
    if (service.length >= 3) points.push({ n: service[service.length - 1]! + 1, label: `last write of step after transition ${transition}` });
    service = [];
  };
  ops.forEach((o, i) => {
    if (o.op === 'fsyncSync' && o.path === join(storeDir, 'journal.jsonl')) {
      flushService();
      transition++;
      if (mode === 'more') points.push({ n: i + 2, label: `journaled ${transition}` });
    } else if (o.op === 'renameSync' && o.path === join(storeDir, 'snapshot.json')) {
      points.push({ n: i + 3, label: `saved ${transition}` }); // after the rename and the directory fsync
    } else if (!inStore(o)) service.push(i);
  });
  return points.filter((p) => p.n <= ops.length).sort((a, b) => a.n - b.n);
}

/**
 * A directory as `relative path → content` (files: sha256 of the bytes after `normalize`; symlinks: their target),
 * to compare what two runs left.
 */
export function treeOf(dir: string, normalize: (rel: string, data: Buffer) => Buffer = (_, d) => d): Record<string, string> {
  const out: Record<string, string> = {};
  if (!existsSync(dir)) return out;
  const walk = (d: string) => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name);
      const rel = relative(dir, p);
      const st = lstatSync(p);
      if (st.isSymbolicLink()) out[rel] = `-> ${readlinkSync(p)}`;
      else if (st.isDirectory()) walk(p);
      else out[rel] = createHash('sha256').update(normalize(rel, readFileSync(p))).digest('hex');
    }
  };
  walk(dir);
  return out;
}

/** Runs `task` over `items`, `concurrency` at a time (the children are CPU-bound at start-up). */
export async function pool<T, R>(items: T[], task: (item: T) => Promise<R>, concurrency = Math.max(2, cpus().length)): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        results[i] = await task(items[i]!);
      }
    }),
  );
  return results;
}
