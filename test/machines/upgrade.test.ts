import { describe, it, expect, vi, afterEach } from 'vitest';
import { createActor, fromCallback, fromPromise, waitFor, type EventObject, type AnyActorLogic, type AnyStateMachine, type AnyStateNode } from 'xstate';
import {
  UPGRADE_ENTRYPOINT,
  UPGRADE_STEPS,
  upgradeMachine,
  violatesVersionRule,
  type AgentVersionInfo,
  type DownloadInput,
  type HealthOutput,
  type UpgradeInput,
} from '../../machines/upgrade.ts';

const HOME = '/agent';
const CURRENT: AgentVersionInfo = { version: '8.10.0', buildDate: '2024-01-10T00:00:00Z', path: `${HOME}/data/agent-8.10.0-aaaaaa` };
const NEXT_PATH = `${HOME}/data/agent-8.11.0-bbbbbb`;

const input: UpgradeInput = {
  agentHome: HOME,
  source: 'http://127.0.0.1:8080/agent-8.11.0.tar.gz',
  sha256: 'ab'.repeat(32),
  targetVersion: '8.11.0',
  targetBuildDate: '2024-02-01T00:00:00Z',
  gracePeriodMs: 60,
  healthCheckIntervalMs: 10,
  retry: { maxAttempts: 3, initialIntervalMs: 1 },
};

type Call = { service: string; input: any };
type Progress = (bytesReceived: number, totalBytes: number | null) => void;
type Fake = (input: any, n: number, signal: AbortSignal, progress: Progress) => Promise<unknown>;

/**
 * Fakes for every service; they succeed unless overridden. Every call is logged. `download` is wrapped in a
 * callback actor speaking the DOWNLOAD.* protocol, the way the real service does.
 */
function fakes(over: Partial<Record<string, Fake>> = {}) {
  const calls: Call[] = [];
  const counts: Record<string, number> = {};
  const defaults: Record<string, Fake> = {
    readCurrentAgent: async () => CURRENT,
    download: async (i: DownloadInput, _n, _signal, progress) => {
      progress(512, 1024);
      progress(1024, 1024);
      return { artifactPath: `${i.destDir}/agent-8.11.0.tar.gz`, bytes: 1024 };
    },
    verifyChecksum: async (i) => ({ sha256: i.sha256 }),
    extract: async () => ({ extractedPath: NEXT_PATH, hash: 'bbbbbb' }),
    handOff: async () => undefined,
    migrateState: async () => ({ backupPath: `${HOME}/backup/state` }),
    swapSymlink: async () => undefined,
    startAgent: async () => ({ pid: 4242 }),
    checkHealth: async (): Promise<HealthOutput> => ({ healthy: true }),
    rollback: async () => undefined,
    cleanupDownload: async () => undefined,
  };
  const actors: Record<string, AnyActorLogic> = {};
  const noProgress: Progress = () => {};
  for (const [service, impl] of Object.entries(defaults)) {
    actors[service] = fromPromise<unknown, any>(async ({ input, signal }) => {
      calls.push({ service, input });
      counts[service] = (counts[service] ?? 0) + 1;
      return (over[service] ?? impl)(input, counts[service]!, signal, noProgress);
    });
  }
  actors.download = fromCallback<EventObject, DownloadInput>(({ input, sendBack }) => {
    calls.push({ service: 'download', input });
    counts.download = (counts.download ?? 0) + 1;
    const abort = new AbortController();
    const progress: Progress = (bytesReceived, totalBytes) => sendBack({ type: 'DOWNLOAD.PROGRESS', bytesReceived, totalBytes });
    (over.download ?? defaults.download!)(input, counts.download, abort.signal, progress).then(
      (out) => sendBack({ type: 'DOWNLOAD.DONE', ...(out as { artifactPath: string; bytes: number }) }),
      (error: Error & { kind?: string; code?: string }) =>
        sendBack({ type: 'DOWNLOAD.FAILED', message: error.message, kind: error.kind ?? error.code }),
    );
    return () => abort.abort();
  });
  return { actors, calls, services: () => calls.map((c) => c.service), callsOf: (s: string) => calls.filter((c) => c.service === s) };
}

