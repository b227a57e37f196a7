/**
 * Per-state invariants of the operator lifecycle: checks of the real app process (pid file, liveness, ready file,
 * /health), of the instance record and of the status file that must hold whenever the machine is in a state, read
 * against what the machine's context says. Each returns the violations it finds.
 *
 * - everywhere: no app process of the work dir runs unnamed by its pid file; a live app runs what its record says;
 *   the app is where the machine believes it is (observed as `observeApp` would), unless the pass's observation or
 *   action failed (the world is then unknown, or the app died on the way);
 * - after the pass's action succeeded: the app is at the edge's target and runs the spec the machine passed it;
 * - once the pass reported: the status file says exactly what the context says (or, if that write failed, is older);
 * - converged: the app runs the spec and answers /health; ended: nothing runs and no instance file is left.
 */
import { activeRun, sameSpec, toInstanceStatus, type AppNode, type InstanceSpec, type OperatorContext, type OperatorInput } from '../../../machines/operator.ts';
import type { Invariant, InvariantProbe } from '../types.ts';
import { exists } from '../install/fs.ts';
import { observe } from './actions.ts';
import { isAlive, probeHealth, spawnedPids } from './app-process.ts';
import { layout, readPid, readReady, readRecord } from './instance.ts';
import { deriveConditions, readStatus } from './status.ts';

type Probe = InvariantProbe<OperatorInput, OperatorContext>;
type Check = Invariant<OperatorInput, OperatorContext>;

/** JSON with sorted keys (a status read back compares with the one the context gives, whatever the key order). */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object') {
    return `{${Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`)
      .join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

const describeSpec = (spec: InstanceSpec | null | undefined) => (spec ? `${spec.version} ${JSON.stringify(spec.parameters)}` : 'nothing');

/** The steps that read or write the operator's own files; any other step name is an action's. */
const READ_WRITE_STEPS = new Set(['readSpec', 'observeApp', 'writeStatus']);

/** Where the machine is in the pass: after the action (reporting, or a waiting state) or before it. */
function afterActing(value: unknown): boolean {
  if (typeof value === 'string') return true; // requeued, converged, degraded, blocked, ended
  const reconciling = (value as { reconciling?: unknown }).reconciling;
  const child = typeof reconciling === 'string' ? reconciling : Object.keys((reconciling ?? {}) as object)[0];
  return child === 'reporting';
}

/** The pass's action succeeded (the machine went on past it without failing the pass). */
function actionSucceeded(probe: Probe): boolean {
  return probe.context.edge !== null && !probe.context.passFailed && afterActing(probe.value);
}

/**
 * The status file says what the machine knows. Once written in this pass (its `reconciles` is the context's), it
 * is the context's status exactly, with the conditions derived from it; an older one is right only when this pass's
 * write failed (`lastError` is writeStatus's).
 */
async function statusWritten(probe: Probe): Promise<string[]> {
  const { context } = probe;
  const status = await readStatus(context.statusPath);
  const writeFailed = context.lastError?.step === 'writeStatus';
  if (!status) return writeFailed ? [] : [`no status was written to ${context.statusPath}`];
  const expected = toInstanceStatus(context);
  if (status.reconciles !== expected.reconciles) {
    return writeFailed && status.reconciles < expected.reconciles ? [] : [`the status is of pass ${status.reconciles}, the machine is at pass ${expected.reconciles}`];
  }
  const problems: string[] = [];
  const { conditions, updatedAt, ...written } = status;
  for (const key of new Set([...Object.keys(expected), ...Object.keys(written)])) {
    const want = (expected as unknown as Record<string, unknown>)[key];
    const got = (written as unknown as Record<string, unknown>)[key];
    if (canonical(want) !== canonical(got)) problems.push(`the status says ${key} ${canonical(got).slice(0, 160)}, the machine ${canonical(want).slice(0, 160)}`);
  }
  // What the conditions must say, from the outcome alone (not from deriveConditions, which the status is made with).
  const facts: [string, 'True' | 'False'][] = [
    ['Ready', expected.outcome === 'converged' ? 'True' : 'False'],
    ['Progressing', expected.activePlan ? 'True' : 'False'],
    ['Degraded', expected.outcome === 'degraded' || expected.outcome === 'blocked' ? 'True' : 'False'],
  ];
  for (const [type, want] of facts) {
    const got = (conditions ?? []).find((c) => c.type === type)?.status;
    if (got !== want) problems.push(`the status condition ${type} is ${got ?? 'missing'}, expected ${want} (outcome ${expected.outcome}, active plan ${expected.activePlan})`);
  }
  const derived = deriveConditions(expected);
  const seen = (conditions ?? []).map(({ lastTransitionTime: _, ...c }) => c);
  if (canonical(seen) !== canonical(derived)) problems.push(`the status conditions ${canonical(seen).slice(0, 200)} are not those of its status ${canonical(derived).slice(0, 200)}`);
  if (!(conditions ?? []).every((c) => typeof c.lastTransitionTime === 'string' && !Number.isNaN(Date.parse(c.lastTransitionTime)))) problems.push('a status condition has no lastTransitionTime');
  if (typeof updatedAt !== 'string' || Number.isNaN(Date.parse(updatedAt))) problems.push('the status has no updatedAt');
  return problems;
}

