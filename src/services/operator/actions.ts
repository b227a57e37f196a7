/**
 * `observeApp` and `runAction`: where the real app is on the OKT graph, and the action of each node.
 *
 * | node        | action (runAction)                                                        | observed as (observeApp)                     |
 * | ----------- | ------------------------------------------------------------------------- | -------------------------------------------- |
 * | `start`     | create: start the process with the spec, wait until it listens            | `start` while the process lives              |
 * | `running`   | await ready: (re)start it if it does not run the spec, wait for /health   | `running` if /health answers 200, else `start` |
 * | `servicing` | restart with the plan's spec (new version or parameters), wait listening  | `servicing` while the process lives          |
 * | `stopping`  | stop the process                                                          | `stopping`                                   |
 * | `end`       | stop it if it still runs, remove the instance files                       | `absent` (nothing left)                      |
 *
 * A process that died is `absent` whatever node it was at (level-triggered: the next pass deploys it again). Every
 * action is idempotent: a retried step finds the work done and keeps it.
 */
import type { AppNode, InstanceSpec, ObserveAppInput, ObserveAppOutput, RunActionInput, RunActionOutput } from '../../../machines/operator.ts';
import { remove, serviceError } from '../install/fs.ts';
import { isAlive, probeHealth, runsSpec, spawnApp, stopApp, waitHealthy } from './app-process.ts';
import { layout, readPid, readReady, readRecord, readRecordToObserve, writeRecord, type ReadyFile } from './instance.ts';

/** The `observeApp` service: read-only. */
export async function observeApp(input: ObserveAppInput): Promise<ObserveAppOutput> {
  return { appState: await observe(input.workDir) };
}

export async function observe(workDir: string): Promise<AppNode> {
  const record = await readRecordToObserve(workDir);
  if (!record) return 'absent';
  if (record.node === 'stopping' || record.node === 'end') return record.node;
  const pid = (await readPid(workDir)) ?? record.pid;
  if (!isAlive(pid)) return 'absent';
  if (record.node !== 'running') return record.node;
  const ready = await readReady(workDir);
  return ready?.pid === pid && (await probeHealth(ready.port)).ok ? 'running' : 'start';
}

/** The process runs `spec` (kept if it already does, restarted if it runs something else); waits until it listens. */
async function ensureRunning(workDir: string, spec: InstanceSpec, signal?: AbortSignal): Promise<ReadyFile> {
  const pid = await readPid(workDir);
  const ready = await readReady(workDir);
  if (pid && isAlive(pid) && ready?.pid === pid && runsSpec(ready, spec)) return ready;
  await stopApp(workDir);
  return spawnApp(workDir, spec, signal);
}

async function specOf(input: RunActionInput): Promise<InstanceSpec> {
  if (input.spec) return input.spec;
  const record = await readRecord(input.workDir);
  if (record) return { version: record.version, parameters: record.parameters };
  throw serviceError('fatal', `no spec to drive the app in ${input.workDir} to ${input.to} with (the spec file is gone and no instance exists)`);
}

/** The `runAction` service: the action of the node `input.to`. */
export async function runAction(input: RunActionInput, signal?: AbortSignal): Promise<RunActionOutput> {
  const { workDir, to } = input;
  switch (to) {
    case 'start':
    case 'servicing': {
      const spec = await specOf(input);
      const ready = await ensureRunning(workDir, spec, signal);
      writeRecord(workDir, { node: to, ...spec, pid: ready.pid, port: ready.port });
      return { appState: to };
    }
    case 'running': {
      const spec = await specOf(input);
      const ready = await ensureRunning(workDir, spec, signal);
      await waitHealthy(workDir, ready, spec, signal);
      writeRecord(workDir, { node: 'running', ...spec, pid: ready.pid, port: ready.port });
      return { appState: 'running' };
    }
    case 'stopping': {
      const record = await readRecord(workDir);
      await stopApp(workDir);
      await remove(layout.pidFile(workDir));
      const spec = record ? { version: record.version, parameters: record.parameters } : await specOf(input);
      writeRecord(workDir, { node: 'stopping', ...spec, pid: null, port: null });
      return { appState: 'stopping' };
    }
    case 'end': {
      await stopApp(workDir);
      for (const file of [layout.pidFile(workDir), layout.record(workDir), layout.ready(workDir)]) await remove(file);
      return { appState: 'end' };
    }
  }
}