function start(actors: Record<string, AnyActorLogic>, runInput: UpgradeInput = input) {
  return createActor(upgradeMachine.provide({ actors: actors as never }), { input: runInput }).start();
}

async function run(actors: Record<string, AnyActorLogic>, runInput: UpgradeInput = input) {
  return waitFor(start(actors, runInput), (s) => s.status === 'done');
}

const never = (signal: AbortSignal) =>
  new Promise<never>((_, reject) => signal.addEventListener('abort', () => reject(new Error('aborted'))));

/** Every state can reach a top-level final state (or carries the `waiting` tag), and has a description. */
function stuckStates(machine: AnyStateMachine): string[] {
  const all: AnyStateNode[] = [];
  const walk = (n: AnyStateNode) => {
    all.push(n);
    Object.values(n.states).forEach(walk);
  };
  walk(machine.root);
  const next = (n: AnyStateNode): AnyStateNode[] => {
    const out: AnyStateNode[] = [];
    if (n.type === 'compound') out.push(...n.initial.target);
    if (n.type === 'parallel') out.push(...Object.values(n.states));
    for (let a: AnyStateNode | undefined = n; a; a = a.parent)
      for (const ts of a.transitions.values()) for (const t of ts) out.push(...(t.target ?? []));
    for (const t of n.always ?? []) out.push(...(t.target ?? []));
    return out;
  };
  const problems: string[] = [];
  for (const n of all.slice(1)) {
    if (!n.description) problems.push(`${n.id}: no description`);
    if (n.tags.includes('waiting')) continue;
    const seen = new Set([n]);
    const queue = [n];
    let finishes = false;
    while (queue.length > 0 && !finishes) {
      const c = queue.shift()!;
      finishes = c.type === 'final' && c.parent === machine.root;
      for (const x of next(c)) if (!seen.has(x)) (seen.add(x), queue.push(x));
    }
    if (!finishes) problems.push(`${n.id}: cannot reach a final state`);
  }
  return problems;
}

afterEach(() => {
  vi.useRealTimers();
});

describe('version rules', () => {
  const cur = { version: '8.10.0', buildDate: '2024-01-10' };
  it('refuses a downgrade, the same version and a higher version built earlier', () => {
    expect(violatesVersionRule('downgrade', cur, { version: '8.9.5', buildDate: '2024-03-01' })).toBe(true);
    expect(violatesVersionRule('sameVersion', cur, { version: '8.10.0', buildDate: '2024-03-01' })).toBe(true);
    expect(violatesVersionRule('builtEarlier', cur, { version: '8.11.0', buildDate: '2024-01-01' })).toBe(true);
    expect(violatesVersionRule('builtEarlier', cur, { version: '8.11.0', buildDate: '2024-02-01' })).toBe(false);
    expect(violatesVersionRule('downgrade', cur, { version: '8.10.0-SNAPSHOT', buildDate: '2024-02-01' })).toBe(true);
    expect(violatesVersionRule('downgrade', cur, { version: '8.10.1', buildDate: '2024-02-01' })).toBe(false);
  });
});