/** Every live app process spawned for the work dir is the one its pid file names (none is left behind). */
async function noStrayProcess(probe: Probe): Promise<string[]> {
  const { workDir } = probe.context;
  const named = await readPid(workDir);
  const stray = spawnedPids(workDir).filter((pid) => pid !== named && isAlive(pid));
  return stray.length ? [`app process(es) ${stray.join(', ')} run in ${workDir} but its pid file names ${named ?? 'none'}`] : [];
}

/**
 * A live app runs what its record says, and its ready file names it; a record at stopping or end has nothing left
 * running, and no pid file (the action of stopping removes it).
 */
async function recordCoherent(probe: Probe): Promise<string[]> {
  const { workDir } = probe.context;
  const record = await readRecord(workDir);
  if (record && (record.node === 'stopping' || record.node === 'end')) {
    const left: string[] = [];
    const pid = await readPid(workDir);
    if (pid !== null) left.push(`${layout.pidFile(workDir)} still names ${pid}${isAlive(pid) ? ', which runs' : ''}`);
    if (record.pid !== null) left.push(`the instance record names pid ${record.pid}`);
    return left.map((what) => `the instance record is at ${record.node}, but ${what}`);
  }
  if (!record || !['start', 'running', 'servicing'].includes(record.node)) return [];
  const pid = await readPid(workDir);
  if (!pid || !isAlive(pid)) return []; // crashed: the next observation says absent
  const ready = await readReady(workDir);
  if (ready?.pid !== pid) return [`${layout.ready(workDir)} names ${ready?.pid ?? 'no process'}, the pid file ${pid}`];
  const problems: string[] = [];
  if (record.pid !== pid) problems.push(`the instance record names pid ${record.pid}, the pid file ${pid}`);
  if (!sameSpec({ version: ready.version, parameters: ready.parameters ?? {} }, { version: record.version, parameters: record.parameters ?? {} })) {
    problems.push(`the app runs ${describeSpec(ready)}, its instance record says ${describeSpec(record)}`);
  }
  return problems;
}

/**
 * /health as the app answers it, asked up to three times: one probe that times out on a loaded machine is not a
 * violation, an app that does not serve is.
 */
async function health(port: number): ReturnType<typeof probeHealth> {
  let last = await probeHealth(port);
  for (let i = 1; i < 3 && !last.ok && last.status === 0; i++) last = await probeHealth(port, 3000);
  return last;
}

/**
 * What `observeApp` would say now, or null when the app cannot be observed (the record cannot be read). A running
 * app whose probe timed out reads as `start`: asked again before that counts.
 */
async function observed(workDir: string, believed: AppNode): Promise<AppNode | null> {
  try {
    let now = await observe(workDir);
    for (let i = 0; i < 2 && now === 'start' && believed === 'running'; i++) now = await observe(workDir);
    return now;
  } catch {
    return null;
  }
}

/**
 * Once the pass has observed the app (reporting, or a waiting state): the app is where the machine believes it is
 * (`end` is observed as `absent`: nothing is left), the pass's observation or the action's outcome after it. Unless
 * the pass failed to read the spec or to observe (the belief is then an older one, or none), or its action failed
 * (the app may have died on the way: absent is right too). Earlier in a pass the machine may not have looked yet (a
 * fresh operator adopting an app it has not observed), and while acting the world may be ahead of it (a resumed run
 * whose action had done its work before the crash).
 */
async function appWhereTheMachineSays(probe: Probe): Promise<string[]> {
  const { context } = probe;
  if (!afterActing(probe.value)) return [];
  const failed = context.passFailed ? context.lastError?.step : undefined;
  if (failed === 'readSpec' || failed === 'observeApp') return [];
  const believed: AppNode = context.appState === 'end' ? 'absent' : context.appState;
  const now = await observed(context.workDir, believed);
  if (now === null || now === believed) return [];
  if (failed !== undefined && !READ_WRITE_STEPS.has(failed) && now === 'absent') return [];
  return [`the app is at ${now} (as observeApp reads it), the machine says ${context.appState}`];
}

