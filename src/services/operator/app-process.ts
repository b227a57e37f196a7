/**
 * The managed app as a real process: `examples/operator-app/app.mjs` started detached (it outlives the operator,
 * as a managed application does), its version from `--version` and its parameters from `APP_PARAMETERS`; found again
 * through the pid file; probed over HTTP on 127.0.0.1.
 */
import { spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { InstanceSpec } from '../../../machines/operator.ts';
import { sameSpec } from '../../../machines/operator.ts';
import { PACKAGE_ROOT } from '../../package-root.ts';
import { remove, serviceError } from '../install/fs.ts';
import { httpRequest } from '../preboot/http.ts';
import { isAlive, stopProcess } from '../upgrade/agent-process.ts';
import { layout, readPid, readReady, writePid, type ReadyFile } from './instance.ts';

export { isAlive, stopProcess };

/** The example app the default services manage. */
export const OPERATOR_APP = join(PACKAGE_ROOT, 'examples/operator-app/app.mjs');

/** How long an app may take to listen, and to answer /health once asked to be ready. */
export const TIMEOUTS = { listenMs: 10_000, readyMs: 10_000, probeMs: 1000 };

/** Every app process this process spawned, by pid, with its work dir (so tests can stop them all). */
const spawned = new Map<number, string>();

/** The pids spawned for `workDir` in this process. */
export function spawnedPids(workDir?: string): number[] {
  return [...spawned].filter(([, dir]) => workDir === undefined || dir === workDir).map(([pid]) => pid);
}

/** Stops every app this process spawned (tests' afterEach). */
export async function stopSpawnedApps(): Promise<void> {
  await Promise.all([...spawned.keys()].map((pid) => stopProcess(pid, 1000)));
  spawned.clear();
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function abortError(signal: AbortSignal | undefined): Error {
  return signal?.reason instanceof Error ? signal.reason : Object.assign(new Error('aborted'), { name: 'AbortError' });
}

/**
 * What the app said last, for an error message: the error line of a crash (Node prints the stack, then a blank line
 * and its version, so the last lines say nothing), else the last two lines.
 */
export async function logTail(workDir: string): Promise<string> {
  const text = await readFile(layout.log(workDir), 'utf8').catch(() => '');
  const lines = text.trim().split('\n').filter((line) => line.trim() !== '' && !/^Node\.js v\d/.test(line));
  const error = [...lines].reverse().find((line) => /^(\w*Error|Uncaught)\b.*:/.test(line.trim()));
  return error ? error.trim() : lines.slice(-2).join(' | ');
}

/** Whether the running app (as its ready file says) runs `spec`. */
export function runsSpec(ready: ReadyFile | null, spec: InstanceSpec): boolean {
  return ready !== null && sameSpec({ version: ready.version, parameters: ready.parameters ?? {} }, spec);
}

/** Removes the pid file if it still names `pid` (a process that never came up leaves no pid file behind). */
async function forgetPid(workDir: string, pid: number): Promise<void> {
  if ((await readPid(workDir)) === pid) await remove(layout.pidFile(workDir));
}

/**
 * Starts the app with `spec` and waits until it listens (its ready file names its pid). An app that exits first
 * fails the step: with code 2 (it refuses its configuration) as `fatal`, which is never retried; otherwise as
 * `app-exited`, which is.
 */
export async function spawnApp(workDir: string, spec: InstanceSpec, signal?: AbortSignal): Promise<ReadyFile> {
  await mkdir(workDir, { recursive: true });
  await remove(layout.ready(workDir));
  const fd = openSync(layout.log(workDir), 'a');
  let exit: { code: number | null; signal: NodeJS.Signals | null } | null = null;
  const child = spawn(process.execPath, [OPERATOR_APP, '--work-dir', workDir, '--version', spec.version], {
    cwd: workDir,
    detached: true,
    stdio: ['ignore', fd, fd],
    env: { ...process.env, APP_PARAMETERS: JSON.stringify(spec.parameters) },
  });
  closeSync(fd);
  child.on('exit', (code, sig) => (exit = { code, signal: sig }));
  child.unref();
  const pid = child.pid;
  if (!pid) throw serviceError('spawn-failed', `could not start ${OPERATOR_APP}`);
  spawned.set(pid, workDir);
  writePid(workDir, pid);
  const deadline = Date.now() + TIMEOUTS.listenMs;
  for (;;) {
    const ready = await readReady(workDir);
    if (ready?.pid === pid) return ready;
    if (exit !== null) {
      const { code, signal: sig } = exit as { code: number | null; signal: NodeJS.Signals | null };
      await forgetPid(workDir, pid);
      const tail = await logTail(workDir);
      throw serviceError(
        code === 2 ? 'fatal' : 'app-exited',
        `app ${spec.version} (pid ${pid}) exited with ${code !== null ? `code ${code}` : `signal ${sig}`} before it listened${tail ? `: ${tail}` : ''}`,
      );
    }
    if (signal?.aborted || Date.now() > deadline) {
      await stopProcess(pid, 500);
      await forgetPid(workDir, pid);
      if (signal?.aborted) throw abortError(signal);
      throw serviceError('start-timeout', `app ${spec.version} (pid ${pid}) did not listen within ${TIMEOUTS.listenMs} ms`);
    }
    await sleep(20);
  }
}

/** Stops the app of `workDir` (pid file and ready file), if it runs; removes the ready file. */
export async function stopApp(workDir: string): Promise<number | null> {
  const pid = await readPid(workDir);
  const ready = await readReady(workDir);
  for (const p of new Set([pid, ready?.pid])) if (p) await stopProcess(p, 3000);
  await remove(layout.ready(workDir));
  return pid;
}

export interface Health {
  ok: boolean;
  status: number;
  body: { status?: string; version?: string; parameters?: Record<string, unknown>; pid?: number };
  detail: string;
}

/** One `GET /health` on the app's port. */
export async function probeHealth(port: number, timeoutMs = TIMEOUTS.probeMs): Promise<Health> {
  try {
    const answer = await httpRequest('GET', `http://127.0.0.1:${port}/health`, { timeoutMs });
    let body: Health['body'] = {};
    try {
      body = JSON.parse(answer.body);
    } catch {
      // reported through status
    }
    return { ok: answer.status === 200, status: answer.status, body, detail: `GET /health answered ${answer.status}` };
  } catch (error) {
    return { ok: false, status: 0, body: {}, detail: `GET /health on 127.0.0.1:${port} failed: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}` };
  }
}

/** Waits until the app answers /health 200 naming `spec.version`; fails if it dies or the time runs out. */
export async function waitHealthy(workDir: string, ready: ReadyFile, spec: InstanceSpec, signal?: AbortSignal): Promise<void> {
  const deadline = Date.now() + TIMEOUTS.readyMs;
  let last = '';
  for (;;) {
    if (signal?.aborted) throw abortError(signal);
    if (!isAlive(ready.pid)) {
      const tail = await logTail(workDir);
      throw serviceError('app-exited', `app ${spec.version} (pid ${ready.pid}) died before it was ready${tail ? `: ${tail}` : ''}`);
    }
    const health = await probeHealth(ready.port);
    if (health.ok && health.body.version === spec.version) return;
    last = health.ok ? `GET /health names version ${health.body.version}, expected ${spec.version}` : health.detail;
    if (Date.now() > deadline) throw serviceError('not-ready', `app ${spec.version} (pid ${ready.pid}) was not ready within ${TIMEOUTS.readyMs} ms: ${last}`);
    await sleep(50);
  }
}
