/**
 * What the generated model-based suites (test/model/upgrade.paths.test.ts) need to follow the real upgrade services
 * along every path in a sandbox made by `upgradeServices.sandboxInput(dir)`:
 *
 * - `scenarios`: set-ups that make a real service return a path's sample. `readCurrentAgent` gets the running
 *   version the path names installed first; the other services have one sample, the one a fresh sandbox gives, and
 *   their set-up arranges nothing: it is there so that a real output other than the sample fails the suite instead
 *   of quietly leaving the real system (a service that returns a wrong path or hash is a bug the suite must show).
 * - `faults`: failures made by breaking the world, not by a fault point in a service, so that each failing path also
 *   exercises the service's own checks: a corrupt artifact (the checksum check), an artifact whose entries escape
 *   (the extraction's refusal), a next version that refuses the hand-off, a broken build of the new agent, a home
 *   folder that is a symlink out of the home (every writing service's safety check), an artifact missing from its
 *   source (the download).
 * - event-keyed hooks for the `download` callback service: `faults['DOWNLOAD.FAILED']`, `['DOWNLOAD.DONE']` and
 *   `['DOWNLOAD.PROGRESS']`, called when the download starts with the path's next event from it (the failure
 *   withholds the artifact from its source, the others put it back), and `scenarios['DOWNLOAD.DONE']`,
 *   `['DOWNLOAD.FAILED']`, called when the path takes the event, which check what the real transfer reported. The
 *   real download's own events are what the catalogue's samples say (a 2 KiB local copy: one progress report of all
 *   of it, then done).
 *
 * Every hook touches only the sandbox `dir` (checked: a path outside it throws), and returns `false` for what it
 * cannot make, so that the path goes on with the sample, on the model only.
 */
