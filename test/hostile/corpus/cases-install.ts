/**
 * Cases against `lifecycle run install`: a package and a target that overlap (the step's cleanup would delete the
 * package), symlinks in the package or the target, directories of the target that alias one another, a 1 MB
 * manifest name. The package is a copy of the nginx example at `<dir>/pkg` unless the case puts it elsewhere.
 */
import { chmodSync, cpSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Case, Ctx } from './case.ts';
import { onFullDisk } from './full-disk.ts';

const store = (c: Ctx) => join(c.dir, 'store');

function install(c: Ctx, pkg: string, target: string) {
  return { args: ['run', 'install', '--store', store(c), '--input', JSON.stringify({ package: pkg, target, retry: { maxAttempts: 1 } })] };
}

const copyPackage = (c: Ctx, to: string) => (cpSync(c.fx.nginx, to, { recursive: true }), to);

/** A refused install: only the store is written; the package, the target and what lies around them are not. */
function refused(id: string, cls: Case['cls'], layout: (c: Ctx) => { pkg: string; target: string }, line: RegExp): Case {
  return { id, cls, prepare: (c) => { const { pkg, target } = layout(c); return install(c, pkg, target); }, line: () => line, writes: ['store'] };
}

export const installCases: Case[] = [
  refused('target = the package', 'package/target overlap', (c) => { const p = copyPackage(c, join(c.dir, 'pkg')); return { pkg: p, target: p }; }, /are the same directory; nothing was changed/),
  refused(
    'package inside the target',
    'package/target overlap',
    (c) => ({ pkg: copyPackage(c, join(c.dir, 'stack', 'dashboards', 'nginx')), target: join(c.dir, 'stack') }),
    /the package lies inside the target/,
  ),
  refused('target inside the package', 'package/target overlap', (c) => ({ pkg: copyPackage(c, join(c.dir, 'pkg')), target: join(c.dir, 'pkg', 'out') }), /the target lies inside the package/),
  refused(
    'target a symlink to the package',
    'package/target overlap',
    (c) => {
      const pkg = copyPackage(c, join(c.dir, 'pkg'));
      symlinkSync(pkg, join(c.dir, 'alias'));
      return { pkg, target: join(c.dir, 'alias') };
    },
    /alias \(really .*pkg\) are the same directory/,
  ),
  refused(
    'an asset of the package linked to a secret',
    'package/target overlap',
    (c) => {
      const pkg = copyPackage(c, join(c.dir, 'pkg'));
      writeFileSync(join(c.dir, 'secret.json'), '{"password":"hunter2"}');
      const asset = join(pkg, 'kibana', 'dashboard', 'nginx-overview.json');
      rmSync(asset);
      symlinkSync(join(c.dir, 'secret.json'), asset);
      return { pkg, target: join(c.dir, 'stack') };
    },
    /nginx-overview\.json" is a symbolic link; a package directory may hold only regular files/,
  ),
  refused(
    "a target's asset directory linked out of the target",
    'package/target overlap',
    (c) => {
      mkdirSync(join(c.dir, 'outside', 'nginx'), { recursive: true });
      writeFileSync(join(c.dir, 'outside', 'nginx', 'precious.txt'), 'keep me');
      mkdirSync(join(c.dir, 'stack'));
      symlinkSync(join(c.dir, 'outside'), join(c.dir, 'stack', 'dashboards'));
      return { pkg: c.fx.nginx, target: join(c.dir, 'stack') };
    },
    /the dashboards directory .* would be written at .*outside\/nginx, outside .*stack/,
  ),
  refused(
    "two asset directories of the target that are one",
    'package/target overlap',
    (c) => {
      mkdirSync(join(c.dir, 'stack', 'dashboards', 'nginx'), { recursive: true });
      writeFileSync(join(c.dir, 'stack', 'dashboards', 'nginx', 'mine.json'), '{}');
      mkdirSync(join(c.dir, 'stack', 'ilm_policies'));
      symlinkSync(join(c.dir, 'stack', 'dashboards', 'nginx'), join(c.dir, 'stack', 'ilm_policies', 'nginx'));
      return { pkg: c.fx.nginx, target: join(c.dir, 'stack') };
    },
    /dashboards directory .* and ilm_policies directory .* are the same directory/,
  ),
  refused(
    'the records directory linked into an asset directory',
    'package/target overlap',
    (c) => {
      mkdirSync(join(c.dir, 'stack', 'dashboards', 'nginx', 'records'), { recursive: true });
      writeFileSync(join(c.dir, 'stack', 'dashboards', 'nginx', 'records', 'other.json'), '{}');
      symlinkSync(join(c.dir, 'stack', 'dashboards', 'nginx', 'records'), join(c.dir, 'stack', '.installations'));
      return { pkg: c.fx.nginx, target: join(c.dir, 'stack') };
    },
    /the installation records directory lies inside the dashboards directory/,
  ),
  refused('package missing', 'vague fs errors', (c) => ({ pkg: join(c.dir, 'nope'), target: join(c.dir, 'stack') }), /nope/),
  refused(
    'manifest.json that is not JSON',
    'vague fs errors',
    (c) => {
      const pkg = copyPackage(c, join(c.dir, 'pkg'));
      writeFileSync(join(pkg, 'manifest.json'), '{"name": ');
      return { pkg, target: join(c.dir, 'stack') };
    },
    /pkg\/manifest\.json/,
  ),
  refused('target is a file', 'vague fs errors', (c) => (writeFileSync(join(c.dir, 'stack'), 'x'), { pkg: c.fx.nginx, target: join(c.dir, 'stack') }), /target .*stack is not a directory/),
  refused(
    "the target's records directory is a file",
    'vague fs errors',
    (c) => {
      mkdirSync(join(c.dir, 'stack'));
      writeFileSync(join(c.dir, 'stack', '.installations'), 'x');
      return { pkg: c.fx.nginx, target: join(c.dir, 'stack') };
    },
    /stack\/\.installations/,
  ),
  refused(
    'an installation record that is garbage',
    'store corruption',
    (c) => {
      mkdirSync(join(c.dir, 'stack', '.installations'), { recursive: true });
      writeFileSync(join(c.dir, 'stack', '.installations', 'nginx.json'), '{"name":');
      return { pkg: c.fx.nginx, target: join(c.dir, 'stack') };
    },
    /installation record .*nginx\.json is not valid JSON/,
  ),
  {
    id: 'target not writable (another user)',
    cls: 'vague fs errors',
    skip: () => (process.getuid?.() === 0 ? null : 'needs root to run as another user'),
    prepare: (c) => {
      // The case directory open to uid 65534 (its store goes there), the target not.
      chmodSync(c.dir, 0o777);
      mkdirSync(join(c.dir, 'stack'), { mode: 0o555 });
      return { ...install(c, c.fx.nginx, join(c.dir, 'stack')), asNobody: true };
    },
    line: () => /target .*stack is not writable/,
    writes: ['store'],
  },
  onFullDisk('a target on a full disk', 'vague fs errors', 4, async (c, at) => {
    mkdirSync(join(c.dir, 'build', 'stack'), { recursive: true });
    return { tree: join(c.dir, 'build', 'stack'), inv: install(c, c.fx.nginx, at) };
  },
  /full\/tree.*: no space left on the device \(ENOSPC\): free some space/,
  // A failed install keeps what its step wrote, by design (the next attempt's step removes it first): no temp files.
  (entry) => /^tree\/(\.installations|[a-z_]+(\/nginx(\/[^/]+\.json)?)?)$/.test(entry)),
  {
    ...refused(
      'a 1 MB manifest name',
      'vague fs errors',
      (c) => {
        const pkg = copyPackage(c, join(c.dir, 'pkg'));
        const manifest = JSON.parse(readFileSync(join(pkg, 'manifest.json'), 'utf8')) as Record<string, unknown>;
        writeFileSync(join(pkg, 'manifest.json'), JSON.stringify({ ...manifest, name: 'n'.repeat(1024 * 1024) }));
        return { pkg, target: join(c.dir, 'stack') };
      },
      /manifest.*name.*n…n|name .*…/,
    ),
    after: (_c, proc) => (proc.stderr.length > 600 ? [`the error line is ${proc.stderr.length} characters long (a 1 MB value echoed)`] : []),
  },
];
