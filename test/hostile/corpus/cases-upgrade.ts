/**
 * Cases against `lifecycle run upgrade`: escaping and broken archives, health settings that would let a dead agent
 * pass, an artifact in the download folder and other hostile agent-home layouts, download peers that stall or never
 * end, and retry policies that would retry forever. The home is `<dir>/agent` (1.0.0 installed), the store
 * `<dir>/store`; every run that fails must leave the home as it found it.
 */
import { copyFileSync, mkdirSync, readFileSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tar from 'tar';
import { sha256 } from '../../../src/services/install/fs.ts';
import { buildArtifact, currentTarget, installAgent, layout, stopHomeAgent } from '../../../src/services/upgrade/index.ts';
import { canMount, type Invocation } from './cli.ts';
import { escape, type Case, type Ctx } from './case.ts';
import { agentHome } from './fixtures.ts';
import { onFullDisk } from './full-disk.ts';
import { startPeer, type PeerKind } from './peers.ts';

const store = (c: Ctx) => join(c.dir, 'store');

interface Source {
  path: string;
  sha256: string;
  version?: string;
  buildDate?: string;
}

/** `run upgrade` of `source` (default: the good 1.1.0) into a fresh home, after `layout(home, v1)` bent it. */
function upgrade(
  c: Ctx,
  home: string,
  source: Source,
  extra: Record<string, unknown> = {},
): Invocation {
  const input = {
    agentHome: home,
    source: source.path,
    sha256: source.sha256,
    targetVersion: source.version ?? '1.1.0',
    targetBuildDate: source.buildDate ?? '2024-03-01T00:00:00Z',
    gracePeriodMs: 1000,
    healthCheckIntervalMs: 100,
    retry: { maxAttempts: 1 },
    ...extra,
  };
  return { args: ['run', 'upgrade', '--store', store(c), '--input', JSON.stringify(input)] };
}

/** The home's `current` still names 1.0.0 afterwards. */
const stillV1 = async (c: Ctx) => {
  const now = await currentTarget(join(c.dir, 'agent'));
  return now?.includes('agent-1.0.0-') ? [] : [`current now points at ${now}`];
};

type Bend = (c: Ctx, home: string, v1: string) => Promise<Source | void> | Source | void;

/** A case of an upgrade that fails: the home's files stay as they were (only the store is written). */
function failing(id: string, cls: Case['cls'], bend: Bend, line: (c: Ctx) => RegExp, extra: Record<string, unknown> = {}, more: Partial<Case> = {}): Case {
  return {
    id,
    cls,
    async prepare(c) {
      const { home, v1 } = await agentHome(c.dir, c.fx, c.defer);
      const source = (await bend(c, home, v1)) ?? c.fx.artifacts.v2;
      return upgrade(c, home, source, extra);
    },
    line,
    writes: ['store'],
    after: stillV1,
    ...more,
  };
}

/** An input refused before anything runs: nothing is written at all, not even the store. */
function refusedInput(id: string, cls: Case['cls'], extra: Record<string, unknown>, line: RegExp): Case {
  return {
    id,
    cls,
    async prepare(c) {
      const { home } = await agentHome(c.dir, c.fx, c.defer);
      return upgrade(c, home, c.fx.artifacts.v2, extra);
    },
    line: () => line,
  };
}

const outside = (c: Ctx) => {
  const path = join(c.dir, 'elsewhere');
  mkdirSync(path, { recursive: true });
  writeFileSync(join(path, 'keep.txt'), 'mine');
  return path;
};

/** A file of our own as an artifact, with its real sha256. */
function ownArtifact(path: string): Source {
  return { path, sha256: sha256(readFileSync(path)) };
}

const peer = (kind: PeerKind, extra: Record<string, unknown>, line: RegExp, maxMs = 15_000): Case => ({
  id: `download peer: ${kind}`,
  cls: 'slow and endless peers',
  async prepare(c) {
    const { home } = await agentHome(c.dir, c.fx, c.defer);
    const p = await startPeer(kind);
    c.defer(() => p.close());
    return upgrade(c, home, { path: p.url, sha256: c.fx.artifacts.v2.sha256 }, extra);
  },
  line: () => line,
  writes: ['store'],
  maxMs,
});

export const upgradeCases: Case[] = [
  // Archives.
  failing('archive with ../ and a symlink to /etc/passwd', 'archive escapes', (c) => c.fx.artifacts.escaping, () => /refusing to extract .*escape.*(\.\.|\/etc\/passwd)/),
  failing('corrupt artifact (a flipped byte)', 'archive escapes', (c) => c.fx.artifacts.corrupt, () => /sha256|checksum/),
  failing('artifact that is not a tarball', 'archive escapes', (c) => (writeFileSync(join(c.dir, 'junk.tar.gz'), 'not a tarball at all'), ownArtifact(join(c.dir, 'junk.tar.gz'))), (c) => new RegExp(`${escape('junk.tar.gz')} is not a readable \\.tar\\.gz`)),
  failing(
    'archive with an absolute path entry',
    'archive escapes',
    async (c) => {
      // The entry names a file of the case directory by its absolute path; it is removed before the run, so an
      // extraction that honoured it would show as litter.
      const target = join(c.dir, 'written-by-the-archive.txt');
      writeFileSync(target, 'x');
      writeFileSync(join(c.dir, 'upgrade'), '#!/bin/sh\n');
      const file = join(c.dir, 'abs.tar.gz');
      await tar.c({ file, gzip: true, cwd: c.dir, preservePaths: true, portable: true }, ['upgrade', target]);
      unlinkSync(target);
      rmSync(join(c.dir, 'upgrade'));
      return ownArtifact(file);
    },
    () => /refusing to extract .*is an absolute path/,
  ),

  // Health settings: refused before the run; an agent that is not healthy is rolled back.
  refusedInput('gracePeriodMs 0', 'health checks and grace', { gracePeriodMs: 0 }, /gracePeriodMs \(0\) leaves no time/),
  refusedInput('probe timeout longer than the grace period', 'health checks and grace', { gracePeriodMs: 1000, healthCheckTimeoutMs: 5000 }, /healthCheckTimeoutMs \(5000\) does not fit in gracePeriodMs \(1000\)/),
  refusedInput('healthyProbes 0', 'health checks and grace', { healthyProbes: 0 }, /healthyProbes/),
  refusedInput('negative grace period', 'health checks and grace', { gracePeriodMs: -5 }, /gracePeriodMs/),
  refusedInput('more healthy probes than fit', 'health checks and grace', { gracePeriodMs: 300, healthyProbes: 5, healthCheckIntervalMs: 100 }, /leaves no time for healthyProbes \(5\)/),
  {
    id: 'an agent answering 503 is rolled back, --verify or not',
    cls: 'health checks and grace',
    async prepare(c) {
      const { home } = await agentHome(c.dir, c.fx, c.defer);
      const inv = upgrade(c, home, c.fx.artifacts.unhealthy);
      return { ...inv, args: [...inv.args, '--verify'] };
    },
    line: () => /rolledBack.*unhealthy|unhealthy.*roll/,
    // A rollback puts the state back as it was; the home's run/ and backups/ folders stay, empty.
    writes: ['store'],
    after: stillV1,
  },

  // The artifact and the home's layout.
  failing(
    'artifact inside <home>/downloads',
    'artifact in downloads and home layouts',
    (c, home) => {
      mkdirSync(layout.downloads(home), { recursive: true });
      copyFileSync(c.fx.artifacts.v2.path, join(layout.downloads(home), 'agent-1.1.0.tar.gz'));
      return { ...c.fx.artifacts.v2, path: join(layout.downloads(home), 'agent-1.1.0.tar.gz') };
    },
    () => /lies in the download folder .*nothing was changed: move the artifact out/,
  ),
  failing(
    'artifact reached through a symlink into <home>/downloads',
    'artifact in downloads and home layouts',
    (c, home) => {
      mkdirSync(layout.downloads(home), { recursive: true });
      copyFileSync(c.fx.artifacts.v2.path, join(layout.downloads(home), 'a.tar.gz'));
      symlinkSync(layout.downloads(home), join(c.dir, 'dl'));
      return { ...c.fx.artifacts.v2, path: join(c.dir, 'dl', 'a.tar.gz') };
    },
    () => /\(really .*downloads\/a\.tar\.gz\) lies in the download folder/,
  ),
  ...(['downloads', 'backups', 'bin', 'run'] as const).map((folder) =>
    failing(
      `<home>/${folder} linked out of the home`,
      'artifact in downloads and home layouts',
      (c, home) => {
        rmSync(join(home, folder), { recursive: true, force: true });
        symlinkSync(outside(c), join(home, folder));
      },
      () => new RegExp(`${folder} folder .* would be written at .*elsewhere.*nothing was changed`),
    ),
  ),
  failing(
    "<home>/backups linked into the running version's state",
    'artifact in downloads and home layouts',
    (_c, home, v1) => symlinkSync(join(v1, 'state'), layout.backups(home)),
    () => /backups folder .* overlap: the backups folder lies inside the data folder/,
  ),
  failing(
    'current pointing out of the home',
    'artifact in downloads and home layouts',
    (c, home, v1) => {
      const copy = join(c.dir, 'agent-1.0.0-copy');
      mkdirSync(copy);
      for (const f of ['agent.json']) copyFileSync(join(v1, f), join(copy, f));
      unlinkSync(layout.current(home));
      symlinkSync(copy, layout.current(home));
    },
    () => /the running version .*agent-1\.0\.0-copy is not a directory of .*data/,
    {},
    { after: () => [] },
  ),
  failing(
    'a version directory already there, linked out of the home',
    'artifact in downloads and home layouts',
    (c, home) => symlinkSync(outside(c), join(layout.data(home), `agent-1.1.0-${c.fx.artifacts.v2.sha256.slice(0, 6)}`)),
    () => /the extracted version .* \(really .*elsewhere\) is not a directory of/,
  ),

  {
    id: 'a home given through a symlink, current an absolute link: an unhealthy agent is rolled back',
    cls: 'artifact in downloads and home layouts',
    async prepare(c) {
      const { home, v1 } = await agentHome(c.dir, c.fx, c.defer);
      unlinkSync(layout.current(home));
      symlinkSync(v1, layout.current(home));
      symlinkSync(home, join(c.dir, 'alias'));
      return upgrade(c, join(c.dir, 'alias'), c.fx.artifacts.unhealthy);
    },
    line: () => /rolledBack.*unhealthy/,
    // The rollback puts back a relative `current` to the same directory.
    writes: ['store', 'agent/current'],
    after: stillV1,
  },
  {
    id: 'a forced reinstall of the running version through a symlinked home, refused at the hand-off',
    cls: 'artifact in downloads and home layouts',
    async prepare(c) {
      // The same bytes as the running version: the extraction finds its directory; the cleanup after the refused
      // hand-off must not delete what `current` points at (it did, before: data lost).
      const refusing = await buildArtifact(join(c.dir, 'artifacts'), { version: '1.0.0', buildDate: '2024-01-10T00:00:00Z', refuseHandoff: 'not today' });
      const home = join(c.dir, 'agent');
      const running = await installAgent(home, refusing.path, '1.0.0');
      c.defer(() => stopHomeAgent(home));
      unlinkSync(layout.current(home));
      symlinkSync(running, layout.current(home));
      symlinkSync(home, join(c.dir, 'alias'));
      return upgrade(c, join(c.dir, 'alias'), { ...refusing, buildDate: refusing.buildDate }, { force: true, targetVersion: '1.0.0' });
    },
    line: () => /handOff .*not today/,
    writes: ['store'],
    after: stillV1,
  },

  failing('source missing', 'vague fs errors', (c) => ({ path: join(c.dir, 'nope.tar.gz'), sha256: c.fx.artifacts.v2.sha256 }), () => /artifact .*nope\.tar\.gz does not exist/),
  failing('source is a folder', 'vague fs errors', (c) => (mkdirSync(join(c.dir, 'dir.tar.gz')), { path: join(c.dir, 'dir.tar.gz'), sha256: c.fx.artifacts.v2.sha256 }), () => /dir\.tar\.gz is not a regular file/),
  failing('current is a regular file', 'vague fs errors', (_c, home) => (unlinkSync(layout.current(home)), writeFileSync(layout.current(home), 'x')), () => /current/, {}, { after: () => [] }),
  failing('no agent home', 'vague fs errors', (c, home) => void rmSync(home, { recursive: true }), () => /agent.*(does not exist|install an agent)/, {}, { after: () => [] }),
  ...([
    [8, 'the extraction'],
    [0, 'the download'],
  ] as const).map(([free, what]) =>
    onFullDisk(`the agent home on a full disk: ${what} fails, nothing left behind`, 'vague fs errors', free, async (c, at) => {
      const { home } = await agentHome(join(c.dir, 'build'), c.fx, c.defer);
      return { tree: home, inv: upgrade(c, at, c.fx.artifacts.v2) };
    }, /full\/tree.*: no space left on the device \(ENOSPC\): free some space/),
  ),

  // Download peers on loopback that misbehave; each run must end within its bounds.
  peer('no-headers', { downloadIdleTimeoutMs: 300 }, /stalled: no answer for 300 ms/),
  peer('half-then-stall', { downloadIdleTimeoutMs: 300 }, /stalled: no bytes for 300 ms \(2000 bytes received\)/),
  peer('trickle', { downloadIdleTimeoutMs: 300, downloadTimeoutMs: 800 }, /did not finish within 800 ms/),
  peer('endless', { maxDownloadBytes: 1024 * 1024 }, /more than the 1 MiB allowed: pass a larger maxDownloadBytes/),
  peer('too-long', { maxDownloadBytes: 1024 * 1024 }, /\(Content-Length\), more than the 1 MiB allowed/),
  peer('reset', {}, /broke off after|ended after 2000 of 4000 bytes/),
  peer('not-found', {}, /answered 404/),
  refusedInput('a source on another host', 'slow and endless peers', { source: 'http://example.com/agent.tar.gz' }, /source.*host must be 127\.0\.0\.1/),
  refusedInput('an https source', 'slow and endless peers', { source: 'https://127.0.0.1/agent.tar.gz' }, /source.*only http:\/\//),

  // Retry policies that would retry forever or fail with a guard's error.
  ...(
    [
      [{ maxAttempts: 'x' }, /retry\.maxAttempts must be a whole number .*found "x"/],
      [{ maxAttempts: 0 }, /retry\.maxAttempts must be/],
      [{ maxAttempts: 1e9 }, /retry\.maxAttempts must be/],
      [{ nonRetryable: 5 }, /retry\.nonRetryable must be/],
      [{ nonRetryable: [5] }, /retry\.nonRetryable must be/],
      [{ backoffRate: -1 }, /retry\.backoffRate must be/],
      [{ initialIntervalMs: 'soon' }, /retry\.initialIntervalMs must be/],
      [{ jitter: 7 }, /retry\.jitter must be/],
      [{ forever: true }, /retry has unknown field "?forever"?/],
      ['fast', /retry must be a retry policy object/],
    ] as const
  ).map(([retry, line]) => refusedInput(`retry ${JSON.stringify(retry)}`, 'bad input and retry policies', { retry }, line)),
];
