/**
 * The status document written beside the spec (the custom resource's status): the machine's `InstanceStatus`
 * (app state, plan statuses and history, `lastAppliedInstanceSpec`, last refusal, last error) plus Kubernetes-style
 * conditions, whose `lastTransitionTime` only moves when their status changes. Written atomically.
 */
import { readFile } from 'node:fs/promises';
import type { InstanceStatus, PlanRun, WriteStatusInput } from '../../../machines/operator.ts';
import { writeFileAtomic } from '../../io/atomic-write.ts';
import { fsServiceError } from '../install/fs.ts';

export interface Condition {
  type: 'Ready' | 'Progressing' | 'Degraded' | 'SpecChangeRefused';
  status: 'True' | 'False';
  reason: string;
  message: string;
  lastTransitionTime: string;
}

/** The document on disk. */
export interface StatusDocument extends InstanceStatus {
  conditions: Condition[];
  updatedAt: string;
}

function findRun(status: InstanceStatus, id: string): PlanRun | null {
  for (const record of Object.values(status.planStatus)) {
    if (record.lastRun?.id === id) return record.lastRun;
    const run = record.history.find((r) => r.id === id);
    if (run) return run;
  }
  return null;
}

/** The conditions of a status, without transition times. */
export function deriveConditions(status: InstanceStatus): Omit<Condition, 'lastTransitionTime'>[] {
  const active = status.activePlan ? findRun(status, status.activePlan) : null;
  const failed = Object.values(status.planStatus)
    .map((r) => r.lastRun)
    .find((run) => run && (run.status === 'ERROR' || run.status === 'FATAL_ERROR') && status.outcome !== 'converged');
  const refusal = status.lastRefusal;
  const refusedRun = refusal ? findRun(status, refusal.planRun) : null;
  return [
    status.outcome === 'converged'
      ? { type: 'Ready', status: 'True', reason: 'Converged', message: `the app is running the last applied spec (version ${status.lastAppliedInstanceSpec?.version})` }
      : status.outcome === 'ended'
        ? { type: 'Ready', status: 'False', reason: 'Ended', message: `the app was taken to end (${status.deletion?.reason ?? 'deleted'})` }
        : { type: 'Ready', status: 'False', reason: 'Reconciling', message: `the app is at ${status.appState}` },
    active
      ? { type: 'Progressing', status: 'True', reason: 'PlanInProgress', message: `plan ${active.id}: phase ${active.phase}, step ${active.step}` }
      : { type: 'Progressing', status: 'False', reason: 'NoActivePlan', message: 'no plan is running' },
    status.outcome === 'degraded' || status.outcome === 'blocked'
      ? {
          type: 'Degraded',
          status: 'True',
          reason: status.outcome === 'blocked' ? 'PlanFatalError' : failed ? 'PlanError' : 'ReconcileFailed',
          message: failed?.message ?? status.lastError?.message ?? status.outcome,
        }
      : { type: 'Degraded', status: 'False', reason: 'AsExpected', message: 'the last reconcile did not fail' },
    refusal && refusedRun?.status === 'IN_PROGRESS'
      ? { type: 'SpecChangeRefused', status: 'True', reason: 'PlanInProgress', message: refusal.reason }
      : {
          type: 'SpecChangeRefused',
          status: 'False',
          reason: refusal ? 'PlanEnded' : 'NoRefusal',
          message: refusal ? `last refusal at ${refusal.time} (while ${refusal.planRun} ran); the spec is compared with lastAppliedInstanceSpec since` : 'no spec change was refused',
        },
  ];
}

async function readStatus(statusPath: string): Promise<StatusDocument | null> {
  try {
    return JSON.parse(await readFile(statusPath, 'utf8')) as StatusDocument;
  } catch {
    return null;
  }
}

/** The `writeStatus` service. */
export async function writeStatus(input: WriteStatusInput): Promise<void> {
  const previous = await readStatus(input.statusPath);
  const now = new Date().toISOString();
  const conditions = deriveConditions(input.status).map((c): Condition => {
    const before = previous?.conditions?.find((p) => p.type === c.type);
    return { ...c, lastTransitionTime: before && before.status === c.status ? before.lastTransitionTime : now };
  });
  const document: StatusDocument = { ...input.status, conditions, updatedAt: now };
  try {
    writeFileAtomic(input.statusPath, `${JSON.stringify(document, null, 2)}\n`);
  } catch (error) {
    // A ServiceError of the errno kind (EISDIR, ENOSPC...) naming the status file, not the temp file beside it.
    throw fsServiceError(error, input.statusPath, 'write');
  }
}

export { readStatus };
