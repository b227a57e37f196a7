/**
 * The `lifecycle` binary as a hostile user meets it: a child process, bounded in time (killed with its process group
 * after `timeoutMs`), optionally as an unprivileged user (uid 65534, so that permissions bite when the tests run as
 * root) or inside a new mount namespace whose shell `mounts` made a read-only or full filesystem first.
 */
import { spawn, spawnSync } from 'node:child_process';

export const BIN = new URL('../../../bin/lifecycle.js', import.meta.url).pathname;
export const NOBODY = 65534;

export interface Proc {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  ms: number;
  timedOut: boolean;
}

export interface Invocation {
  args: string[];
  env?: Record<string, string>;
  /** Run as uid/gid 65534 (only meaningful as root). */
  asNobody?: boolean;
  /** Shell run first in a new user+mount namespace (`unshare -rm`), e.g. to mount a read-only tmpfs. */
  mounts?: string;
  /** Shell run after the command inside that namespace (to look at what the mount holds), keeping its exit code. */
  epilogue?: string;
  timeoutMs?: number;
}

/** Whether this process may run a child as another user (root). */
export const isRoot = process.getuid?.() === 0;

/** Whether mounts can be made in a user namespace here (Linux with unprivileged or root unshare). */
export const canMount =
  process.platform === 'linux' && spawnSync('unshare', ['-rm', 'sh', '-c', 'mount -t tmpfs tmpfs /tmp'], { timeout: 5000 }).status === 0;

/** Runs the binary; never rejects, never outlives `timeoutMs` (default 30 s). */
export function lifecycle(inv: Invocation): Promise<Proc> {
  const started = Date.now();
  const env = { ...process.env, NO_COLOR: '1', ...inv.env };
  const [file, argv] = inv.mounts
    ? ['unshare', ['-rm', 'sh', '-c', `${inv.mounts} && ${inv.epilogue ? `{ "${process.execPath}" "${BIN}" "$@"; code=$?; ${inv.epilogue}; exit $code; }` : `exec "${process.execPath}" "${BIN}" "$@"`}`, 'sh', ...inv.args]]
    : [process.execPath, [BIN, ...inv.args]];
  return new Promise((resolve) => {
    const child = spawn(file, argv, {
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
      ...(inv.asNobody && isRoot ? { uid: NOBODY, gid: NOBODY } : {}),
    });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    child.stdout.on('data', (d: Buffer) => (stdout += d));
    child.stderr.on('data', (d: Buffer) => (stderr += d));
    const timer = setTimeout(() => {
      timedOut = true;
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        // gone meanwhile
      }
    }, inv.timeoutMs ?? 30_000);
    child.on('error', (error) => {
      clearTimeout(timer);
      resolve({ code: null, signal: null, stdout, stderr: `${stderr}spawn failed: ${error.message}`, ms: Date.now() - started, timedOut });
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, ms: Date.now() - started, timedOut });
    });
  });
}
