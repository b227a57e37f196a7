/**
 * How the generated suites (test/model/operator.paths.test.ts) keep every path on the real operator services:
 *
 * - `operatorScenarios`: before a real service runs, make the sandbox such that it returns the path's sample (the
 *   spec file holds the sampled spec or is gone, the app is at the sampled node). The real output must then equal
 *   the sample, so a service that misreads the world fails the suite.
 * - `operatorFaults`: before a real service runs, break the world so that it fails for real (a spec that is not a
 *   valid spec, a folder where a file should be, an app that is killed as it starts). The service's own checks decide
 *   that it fails, so a service that accepts an invalid spec or misses a crash fails the suite.
 *
 * They only touch the run's own paths (the spec file, the status file, the app's work dir), which `sandboxInput`
 * puts under the path's fresh sandbox `dir`; a path outside it is refused (an error, never a write). Apps they start
 * are started by the real actions, as the operator starts them: they exit by themselves once the sandbox is removed.
 */
import { mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { isAbsolute, join, relative } from 'node:path';
import type { AppNode, InstanceSpec, ObserveAppInput, OperatorInput, RunActionInput, WriteStatusInput } from '../../../machines/operator.ts';
import type { ArrangeArgs } from '../types.ts';
import { remove } from '../install/fs.ts';
import { sameSpec } from '../../../machines/operator.ts';
import { runAction } from './actions.ts';
import { isAlive, stopApp } from './app-process.ts';
import { layout, readPid, readReady, readRecord, writeRecord } from './instance.ts';
import { SANDBOX_SPEC, validateSpec, writeSpec } from './spec.ts';
import { deriveConditions, type StatusDocument } from './status.ts';

type Args = ArrangeArgs<OperatorInput>;

/** Refuses a path outside the sandbox: the hooks never touch anything else. */
function inSandbox(dir: string, path: string): string {
  const rel = relative(dir, path);
  if (!isAbsolute(path) || rel === '' || rel.startsWith('..') || isAbsolute(rel)) throw new Error(`operator test hooks: ${path} is not inside the sandbox ${dir}`);
  return path;
}

const existsNow = (path: string): boolean => {
  try {
    statSync(path);
    return true;
  } catch {
    return false;
  }
};

const isFolder = (path: string): boolean => {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
};

const removeNow = (path: string) => rmSync(path, { recursive: true, force: true });

/** A folder (with a file in it) where a file should be: reading it fails with EISDIR, and so does renaming onto it. */
function folderInPlaceOf(path: string): void {
  if (!isFolder(path)) {
    removeNow(path);
    mkdirSync(path, { recursive: true });
  }
  writeFileSync(join(path, 'not-a-file'), 'a folder stands where a file should be (a fault of the generated suite)\n');
}

/** Takes away a folder an earlier fault put in place of a file (the file is then absent). */
function undoFolderFault(path: string): void {
  if (isFolder(path)) removeNow(path);
}

/** The spec the sandbox's spec file holds, if it holds a valid one. */
function specOnDisk(specPath: string): InstanceSpec | null {
  try {
    const spec = validateSpec(JSON.parse(readFileSync(specPath, 'utf8')));
    return typeof spec === 'string' ? null : spec;
  } catch {
    return null;
  }
}

/** The live app of `workDir` as its pid and ready files name it, or null. */
async function liveApp(workDir: string) {
  const pid = await readPid(workDir);
  const ready = await readReady(workDir);
  return pid && isAlive(pid) && ready?.pid === pid ? ready : null;
}

/** Kills the app the way a crash does (no SIGTERM handler runs: its ready file and the record stay behind). */
async function crash(workDir: string): Promise<void> {
  const pids = new Set([await readPid(workDir), (await readReady(workDir))?.pid]);
  for (const pid of pids) {
    if (!pid || !isAlive(pid)) continue;
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone meanwhile
    }
    while (isAlive(pid)) await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/**
 * Puts the app at `node` as `observe` reads it, the way the operator itself gets it there: by the real actions
 * (`runAction`), so that the suite also exercises the actions a path does not run itself (a restart on a new spec,
 * a stop). The spec is the running app's, else the record's, the spec file's or the sandbox's.
 *
 * - start / running: the action of that node (it keeps an app that runs, else starts one);
 * - servicing: an app that ran another spec (one is started if none does) is serviced to the spec file's;
 * - stopping: an app (started if none runs) is stopped by the action of stopping;
 * - end: nothing runs and the record is at end (no action leaves one: it stands for an operator stopped there);
 * - absent: the app crashed (killed: its record and ready file stay), or, stopped, was taken to end by its action.
 */
async function putAppAt(workDir: string, specPath: string, node: AppNode): Promise<void> {
  undoFolderFault(layout.record(workDir));
  const record = await readRecord(workDir);
  const live = await liveApp(workDir);
  const spec: InstanceSpec = live
    ? { version: live.version, parameters: live.parameters ?? {} }
    : record
      ? { version: record.version, parameters: record.parameters ?? {} }
      : (specOnDisk(specPath) ?? SANDBOX_SPEC);
  const act = (to: RunActionInput['to'], with_: InstanceSpec | null) => runAction({ workDir, from: record?.node ?? 'absent', to, spec: with_, plan: null });
  switch (node) {
    case 'absent':
      // A stopped app goes on to end, whose action removes what is left; any other one crashed.
      if (record?.node === 'stopping' || record?.node === 'end') await act('end', null);
      else await crash(workDir);
      return;
    case 'start':
    case 'running':
      await act(node, spec);
      return;
    case 'servicing': {
      const target = specOnDisk(specPath) ?? spec;
      if (!live || sameSpec(spec, target)) await act('start', { version: `${target.version}-previous`, parameters: target.parameters });
      await act('servicing', target);
      return;
    }
    case 'stopping':
      if (!live) await act('start', spec);
      await act('stopping', null);
      return;
    case 'end':
      await stopApp(workDir);
      await remove(layout.pidFile(workDir));
      writeRecord(workDir, { node, ...spec, pid: null, port: null });
      return;
  }
}

/**
 * From now on, the next app process started in `workDir` crashes as it starts: once the pid file names a new
 * process, it is killed (SIGKILL) before it listens, as an app with a broken image dies. Node needs tens of
 * milliseconds (far more on a loaded machine) to start the app; the pid file is written as soon as it is spawned and
 * is polled every millisecond. One crash per call; the watch ends by itself.
 */
function crashNextStart(workDir: string, before: number | null): void {
  const deadline = performance.now() + 15_000; // `Date` is the model's clock while a generated test runs
  const timer = setInterval(() => {
    let pid: number | null = null;
    try {
      pid = Number(readFileSync(layout.pidFile(workDir), 'utf8').trim()) || null;
    } catch {
      // not written yet
    }
    if (pid && pid !== before && isAlive(pid)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // gone meanwhile
      }
      clearInterval(timer);
    } else if (performance.now() > deadline) clearInterval(timer);
  }, 1);
  timer.unref();
}

/**
 * `fatal`: the app refuses the configuration it is started with and exits with code 2, as the example app does for a
 * parameter of the wrong type (the image is broken, retrying cannot help). The spec the machine gives the action is
 * not to be changed, so the refusal is the app's own: a module preloaded into the next app processes of this test
 * (through NODE_OPTIONS, which the app inherits) exits 2 before the app reads anything. Undone once the action has
 * failed.
 */
function refuseNextConfig(dir: string): () => void {
  const preload = join(dir, 'refuse-configuration.cjs');
  writeFileSync(preload, "process.stderr.write('operator-app: the image does not exist: the configuration is refused\\n');\nprocess.exit(2);\n");
  const before = process.env.NODE_OPTIONS;
  process.env.NODE_OPTIONS = `${before ? `${before} ` : ''}--require=${JSON.stringify(preload)}`;
  return () => {
    if (before === undefined) delete process.env.NODE_OPTIONS;
    else process.env.NODE_OPTIONS = before;
  };
}

/** Invalid specs, one per check of `validateSpec` (and one not JSON at all), taken in turn. */
const INVALID_SPECS = [
  `${JSON.stringify({ version: '1.0.0', replicas: 3 }, null, 2)}\n`, // unknown field (the catalogue's sample)
  `${JSON.stringify({ version: '1.0 beta', parameters: {} }, null, 2)}\n`, // not a version
  `${JSON.stringify({ version: '1.0.0', parameters: [1] }, null, 2)}\n`, // parameters not an object
  '{ "version": "1.0.0", ', // not JSON
];

export const operatorScenarios: Record<string, (scenario: Args & { output: unknown }) => boolean | void | Promise<boolean | void>> = {
  /**
   * The spec file holds the sampled spec (no parameters: the field is left out, as a user writes it), or is gone
   * for `spec: null` (the resource was deleted).
   */
  readSpec: ({ runInput, dir, output }) => {
    const specPath = inSandbox(dir, runInput.specPath);
    const { spec } = output as { spec: InstanceSpec | null };
    undoFolderFault(specPath);
    if (spec === null) removeNow(specPath);
    else if (Object.keys(spec.parameters).length === 0) writeFileSync(specPath, `${JSON.stringify({ version: spec.version }, null, 2)}\n`);
    else writeSpec(specPath, spec);
  },
  /** The app is at the sampled node. */
  observeApp: async ({ input, runInput, dir, output }) => {
    const { workDir } = input as ObserveAppInput;
    await putAppAt(inSandbox(dir, workDir), inSandbox(dir, runInput.specPath), (output as { appState: AppNode }).appState);
  },
  /**
   * An action arrives at its node or fails: a sample elsewhere (the catalogue's "on its way" `start` for the action
   * of `running`) is one no world makes it return.
   */
  runAction: ({ input, output }) => ((output as { appState: AppNode }).appState === (input as RunActionInput).to ? undefined : false),
  /**
   * The status file can be written (a folder an earlier fault put in its place is taken away). Where there is none
   * yet, an earlier operator left one (a restarted operator finds it): of the pass before, at another app state,
   * with the very conditions this pass derives. The write must replace it all the same: a status whose conditions
   * did not change still says this pass's app state, plans and applied spec (the invariants compare them).
   */
  writeStatus: ({ input, dir }) => {
    const { statusPath, status } = input as WriteStatusInput;
    undoFolderFault(inSandbox(dir, statusPath));
    if (existsNow(statusPath) || !status || typeof status !== 'object') return;
    const stale: StatusDocument = {
      ...status,
      reconciles: Math.max(0, status.reconciles - 1),
      appState: status.appState === 'absent' ? 'end' : 'absent',
      conditions: deriveConditions(status).map((c) => ({ ...c, lastTransitionTime: '2024-01-01T00:00:00.000Z' })),
      updatedAt: '2024-01-01T00:00:00.000Z',
    };
    mkdirSync(join(statusPath, '..'), { recursive: true });
    writeFileSync(statusPath, `${JSON.stringify(stale, null, 2)}\n`);
  },
};

export const operatorFaults: Record<string, (fault: Args & { error: unknown }) => boolean | void | (() => void) | Promise<boolean | void | (() => void)>> = {
  /**
   * `invalid-spec`: the spec file holds an invalid spec (each call the next of INVALID_SPECS, so the suite sees every
   * check of the validation refuse one). Any other failure: a folder stands where the spec file should be (EISDIR).
   */
  readSpec: ({ runInput, dir, calls, error }) => {
    const specPath = inSandbox(dir, runInput.specPath);
    if ((error as { kind?: string } | null)?.kind === 'invalid-spec') {
      undoFolderFault(specPath);
      writeFileSync(specPath, INVALID_SPECS[calls % INVALID_SPECS.length]!);
    } else folderInPlaceOf(specPath);
  },
  /** A folder stands where the instance record should be: the app cannot be observed (EISDIR). */
  observeApp: ({ input, dir }) => folderInPlaceOf(inSandbox(dir, layout.record((input as ObserveAppInput).workDir))),
  /**
   * The app dies as it starts (killed before it listens): the one that runs, if any, is killed first, so the action
   * has to start one, and that one dies too (kind `app-exited`; no other kind of failure can be made). The action of
   * stopping or end cannot be made to fail (stopping a process that is gone succeeds).
   */
  runAction: async ({ input, dir, error }) => {
    const { workDir, to } = input as RunActionInput;
    inSandbox(dir, workDir);
    const kind = (error as { kind?: string } | null)?.kind;
    if (to === 'stopping' || to === 'end' || (kind !== 'app-exited' && kind !== 'fatal')) return false;
    await crash(workDir);
    if (kind === 'fatal') return refuseNextConfig(dir);
    crashNextStart(workDir, await readPid(workDir));
  },
  /** A folder stands where the status file should be: writing it fails (EISDIR). */
  writeStatus: ({ input, dir }) => folderInPlaceOf(inSandbox(dir, (input as WriteStatusInput).statusPath)),
};
