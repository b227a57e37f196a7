/**
 * The installation record of a package in the target store, `<target>/.installations/<name>.json` (the seed's
 * installation saved object): the machine's {@link InstallationRecord} plus the version whose install completed, the
 * attempts at the last step, the last error, and — once installed — the files the install wrote with their sha256.
 * Always written atomically.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { InstallationRecord, InstallStep } from '../../../machines/install.ts';
import { writeFileAtomic } from '../../io/atomic-write.ts';
import { serviceError } from './fs.ts';
import { installationsDir } from './kinds.ts';

/** The last failure of a step, as persisted. */
export interface RecordedError {
  step: InstallStep | 'rollback';
  message: string;
  kind?: string;
  time: string;
}

export interface InstallationRecordFile extends InstallationRecord {
  /** The version whose install completed and whose assets the target holds (outside the steps this attempt ran). */
  installedVersion: string | null;
  /** The step the last attempt ran, and how many attempts it took so far. */
  step: InstallStep | null;
  attempts: number;
  lastError: RecordedError | null;
  /** Once installed: every file of the package in the target (`<kind>/<name>/<file>`) with its sha256. */
  files: Record<string, string> | null;
  /** Set by a rollback: the version whose failed install was rolled back. */
  rolledBackFrom?: string;
  updatedAt: string;
}

export function recordPath(target: string, name: string): string {
  return join(installationsDir(target), `${name}.json`);
}

/** Reads the record; null when there is none. Rejects (kind `invalid-record`) when it is not a record. */
export async function readRecord(target: string, name: string): Promise<InstallationRecordFile | null> {
  const path = recordPath(target, name);
  let raw: string;
  try {
    raw = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch (error) {
    throw serviceError('invalid-record', `installation record ${path} is not valid JSON (${(error as Error).message}): fix or remove it, or reinstall with force`);
  }
  const r = json as Partial<InstallationRecordFile>;
  if (typeof r !== 'object' || r === null || r.name !== name || typeof r.version !== 'string' || !['installing', 'installed', 'failed'].includes(r.status as string))
    throw serviceError('invalid-record', `installation record ${path} is not an installation record of ${name}: expected { name, version, status, ... }`);
  return {
    name: r.name,
    version: r.version,
    status: r.status!,
    latestExecutedState: r.latestExecutedState ?? null,
    previousVersion: r.previousVersion ?? null,
    installedVersion: r.installedVersion ?? null,
    step: r.step ?? null,
    attempts: r.attempts ?? 0,
    lastError: r.lastError ?? null,
    files: r.files ?? null,
    ...(r.rolledBackFrom ? { rolledBackFrom: r.rolledBackFrom } : {}),
    updatedAt: r.updatedAt ?? '',
  };
}

/** Writes the record atomically (stamping `updatedAt`). */
export function writeRecord(target: string, record: Omit<InstallationRecordFile, 'updatedAt'>): InstallationRecordFile {
  const full = { ...record, updatedAt: new Date().toISOString() };
  writeFileAtomic(recordPath(target, record.name), `${JSON.stringify(full, null, 2)}\n`);
  return full;
}

/** The version whose install completed in the target, as the record tells it. */
export function completedVersion(record: InstallationRecordFile | null): string | null {
  if (record === null) return null;
  return record.status === 'installed' ? record.version : record.installedVersion;
}
