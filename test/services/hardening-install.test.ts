/**
 * Careless and hostile layouts against the install services: a package and a target that overlap, a package whose
 * assets are symlinks (to a secret, say), a target whose asset directories are symlinks out of it. Each is refused
 * before anything is written or deleted, with one line naming both paths and what to do.
 */
import { cp, mkdir, mkdtemp, readFile, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { installMachine, type InstallContext, type InstallInput, type InstallOutput } from '../../machines/install.ts';
import { hashTree } from '../../src/services/install/fs.ts';
import { examplePackage, installServices } from '../../src/services/install/index.ts';
import { runChecked } from './helpers.ts';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'lk-hard-install-'));
});
afterEach(() => rm(dir, { recursive: true, force: true }));

async function install(pkg: string, target: string) {
  const input: InstallInput = { package: pkg, target, retry: { maxAttempts: 2, initialIntervalMs: 1, backoffRate: 1, maxIntervalMs: 1 } };
  const run = await runChecked<InstallInput, InstallContext, InstallOutput>(installMachine, installServices, input);
  return run.output;
}

/** A copy of the nginx example package at `to`. */
async function copyPackage(to: string) {
  await cp(examplePackage('nginx', '1.0.0'), to, { recursive: true });
  return to;
}

describe('package and target must not overlap', () => {
  it('a package inside the target is refused and left whole', async () => {
    const target = join(dir, 'stack');
    const pkg = await copyPackage(join(target, 'dashboards', 'nginx'));
    const before = await hashTree(pkg);
    const output = await install(pkg, target);
    expect(output.outcome).toBe('preconditionFailed');
    expect(output.lastError).toMatchObject({ step: 'check_preconditions', kind: 'paths-overlap' });
    expect(output.lastError!.message).toMatch(/^package .* and target .* overlap: the package lies inside the target; nothing was changed: install into a target directory/);
    expect(await hashTree(pkg)).toEqual(before);
  });

  it('target = the package is refused; so is a target reached through a symlink to the package', async () => {
    const pkg = await copyPackage(join(dir, 'pkg'));
    const before = await hashTree(pkg);
    expect((await install(pkg, pkg)).lastError!.message).toMatch(/are the same directory/);
    await symlink(pkg, join(dir, 'alias'));
    const output = await install(pkg, join(dir, 'alias'));
    expect(output.lastError).toMatchObject({ kind: 'paths-overlap' });
    expect(output.lastError!.message).toMatch(/target .*alias \(really .*pkg\) are the same directory/);
    expect(await hashTree(pkg)).toEqual(before);
  });

  it('a target inside the package is refused', async () => {
    const pkg = await copyPackage(join(dir, 'pkg'));
    const output = await install(pkg, join(pkg, 'out'));
    expect(output.lastError!.message).toMatch(/the target lies inside the package/);
    expect(await readdir(pkg)).not.toContain('out');
  });
});

describe('symlinks', () => {
  it('an asset of a package directory that is a symlink (to a secret) is refused like an archive link; nothing installed', async () => {
    const secret = join(dir, 'secret.json');
    await writeFile(secret, '{"password":"hunter2"}');
    const pkg = await copyPackage(join(dir, 'pkg'));
    const asset = join(pkg, 'kibana', 'dashboard', 'nginx-overview.json');
    await rm(asset);
    await symlink(secret, asset);
    const target = join(dir, 'stack');
    const output = await install(pkg, target);
    expect(output.lastError).toMatchObject({ step: 'check_preconditions', kind: 'unsafe-package' });
    expect(output.lastError!.message).toMatch(/"kibana\/dashboard\/nginx-overview\.json" is a symbolic link; a package directory may hold only regular files/);
    expect(await hashTree(target)).toEqual({});
  });

  it('a directory of the package that is a symlink is refused too', async () => {
    const pkg = await copyPackage(join(dir, 'pkg'));
    await cp(join(pkg, 'kibana'), join(dir, 'kibana-elsewhere'), { recursive: true });
    await rm(join(pkg, 'kibana'), { recursive: true });
    await symlink(join(dir, 'kibana-elsewhere'), join(pkg, 'kibana'));
    expect((await install(pkg, join(dir, 'stack'))).lastError!.message).toMatch(/"kibana" is a symbolic link/);
  });

  it("a target's asset directory that is a symlink out of the target is refused; what it points to is untouched", async () => {
    const outside = join(dir, 'outside');
    await mkdir(join(outside, 'nginx'), { recursive: true });
    await writeFile(join(outside, 'nginx', 'precious.txt'), 'keep me');
    const target = join(dir, 'stack');
    await mkdir(target);
    await symlink(outside, join(target, 'dashboards'));
    const output = await install(examplePackage('nginx', '1.0.0'), target);
    expect(output.lastError).toMatchObject({ kind: 'path-escapes' });
    expect(output.lastError!.message).toMatch(/the dashboards directory .*stack\/dashboards\/nginx would be written at .*outside\/nginx, outside .*stack: a symlink on the way points out of it/);
    expect(await readFile(join(outside, 'nginx', 'precious.txt'), 'utf8')).toBe('keep me');
  });
});

describe("the target's own directories must not alias one another", () => {
  it('an ilm_policies directory linked to the dashboards one is refused: a later step would empty the earlier one', async () => {
    const target = join(dir, 'stack');
    await mkdir(join(target, 'dashboards', 'nginx'), { recursive: true });
    await writeFile(join(target, 'dashboards', 'nginx', 'mine.json'), '{}');
    await mkdir(join(target, 'ilm_policies'), { recursive: true });
    await symlink(join(target, 'dashboards', 'nginx'), join(target, 'ilm_policies', 'nginx'));
    const output = await install(examplePackage('nginx', '1.0.0'), target);
    expect(output.lastError).toMatchObject({ step: 'check_preconditions', kind: 'paths-overlap' });
    expect(output.lastError!.message).toMatch(/dashboards directory .* and ilm_policies directory .*\(really .*dashboards\/nginx\) are the same directory; nothing was changed/);
    expect(await readdir(join(target, 'dashboards', 'nginx'))).toEqual(['mine.json']);
  });

  it('the records and backups directory linked into an asset directory is refused before a step empties it', async () => {
    const target = join(dir, 'stack');
    await mkdir(join(target, 'dashboards', 'nginx', 'records'), { recursive: true });
    await writeFile(join(target, 'dashboards', 'nginx', 'records', 'other.json'), '{}');
    await symlink(join(target, 'dashboards', 'nginx', 'records'), join(target, '.installations'));
    const output = await install(examplePackage('nginx', '1.0.0'), target);
    expect(output.lastError).toMatchObject({ kind: 'paths-overlap' });
    expect(output.lastError!.message).toMatch(/overlap: the installation records directory lies inside the dashboards directory/);
    expect(await readdir(join(target, 'dashboards', 'nginx', 'records'))).toEqual(['other.json']);
  });
});
