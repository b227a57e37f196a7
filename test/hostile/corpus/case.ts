/**
 * One hostile case and how it is judged. A case builds a layout in its own temp directory and names the command; the
 * runner runs it through the real binary and checks what the issue asks of every case: the exit code, exactly one
 * stderr line (`lifecycle: ...`) naming the path or value, no stack trace or "unexpected error", nothing lost or
 * littered in the directory outside the paths the case may write, and an end within its time bound. A case with its
 * own choreography (a server to attack, a race) drives itself and returns its problems.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { lifecycle, type Invocation, type Proc } from './cli.ts';
import type { Fixtures } from './fixtures.ts';
import { differences, picture } from './tree.ts';

/** The classes (the inspector's floods are covered by test/inspect/hardening-inspector.test.ts). */
export type HostileClass =
  | 'store corruption'
  | 'archive escapes'
  | 'lock races'
  | 'health checks and grace'
  | 'preboot cross-site'
  | 'package/target overlap'
  | 'artifact in downloads and home layouts'
  | 'slow and endless peers'
  | 'bad input and retry policies'
  | 'loaders'
  | 'null snapshot'
  | 'vague fs errors';

export interface Ctx {
  /** The case's own directory, removed afterwards. */
  dir: string;
  fx: Fixtures;
  /** Run after the case, whatever happened (stop a peer, an agent). */
  defer(cleanup: () => Promise<void> | void): void;
}

export interface Case {
  id: string;
  cls: HostileClass;
  /** Builds the layout and returns the command. */
  prepare?(c: Ctx): Promise<Invocation> | Invocation;
  /** The exit code expected. */
  code?: number;
  /** What the one stderr line says (exit 0: what stdout says, stderr empty); built once the layout exists. */
  line?(c: Ctx): RegExp;
  /** Paths under the case directory the command may create or change (`store` covers `store/...`). */
  writes?: string[];
  /** Longest acceptable run, ms (default 20 s). */
  maxMs?: number;
  /** A case that drives itself: returns its problems (empty: passed). */
  drive?(c: Ctx): Promise<string[]>;
  /** Extra checks after the command. */
  after?(c: Ctx, proc: Proc): Promise<string[]> | string[];
  /** Skipped, with the reason, when the machine cannot simulate it (no mount namespace, not root). */
  skip?(): string | null;
  /** A known failure whose fix lies outside these files: reported as open, not counted as passed. */
  open?: string;
}

export interface Verdict {
  id: string;
  cls: HostileClass;
  problems: string[];
  skipped?: string;
  open?: string;
  ms: number;
}

export const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Checks one finished command against the case. Pure. */
export function judge(c: Case, ctx: Ctx, proc: Proc): string[] {
  const problems: string[] = [];
  const maxMs = c.maxMs ?? 20_000;
  if (proc.timedOut) return [`hung: killed after ${proc.ms} ms`];
  if (proc.ms > maxMs) problems.push(`took ${proc.ms} ms, more than ${maxMs}`);
  if (proc.code !== (c.code ?? 1)) problems.push(`exit ${proc.code ?? proc.signal}, expected ${c.code ?? 1}`);
  const lines = proc.stderr.trimEnd().split('\n').filter((l) => l !== '');
  if (/\n\s+at |unexpected error/i.test(proc.stderr)) problems.push(`stack trace or unexpected error on stderr: ${clip(proc.stderr)}`);
  const expected = c.line?.(ctx);
  if ((c.code ?? 1) === 0) {
    if (lines.length > 0) problems.push(`stderr should be empty: ${clip(proc.stderr)}`);
    if (expected && !expected.test(proc.stdout)) problems.push(`stdout does not match ${expected}: ${clip(proc.stdout)}`);
    return problems;
  }
  if (lines.length !== 1) problems.push(`${lines.length} stderr lines, expected 1: ${clip(proc.stderr)}`);
  const line = lines[0] ?? '';
  if (!line.startsWith('lifecycle: ')) problems.push(`the stderr line does not start with "lifecycle: ": ${clip(line)}`);
  if (line.length > 1000) problems.push(`the stderr line is ${line.length} characters long`);
  if (expected && !expected.test(line)) problems.push(`the stderr line does not match ${expected}: ${clip(line)}`);
  return problems;
}

const clip = (s: string) => JSON.stringify(s.length > 400 ? `${s.slice(0, 200)}…${s.slice(-150)}` : s);

/** Runs one case in a fresh temp directory, removed afterwards; never throws. */
export async function runCase(c: Case, fx: Fixtures): Promise<Verdict> {
  const started = Date.now();
  const skipped = c.skip?.() ?? null;
  if (skipped) return { id: c.id, cls: c.cls, problems: [], skipped, ms: 0 };
  const dir = mkdtempSync(join(tmpdir(), 'lk-hostile-'));
  const cleanups: (() => Promise<void> | void)[] = [];
  const ctx: Ctx = { dir, fx, defer: (f) => cleanups.push(f) };
  let problems: string[];
  try {
    if (c.drive) problems = await c.drive(ctx);
    else {
      const inv = await c.prepare!(ctx);
      const before = picture(dir);
      const proc = await lifecycle(inv);
      problems = judge(c, ctx, proc);
      problems.push(...differences(before, picture(dir), c.writes ?? []));
      if (c.after) problems.push(...(await c.after(ctx, proc)));
    }
  } catch (error) {
    problems = [`the case itself failed: ${(error as Error).stack ?? error}`];
  } finally {
    for (const f of cleanups.reverse()) await Promise.resolve(f()).catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  }
  return { id: c.id, cls: c.cls, problems, ...(c.open ? { open: c.open } : {}), ms: Date.now() - started };
}
