/**
 * Cases against the run store: corrupt and `null` files, files that are folders, a store that is a file, read-only
 * and full filesystems, a lock held by a live process, output paths that are folders. The store of a case lives at
 * `<dir>/store`; a run's work directory at `<dir>/work`.
 */
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { canMount, isRoot } from './cli.ts';
import { escape, type Case, type Ctx } from './case.ts';
import { STEPS } from './fixtures.ts';

const store = (c: Ctx) => join(c.dir, 'store');
const stepsInput = (c: Ctx) => JSON.stringify({ steps: 2, dir: join(c.dir, 'work') });
const run = (c: Ctx) => ['run', STEPS, '--store', store(c), '--input', stepsInput(c)];

/** A store holding a run that succeeded (meta and final snapshot), made read-only by the invocation. */
function finished(c: Ctx): void {
  interrupted(c, savedSnapshot({ status: 'done', value: 'done', context: { steps: 2, dir: join(c.dir, 'work') }, children: {}, historyValue: {} }));
  const meta = JSON.parse(readFileSync(join(store(c), 'run.json'), 'utf8')) as Record<string, unknown>;
  writeFileSync(join(store(c), 'run.json'), JSON.stringify({ ...meta, status: 'succeeded' }));
}

/** A store holding an interrupted run of the steps machine, with `snapshot` as its snapshot.json text (none: absent). */
function interrupted(c: Ctx, snapshot?: string, meta?: string): void {
  mkdirSync(store(c), { recursive: true });
  const now = new Date().toISOString();
  writeFileSync(
    join(store(c), 'run.json'),
    meta ?? JSON.stringify({ version: 1, lifecycle: STEPS, input: { steps: 2, dir: join(c.dir, 'work') }, started: now, updated: now, status: 'interrupted', pid: 999_999_999, resumes: 0, options: { verify: false, timeoutMs: null } }),
  );
  if (snapshot !== undefined) writeFileSync(join(store(c), 'snapshot.json'), snapshot);
}

const savedSnapshot = (snapshot: unknown) => JSON.stringify({ version: 1, savedAt: new Date().toISOString(), snapshot });

const corruptSnapshot = (id: string, text: string, says: RegExp, cls: Case['cls'] = 'store corruption'): Case => ({
  id,
  cls,
  prepare: (c) => (interrupted(c, text), { args: ['resume', '--store', store(c)] }),
  line: (c) => new RegExp(`${escape(join(store(c), 'snapshot.json'))}.*${says.source}`),
});

const ro = (path: string) => `mount --bind "${path}" "${path}" && mount -o remount,bind,ro "${path}"`;
const noMount = () => (canMount ? null : 'no mount namespace (unshare -rm) on this machine');
const notRoot = () => (isRoot ? null : 'needs root to run the command as another user (uid 65534)');

