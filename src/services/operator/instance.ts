/**
 * The managed instance on disk, in the operator's work dir:
 *
 * - `app.pid`         the pid of the app process, written by the operator as soon as it spawns one;
 * - `app.json`        the instance record: the graph node the app was last driven to, and the version and
 *                     parameters it runs with (written atomically after each action);
 * - `app.ready.json`  written by the app once it listens: `{ pid, port, version, parameters }`;
 * - `app.log`         the app's stdout and stderr (kept after `end`, for a post-mortem).
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { AppState } from '../../../machines/operator.ts';
import { writeFileAtomic } from '../../io/atomic-write.ts';
import { fsServiceError } from '../install/fs.ts';

export const layout = {
  pidFile: (workDir: string) => join(workDir, 'app.pid'),
  record: (workDir: string) => join(workDir, 'app.json'),
  ready: (workDir: string) => join(workDir, 'app.ready.json'),
  log: (workDir: string) => join(workDir, 'app.log'),
};

export interface InstanceRecord {
  node: AppState;
  version: string;
  parameters: Record<string, unknown>;
  pid: number | null;
  port: number | null;
  updatedAt: string;
}

/** What the app wrote once it listened. */
export interface ReadyFile {
  pid: number;
  port: number;
  version: string;
  parameters: Record<string, unknown>;
  startedAt: string;
}

async function readJson<T>(file: string): Promise<T | null> {
  try {
    return JSON.parse(await readFile(file, 'utf8')) as T;
  } catch {
    return null;
  }
}

export const readRecord = (workDir: string) => readJson<InstanceRecord>(layout.record(workDir));

/**
 * The record as `observeApp` reads it: null when there is none (or it is not JSON: the next deploy writes it anew),
 * but a record that is there and cannot be read (a folder in its place, permissions, an I/O error) fails, as a
 * ServiceError of its errno kind: the operator cannot tell where the app is, and must not conclude it is absent.
 */
export async function readRecordToObserve(workDir: string): Promise<InstanceRecord | null> {
  const file = layout.record(workDir);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw fsServiceError(error, file, 'read the instance record');
  }
  try {
    return JSON.parse(text) as InstanceRecord;
  } catch {
    return null;
  }
}
export const readReady = (workDir: string) => readJson<ReadyFile>(layout.ready(workDir));

export async function readPid(workDir: string): Promise<number | null> {
  const text = await readFile(layout.pidFile(workDir), 'utf8').catch(() => '');
  const pid = Number(text.trim());
  return Number.isInteger(pid) && pid > 0 ? pid : null;
}

export function writeRecord(workDir: string, record: Omit<InstanceRecord, 'updatedAt'>): void {
  writeFileAtomic(layout.record(workDir), `${JSON.stringify({ ...record, updatedAt: new Date().toISOString() }, null, 2)}\n`);
}

export function writePid(workDir: string, pid: number): void {
  writeFileAtomic(layout.pidFile(workDir), `${pid}\n`);
}