import { chmod, cp, lstat, mkdir, readFile, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { basename, dirname, join, resolve } from 'node:path';
import type { AgentInput, AgentVersionInfo, DownloadInput, ExtractInput, HandOffInput, RollbackInput, UpgradeInput, VerifyInput } from '../../../machines/upgrade.ts';
import type { ArrangeArgs, LifecycleServices } from '../types.ts';
import { exists, hashTree, isDirectory } from '../install/fs.ts';
import { isWithin, realPathOf } from '../safe-paths.ts';
import { isAlive, readHomeRun, spawnAgent } from './agent-process.ts';
import { lastDownloadReport, settleDownloads } from './download.ts';
import { buildCorruptArtifact, buildEscapingArtifact, type BuiltArtifact } from './artifacts.ts';
import { ARTIFACT_ENTRYPOINT, currentTarget, layout, readAgentManifest, readCurrentAgent, swapLink, swapCurrent } from './home.ts';

type Arrange = ArrangeArgs<UpgradeInput>;
type Hooks = NonNullable<LifecycleServices<UpgradeInput>['faults']>;
type Setups = NonNullable<LifecycleServices<UpgradeInput>['scenarios']>;

/** `path`, resolved, once it is known to lie in the sandbox `dir` (lexically and as a real path); throws otherwise. */
async function inSandbox(dir: string, path: string): Promise<string> {
  const p = resolve(path);
  const [realDir, realP] = await Promise.all([realPathOf(dir), realPathOf(p)]);
  if (!isWithin(resolve(dir), p) || !isWithin(realDir, realP)) throw new Error(`upgrade test hook: refusing to touch ${p}, which is outside the sandbox ${dir}`);
  return p;
}

const isUrl = (s: string) => /^[a-z][a-z0-9+.-]*:\/\//i.test(s);

/**
 * Makes `<home>/<folder>` a symlink to a directory of the sandbox outside the home (kept if it already is one):
 * every upgrade service that writes refuses such a home (`assertSafeHome`, kind `path-escapes`) before it touches
 * anything. What the folder held moves along, so nothing is lost.
 */
async function folderOutOfHome({ dir, runInput }: Arrange, folder: 'downloads' | 'backups' | 'run'): Promise<void> {
  const home = await inSandbox(dir, runInput.agentHome);
  const link = join(home, folder);
  const outside = await inSandbox(dir, join(dir, `outside-home-${folder}`));
  if ((await lstat(link).catch(() => null))?.isSymbolicLink()) return;
  await mkdir(dirname(outside), { recursive: true });
  if (await exists(link)) await rename(link, outside);
  else await mkdir(outside, { recursive: true });
  await symlink(outside, link);
}

/** Copies a sandbox artifact over the downloaded one (an artifact that changed on disk since it was fetched). */
async function replaceArtifact(dir: string, artifactPath: string, by: (outDir: string) => Promise<BuiltArtifact>): Promise<void> {
  const target = await inSandbox(dir, artifactPath);
  const outDir = await inSandbox(dir, join(dir, 'fault-artifacts'));
  await mkdir(outDir, { recursive: true });
  const built = await by(outDir);
  await writeFile(target, await readFile(built.path));
}

/** Where `faults['DOWNLOAD.FAILED']` keeps the artifact it withholds from the source folder. */
const withheld = (source: string) => `${source}.withheld`;

/** Puts back an artifact `faults['DOWNLOAD.FAILED']` withheld, so that the download finds its source again. */
async function sourceAvailable({ dir, input }: Arrange): Promise<boolean | void> {
  const { source } = input as DownloadInput;
  if (isUrl(source)) return false;
  const path = await inSandbox(dir, source);
  if (await exists(withheld(path))) await rename(withheld(path), path);
}

export const upgradeFaults: Hooks = {
  /** The home has no `current` symlink: no agent is installed, so there is no version to read. */
  async readCurrentAgent({ dir, input }) {
    const home = await inSandbox(dir, (input as { agentHome: string }).agentHome);
    await rm(layout.current(home), { force: true });
  },
  /**
   * The download fails for real: an earlier attempt broke off half-way (its `.part` file, the artifact's first half,
   * is in the download folder) and the artifact is not in its source folder now (withheld beside it until a later
   * start of the download that the path lets finish puts it back). The download reports `ENOENT`, a failure it
   * retries; it keeps the part, so the cleanup must remove it, and a retry that succeeds resumes it.
   */
  async 'DOWNLOAD.FAILED'({ dir, input }) {
    const { source, destDir } = input as DownloadInput;
    if (isUrl(source)) return false;
    const path = await inSandbox(dir, source);
    const part = await inSandbox(dir, join(destDir, `${basename(path)}.part`));
    if (await exists(path)) {
      const data = await readFile(path);
      await mkdir(dirname(part), { recursive: true });
      if (!(await exists(part))) await writeFile(part, data.subarray(0, data.length >> 1));
      await rename(path, withheld(path));
    }
  },
  /**
   * Not failures: the generated suites call `faults[<event>]` when the download starts, for the path's next event
   * from it, which is where the world must be ready for the download to succeed (the artifact put back in its source
   * folder after a `DOWNLOAD.FAILED` above withheld it).
   */
  'DOWNLOAD.DONE': sourceAvailable,
  'DOWNLOAD.PROGRESS': sourceAvailable,
  /** The downloaded artifact is corrupt (one byte flipped): the real checksum check must refuse it. */
  async verifyChecksum({ dir, input, runInput }) {
    const { artifactPath } = input as VerifyInput;
    const source = await inSandbox(dir, runInput.source);
    await replaceArtifact(dir, artifactPath, (out) =>
      readFile(source).then((data) => buildCorruptArtifact(out, { path: source, sha256: '', version: runInput.targetVersion, buildDate: runInput.targetBuildDate, bytes: data.length })),
    );
  },
  /**
   * The artifact's entries escape the version directory (`../escape.txt`, a symlink to /etc/passwd): the real
   * extraction must refuse it before writing anything, whatever its checksum said.
   */
  async extract({ dir, input }) {
    const { artifactPath, version } = input as ExtractInput;
    await replaceArtifact(dir, artifactPath, (out) => buildEscapingArtifact(out, { version, buildDate: '2024-03-01T00:00:00Z' }));
  },
  /** The next version's entrypoint refuses to take the upgrade over (its `agent.json` says so). */
  async handOff({ dir, input }) {
    const { extractedPath } = input as HandOffInput;
    const manifest = join(await inSandbox(dir, extractedPath), 'agent.json');
    const meta = JSON.parse(await readFile(manifest, 'utf8')) as Record<string, unknown>;
    await writeFile(manifest, `${JSON.stringify({ ...meta, refuseHandoff: 'its state format is newer' }, null, 2)}\n`);
  },
  /** The home's backups folder is a symlink out of the home: the migration must refuse to write the backup there. */
  migrateState: (args) => folderOutOfHome(args, 'backups'),
  /** The home's run folder is a symlink out of the home: the swap (like every writing step) must refuse the home. */
  swapSymlink: (args) => folderOutOfHome(args, 'run'),
  /** A broken build of the new agent: its script exits at once, so the agent never listens. */
  async startAgent({ dir, input }) {
    const { path } = input as AgentInput;
    const version = await inSandbox(dir, path);
    const script = join(version, (await readAgentManifest(version)).entry);
    await writeFile(script, "process.stderr.write('this build of the agent is broken\\n');\nprocess.exit(3);\n");
    await chmod(script, 0o755);
  },
  /** A probe never throws: whatever goes wrong is an unhealthy answer (`checkHealth`'s unhealthy sample). */
  checkHealth: () => false,
  /** The home's backups folder is a symlink out of the home: the rollback refuses the home before it acts. */
  rollback: (args) => folderOutOfHome(args, 'backups'),
  /** The home's downloads folder is a symlink out of the home: the cleanup refuses to empty it. */
  cleanupDownload: (args) => folderOutOfHome(args, 'downloads'),
};

/**
 * Installs the running version a `readCurrentAgent` sample names (version, build date, directory name under
 * `data/`): a copy of the version the sandbox installed, with that `agent.json`, made current, its entrypoint at the
 * stable path, and the sandbox's version removed. Nothing when the sandbox already runs it (the first sample).
 */
async function runningVersion({ dir, runInput, output }: Arrange & { output: unknown }): Promise<boolean | void> {
  const want = output as AgentVersionInfo | undefined;
  if (!want || typeof want.path !== 'string' || basename(dirname(want.path)) !== 'data') return false;
  const home = await inSandbox(dir, runInput.agentHome);
  const now = await readCurrentAgent(home).catch(() => null);
  if (!now) return false;
  const name = basename(want.path);
  if (now.version === want.version && now.buildDate === want.buildDate && basename(now.path) === name) return;
  const to = await inSandbox(dir, join(layout.data(home), name));
  if (await exists(to)) return false;
  await cp(await inSandbox(dir, now.path), to, { recursive: true, verbatimSymlinks: true });
  const meta = await readAgentManifest(to);
  await writeFile(join(to, 'agent.json'), `${JSON.stringify({ ...meta, version: want.version, buildDate: want.buildDate }, null, 2)}\n`);
  await swapCurrent(home, to);
  await swapLink(layout.entrypoint(home), join(to, ARTIFACT_ENTRYPOINT));
  if ((await currentTarget(home)) === to) await rm(now.path, { recursive: true, force: true });
}

/**
 * Called when the path takes the download's `type` event (the real download sent it, or is about to): checks what
 * the real transfer reported at its end against the path's sample (the artifact under the sandbox's download
 * folder with the sample's name and size; a failure of the sample's kind) and throws when they differ, so that a
 * download that misreports fails the suite rather than only leaving the real system. Nothing to check while it
 * still runs (after 2 s) or when it ended otherwise: the suite then says it did not send the event.
 */
const downloadReported =
  (type: 'DOWNLOAD.DONE' | 'DOWNLOAD.FAILED') =>
  async ({ runInput, output }: Arrange & { output: unknown }): Promise<void> => {
    const dest = layout.downloads(runInput.agentHome);
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([settleDownloads(dest), new Promise((resolve) => (timer = setTimeout(resolve, 2000)))]);
    clearTimeout(timer);
    const got = lastDownloadReport(dest);
    if (got?.type !== type) return;
    const sample = (output ?? {}) as { artifactPath?: unknown; bytes?: unknown; kind?: unknown };
    const [expected, actual] =
      got.type === 'DOWNLOAD.DONE'
        ? [{ artifactPath: join(dest, basename(String(sample.artifactPath))), bytes: sample.bytes }, { artifactPath: got.artifactPath, bytes: got.bytes }]
        : [{ kind: sample.kind }, { kind: got.type === 'DOWNLOAD.FAILED' ? got.kind : undefined }];
    if (JSON.stringify(expected) !== JSON.stringify(actual))
      throw new Error(`the real download reported ${JSON.stringify(actual)} where the path's ${type} says ${JSON.stringify(expected)} (in the sandbox's terms)`);
  };

/**
 * What the previous version's state must be once a rollback is done (its backup, without the run files agents
 * rewrite), by the home's resolved path: set by {@link stateTouchedBeforeRollback}, checked by the `rolledBack`
 * invariant ({@link stateAsBackedUp}). Empty outside the generated suites.
 */
const stateBeforeUpgrade = new Map<string, Record<string, string>>();

const withoutRunFiles = (tree: Record<string, string>) => Object.fromEntries(Object.entries(tree).filter(([f]) => !f.startsWith('run/')));

/**
 * Before a rollback, the previous version's state is no longer what was backed up (the new agent, or a
 * migration working in place, wrote to it during the trial): a state file is changed and one is added. The
 * rollback must bring it back to the backup exactly, which the `rolledBack` invariant then checks.
 */
async function stateTouchedBeforeRollback({ dir, input }: Arrange & { output: unknown }): Promise<void> {
  const { agentHome, previousPath, stateBackupPath } = input as RollbackInput;
  if (stateBackupPath === null || !(await isDirectory(stateBackupPath))) return;
  const state = await inSandbox(dir, join(previousPath, 'state'));
  stateBeforeUpgrade.set(resolve(agentHome), withoutRunFiles(await hashTree(stateBackupPath)));
  await mkdir(state, { recursive: true });
  const files = Object.keys(withoutRunFiles(await hashTree(state)));
  if (files[0]) await writeFile(join(state, files[0]), `written during the trial ${Date.now()}\n`);
  await writeFile(join(state, 'written-during-trial.json'), '{"by":"the new agent"}\n');
}

/** After a rollback the previous version's state is its backup (see {@link stateTouchedBeforeRollback}). */
export async function stateAsBackedUp(home: string, previousPath: string | undefined): Promise<string[]> {
  const expected = stateBeforeUpgrade.get(resolve(home));
  if (!expected || !previousPath) return [];
  const actual = withoutRunFiles(await hashTree(join(previousPath, 'state')).catch(() => ({})));
  const differ = [...new Set([...Object.keys(expected), ...Object.keys(actual)])].filter((f) => expected[f] !== actual[f]);
  return differ.length ? [`after the rollback the state of ${previousPath} is not its backup: ${differ.map((f) => `${f} ${f in actual ? (f in expected ? 'differs' : 'is extra') : 'is missing'}`).join(', ')}`] : [];
}

/** Stand-ins answering `/health` as a degraded agent does, by the version directory whose run file points at them. */
const degraded = new Map<string, { server: Server; runFile: string; original: string }>();

/** Closes the stand-ins of sandboxes that are gone (a path that ended), and the one of `path` with its run file put back. */
async function recovered(path?: string): Promise<void> {
  for (const [at, d] of [...degraded]) {
    if (at !== path && (await exists(at))) continue;
    degraded.delete(at);
    if (await exists(d.runFile)) await writeFile(d.runFile, d.original);
    await new Promise<void>((done) => d.server.close(() => done()));
  }
}

/**
 * The new agent is degraded: its `/health` answers 503 with a reason (`{ healthy: false, detail: 'GET /health
 * answered 503: <reason>' }`). The example agent decides its health as it starts, and restarting it would change
 * its pid, so a stand-in listener on loopback answers for it: the agent's run file names the stand-in's port (the
 * pid stays the agent's). A healthy sample puts the agent's own port back. Another unhealthy answer cannot be made.
 */
async function healthAsSampled({ dir, input, output }: Arrange & { output: unknown }): Promise<boolean | void> {
  const sample = output as { healthy?: boolean; detail?: string } | undefined;
  const { path, version } = input as AgentInput;
  const at = resolve(await inSandbox(dir, path));
  await recovered(sample?.healthy === true ? at : undefined);
  if (sample?.healthy === true) return;
  const reason = /^GET \/health answered 503: (.+)$/.exec(sample?.detail ?? '')?.[1];
  if (!reason) return false;
  if (degraded.has(at)) return;
  const runFile = join(at, 'run', 'agent.json');
  const original = await readFile(runFile, 'utf8').catch(() => null);
  if (original === null) return false;
  const server = createServer((_req, res) => {
    res.writeHead(503, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ status: 'degraded', version, reason }));
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', () => done()));
  server.unref();
  degraded.set(at, { server, runFile, original });
  await writeFile(runFile, JSON.stringify({ ...JSON.parse(original), port: (server.address() as AddressInfo).port }, null, 2));
}

/** The agents the suites started as a home's running agent (by the home's resolved path). */
const startedAgents = new Map<string, number[]>();

/** Starts under way (by the home's resolved path), begun at the hand-off so that they overlap with it. */
const agentStarts = new Map<string, Promise<void>>();

/**
 * On a host, the running version's agent runs while it is upgraded: the sandbox installs it without starting it,
 * so it is started here, before the migration (the first step after which the upgrade stops and restarts agents),
 * and the home's run file names it. Then the upgrade must stop it before its own starts, and a rollback start it
 * again: {@link strayAgents} says when an agent it should have stopped still runs. The start begins at the hand-off
 * (an agent takes a few hundred milliseconds to listen, which the hand-off's own process then covers) and is
 * awaited here.
 */
async function runningAgentStarted({ dir, input }: Arrange & { output: unknown }): Promise<void> {
  const { agentHome, fromPath } = input as { agentHome: string; fromPath: string };
  const home = resolve(await inSandbox(dir, agentHome));
  const started = agentStarts.get(home) ?? startAgentOf(home, await inSandbox(dir, fromPath));
  agentStarts.delete(home);
  await started;
}

/** Starts the agent of `path` as the home's, unless one runs; remembers its pid for {@link strayAgents}. */
async function startAgentOf(home: string, path: string): Promise<void> {
  const run = await readHomeRun(home);
  if (run && isAlive(run.pid)) return;
  const started = await spawnAgent(home, path);
  startedAgents.set(home, [...(startedAgents.get(home) ?? []), started.pid]);
}

/** The hand-off the path lets finish: the running version's agent starts meanwhile (see {@link runningAgentStarted}). */
async function agentStartsAtHandOff({ dir, input }: Arrange & { output: unknown }): Promise<void> {
  const { agentHome } = input as HandOffInput;
  const home = resolve(await inSandbox(dir, agentHome));
  const running = await currentTarget(home);
  if (!running || agentStarts.has(home)) return;
  const start = startAgentOf(home, running);
  start.catch(() => undefined); // awaited (and its failure reported) by the migration's set-up
  agentStarts.set(home, start);
}

/** Agents {@link runningAgentStarted} started for `home` that are alive, other than `keep` (the home's agent now). */
export function strayAgents(home: string, keep: number | null | undefined): string[] {
  const stray = (startedAgents.get(resolve(home)) ?? []).filter((pid) => pid !== keep && isAlive(pid));
  return stray.length ? [`the agent${stray.length > 1 ? 's' : ''} that ran before the upgrade (pid ${stray.join(', ')}) still run${stray.length > 1 ? '' : 's'} beside the home's agent ${keep ?? '(none)'}`] : [];
}

/** No set-up: the sandbox gives the service's one sample as it is, and the suite insists on it. */
const asItIs = async (): Promise<void> => undefined;

export const upgradeScenarios: Setups = {
  readCurrentAgent: runningVersion,
  'DOWNLOAD.DONE': downloadReported('DOWNLOAD.DONE'),
  'DOWNLOAD.FAILED': downloadReported('DOWNLOAD.FAILED'),
  verifyChecksum: asItIs,
  extract: asItIs,
  handOff: agentStartsAtHandOff,
  migrateState: runningAgentStarted,
  swapSymlink: asItIs,
  rollback: stateTouchedBeforeRollback,
  cleanupDownload: asItIs,
  /** The healthy answer is the real agent's; a 503 one a degraded stand-in gives for it (see healthAsSampled). */
  checkHealth: healthAsSampled,
};
