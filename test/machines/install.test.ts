import { describe, it, expect, vi, afterEach } from 'vitest';
import { createActor, fromPromise, waitFor, type AnyActorLogic, type AnyStateMachine, type AnyStateNode } from 'xstate';
import {
  INSTALL_STEPS,
  installMachine,
  type InstallInput,
  type InstallationRecord,
  type PackageManifest,
  type StepInput,
} from '../../machines/install.ts';

const manifest = (version: string): PackageManifest => ({ name: 'nginx', version, assets: { ilm_policies: ['ilm.json'] } });

type Call = { service: string; input: unknown };

/** Fakes for every service: they succeed unless `fail` says otherwise; every call is logged. */
function fakes(opts: {
  version?: string;
  installedVersion?: string | null;
  record?: InstallationRecord | null;
  fail?: Record<string, (attempt: number) => Error | undefined>;
}) {
  const calls: Call[] = [];
  const counts: Record<string, number> = {};
  const svc = <O>(service: string, output: O) =>
    fromPromise<O, any>(async ({ input }) => {
      calls.push({ service, input });
      counts[service] = (counts[service] ?? 0) + 1;
      const err = opts.fail?.[service]?.(counts[service]!);
      if (err) throw err;
      return output;
    });
  const actors = {
    checkPreconditions: svc('checkPreconditions', {
      manifest: manifest(opts.version ?? '1.1.0'),
      installedVersion: opts.installedVersion ?? null,
    }),
    readInstallationRecord: svc('readInstallationRecord', { record: opts.record ?? null }),
    cleanupPrevious: svc<void>('cleanupPrevious', undefined),
    installKibanaAssets: svc<void>('installKibanaAssets', undefined),
    installIlmPolicies: svc<void>('installIlmPolicies', undefined),
    installIndexTemplatesAndPipelines: svc<void>('installIndexTemplatesAndPipelines', undefined),
    installTransforms: svc<void>('installTransforms', undefined),
    installMlModels: svc<void>('installMlModels', undefined),
    saveInstallationRecord: svc<void>('saveInstallationRecord', undefined),
    rollback: svc<void>('rollback', undefined),
  };
  return { actors, calls, services: () => calls.map((c) => c.service) };
}

const STEP_SERVICES = [
  'installKibanaAssets',
  'installIlmPolicies',
  'installIndexTemplatesAndPipelines',
  'installTransforms',
  'installMlModels',
  'saveInstallationRecord',
];

const input: InstallInput = { package: '/pkgs/nginx-1.1.0', target: '/store', retry: { initialIntervalMs: 100 } };

async function run(actors: Record<string, AnyActorLogic>, runInput: InstallInput = input) {
  const actor = createActor(installMachine.provide({ actors: actors as never }), { input: runInput });
  const tags = new Set<string>();
  actor.subscribe((s) => s.tags.forEach((t) => tags.add(t)));
  actor.start();
  const snapshot = await waitFor(actor, (s) => s.status === 'done');
  return { snapshot, tags };
}

const boom = (message = 'boom', kind?: string) => Object.assign(new Error(message), kind ? { kind } : {});

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

