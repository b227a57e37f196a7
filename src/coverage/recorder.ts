import { readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../io/atomic-write.ts';
import type { LifecycleGraph } from '../model/types.ts';
import { COVERAGE_FORMAT, type CoverageFile, coverageFileName, fileStem, machineIdentity } from './file.ts';

export interface PathSteps {
  steps: number;
  real: number;
  stopped?: string;
}

export interface CoverageRecorder {
  /**
   * Adds what one path took: transition ids, the ids of states it was in and, for a path run in a sandbox, how
   * many of its steps ran against the real services (and why it left them, if it did).
   */
  add(transitions: Iterable<string>, states: Iterable<string>, steps?: PathSteps): void;
  /** Writes the file (atomically), replacing this test file's recordings left by processes that are gone. */
  flush(): void;
}

/** Recorders by file: two runners of one machine in one test file share theirs, instead of overwriting each other's file. */
const recorders = new Map<string, CoverageRecorder>();

/** Collects what the paths of one test file take, for `dir/<machine>.<test file>.<pid>.json`. */
export function createCoverageRecorder(graph: LifecycleGraph, dir: string, testFile: string): CoverageRecorder {
  const machine = machineIdentity(graph);
  const key = JSON.stringify([dir, testFile, machine]);
  const existing = recorders.get(key);
  if (existing) return existing;
  const taken = new Set<string>();
  const states = new Set<string>();
  let runs = 0;
  const steps = { total: 0, real: 0, stopped: {} as Record<string, number> };
  let cleaned = false;
  const name = coverageFileName(machine.id, testFile, process.pid);
  const recorder: CoverageRecorder = {
    add(transitions, active, path) {
      runs++;
      if (path) {
        steps.total += path.steps;
        steps.real += path.real;
        if (path.stopped) steps.stopped[path.stopped] = (steps.stopped[path.stopped] ?? 0) + 1;
      }
      for (const id of transitions) taken.add(id);
      for (const id of active) states.add(id);
    },
    flush() {
      if (!cleaned) removeEarlierRuns(dir, `${fileStem(machine.id, testFile)}.`, name);
      cleaned = true;
      const file: CoverageFile = { format: COVERAGE_FORMAT, machine, testFile, pid: process.pid, recordedAt: new Date().toISOString(), runs, transitions: [...taken].sort(), states: [...states].sort(), ...(steps.total ? { steps } : {}) };
      writeFileAtomic(join(dir, name), `${JSON.stringify(file, null, 2)}\n`);
    },
  };
  recorders.set(key, recorder);
  return recorder;
}

/**
 * An earlier run of the same test file is replaced, so a shrunk suite does not go on counting what it no longer
 * takes; a file of a process still alive (the same suite run at the same time) is left alone.
 */
function removeEarlierRuns(dir: string, stem: string, own: string): void {
  let entries: string[];
  try {
    entries = readdirSync(dir);
  } catch {
    return;
  }
  for (const entry of entries) {
    const pid = entry !== own && entry.startsWith(stem) ? /^(\d+)\.json$/.exec(entry.slice(stem.length))?.[1] : undefined;
    if (pid && !isAlive(Number(pid))) rmSync(join(dir, entry), { force: true });
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
