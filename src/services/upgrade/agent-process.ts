/**
 * The agent as a real process: started detached from a version directory (its `agent.json` names its script),
 * found again through `<version>/run/agent.json` (pid and loopback port, written by the agent once it listens), and
 * probed over HTTP on 127.0.0.1. The home's `run/agent.json` names the agent the home runs.
 */
import { spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import { get } from 'node:http';
import { dirname, join } from 'node:path';
import { writeFileAtomic } from '../../io/atomic-write.ts';
import { remove, serviceError } from '../install/fs.ts';
import { layout, readAgentManifest } from './home.ts';

/** What a running agent writes in `<version>/run/agent.json`, and the home keeps in `<home>/run/agent.json`. */
export interface AgentRun {
  pid: number;
  port: number;
  version: string;
  path: string;
  startedAt?: string;
}

export function isAlive(pid: number | null | undefined): boolean {
  if (!pid) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function readJson<T>(file: string): Promise<T | null> {
  try {
    return JSON.parse(await readFile(file, 'utf8')) as T;
  } catch {
    return null;
  }
}

/** The run file a version's agent wrote, or null. */
export function readVersionRun(path: string): Promise<AgentRun | null> {
  return readJson<AgentRun>(join(path, 'run', 'agent.json'));
}

/** The agent the home runs, as recorded in `<home>/run/agent.json`, or null. */
export function readHomeRun(home: string): Promise<AgentRun | null> {
  return readJson<AgentRun>(layout.runFile(home));
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Sends SIGTERM, waits up to `graceMs` for the process to exit, then SIGKILL. */
export async function stopProcess(pid: number, graceMs = 3000): Promise<void> {
  if (!isAlive(pid)) return;
  try {
    process.kill(pid, 'SIGTERM');
  } catch {
    return;
  }
  const deadline = Date.now() + graceMs;
  while (isAlive(pid) && Date.now() < deadline) await sleep(20);
  if (isAlive(pid)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone meanwhile
    }
    while (isAlive(pid)) await sleep(10);
  }
}

/**
 * Starts the agent of version directory `path` as a detached process (its output in `<path>/logs/agent.log`), waits
 * until it listens, and records it as the home's agent. Idempotent: an agent of `path` that is already running is
 * kept.
 */
export async function spawnAgent(home: string, path: string, timeoutMs = 10_000): Promise<AgentRun> {
  const running = await readHomeRun(home);
  if (running && running.path === path && isAlive(running.pid)) return running;
  const manifest = await readAgentManifest(path);
  // An agent of this version started by a run that was killed before it recorded it: adopt it.
  const orphan = await readVersionRun(path);
  if (orphan && isAlive(orphan.pid)) {
    const record: AgentRun = { pid: orphan.pid, port: orphan.port, version: manifest.version, path, startedAt: orphan.startedAt };
    writeFileAtomic(layout.runFile(home), `${JSON.stringify(record, null, 2)}\n`);
    return record;
  }
  await remove(join(path, 'run', 'agent.json'));
  await mkdir(join(path, 'logs'), { recursive: true });
  const log = join(path, 'logs', 'agent.log');
  const fd = openSync(log, 'a');
  let exited: number | null = null;
  const child = spawn(process.execPath, [join(path, manifest.entry), '--home', home], {
    cwd: path,
    detached: true,
    stdio: ['ignore', fd, fd],
    env: { ...process.env, PATH: `${dirname(process.execPath)}:${process.env.PATH ?? ''}` },
  });
  closeSync(fd);
  child.on('exit', (code) => (exited = code ?? -1));
  child.unref();
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const run = await readVersionRun(path);
    if (run && run.pid === child.pid) {
      const record: AgentRun = { pid: run.pid, port: run.port, version: manifest.version, path, startedAt: run.startedAt };
      writeFileAtomic(layout.runFile(home), `${JSON.stringify(record, null, 2)}\n`);
      return record;
    }
    if (exited !== null || Date.now() > deadline) {
      if (child.pid) await stopProcess(child.pid, 500);
      const tail = await readFile(log, 'utf8').then((s) => s.trim().split('\n').slice(-3).join(' | '), () => '');
      throw serviceError(
        'start-failed',
        `agent ${manifest.version} in ${path} ${exited !== null ? `exited with code ${exited}` : `did not listen within ${timeoutMs} ms`} before it was up${tail ? `: ${tail}` : ''}`,
      );
    }
    await sleep(20);
  }
}

/** One probe: `GET http://127.0.0.1:<port>/health` of the agent of `path`, which must answer 200 naming `version`. */
export async function probeHealth(path: string, version: string, timeoutMs = 2000): Promise<{ healthy: boolean; detail?: string }> {
  const run = await readVersionRun(path);
  if (!run) return { healthy: false, detail: `the agent in ${path} has not written run/agent.json` };
  if (!isAlive(run.pid)) return { healthy: false, detail: `agent process ${run.pid} is not running` };
  // One deadline for the whole probe (connect, headers, body): a socket timeout alone lets a trickling answer run on.
  const answer = await new Promise<{ status: number; body: string } | Error>((resolve) => {
    const req = get({ host: '127.0.0.1', port: run.port, path: '/health', agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => {
        body += c;
        if (body.length > 64 * 1024) req.destroy(new Error('the answer is larger than 64 KiB'));
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      res.on('error', resolve);
    });
    const timer = setTimeout(() => req.destroy(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
    req.on('close', () => clearTimeout(timer));
    req.on('error', resolve);
  });
  if (answer instanceof Error) return { healthy: false, detail: `GET /health on 127.0.0.1:${run.port} failed: ${answer.message}` };
  let body: { status?: string; version?: string; reason?: string } = {};
  try {
    body = JSON.parse(answer.body);
  } catch {
    // not JSON: reported below
  }
  if (answer.status !== 200) return { healthy: false, detail: `GET /health answered ${answer.status}${body.reason ? `: ${body.reason}` : ''}` };
  if (body.version !== version) return { healthy: false, detail: `GET /health names version ${body.version}, expected ${version}` };
  // No pid or port in a healthy answer: it is the same answer every run (the context names the agent's pid).
  return { healthy: true };
}

/** Stops the agent the home runs (if any), and forgets it. For tests, demos and rollbacks. */
export async function stopHomeAgent(home: string): Promise<void> {
  const run = await readHomeRun(home);
  if (run) await stopProcess(run.pid);
  await remove(layout.runFile(home));
}
