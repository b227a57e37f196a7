/**
 * The real upgrade services: an agent home on disk, the artifact downloaded from a path or loopback HTTP, verified,
 * extracted safely, handed off to the next version's entrypoint (a real child process), and the next version's part —
 * migrate, atomic symlink swap, a real agent process, health checks over loopback, rollback.
 *
 * - `home.ts` the layout, `current` and the stable entrypoint; `download.ts` the streamed, resumable download;
 * - `verify.ts` sha256; `extract.ts` safe extraction; `handoff.ts` runs `<home>/bin/upgrade`;
 * - `next-version.ts` migrate, swap, start, health, rollback, cleanup; `agent-process.ts` agent processes;
 * - `artifacts.ts` builds example artifacts; `invariants.ts` the per-state checks.
 *
 * @example
 * const input = await upgradeServices.sandboxInput(dir); // installs 1.0.0 in <dir>/agent, builds 1.1.0
 * const actor = createActor(upgradeMachine.provide({ actors: upgradeServices.actors }), { input }).start();
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { fromPromise } from 'xstate';
import { resolveHealthPolicy, type ExtractInput, type ExtractOutput, type UpgradeContext, type UpgradeInput } from '../../../machines/upgrade.ts';
import { writeFileAtomic } from '../../io/atomic-write.ts';
import type { BuiltinServices } from '../types.ts';
import { exists } from '../install/fs.ts';
import { buildExampleArtifacts } from './artifacts.ts';
import { downloadActor, settleAllDownloads } from './download.ts';
import { extractArtifact, settleAllExtractions } from './extract.ts';
import { handOff } from './handoff.ts';
import { readCurrentAgent, swapCurrent } from './home.ts';
import { upgradeInvariants } from './invariants.ts';
import { checkHealth, cleanupDownload, migrateState, rollback, startAgent, stateDir, swapSymlink } from './next-version.ts';
import { upgradeFaults, upgradeScenarios } from './test-hooks.ts';
import { verifyChecksum } from './verify.ts';
import { checkInput, preview } from '../check-input.ts';

export { buildArtifact, buildCorruptArtifact, buildEscapingArtifact, buildExampleArtifacts, EXAMPLE_VERSIONS, type BuiltArtifact } from './artifacts.ts';
export { isAlive, probeHealth, readHomeRun, spawnAgent, stopHomeAgent, stopProcess } from './agent-process.ts';
export { currentTarget, layout } from './home.ts';
export { entryProblem } from './extract.ts';

/**
 * Installs an agent artifact as the active version of a (new) home: extracted under `data/`, state seeded with an
 * action store, `current` pointing at it. Returns its version directory. For tests, demos and `sandboxInput`.
 */
export async function installAgent(home: string, artifactPath: string, version: string): Promise<string> {
  await mkdir(home, { recursive: true });
  const { extractedPath } = await extractArtifact({ artifactPath, agentHome: home, version });
  const store = join(stateDir(extractedPath), 'action_store.json');
  if (!(await exists(store)))
    writeFileAtomic(
      store,
      `${JSON.stringify({ actions: [{ id: 'policy-1', type: 'POLICY_CHANGE', revision: 3 }, { id: 'settings-1', type: 'SETTINGS', logLevel: 'info' }] }, null, 2)}\n`,
    );
  await swapCurrent(home, extractedPath);
  return extractedPath;
}

/** A URL source must be what the download accepts: http:// on loopback. */
function sourceProblem(source: string): string | null {
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(source)) return null;
  let url: URL;
  try {
    url = new URL(source);
  } catch {
    return `${preview(source)} is not a valid URL`;
  }
  if (url.protocol !== 'http:') return `only http:// URLs on loopback (or a local path) can be downloaded, not ${url.protocol}//`;
  if (!['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname)) return `the URL's host must be 127.0.0.1, localhost or [::1], not ${preview(url.hostname)}`;
  return null;
}

const promise = <I, O>(fn: (input: I) => Promise<O>) => fromPromise<O, I>(({ input }) => fn(input));

export const upgradeServices: BuiltinServices<UpgradeInput, UpgradeContext> = {
  lifecycle: 'upgrade',
  actors: {
    readCurrentAgent: promise(({ agentHome }: { agentHome: string }) => readCurrentAgent(agentHome)),
    download: downloadActor,
    verifyChecksum: promise(verifyChecksum),
    extract: fromPromise<ExtractOutput, ExtractInput>(({ input, signal }) => extractArtifact(input, signal)),
    handOff: promise((input: Parameters<typeof handOff>[0]) => handOff(input)),
    migrateState: promise(migrateState),
    swapSymlink: promise(swapSymlink),
    startAgent: promise(startAgent),
    checkHealth: promise(checkHealth),
    rollback: promise(rollback),
    cleanupDownload: promise(cleanupDownload),
  },
  checkInput: (input, cwd) =>
    checkInput<UpgradeInput>(
      'upgrade',
      input,
      {
        agentHome: { kind: 'path', required: true },
        source: { kind: 'path-or-url', required: true, check: sourceProblem },
        sha256: { kind: 'sha256', required: true },
        targetVersion: { kind: 'version', required: true },
        targetBuildDate: { kind: 'date', required: true },
        force: { kind: 'boolean' },
        gracePeriodMs: { kind: 'duration' },
        healthCheckIntervalMs: { kind: 'duration' },
        healthCheckTimeoutMs: { kind: 'duration' },
        healthyProbes: { kind: 'positive' },
        maxDownloadBytes: { kind: 'positive' },
        downloadIdleTimeoutMs: { kind: 'duration' },
        downloadTimeoutMs: { kind: 'duration' },
        retry: { kind: 'retry' },
      },
      cwd,
      (checked) => resolveHealthPolicy(checked).problem,
    ),
  invariants: upgradeInvariants,
  // A started agent's pid is the operating system's choice: paths compare the rest of startAgent's output.
  unchecked: { startAgent: ['pid'] },
  // The generated suites' set-ups and world faults (test-hooks.ts): they follow the real services along every path.
  faults: upgradeFaults,
  scenarios: upgradeScenarios,
  /**
   * A stopped download or extraction lets go of its files a moment after it was told to stop: waits for that, so
   * that whoever ran the machine may remove the home (a sandbox) or exit without a transfer still writing into it.
   */
  async dispose() {
    await Promise.all([settleAllDownloads(), settleAllExtractions()]);
  },
  /**
   * Builds the example artifacts in `<dir>/artifacts`, installs 1.0.0 in `<dir>/agent` and returns an upgrade to
   * 1.1.0 from the local artifact, with a short grace period. An agent started by the run exits by itself once
   * `<dir>` is removed (or stop it with `stopHomeAgent`).
   */
  async sandboxInput(dir) {
    const artifacts = await buildExampleArtifacts(join(dir, 'artifacts'));
    const agentHome = join(dir, 'agent');
    await installAgent(agentHome, artifacts.v1.path, artifacts.v1.version);
    return {
      agentHome,
      source: artifacts.v2.path,
      sha256: artifacts.v2.sha256,
      targetVersion: artifacts.v2.version,
      targetBuildDate: artifacts.v2.buildDate,
      gracePeriodMs: 1500,
      healthCheckIntervalMs: 200,
      retry: { maxAttempts: 3, initialIntervalMs: 50, backoffRate: 2, maxIntervalMs: 500 },
    };
  },
};