export const storeCases: Case[] = [
  corruptSnapshot('snapshot is garbage', '{"version":1,"snap', /not valid JSON|unreadable|truncated/),
  corruptSnapshot('snapshot is truncated mid-file', savedSnapshot({ status: 'active', value: 'working', context: {} }).slice(0, 40), /not valid JSON|unreadable|truncated/),
  corruptSnapshot('snapshot is an array', '[]', /not a saved snapshot|unreadable/),
  corruptSnapshot('snapshot holds a state the machine lacks', savedSnapshot({ status: 'active', value: 'nowhere', context: {}, children: {}, historyValue: {} }), /does not fit|nowhere/),
  corruptSnapshot('snapshot.json holds null', 'null', /null|not a saved snapshot/, 'null snapshot'),
  corruptSnapshot('snapshot.json holds a saved snapshot of null', savedSnapshot(null), /null|not a saved snapshot/, 'null snapshot'),
  {
    id: 'run.json holds null',
    cls: 'null snapshot',
    prepare: (c) => (interrupted(c, undefined, 'null'), { args: ['resume', '--store', store(c)] }),
    line: (c) => new RegExp(escape(join(store(c), 'run.json'))),
  },
  {
    id: 'run.json is garbage (status)',
    cls: 'store corruption',
    prepare: (c) => (interrupted(c, undefined, '{"version":1,'), { args: ['status', '--store', store(c)] }),
    line: (c) => new RegExp(escape(join(store(c), 'run.json'))),
  },
  {
    id: 'run.json names no lifecycle',
    cls: 'store corruption',
    prepare: (c) => (interrupted(c, undefined, '{"version":1,"status":"interrupted"}'), { args: ['resume', '--store', store(c)] }),
    line: (c) => new RegExp(escape(join(store(c), 'run.json'))),
  },

  corruptSnapshot('snapshot is 1 MB of garbage', `{"version":1,"snapshot":${'x'.repeat(1024 * 1024)}`, /not valid JSON|unreadable|truncated/),
  {
    id: 'run.json of a future store format',
    cls: 'store corruption',
    prepare: (c) => {
      interrupted(c);
      const meta = JSON.parse(readFileSync(join(store(c), 'run.json'), 'utf8')) as Record<string, unknown>;
      writeFileSync(join(store(c), 'run.json'), JSON.stringify({ ...meta, version: 2 }));
      return { args: ['resume', '--store', store(c)] };
    },
    line: (c) => new RegExp(`${escape(join(store(c), 'run.json'))}.*version`),
  },
  {
    id: 'status --json of a corrupt store',
    cls: 'store corruption',
    prepare: (c) => (interrupted(c, undefined, '{"version":1,'), { args: ['status', '--json', '--store', store(c)] }),
    line: (c) => new RegExp(escape(join(store(c), 'run.json'))),
  },
  {
    id: '--input that is not JSON',
    cls: 'bad input and retry policies',
    prepare: (c) => ({ args: ['run', 'install', '--store', store(c), '--input', '{"package": '] }),
    line: () => /--input/,
  },
  {
    id: '--input holding a 1 MB path',
    cls: 'vague fs errors',
    // A file: one argument of 1 MB is more than exec allows (E2BIG).
    prepare: (c) => {
      writeFileSync(join(c.dir, 'input.json'), JSON.stringify({ package: `/${'p'.repeat(1024 * 1024)}`, target: join(c.dir, 'stack') }));
      return { args: ['run', 'install', '--store', store(c), '--input', join(c.dir, 'input.json')] };
    },
    line: () => /p…p|…/,
    writes: ['store'],
    after: (_c, proc) => (proc.stderr.length > 600 ? [`the error line is ${proc.stderr.length} characters long`] : []),
  },

  // The lock.
  {
    id: 'lock held by a live process',
    cls: 'lock races',
    prepare: (c) => {
      mkdirSync(store(c), { recursive: true });
      writeFileSync(join(store(c), 'lock'), JSON.stringify({ pid: process.pid, since: new Date().toISOString() }));
      return { args: run(c) };
    },
    line: () => new RegExp(`locked by a running process \\(pid ${process.pid}`),
  },
  {
    id: 'lock is a directory',
    cls: 'vague fs errors',
    prepare: (c) => (mkdirSync(join(store(c), 'lock'), { recursive: true }), { args: run(c) }),
    line: (c) => new RegExp(`${escape(join(store(c), 'lock'))} is not a (regular )?file`),
  },

  // Files and folders in the wrong place.
  {
    id: 'store path is a file',
    cls: 'vague fs errors',
    prepare: (c) => (writeFileSync(store(c), 'x'), { args: run(c) }),
    line: (c) => new RegExp(`${escape(store(c))}.* is a file`),
  },
  {
    id: 'store below a file',
    cls: 'vague fs errors',
    prepare: (c) => (writeFileSync(join(c.dir, 'file'), 'x'), { args: ['run', STEPS, '--store', join(c.dir, 'file', 'store'), '--input', stepsInput(c)] }),
    line: (c) => new RegExp(`${escape(join(c.dir, 'file'))} is a file`),
  },
  {
    id: 'journal is a directory',
    cls: 'vague fs errors',
    prepare: (c) => (mkdirSync(join(store(c), 'journal.jsonl'), { recursive: true }), { args: run(c) }),
    line: (c) => new RegExp(`${escape(join(store(c), 'journal.jsonl'))} is not a (regular )?file`),
  },
  {
    id: 'snapshot is a directory',
    cls: 'vague fs errors',
    prepare: (c) => (interrupted(c), mkdirSync(join(store(c), 'snapshot.json')), { args: ['resume', '--store', store(c)] }),
    line: (c) => new RegExp(`${escape(join(store(c), 'snapshot.json'))} is .*a folder, not a file`),
  },
  {
    id: 'store under /proc',
    cls: 'loaders',
    prepare: () => ({ args: ['run', STEPS, '--store', '/proc/lifecycle-kit-hostile/store', '--input', '{"steps":1,"dir":"/tmp/lk-never"}'] }),
    line: () => /\/proc\/lifecycle-kit-hostile.*(does not allow|cannot create)/,
    maxMs: 10_000,
  },
  {
    id: '-o onto a directory',
    cls: 'vague fs errors',
    prepare: (c) => (mkdirSync(join(c.dir, 'out')), { args: ['diagram', 'install', '-o', join(c.dir, 'out')] }),
    line: (c) => new RegExp(`${escape(join(c.dir, 'out'))} is a folder, not a file \\(EISDIR\\)`),
  },
  {
    id: '-o below a file',
    cls: 'vague fs errors',
    prepare: (c) => (writeFileSync(join(c.dir, 'file'), ''), { args: ['diagram', 'install', '-o', join(c.dir, 'file', 'install.mmd')] }),
    line: (c) => new RegExp(`${escape(join(c.dir, 'file'))} is a file, not a folder`),
  },
  {
    id: '--input names a folder',
    cls: 'vague fs errors',
    prepare: (c) => (mkdirSync(join(c.dir, 'folder')), { args: ['run', STEPS, '--store', store(c), '--input', join(c.dir, 'folder')] }),
    line: (c) => new RegExp(`--input file ${escape(join(c.dir, 'folder'))}: .*is a folder`),
  },

  // Read-only and full filesystems: a mount in a namespace (EROFS, ENOSPC), or another user (EACCES) since root
  // ignores permissions.
  {
    id: 'read-only store (EROFS)',
    cls: 'vague fs errors',
    skip: noMount,
    prepare: (c) => (mkdirSync(store(c)), { args: run(c), mounts: ro(store(c)) }),
    line: (c) => new RegExp(`${escape(store(c))}.*read-only \\(EROFS\\): choose a path on a writable filesystem`),
  },
  {
    id: 'read-only store (EACCES, another user)',
    cls: 'vague fs errors',
    skip: notRoot,
    prepare: (c) => {
      chmodSync(c.dir, 0o755);
      mkdirSync(store(c), { mode: 0o555 });
      mkdirSync(join(c.dir, 'work'), { mode: 0o777 });
      return { args: run(c), asNobody: true };
    },
    line: (c) => new RegExp(`${escape(store(c))}.*permission denied \\(EACCES\\)`),
  },
  // Issue 12, item 3: resume on a finished run whose store is read-only.
  {
    id: 'resume of a finished run, read-only store (EROFS)',
    cls: 'vague fs errors',
    skip: noMount,
    prepare: (c) => (finished(c), { args: ['resume', '--store', store(c)], mounts: ro(store(c)) }),
    code: 0,
    line: (c) => new RegExp(`^nothing to resume: the .* run in ${escape(store(c))} already succeeded`),
  },
  {
    id: 'resume of a finished run, store not writable (EACCES, another user)',
    cls: 'vague fs errors',
    skip: notRoot,
    prepare: (c) => {
      chmodSync(c.dir, 0o755);
      finished(c);
      chmodSync(store(c), 0o555);
      return { args: ['resume', '--store', store(c)], asNobody: true };
    },
    code: 0,
    line: (c) => new RegExp(`^nothing to resume: the .* run in ${escape(store(c))} already succeeded`),
  },
  {
    id: 'full disk (ENOSPC)',
    cls: 'vague fs errors',
    skip: noMount,
    prepare: (c) => {
      mkdirSync(join(c.dir, 'full'));
      const fill = `mount -t tmpfs -o size=64k tmpfs "${c.dir}/full" && mkdir "${c.dir}/full/store" && { head -c 1048576 /dev/zero > "${c.dir}/full/fill" 2>/dev/null || true; }`;
      return { args: ['run', STEPS, '--store', join(c.dir, 'full', 'store'), '--input', stepsInput(c)], mounts: fill };
    },
    line: (c) => new RegExp(`${escape(join(c.dir, 'full', 'store'))}.*no space left on the device \\(ENOSPC\\)`),
  },
];
