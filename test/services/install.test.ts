import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { cp, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tar from 'tar';
import { installMachine, type InstallContext, type InstallInput, type InstallOutput } from '../../machines/install.ts';
import { examplePackage, installServices, readRecord } from '../../src/services/install/index.ts';
import { hashTree, listFiles } from '../../src/services/install/fs.ts';
import { runChecked } from './helpers.ts';

let dir: string;
let target: string;
const retry = { maxAttempts: 3, initialIntervalMs: 5, backoffRate: 2, maxIntervalMs: 20 };

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'lk-install-'));
  target = join(dir, 'target');
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function install(pkg: string, extra: Partial<InstallInput> = {}) {
  const input: InstallInput = { package: pkg, target, retry, ...extra };
  const run = await runChecked<InstallInput, InstallContext, InstallOutput>(installMachine, installServices, input);
  expect(run.violations).toEqual([]);
  return run;
}

/** A copy of an example package whose manifest is changed by `edit` (e.g. to add faults). */
async function variant(name: string, version: string, edit: (m: Record<string, unknown>) => void, as = `${name}-${version}-variant`) {
  const to = join(dir, 'packages', as);
  await cp(examplePackage(name, version), to, { recursive: true });
  const m = JSON.parse(await readFile(join(to, 'manifest.json'), 'utf8'));
  edit(m);
  await writeFile(join(to, 'manifest.json'), JSON.stringify(m));
  return to;
}

/** The target's asset files (everything outside `.installations/`) with their sha256. */
async function assets(): Promise<Record<string, string>> {
  const all = await hashTree(target);
  return Object.fromEntries(Object.entries(all).filter(([f]) => !f.startsWith('.installations/')));
}

/** What installing `pkg` alone into an empty target leaves, for comparison. */
async function assetsOfCleanInstall(pkg: string): Promise<Record<string, string>> {
  const saved = target;
  target = join(dir, `reference-${Math.random().toString(36).slice(2)}`);
  await install(pkg);
  const out = await assets();
  target = saved;
  return out;
}

describe('install services: happy paths', () => {
  it('installs nginx 1.0.0 from a directory: every asset in place, the record says installed', async () => {
    const run = await install(examplePackage('nginx', '1.0.0'));
    expect(run.output).toMatchObject({ outcome: 'installed', name: 'nginx', version: '1.0.0', installedVersion: '1.0.0', latestExecutedState: 'save_installation_record' });
    expect(run.checks).toBeGreaterThan(6);
    expect(Object.keys(await assets())).toEqual([
      'dashboards/nginx/nginx-overview.json',
      'index_templates/nginx/logs-nginx.access.json',
      'index_templates/nginx/logs-nginx.error.json',
      'ilm_policies/nginx/logs-nginx.json',
      'ingest_pipelines/nginx/nginx-access.json',
      'transforms/nginx/nginx-top-urls.json',
      'visualizations/nginx/nginx-response-codes.json',
    ].sort());
    expect(await readFile(join(target, 'ilm_policies/nginx/logs-nginx.json'), 'utf8')).toBe(
      await readFile(examplePackage('nginx', '1.0.0') + '/elasticsearch/ilm/logs-nginx.json', 'utf8'),
    );
    const record = await readRecord(target, 'nginx');
    expect(record).toMatchObject({ status: 'installed', version: '1.0.0', installedVersion: '1.0.0', latestExecutedState: 'save_installation_record', lastError: null });
    expect(Object.keys(record!.files!)).toHaveLength(7);
  });

  it('installs system 1.0.0 from a .tar.gz with a top-level directory', async () => {
    const archive = join(dir, 'system-1.0.0.tar.gz');
    await cp(examplePackage('system', '1.0.0'), join(dir, 'src', 'system-1.0.0'), { recursive: true });
    await tar.c({ cwd: join(dir, 'src'), gzip: true, file: archive }, ['system-1.0.0']);
    const run = await install(archive);
    expect(run.output.outcome).toBe('installed');
    expect(await listFiles(join(target, 'ml_models'))).toEqual(['system/system-rare-process.json']);
    expect(await listFiles(join(target, 'component_templates'))).toEqual(['system/metrics-system@package.json']);
    expect(await readRecord(target, 'system')).toMatchObject({ status: 'installed', version: '1.0.0' });
  });

  it('a second install of the same version is a no-op; two packages live side by side', async () => {
    await install(examplePackage('nginx', '1.0.0'));
    await install(examplePackage('system', '1.0.0'));
    const before = await hashTree(target);
    const again = await install(examplePackage('nginx', '1.0.0'));
    expect(again.output.outcome).toBe('alreadyInstalled');
    expect(await hashTree(target)).toEqual(before);
    expect(Object.keys(before).filter((f) => f.startsWith('dashboards/'))).toEqual(['dashboards/nginx/nginx-overview.json', 'dashboards/system/system-overview.json']);
  });

  it('upgrades 1.0.0 to 1.1.0: the target holds exactly 1.1.0 assets', async () => {
    await install(examplePackage('nginx', '1.0.0'));
    const run = await install(examplePackage('nginx', '1.1.0'));
    expect(run.output).toMatchObject({ outcome: 'installed', version: '1.1.0', previousVersion: '1.0.0' });
    expect(await assets()).toEqual(await assetsOfCleanInstall(examplePackage('nginx', '1.1.0')));
    expect(await readRecord(target, 'nginx')).toMatchObject({ version: '1.1.0', status: 'installed', previousVersion: '1.0.0' });
  });
});

