/**
 * The coverage file the generated suites write (one per test file and process) and `lifecycle coverage` reads: the
 * transitions a suite really took, with the identity of the machine they were taken on.
 */
import { createHash } from 'node:crypto';
import { resolve } from 'node:path';
import type { LifecycleGraph } from '../model/types.ts';

export const COVERAGE_FORMAT = 'lifecycle-kit coverage 1';
/** Where suites record and `coverage` reads when neither is told otherwise (relative to the current directory). */
export const DEFAULT_COVERAGE_DIR = '.lifecycle-coverage';

export interface MachineIdentity {
  id: string;
  /** A hash of the machine's transition ids: a file recorded on another machine of the same id, or on an older version, differs. */
  fingerprint: string;
}

export interface CoverageFile {
  format: typeof COVERAGE_FORMAT;
  machine: MachineIdentity;
  /** The test file that recorded it, relative to the directory vitest ran in. */
  testFile: string;
  pid: number;
  /** ISO-8601. */
  recordedAt: string;
  /** How many paths ran (passed or failed: a failed path still took the transitions up to its failure). */
  runs: number;
  /** Graph-model transition ids taken, sorted. */
  transitions: string[];
  /** Ids of the states that were active after a step, sorted. */
  states: string[];
  /**
   * Steps the paths took (`total`) and how many of them ran against the real services in a sandbox (`real`); by
   * reason, how many paths left the real system before their end (`stopped`). Absent in files of older versions.
   */
  steps?: { total: number; real: number; stopped: Record<string, number> };
}

export function machineIdentity(graph: LifecycleGraph): MachineIdentity {
  const ids = graph.transitions.map((t) => t.id).sort();
  return { id: graph.id, fingerprint: createHash('sha256').update(ids.join('\n')).digest('hex').slice(0, 16) };
}

/**
 * Where a suite records, if it should: only when asked, so that `npm test` writes nothing. `option` is the
 * harness's `coverage` option (a directory, `true` for the default one, `false` for never); without it the
 * environment decides: `LIFECYCLE_COVERAGE_DIR=<dir>`, or `LIFECYCLE_COVERAGE=1` for the default directory.
 */
export function recordingDir(option: boolean | string | undefined, env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (option === false) return undefined;
  if (typeof option === 'string') return resolve(option);
  if (env.LIFECYCLE_COVERAGE_DIR) return resolve(env.LIFECYCLE_COVERAGE_DIR);
  if (option === true || (env.LIFECYCLE_COVERAGE && env.LIFECYCLE_COVERAGE !== '0')) return resolve(DEFAULT_COVERAGE_DIR);
  return undefined;
}

/** The directory `coverage` reads by default: the one suites record into. */
export function defaultReadDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.LIFECYCLE_COVERAGE_DIR || DEFAULT_COVERAGE_DIR;
}

/** `<machine>.<test file hash>.<pid>.json`: a worker process never writes another's file. */
export function coverageFileName(machineId: string, testFile: string, pid: number): string {
  return `${fileStem(machineId, testFile)}.${pid}.json`;
}

/** The part of the name shared by every recording of one test file. */
export function fileStem(machineId: string, testFile: string): string {
  const safe = machineId.replace(/[^\w.-]/g, '_').slice(0, 80);
  return `${safe}.${createHash('sha256').update(testFile).digest('hex').slice(0, 10)}`;
}