describe('install machine', () => {
  it('every state can reach a final state and has a description', () => {
    expect(stuckStates(installMachine)).toEqual([]);
  });

  it('exports the steps in order', () => {
    expect(INSTALL_STEPS).toEqual([
      'kibana_assets',
      'ilm_policies',
      'index_templates_and_pipelines',
      'transforms',
      'ml_models',
      'save_installation_record',
    ]);
  });

  it('happy path: runs every step once, in order, and ends installed', async () => {
    const f = fakes({});
    const { snapshot } = await run(f.actors);
    expect(snapshot.value).toBe('installed');
    expect(snapshot.hasTag('success')).toBe(true);
    expect(f.services()).toEqual(['checkPreconditions', 'readInstallationRecord', ...STEP_SERVICES]);
    const stepInputs = f.calls.filter((c) => STEP_SERVICES.includes(c.service)).map((c) => c.input as StepInput);
    expect(stepInputs.map((i) => i.step)).toEqual([...INSTALL_STEPS]);
    expect(stepInputs.every((i) => i.cleanup === false && i.target === '/store' && i.package === input.package)).toBe(true);
    expect(snapshot.context).toMatchObject({
      installedVersion: '1.1.0',
      latestExecutedState: 'save_installation_record',
      lastSucceededStep: 'save_installation_record',
      step: 'save_installation_record',
      attempts: 1,
      lastError: null,
      outcome: 'installed',
    });
    expect(snapshot.output).toMatchObject({ outcome: 'installed', name: 'nginx', version: '1.1.0', installedVersion: '1.1.0' });
  });

  it('retries a failing step with backoff, cleaning up first, then fails after the limit', async () => {
    vi.useFakeTimers();
    const f = fakes({ fail: { installIlmPolicies: () => boom('ilm down', 'ECONNREFUSED') } });
    const actor = createActor(installMachine.provide({ actors: f.actors }), {
      input: { ...input, retry: { maxAttempts: 3, initialIntervalMs: 100, backoffRate: 2 } },
    });
    actor.start();
    await vi.advanceTimersByTimeAsync(0);
    expect(actor.getSnapshot().hasTag('retrying')).toBe(true);
    expect(actor.getSnapshot().context.attempts).toBe(1);
    await vi.advanceTimersByTimeAsync(99);
    expect(f.services().filter((s) => s === 'installIlmPolicies')).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1); // first backoff: 100ms
    expect(f.services().filter((s) => s === 'installIlmPolicies')).toHaveLength(2);
    await vi.advanceTimersByTimeAsync(199);
    expect(f.services().filter((s) => s === 'installIlmPolicies')).toHaveLength(2);
    await vi.advanceTimersByTimeAsync(1); // second backoff: 200ms
    const snapshot = actor.getSnapshot();
    expect(snapshot.value).toBe('failed');
    const ilm = f.calls.filter((c) => c.service === 'installIlmPolicies').map((c) => (c.input as StepInput).cleanup);
    expect(ilm).toEqual([false, true, true]);
    expect(f.services()).not.toContain('installIndexTemplatesAndPipelines');
    expect(f.services()).not.toContain('rollback');
    expect(snapshot.context).toMatchObject({
      step: 'ilm_policies',
      attempts: 3,
      lastSucceededStep: 'kibana_assets',
      latestExecutedState: 'kibana_assets',
      installedVersion: null,
    });
    expect(snapshot.context.lastError).toMatchObject({ step: 'ilm_policies', attempt: 3, message: 'ilm down', kind: 'ECONNREFUSED' });
    expect(snapshot.output).toMatchObject({ outcome: 'failed', latestExecutedState: 'kibana_assets' });
  });

  it('a step that fails once then succeeds goes on', async () => {
    const f = fakes({ fail: { installTransforms: (n) => (n === 1 ? boom() : undefined) } });
    const { snapshot, tags } = await run(f.actors, { ...input, retry: { initialIntervalMs: 1 } });
    expect(snapshot.value).toBe('installed');
    expect(tags.has('retrying')).toBe(true);
    expect(f.services().filter((s) => s === 'installTransforms')).toHaveLength(2);
    expect(snapshot.context.lastError).toMatchObject({ step: 'transforms', attempt: 1 });
  });

  it('does not retry a non-retryable error kind', async () => {
    const f = fakes({ fail: { installMlModels: () => boom('bad model', 'invalid-asset') } });
    const { snapshot } = await run(f.actors, { ...input, retry: { initialIntervalMs: 1, nonRetryable: ['invalid-asset'] } });
    expect(snapshot.value).toBe('failed');
    expect(f.services().filter((s) => s === 'installMlModels')).toHaveLength(1);
    expect(snapshot.context.attempts).toBe(1);
  });

  it('resumes after latestExecutedState: done steps are skipped, the failed one re-runs with cleanup', async () => {
    const f = fakes({
      record: {
        name: 'nginx',
        version: '1.1.0',
        status: 'failed',
        latestExecutedState: 'index_templates_and_pipelines',
        previousVersion: null,
      },
    });
    const { snapshot } = await run(f.actors);
    expect(snapshot.value).toBe('installed');
    expect(f.services()).toEqual([
      'checkPreconditions',
      'readInstallationRecord',
      'installTransforms',
      'installMlModels',
      'saveInstallationRecord',
    ]);
    const cleanups = f.calls.filter((c) => STEP_SERVICES.includes(c.service)).map((c) => (c.input as StepInput).cleanup);
    expect(cleanups).toEqual([true, false, false]);
    expect(snapshot.context.resumedFrom).toBe('transforms');
  });

  it('does not resume a record of another version, nor when forced', async () => {
    const record: InstallationRecord = {
      name: 'nginx',
      version: '1.0.5',
      status: 'failed',
      latestExecutedState: 'ml_models',
      previousVersion: null,
    };
    const other = fakes({ record });
    expect((await run(other.actors)).snapshot.value).toBe('installed');
    expect(other.services()).toContain('installKibanaAssets');

    const forced = fakes({ record: { ...record, version: '1.1.0' } });
    const { snapshot } = await run(forced.actors, { ...input, force: true });
    expect(snapshot.value).toBe('installed');
    expect(forced.services()).toEqual(['checkPreconditions', 'readInstallationRecord', 'cleanupPrevious', ...STEP_SERVICES]);
  });

  it('a failed precondition touches nothing', async () => {
    const f = fakes({ fail: { checkPreconditions: () => boom('manifest.json: missing "version"', 'manifest-invalid') } });
    const { snapshot } = await run(f.actors);
    expect(snapshot.value).toBe('preconditionFailed');
    expect(snapshot.hasTag('failure')).toBe(true);
    expect(f.services()).toEqual(['checkPreconditions']);
    expect(snapshot.context.lastError).toMatchObject({ step: 'check_preconditions', kind: 'manifest-invalid' });
    expect(snapshot.output).toMatchObject({ outcome: 'preconditionFailed', latestExecutedState: null });
  });

  it('refuses a downgrade unless forced, touching nothing', async () => {
    const f = fakes({ version: '1.0.0', installedVersion: '1.2.0' });
    const { snapshot } = await run(f.actors);
    expect(snapshot.value).toBe('preconditionFailed');
    expect(f.services()).toEqual(['checkPreconditions']);
    expect(snapshot.context.lastError).toMatchObject({ kind: 'downgrade' });
    expect(snapshot.context.lastError?.message).toMatch(/downgrade nginx from 1.2.0 to 1.0.0/);

    const forced = fakes({ version: '1.0.0', installedVersion: '1.2.0' });
    const r = await run(forced.actors, { ...input, force: true });
    expect(r.snapshot.value).toBe('installed');
    expect(forced.services()).toContain('cleanupPrevious');
  });

  it('the same version already installed is a no-op unless forced', async () => {
    const f = fakes({ version: '1.1.0', installedVersion: '1.1.0' });
    const { snapshot } = await run(f.actors);
    expect(snapshot.value).toBe('alreadyInstalled');
    expect(snapshot.output).toMatchObject({ outcome: 'alreadyInstalled' });
    expect(f.services()).toEqual(['checkPreconditions']);

    const forced = fakes({ version: '1.1.0', installedVersion: '1.1.0' });
    const r = await run(forced.actors, { ...input, force: true });
    expect(r.snapshot.value).toBe('installed');
    expect(forced.services()).toEqual(['checkPreconditions', 'readInstallationRecord', 'cleanupPrevious', ...STEP_SERVICES]);
  });

  it('a failed upgrade rolls back to the previous version', async () => {
    const f = fakes({ version: '1.1.0', installedVersion: '1.0.0', fail: { installTransforms: () => boom('transform failed') } });
    const { snapshot } = await run(f.actors, { ...input, retry: { maxAttempts: 2, initialIntervalMs: 1 } });
    expect(snapshot.value).toBe('rolledBack');
    expect(f.services().slice(-1)).toEqual(['rollback']);
    expect(f.calls.at(-1)!.input).toMatchObject({
      target: '/store',
      previousVersion: '1.0.0',
      latestExecutedState: 'index_templates_and_pipelines',
      manifest: { version: '1.1.0' },
    });
    expect(snapshot.context).toMatchObject({ installedVersion: '1.0.0', previousVersion: '1.0.0', step: 'rollback' });
    expect(snapshot.context.lastError).toMatchObject({ step: 'transforms', message: 'transform failed', attempt: 2 });
    expect(snapshot.output).toMatchObject({ outcome: 'rolledBack', installedVersion: '1.0.0' });
  });

  it('a rollback that fails ends failed with its error', async () => {
    const f = fakes({
      installedVersion: '1.0.0',
      fail: { installKibanaAssets: () => boom('kibana down'), rollback: () => boom('cannot restore') },
    });
    const { snapshot } = await run(f.actors, { ...input, retry: { maxAttempts: 1 } });
    expect(snapshot.value).toBe('failed');
    expect(snapshot.context.lastError).toMatchObject({ step: 'rollback', message: 'cannot restore' });
  });

  it('a resumed upgrade rolls back to the version the record remembers', async () => {
    const f = fakes({
      installedVersion: '1.0.0',
      record: { name: 'nginx', version: '1.1.0', status: 'failed', latestExecutedState: 'kibana_assets', previousVersion: '1.0.0' },
      fail: { installIlmPolicies: () => boom() },
    });
    const { snapshot } = await run(f.actors, { ...input, retry: { maxAttempts: 1 } });
    expect(snapshot.value).toBe('rolledBack');
    expect(f.services()).toEqual(['checkPreconditions', 'readInstallationRecord', 'installIlmPolicies', 'rollback']);
  });

  describe('an unprovided service fails loudly, never silently succeeds', () => {
    it('with no services at all', async () => {
      const actor = createActor(installMachine, { input }).start();
      const snapshot = await waitFor(actor, (s) => s.status === 'done');
      expect(snapshot.value).toBe('preconditionFailed');
      expect(snapshot.context.lastError?.message).toMatch(/service "checkPreconditions" is not provided/);
    });

    const scenarios: Record<string, { end: string; opts?: Parameters<typeof fakes>[0]; runInput?: Partial<InstallInput> }> = {
      checkPreconditions: { end: 'preconditionFailed' },
      readInstallationRecord: { end: 'failed' },
      cleanupPrevious: { end: 'failed', runInput: { force: true } },
      installKibanaAssets: { end: 'failed' },
      installIlmPolicies: { end: 'failed' },
      installIndexTemplatesAndPipelines: { end: 'failed' },
      installTransforms: { end: 'failed' },
      installMlModels: { end: 'failed' },
      saveInstallationRecord: { end: 'failed' },
      rollback: { end: 'failed', opts: { installedVersion: '1.0.0', fail: { installMlModels: () => boom() } } },
    };
    for (const [service, { end, opts, runInput }] of Object.entries(scenarios)) {
      it(service, async () => {
        const f = fakes(opts ?? {});
        const actors: Record<string, AnyActorLogic> = { ...f.actors };
        delete actors[service];
        const { snapshot } = await run(actors, { ...input, retry: { maxAttempts: 2, initialIntervalMs: 1 }, ...runInput });
        expect(snapshot.value).toBe(end);
        expect(snapshot.context.lastError?.message).toContain(`service "${service}" is not provided`);
      });
    }
  });
});

describe('install machine: RETRY_NOW', () => {
  it('skips the rest of a backoff wait', async () => {
    const f = fakes({ fail: { installKibanaAssets: (n) => (n === 1 ? boom() : undefined) } });
    const actor = createActor(installMachine.provide({ actors: f.actors }), {
      input: { ...input, retry: { initialIntervalMs: 60_000 } },
    }).start();
    await waitFor(actor, (s) => s.hasTag('retrying'));
    actor.send({ type: 'RETRY_NOW' });
    const snapshot = await waitFor(actor, (s) => s.status === 'done');
    expect(snapshot.value).toBe('installed');
    expect(f.services().filter((s) => s === 'installKibanaAssets')).toHaveLength(2);
  });
});
