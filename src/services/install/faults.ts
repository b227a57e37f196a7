/**
 * Fault injection for tests and demos, declared by the package (`manifest.json` `faults`) so that it crosses
 * process boundaries: a step named by a fault fails `times` times. The count of faults already fired is kept in the
 * target (`.installations/faults/<name>@<version>.json`), so a later run of the same package sees the rest.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { InstallStep } from '../../../machines/install.ts';
import { writeFileAtomic } from '../../io/atomic-write.ts';
import { ServiceError } from './fs.ts';
import { installationsDir } from './kinds.ts';
import type { ServiceManifest } from './package.ts';

function counterPath(target: string, manifest: ServiceManifest): string {
  return join(installationsDir(target), 'faults', `${manifest.name}@${manifest.version}.json`);
}

async function readCounts(path: string): Promise<Record<string, number>> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as Record<string, number>;
  } catch {
    return {};
  }
}

/**
 * The error to throw now if the package declares a fault for `step` that has fired fewer than `times` times;
 * the firing is counted (persisted) before it is returned. Undefined when no fault is due.
 */
export async function dueFault(target: string, manifest: ServiceManifest, step: InstallStep): Promise<ServiceError | undefined> {
  const fault = manifest.faults?.find((f) => f.step === step);
  if (!fault) return undefined;
  const path = counterPath(target, manifest);
  const counts = await readCounts(path);
  const fired = counts[step] ?? 0;
  if (fired >= fault.times) return undefined;
  writeFileAtomic(path, `${JSON.stringify({ ...counts, [step]: fired + 1 })}\n`);
  return new ServiceError(
    fault.errorKind ?? 'injected-fault',
    fault.message ?? `injected fault: step ${step} of ${manifest.name}@${manifest.version} failed (${fired + 1} of ${fault.times})`,
  );
}