/**
 * After the pass's action succeeded: the record is at the edge's target (none left after `end`), and an app that
 * runs (start, running, servicing) runs the spec the machine gave the action: the active plan's (a plan that just
 * completed made it lastAppliedInstanceSpec), else the spec read.
 */
async function actionDone(probe: Probe): Promise<string[]> {
  if (!actionSucceeded(probe)) return [];
  const { context } = probe;
  const to = context.edge!.to;
  const record = await readRecord(context.workDir);
  if (to === 'end') return record ? [`the action of end left the instance record at ${record.node}`] : [];
  if (record?.node !== to) return [`the action of ${to} left the instance record at ${record?.node ?? 'nothing'}`];
  if (to === 'stopping') {
    const pid = await readPid(context.workDir);
    return pid && isAlive(pid) ? [`the app ${pid} still runs after the action of stopping`] : [];
  }
  const pid = await readPid(context.workDir);
  const ready = await readReady(context.workDir);
  if (!pid || !isAlive(pid) || ready?.pid !== pid) return [`no app runs after the action of ${to} (pid file ${pid ?? 'none'}, ready file ${ready?.pid ?? 'none'})`];
  if (context.deletion) return []; // tearing down: the app keeps the spec it had
  const run = activeRun(context);
  const given = run ? [run.spec] : [context.lastAppliedInstanceSpec, context.spec].filter((s): s is InstanceSpec => s !== null);
  const runs = { version: ready.version, parameters: ready.parameters ?? {} };
  if (!given.some((spec) => sameSpec(spec, runs))) return [`the app runs ${describeSpec(runs)} after the action of ${to}, the machine gave it ${given.map(describeSpec).join(' or ')}`];
  if (to === 'running') {
    const served = await health(ready.port);
    if (!served.ok || served.body.version !== ready.version) return [`the app does not serve ${ready.version} after the action of running: ${served.ok ? `GET /health names ${served.body.version}` : served.detail}`];
  }
  return [];
}

/** Converged: the process runs the spec's version and parameters and answers /health. */
async function runsTheSpec(probe: Probe): Promise<string[]> {
  const { workDir, spec, lastAppliedInstanceSpec } = probe.context;
  if (!spec) return ['converged without a spec'];
  const problems: string[] = [];
  if (!sameSpec(spec, lastAppliedInstanceSpec)) problems.push(`converged with spec ${describeSpec(spec)} but lastAppliedInstanceSpec ${describeSpec(lastAppliedInstanceSpec)}`);
  const pid = await readPid(workDir);
  if (!pid || !isAlive(pid)) return [...problems, `the app process ${pid ?? '(no pid file)'} is not running`];
  const ready = await readReady(workDir);
  if (ready?.pid !== pid) return [...problems, `${layout.ready(workDir)} does not name the running process ${pid}`];
  const served = await health(ready.port);
  if (!served.ok) problems.push(`the app does not answer /health: ${served.detail}`);
  else if (!sameSpec({ version: served.body.version ?? '', parameters: served.body.parameters ?? {} }, spec)) {
    problems.push(`the app runs ${served.body.version} ${JSON.stringify(served.body.parameters)}, the spec asks for ${describeSpec(spec)}`);
  }
  const record = await readRecord(workDir);
  if (record?.node !== 'running') problems.push(`the instance record says ${record?.node ?? 'nothing'}, expected running`);
  return problems;
}

/** Ended: no process, no instance files. */
async function nothingRuns(probe: Probe): Promise<string[]> {
  const { workDir } = probe.context;
  const problems: string[] = [];
  const alive = spawnedPids(workDir).filter((pid) => isAlive(pid));
  if (alive.length > 0) problems.push(`app process(es) ${alive.join(', ')} still run`);
  for (const file of [layout.pidFile(workDir), layout.record(workDir), layout.ready(workDir)]) if (await exists(file)) problems.push(`${file} remains`);
  return problems;
}

const all =
  (...checks: Check[]): Check =>
  async (probe) =>
    (await Promise.all(checks.map((c) => c(probe)))).flat();

/** What holds in every state: the app as the machine believes it, and the last action's work. */
const world = all(noStrayProcess, recordCoherent, appWhereTheMachineSays, actionDone);

export const operatorInvariants: Record<string, Check> = {
  reconciling: world,
  requeued: all(world, statusWritten),
  converged: all(world, statusWritten, runsTheSpec),
  degraded: all(world, statusWritten),
  blocked: all(world, statusWritten),
  ended: all(world, statusWritten, nothingRuns),
};