describe('upgrade machine', () => {
  it('every state can reach a final state and has a description', () => {
    expect(stuckStates(upgradeMachine)).toEqual([]);
  });

  it('exports the steps in order', () => {
    expect(UPGRADE_STEPS).toEqual(['checkVersion', 'download', 'verify', 'extract', 'handOff', 'migrate', 'swap', 'start', 'watch']);
  });

  it('happy path: healthy for the grace period => completed', async () => {
    const f = fakes();
    const snapshot = await run(f.actors);
    expect(snapshot.value).toBe('completed');
    expect(snapshot.hasTag('success')).toBe(true);
    const order = [...new Set(f.services())];
    expect(order).toEqual([
      'readCurrentAgent', 'download', 'verifyChecksum', 'extract', 'handOff', 'migrateState', 'swapSymlink', 'startAgent', 'checkHealth',
    ]);
    expect(f.services()).not.toContain('rollback');
    expect(f.callsOf('download')[0]!.input).toEqual({ source: input.source, destDir: `${HOME}/downloads` });
    expect(f.callsOf('verifyChecksum')[0]!.input).toEqual({ artifactPath: `${HOME}/downloads/agent-8.11.0.tar.gz`, sha256: input.sha256 });
    expect(f.callsOf('handOff')[0]!.input).toEqual({
      agentHome: HOME,
      entrypoint: `${HOME}/${UPGRADE_ENTRYPOINT}`,
      fromVersion: '8.10.0',
      toVersion: '8.11.0',
      extractedPath: NEXT_PATH,
    });
    expect(f.callsOf('migrateState')[0]!.input).toEqual({ agentHome: HOME, fromPath: CURRENT.path, toPath: NEXT_PATH });
    expect(f.callsOf('swapSymlink')[0]!.input).toEqual({ agentHome: HOME, toPath: NEXT_PATH });
    expect(snapshot.context).toMatchObject({
      current: CURRENT,
      bytesReceived: 1024,
      totalBytes: 1024,
      extractedPath: NEXT_PATH,
      stateBackupPath: `${HOME}/backup/state`,
      handedOff: true,
      agentPid: 4242,
      step: 'watch',
      lastSucceededStep: 'watch',
      lastError: null,
      outcome: 'completed',
    });
    expect(snapshot.context.healthChecks).toBeGreaterThanOrEqual(2);
    expect(snapshot.output).toMatchObject({ outcome: 'completed', fromVersion: '8.10.0', toVersion: '8.11.0' });
  });

  it('records download progress events as they arrive', async () => {
    let release!: () => void;
    const f = fakes({
      download: async (i: DownloadInput, _n, _signal, progress) => {
        progress(100, 1000);
        await new Promise<void>((r) => (release = r));
        return { artifactPath: `${i.destDir}/a.tar.gz`, bytes: 1000 };
      },
    });
    const actor = start(f.actors);
    await waitFor(actor, (s) => s.context.bytesReceived === 100);
    expect(actor.getSnapshot().matches({ currentVersion: { downloading: 'running' } })).toBe(true);
    expect(actor.getSnapshot().context.totalBytes).toBe(1000);
    release();
    expect((await waitFor(actor, (s) => s.status === 'done')).value).toBe('completed');
  });

  it('refuses a downgrade unless forced', async () => {
    const f = fakes();
    const snapshot = await run(f.actors, { ...input, targetVersion: '8.9.0' });
    expect(snapshot.value).toBe('refused');
    expect(snapshot.context.refusedBy).toBe('downgrade');
    expect(snapshot.context.lastError).toMatchObject({ step: 'checkVersion', kind: 'version-rule:downgrade' });
    expect(f.services()).toEqual(['readCurrentAgent']);
    expect(snapshot.output).toMatchObject({ outcome: 'refused', refusedBy: 'downgrade' });

    const forced = fakes();
    expect((await run(forced.actors, { ...input, targetVersion: '8.9.0', force: true })).value).toBe('completed');
  });

  it('refuses the same version unless forced', async () => {
    const f = fakes();
    const snapshot = await run(f.actors, { ...input, targetVersion: '8.10.0' });
    expect(snapshot.value).toBe('refused');
    expect(snapshot.context.refusedBy).toBe('sameVersion');
  });

  it('the build-date trap: a higher version built earlier is refused unless forced', async () => {
    const trap = { ...input, targetVersion: '8.11.0', targetBuildDate: '2024-01-05T00:00:00Z' };
    const f = fakes();
    const snapshot = await run(f.actors, trap);
    expect(snapshot.value).toBe('refused');
    expect(snapshot.context.refusedBy).toBe('builtEarlier');
    expect(snapshot.context.lastError?.message).toMatch(/built before the running version/);
    expect(f.services()).toEqual(['readCurrentAgent']);

    const forced = fakes();
    expect((await run(forced.actors, { ...trap, force: true })).value).toBe('completed');
  });

  it('CANCEL during the download aborts it, removes the files and ends cancelled', async () => {
    let aborted = false;
    const f = fakes({
      download: (_i, _n, signal) => {
        signal.addEventListener('abort', () => (aborted = true));
        return never(signal);
      },
    });
    const actor = start(f.actors);
    await waitFor(actor, (s) => s.matches({ currentVersion: 'downloading' }));
    expect(actor.getSnapshot().hasTag('cancellable')).toBe(true);
    actor.send({ type: 'CANCEL' });
    const snapshot = await waitFor(actor, (s) => s.status === 'done');
    expect(snapshot.value).toBe('cancelled');
    expect(aborted).toBe(true);
    expect(f.services()).toEqual(['readCurrentAgent', 'download', 'cleanupDownload']);
    expect(snapshot.output).toMatchObject({ outcome: 'cancelled' });
  });

  it('CANCEL during extraction cleans up the downloaded artifact', async () => {
    const f = fakes({ extract: (_i, _n, signal) => never(signal) });
    const actor = start(f.actors);
    await waitFor(actor, (s) => s.matches({ currentVersion: 'extracting' }));
    actor.send({ type: 'CANCEL' });
    const snapshot = await waitFor(actor, (s) => s.status === 'done');
    expect(snapshot.value).toBe('cancelled');
    expect(f.callsOf('cleanupDownload')[0]!.input).toEqual({
      agentHome: HOME,
      artifactPath: `${HOME}/downloads/agent-8.11.0.tar.gz`,
      extractedPath: null,
    });
  });

  it('CANCEL is not accepted after the hand-off', async () => {
    let release!: () => void;
    const f = fakes({ migrateState: () => new Promise((r) => (release = () => r({ backupPath: '/b' }))) });
    const actor = start(f.actors);
    await waitFor(actor, (s) => s.matches({ nextVersion: 'migrating' }));
    expect(actor.getSnapshot().can({ type: 'CANCEL' })).toBe(false);
    actor.send({ type: 'CANCEL' });
    expect(actor.getSnapshot().matches({ nextVersion: 'migrating' })).toBe(true);
    release();
    expect((await waitFor(actor, (s) => s.status === 'done')).value).toBe('completed');
    expect(f.services()).not.toContain('cleanupDownload');
  });

  it('the trial runs the agent and the watcher in parallel', async () => {
    const f = fakes();
    const actor = start(f.actors);
    const s = await waitFor(actor, (s) => s.matches({ nextVersion: { trial: { agent: 'running', watcher: 'watching' } } }));
    expect(s.hasTag('running')).toBe(true);
    expect(s.can({ type: 'UNHEALTHY' })).toBe(true);
    await waitFor(actor, (s) => s.status === 'done');
  });

  it('UNHEALTHY during the grace period => rolledBack (symlink and state restored)', async () => {
    const f = fakes();
    const actor = start(f.actors);
    await waitFor(actor, (s) => s.matches({ nextVersion: { trial: { watcher: 'watching' } } }));
    actor.send({ type: 'UNHEALTHY', reason: 'crash loop' });
    const snapshot = await waitFor(actor, (s) => s.status === 'done');
    expect(snapshot.value).toBe('rolledBack');
    expect(f.callsOf('rollback')[0]!.input).toEqual({
      agentHome: HOME,
      previousPath: CURRENT.path,
      failedPath: NEXT_PATH,
      stateBackupPath: `${HOME}/backup/state`,
      agentPid: 4242,
    });
    expect(snapshot.context.lastError).toMatchObject({ step: 'watch', kind: 'unhealthy' });
    expect(snapshot.context.lastError?.message).toMatch(/crash loop/);
    expect(snapshot.output).toMatchObject({ outcome: 'rolledBack' });
  });

  it('a failing health check => rolledBack', async () => {
    const f = fakes({ checkHealth: async (_i, n) => ({ healthy: n < 2, detail: 'status endpoint 500' }) });
    const snapshot = await run(f.actors);
    expect(snapshot.value).toBe('rolledBack');
    expect(snapshot.context.healthChecks).toBe(1);
    expect(snapshot.context.lastError?.message).toMatch(/status endpoint 500/);
  });

  it('a failed start => rolledBack', async () => {
    const f = fakes({ startAgent: async () => { throw new Error('exec format error'); } });
    const snapshot = await run(f.actors);
    expect(snapshot.value).toBe('rolledBack');
    expect(f.services()).not.toContain('checkHealth');
    expect(snapshot.context.lastError).toMatchObject({ step: 'start', message: 'exec format error' });
  });

  it('a failed rollback => failed with its error', async () => {
    const f = fakes({
      swapSymlink: async () => { throw new Error('EXDEV'); },
      rollback: async () => { throw new Error('state backup missing'); },
    });
    const snapshot = await run(f.actors);
    expect(snapshot.value).toBe('failed');
    expect(snapshot.context.lastError).toMatchObject({ step: 'rollback', message: 'state backup missing' });
  });

  it('retries the download with backoff, then cleans up and fails after the limit', async () => {
    vi.useFakeTimers();
    const f = fakes({ download: async () => { throw Object.assign(new Error('connection reset'), { code: 'ECONNRESET' }); } });
    const actor = start(f.actors, { ...input, retry: { maxAttempts: 3, initialIntervalMs: 1000, backoffRate: 2 } });
    await vi.advanceTimersByTimeAsync(0);
    expect(actor.getSnapshot().hasTag('retrying')).toBe(true);
    await vi.advanceTimersByTimeAsync(999);
    expect(f.callsOf('download')).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(f.callsOf('download')).toHaveLength(2);
    await vi.advanceTimersByTimeAsync(2000);
    const snapshot = actor.getSnapshot();
    expect(snapshot.value).toBe('failed');
    expect(f.callsOf('download')).toHaveLength(3);
    expect(f.services().at(-1)).toBe('cleanupDownload');
    expect(snapshot.context).toMatchObject({ step: 'cleanup', attempts: 1, lastSucceededStep: 'checkVersion' });
    expect(snapshot.context.lastError).toMatchObject({ step: 'download', attempt: 3, kind: 'ECONNRESET' });
  });

  it('a download that fails once then succeeds goes on', async () => {
    const f = fakes({
      download: async (i: DownloadInput, n) => {
        if (n === 1) throw new Error('timeout');
        return { artifactPath: `${i.destDir}/a.tar.gz`, bytes: 1 };
      },
    });
    const snapshot = await run(f.actors);
    expect(snapshot.value).toBe('completed');
    expect(f.callsOf('download')).toHaveLength(2);
  });

  it('a checksum mismatch cleans up and fails without handing off', async () => {
    const f = fakes({
      verifyChecksum: async () => { throw Object.assign(new Error('sha256 mismatch'), { kind: 'checksum-mismatch' }); },
    });
    const snapshot = await run(f.actors);
    expect(snapshot.value).toBe('failed');
    expect(f.services()).toEqual(['readCurrentAgent', 'download', 'verifyChecksum', 'cleanupDownload']);
    expect(snapshot.context.lastError).toMatchObject({ step: 'verify', kind: 'checksum-mismatch' });
    expect(snapshot.context.handedOff).toBe(false);
  });

  describe('an unprovided service fails loudly, never silently succeeds', () => {
    it('with no services at all', async () => {
      const snapshot = await waitFor(createActor(upgradeMachine, { input }).start(), (s) => s.status === 'done');
      expect(snapshot.value).toBe('failed');
      expect(snapshot.context.lastError?.message).toMatch(/service "readCurrentAgent" is not provided/);
    });

    const scenarios: Record<string, { end: string; over?: Parameters<typeof fakes>[0]; cancelIn?: string }> = {
      readCurrentAgent: { end: 'failed' },
      download: { end: 'failed' },
      verifyChecksum: { end: 'failed' },
      extract: { end: 'failed' },
      handOff: { end: 'failed' },
      migrateState: { end: 'rolledBack' },
      swapSymlink: { end: 'rolledBack' },
      startAgent: { end: 'rolledBack' },
      checkHealth: { end: 'rolledBack' },
      rollback: { end: 'failed', over: { startAgent: async () => { throw new Error('no'); } } },
      cleanupDownload: { end: 'failed', cancelIn: 'extracting', over: { extract: (_i, _n, signal) => never(signal) } },
    };
    for (const [service, { end, over, cancelIn }] of Object.entries(scenarios)) {
      it(service, async () => {
        const f = fakes(over);
        const actors = { ...f.actors };
        delete actors[service];
        const actor = start(actors);
        if (cancelIn) {
          await waitFor(actor, (s) => s.matches({ currentVersion: cancelIn as 'extracting' }));
          actor.send({ type: 'CANCEL' });
        }
        const snapshot = await waitFor(actor, (s) => s.status === 'done');
        expect(snapshot.value).toBe(end);
        const messages = [snapshot.context.lastError?.message];
        expect(messages.join()).toContain(`service "${service}" is not provided`);
      });
    }
  });
});