describe('install services: failures, resume, force and rollback', () => {
  it('a step failing twice is retried and the install completes', async () => {
    const pkg = await variant('nginx', '1.0.0', (m) => (m.faults = [{ step: 'index_templates_and_pipelines', times: 2 }]));
    const run = await install(pkg);
    expect(run.output.outcome).toBe('installed');
    expect(run.output.lastError).toMatchObject({ step: 'index_templates_and_pipelines', attempt: 2, kind: 'injected-fault' });
    expect(run.visited.filter((s) => s === 'installing.index_templates_and_pipelines.retrying')).toHaveLength(2);
    expect(await assets()).toEqual(await assetsOfCleanInstall(examplePackage('nginx', '1.0.0')));
  });

  it('a step failing past the limit ends failed; the record shows where; a second install resumes and cleans up', async () => {
    const pkg = await variant('nginx', '1.0.0', (m) => (m.faults = [{ step: 'index_templates_and_pipelines', times: 3, message: 'index template API returned 503' }]));
    const first = await install(pkg);
    expect(first.output).toMatchObject({ outcome: 'failed', latestExecutedState: 'ilm_policies', step: 'index_templates_and_pipelines', attempts: 3 });
    expect(first.output.lastError).toMatchObject({ step: 'index_templates_and_pipelines', message: 'index template API returned 503', attempt: 3 });
    const record = await readRecord(target, 'nginx');
    expect(record).toMatchObject({ status: 'failed', version: '1.0.0', latestExecutedState: 'ilm_policies', step: 'index_templates_and_pipelines', attempts: 3 });
    expect(record!.lastError).toMatchObject({ step: 'index_templates_and_pipelines', message: 'index template API returned 503' });
    // The failed attempt left a half-written step behind, as a crash would.
    const leftovers = await listFiles(join(target, 'index_templates', 'nginx'));
    expect(leftovers.some((f) => f.endsWith('.crashed.tmp'))).toBe(true);
    const kibanaBefore = await stat(join(target, 'dashboards/nginx/nginx-overview.json'));

    const second = await install(pkg);
    expect(second.output.outcome).toBe('installed');
    expect(second.snapshot.context.resumedFrom).toBe('index_templates_and_pipelines');
    expect(second.visited).not.toContain('installing.kibana_assets.running');
    expect(second.visited.find((s) => s.startsWith('installing.'))).toBe('installing.index_templates_and_pipelines.running');
    expect((await stat(join(target, 'dashboards/nginx/nginx-overview.json'))).mtimeMs).toBe(kibanaBefore.mtimeMs);
    expect(await assets()).toEqual(await assetsOfCleanInstall(examplePackage('nginx', '1.0.0')));
    expect(await readRecord(target, 'nginx')).toMatchObject({ status: 'installed', attempts: 1, lastError: null });
  });

  it('a non-retryable error kind fails at once', async () => {
    const pkg = await variant('nginx', '1.0.0', (m) => (m.faults = [{ step: 'kibana_assets', times: 5, errorKind: 'forbidden' }]));
    const run = await install(pkg, { retry: { ...retry, nonRetryable: ['forbidden'] } });
    expect(run.output).toMatchObject({ outcome: 'failed', attempts: 1, latestExecutedState: null });
    expect(run.output.lastError?.kind).toBe('forbidden');
  });

  it('force reinstalls from scratch, removing what an earlier attempt wrote', async () => {
    await install(examplePackage('nginx', '1.0.0'));
    await writeFile(join(target, 'dashboards/nginx/stray.json'), '{}');
    await writeFile(join(target, 'transforms/nginx/nginx-top-urls.json'), '{"tampered":true}');
    const noop = await runChecked<InstallInput, InstallContext, InstallOutput>(installMachine, installServices, {
      package: examplePackage('nginx', '1.0.0'),
      target,
      retry,
    });
    expect(noop.output.outcome).toBe('alreadyInstalled');
    // The invariant of alreadyInstalled sees the tampering: the files are no longer the package's, nor the record's.
    expect(noop.violations).toEqual([
      expect.stringMatching(/dashboards\/nginx\/stray\.json is not an asset of nginx@1\.0\.0/),
      expect.stringMatching(/transforms\/nginx\/nginx-top-urls\.json differs from elasticsearch\/transform\/nginx-top-urls\.json in the package/),
      expect.stringMatching(/transforms\/nginx\/nginx-top-urls\.json differs from the record's sha256/),
      expect.stringMatching(/dashboards\/nginx\/stray\.json is not listed in the record/),
    ]);
    const forced = await runChecked<InstallInput, InstallContext, InstallOutput>(installMachine, installServices, {
      package: examplePackage('nginx', '1.0.0'),
      target,
      force: true,
      retry,
    });
    expect(forced.violations).toEqual([]);
    expect(forced.visited).toContain('cleaningPrevious');
    expect(forced.output.outcome).toBe('installed');
    expect(await assets()).toEqual(await assetsOfCleanInstall(examplePackage('nginx', '1.0.0')));
  });

  it('force downgrades, and a failed upgrade rolls back to the previous version', async () => {
    await install(examplePackage('nginx', '1.1.0'));
    const refused = await install(examplePackage('nginx', '1.0.0'));
    expect(refused.output.outcome).toBe('preconditionFailed');
    expect(refused.output.lastError?.message).toMatch(/refusing to downgrade nginx from 1\.1\.0 to 1\.0\.0: pass force/);
    const down = await install(examplePackage('nginx', '1.0.0'), { force: true });
    expect(down.output).toMatchObject({ outcome: 'installed', version: '1.0.0' });
    expect(await assets()).toEqual(await assetsOfCleanInstall(examplePackage('nginx', '1.0.0')));
  });

  it('upgrade 1.0.0 → 1.1.0 failing at ml_models rolls back to exactly the 1.0.0 assets and record', async () => {
    await install(examplePackage('nginx', '1.0.0'));
    const before = await assets();
    const recordBefore = await readRecord(target, 'nginx');
    const pkg = await variant('nginx', '1.1.0', (m) => (m.faults = [{ step: 'ml_models', times: 10, message: 'model store unavailable' }]));
    const run = await install(pkg);
    expect(run.output).toMatchObject({ outcome: 'rolledBack', installedVersion: '1.0.0', previousVersion: '1.0.0', latestExecutedState: 'transforms' });
    expect(run.visited).toContain('rollingBack');
    expect(await assets()).toEqual(before);
    const record = await readRecord(target, 'nginx');
    expect(record).toMatchObject({ version: '1.0.0', status: 'installed', rolledBackFrom: '1.1.0', files: recordBefore!.files });
    expect(record!.lastError).toMatchObject({ step: 'ml_models', message: 'model store unavailable' });
    expect(await listFiles(join(target, '.installations', 'backups'))).toEqual([]);
    // 1.0.0 is installed again: the same version is a no-op.
    expect((await install(examplePackage('nginx', '1.0.0'))).output.outcome).toBe('alreadyInstalled');
  });

  it('a failed forced upgrade also rolls back (force backs up before it cleans)', async () => {
    await install(examplePackage('nginx', '1.0.0'));
    const before = await assets();
    const pkg = await variant('nginx', '1.1.0', (m) => (m.faults = [{ step: 'kibana_assets', times: 10 }]));
    const run = await install(pkg, { force: true });
    expect(run.output.outcome).toBe('rolledBack');
    expect(await assets()).toEqual(before);
  });
});

describe('install services: bad packages touch nothing', () => {
  const cases: [string, (m: Record<string, unknown>) => void, RegExp][] = [
    ['an unknown asset kind', (m) => ((m.assets as Record<string, unknown>).widgets = ['x.json']), /unknown asset kind "widgets": valid kinds are dashboards, /],
    ['a missing asset', (m) => ((m.assets as Record<string, string[]>).transforms = ['elasticsearch/transform/nope.json']), /asset "elasticsearch\/transform\/nope\.json" \(kind transforms\) is not in the package/],
    ['a bad version', (m) => (m.version = 'latest'), /"version" must be a semantic version such as "1\.2\.3", got "latest"/],
    ['an asset escaping the package', (m) => ((m.assets as Record<string, string[]>).transforms = ['../../etc/passwd']), /must be a relative path inside the package/],
  ];
  for (const [what, edit, message] of cases) {
    it(`a manifest with ${what} fails the preconditions with a clear error`, async () => {
      await install(examplePackage('nginx', '1.0.0'));
      const before = await hashTree(target);
      const run = await install(await variant('nginx', '1.0.0', edit));
      expect(run.output.outcome).toBe('preconditionFailed');
      expect(run.output.lastError).toMatchObject({ step: 'check_preconditions', kind: 'invalid-manifest' });
      expect(run.output.lastError!.message).toMatch(message);
      expect(await hashTree(target)).toEqual(before);
    });
  }

  it('a manifest that is not JSON, and a missing package, are named in the error', async () => {
    const pkg = await variant('nginx', '1.0.0', () => undefined);
    await writeFile(join(pkg, 'manifest.json'), '{ "name": "nginx", ');
    const bad = await install(pkg);
    expect(bad.output.lastError!.message).toMatch(new RegExp(`${pkg}/manifest.json is not valid JSON`));
    const missing = await install(join(dir, 'nope'));
    expect(missing.output.lastError!.message).toMatch(/package .*nope does not exist: pass a package directory or a \.tar\.gz/);
    expect(await listFiles(target)).toEqual([]);
  });
});

describe('install services: sandbox', () => {
  it('sandboxInput installs an example package under the given directory', async () => {
    const input = await installServices.sandboxInput(dir);
    expect(input.target.startsWith(dir)).toBe(true);
    const run = await runChecked<InstallInput, InstallContext, InstallOutput>(installMachine, installServices, input);
    expect(run.violations).toEqual([]);
    expect(run.output.outcome).toBe('installed');
  });
});
