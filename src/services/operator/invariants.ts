/**
 * Per-state invariants of the operator lifecycle: checks of the real app process (pid file, liveness, /health) and
 * of the status file that must hold whenever the machine is in a state. Each returns the violations it finds.
 */
import { sameSpec, toInstanceStatus, type OperatorContext, type OperatorInput } from '../../../machines/operator.ts';
import type { Invariant, InvariantProbe } from '../types.ts';
import { exists } from '../install/fs.ts';
import { isAlive, probeHealth, spawnedPids } from './app-process.ts';
import { layout, readPid, readReady, readRecord } from './instance.ts';
import { readStatus } from './status.ts';

type Probe = InvariantProbe<OperatorInput, OperatorContext>;
type Check = Invariant<OperatorInput, OperatorContext>;

/** The status beside the spec says what the machine knows: outcome, active plan, last applied spec. */
async function statusWritten(probe: Probe): Promise<string[]> {
  const { context } = probe;
  const status = await readStatus(context.statusPath);
  if (!status) return [`no status was written to ${context.statusPath}`];
  const expected = toInstanceStatus(context);
  const problems: string[] = [];
  if (status.outcome !== expected.outcome) problems.push(`the status says outcome ${status.outcome}, the machine ${expected.outcome}`);
  if (status.activePlan !== expected.activePlan) problems.push(`the status names active plan ${status.activePlan}, the machine ${expected.activePlan}`);
  if (!sameSpec(status.lastAppliedInstanceSpec, expected.lastAppliedInstanceSpec)) problems.push('the status and the machine disagree on lastAppliedInstanceSpec');
  if (!Array.isArray(status.conditions) || status.conditions.length === 0) problems.push('the status has no conditions');
  return problems;
}

/**
 * The instance record says the app is where the machine last put it (the record is the operator's own: the app
 * dying afterwards is not a violation, the next pass observes it).
 */
async function recordAsInMachine(probe: Probe): Promise<string[]> {
  const record = await readRecord(probe.context.workDir);
  const node = record?.node ?? 'absent';
  return node === probe.context.appState ? [] : [`the instance record has the app at ${node}, the machine at ${probe.context.appState}`];
}

/** Converged: the process runs the spec's version and parameters and answers /health. */
async function runsTheSpec(probe: Probe): Promise<string[]> {
  const { workDir, spec } = probe.context;
  if (!spec) return ['converged without a spec'];
  const pid = await readPid(workDir);
  if (!pid || !isAlive(pid)) return [`the app process ${pid ?? '(no pid file)'} is not running`];
  const ready = await readReady(workDir);
  if (ready?.pid !== pid) return [`${layout.ready(workDir)} does not name the running process ${pid}`];
  const health = await probeHealth(ready.port);
  const problems: string[] = [];
  if (!health.ok) problems.push(`the app does not answer /health: ${health.detail}`);
  else if (!sameSpec({ version: health.body.version ?? '', parameters: health.body.parameters ?? {} }, spec)) {
    problems.push(`the app runs ${health.body.version} ${JSON.stringify(health.body.parameters)}, the spec asks for ${spec.version} ${JSON.stringify(spec.parameters)}`);
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

export const operatorInvariants: Record<string, Check> = {
  requeued: all(statusWritten, recordAsInMachine),
  converged: all(statusWritten, runsTheSpec),
  degraded: statusWritten,
  blocked: statusWritten,
  ended: all(statusWritten, nothingRuns),
};
