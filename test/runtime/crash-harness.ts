/**
 * The crash-consistency harness: runs the real `lifecycle` binary as a child process, SIGKILLs it at chosen points
 * (see fixtures/crash-at.mjs), resumes, and compares what the run left with an uninterrupted run.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, lstatSync, readFileSync, readdirSync, readlinkSync } from 'node:fs';
import { cpus } from 'node:os';
import { join, relative } from 'node:path';
import { describeValue } from '../../src/runtime/state-paths.ts';

export const BIN = new URL('../../bin/lifecycle.js', import.meta.url).pathname;
const CRASH_AT = new URL('./fixtures/crash-at.mjs', import.meta.url).pathname;

export interface Proc {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs `lifecycle <args>`; with `crashAt` it SIGKILLs itself before its n-th mutating fs call (counted from the
 * journal line `crashAt.anchor`, when given); with `trace` it lists them.
 */
export function lifecycle(
  args: string[],
  opts: { cwd?: string; crashAt?: KillPoint; trace?: string; env?: Record<string, string> } = {},
): Promise<Proc> {
  const preload = opts.crashAt || opts.trace ? ['--import', CRASH_AT] : [];
  const env: Record<string, string | undefined> = { ...process.env, NO_COLOR: '1', ...opts.env };
  if (opts.crashAt) {
    env.LIFECYCLE_CRASH_AT = String(opts.crashAt.offset);
    if (opts.crashAt.anchor) env.LIFECYCLE_CRASH_ANCHOR = opts.crashAt.anchor;
    if (opts.crashAt.nth) env.LIFECYCLE_CRASH_NTH = String(opts.crashAt.nth);
  }
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

/**
 * A place to kill a run: before op `n` (1-based) of the uninterrupted run, and what is happening there. In the
 * crash run it is found again as `offset` ops after the `nth` journal line containing every line of `anchor` (that
 * transition's event and target), or as op `offset` from the start when it comes before the first journal line.
 */
export interface KillPoint {
  n: number;
  label: string;
  offset: number;
  anchor?: string;
  nth?: number;
}

/**
 * Chooses kill points from the ops (and journal) of an uninterrupted run, for every transition and every step:
 * - `saved`: the snapshot is saved, the next step's service has not touched anything yet (a step boundary);
 * - `inside`: in the middle of a step's own writes, and before its last one (the step done, its done event not saved);
 * - `before-meta`: before the run's meta exists (a resume finds no run; running again is the answer);
 * - with `more`, also `journaled`: the transition's journal line is on disk, its snapshot not yet.
 * With `all`, every op is a kill point.
 */
export function chooseKillPoints(
  ops: Op[],
  storeDir: string,
  mode: 'boundaries' | 'more' | 'all',
  journal: { event: string; from: unknown; to: unknown }[],
): KillPoint[] {
  const journalFsync = (o: Op) => o.op === 'fsyncSync' && o.path === join(storeDir, 'journal.jsonl');
  // Where each journal line's fsync is, and its anchor: the line's event and its target state as the runtime writes
  // them. Not the source state: where a parallel region stood when a timer fired depends on timing.
  const lines: { index: number; anchor: string; nth: number }[] = [];
  const counts = new Map<string, number>();
  ops.forEach((o, i) => {
    if (!journalFsync(o)) return;
    const line = journal[lines.length]!;
    const anchor = `"event":${JSON.stringify(line.event)},\n"to":${JSON.stringify(line.to)},"step"`;
    counts.set(anchor, (counts.get(anchor) ?? 0) + 1);
    lines.push({ index: i, anchor, nth: counts.get(anchor)! });
  });
  const at = (n: number, label: string): KillPoint => {
    const line = [...lines].reverse().find((l) => l.index < n - 1);
    return line ? { n, label, offset: n - line.index, anchor: line.anchor, nth: line.nth } : { n, label, offset: n };
  };
  if (mode === 'all') return ops.map((o, i) => at(i + 1, `${o.op} ${o.path}`));

  const inStore = (o: Op) => o.path === storeDir || o.path.startsWith(`${storeDir}/`);
  const describe = (k: number) => {
    const line = journal[k - 1];
    return line ? `${line.from === null ? 'start' : describeValue(line.from)} → ${describeValue(line.to)}` : `transition ${k}`;
  };
  // A transition that repeats one already covered (a polling loop, download progress) is not covered again.
  const seen = new Set<string>();
  let repeat = false;
  const points: KillPoint[] = [];
  const metaRename = ops.findIndex((o) => o.op === 'renameSync' && o.path === join(storeDir, 'run.json'));
  points.push(at(metaRename + 1, 'before-meta'));
  let transition = 0;
  let service: number[] = [];
  const flushService = () => {
    const where = describe(transition);
    if (!repeat && service.length >= 2) points.push(at(service[Math.floor(service.length / 2)]! + 1, `inside the step after ${where}`));
    if (!repeat && service.length >= 3) points.push(at(service[service.length - 1]! + 1, `before the last write of the step after ${where}`));
    service = [];
  };
  ops.forEach((o, i) => {
    if (journalFsync(o)) {
      flushService();
      transition++;
      const where = describe(transition);
      repeat = seen.has(where);
      seen.add(where);
      if (!repeat && mode === 'more') points.push(at(i + 2, `journaled ${where}`));
    } else if (o.op === 'renameSync' && o.path === join(storeDir, 'snapshot.json')) {
      if (!repeat) points.push(at(i + 3, `saved ${describe(transition)}`)); // after the rename and the directory fsync
    } else if (!inStore(o)) service.push(i);
  });
  flushService();
  return points.filter((p) => p.n <= ops.length).sort((a, b) => a.n - b.n);
}

/**
 * A directory as `relative path → content` (files: sha256 of the bytes after `normalize`; symlinks: their
 * normalized target),
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
      if (st.isSymbolicLink()) out[rel] = `-> ${normalize(rel, Buffer.from(readlinkSync(p))).toString()}`;
      else if (st.isDirectory()) walk(p);
      else out[rel] = createHash('sha256').update(normalize(rel, readFileSync(p))).digest('hex');
    }
  };
  walk(dir);
  return out;
}

/** A crash-consistency scenario of one lifecycle. */
export interface CrashScenario {
  lifecycle: string;
  /** A fresh run: its directory, store and input; `target` is what is compared. Called once per kill point. */
  setup(): { dir: string; store: string; target: string; input: string };
  /** What two runs may differ in (times, pids, the run's own directory in absolute paths): normalized away. */
  normalize(rel: string, data: Buffer, dir: string): Buffer;
  /** The final state value of a successful run. */
  final: unknown;
  /** Called after each run (stop processes it left). */
  teardown?(run: { dir: string; target: string }): Promise<void>;
  /** `default`: a sample of the boundaries (see {@link sampleKillPoints}); `boundaries`: all of them; `more`, `all`. */
  mode?: CrashMode;
}

export type CrashMode = 'default' | 'boundaries' | 'more' | 'all';

/** The mode asked for with LIFECYCLE_CRASH_POINTS. */
export const crashMode = (): CrashMode => (process.env.LIFECYCLE_CRASH_POINTS ?? 'default') as CrashMode;

/**
 * Every other kill point of each kind (before the meta, after a saved snapshot, inside a step, before a step's last
 * write), starting at `seed`'s parity: each kill is two CLI processes, so the sweep is halved by default; seeds 0 and
 * 1 together try every boundary, and LIFECYCLE_CRASH_POINTS=boundaries tries them all at once.
 */
export function sampleKillPoints(points: KillPoint[], seed: number): KillPoint[] {
  const kind = (p: KillPoint) => p.label.split(' ')[0]!;
  const seen = new Map<string, number>();
  return points.filter((p) => {
    const k = seen.get(kind(p)) ?? 0;
    seen.set(kind(p), k + 1);
    return kind(p) === 'before-meta' || (k + seed) % 2 === 0;
  });
}

/** A kill point after which the resumed run did not end as the uninterrupted one. */
export interface CrashFailure {
  label: string;
  n: number;
  problem: string;
}

export interface CrashReport {
  /** Every kill point the chooser found (boundaries and inside steps). */
  candidates: KillPoint[];
  /** Those tried: all of them, or by default a sample. */
  points: KillPoint[];
  ops: number;
  failures: CrashFailure[];
  /**
   * Points after a repeated transition (a polling loop's n-th round) that a crash run never reached because its
   * loop ran fewer rounds than the uninterrupted one: nothing to kill there.
   */
  unreached: KillPoint[];
}

/**
 * Runs the scenario once uninterrupted (traced, with --verify), then once per kill point: SIGKILL there,
 * `lifecycle resume --verify`, and a comparison of the final state and files with the uninterrupted run.
 */
export async function runCrashScenario(s: CrashScenario): Promise<CrashReport> {
  const base = s.setup();
  const trace = join(base.dir, 'trace.json');
  const clean = await lifecycle(['run', s.lifecycle, '--store', base.store, '--input', base.input, '--verify'], { trace });
  if (clean.code !== 0) {
    await s.teardown?.(base);
    throw new Error(`the uninterrupted ${s.lifecycle} run failed: ${clean.stderr}`);
  }
  const expected = treeOf(base.target, (rel, data) => s.normalize(rel, data, base.dir));
  const ops = JSON.parse(readFileSync(trace, 'utf8')) as Op[];
  const journal = readFileSync(join(base.store, 'journal.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { event: string; from: unknown; to: unknown });
  await s.teardown?.(base);
  const candidates = chooseKillPoints(ops, base.store, s.mode === 'default' || s.mode === undefined ? 'boundaries' : s.mode, journal);
  const points = s.mode === 'default' || s.mode === undefined ? sampleKillPoints(candidates, Number(process.env.LIFECYCLE_CRASH_SEED ?? 0)) : candidates;

  const unreached: KillPoint[] = [];
  const failures = await pool(points, async (point): Promise<CrashFailure | null> => {
    const fail = (problem: string) => ({ label: point.label, n: point.n, problem });
    const run = s.setup();
    try {
      const crashed = await lifecycle(['run', s.lifecycle, '--store', run.store, '--input', run.input], { crashAt: point });
      if (crashed.signal !== 'SIGKILL' && crashed.code === 0 && (point.nth ?? 1) > 1) {
        unreached.push(point);
        return null;
      }
      if (crashed.signal !== 'SIGKILL') return fail(`not killed (exit ${crashed.code}): ${crashed.stderr}`);
      let resumed = await lifecycle(['resume', '--store', run.store, '--verify']);
      // Killed before the run's meta was written: there is no run to resume; running again is the answer.
      if (resumed.code === 1 && /no run in/.test(resumed.stderr)) {
        resumed = await lifecycle(['run', s.lifecycle, '--store', run.store, '--input', run.input, '--verify']);
      }
      if (resumed.code !== 0) return fail(`resume exited ${resumed.code}: ${resumed.stderr.trim()}`);
      const meta = JSON.parse(readFileSync(join(run.store, 'run.json'), 'utf8')) as { status: string };
      const saved = JSON.parse(readFileSync(join(run.store, 'snapshot.json'), 'utf8')) as { snapshot: { value: unknown } };
      if (meta.status !== 'succeeded' || JSON.stringify(saved.snapshot.value) !== JSON.stringify(s.final)) {
        return fail(`${meta.status} in ${JSON.stringify(saved.snapshot.value)}`);
      }
      const got = treeOf(run.target, (rel, data) => s.normalize(rel, data, run.dir));
      const diff = [...new Set([...Object.keys(got), ...Object.keys(expected)])].filter((k) => got[k] !== expected[k]);
      return diff.length ? fail(`differs from an uninterrupted run: ${diff.join(', ')}`) : null;
    } finally {
      await s.teardown?.(run);
    }
  });
  return { candidates, points, ops: ops.length, failures: failures.filter((f): f is CrashFailure => f !== null), unreached };
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
