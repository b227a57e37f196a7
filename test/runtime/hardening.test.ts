/**
 * Hardening of the runtime's store against races, hostile files and stalls (issue 12): the lock, snapshot.json
 * holding JSON that is not a snapshot, filesystem errors a user can cause, bounded error lines.
 */
import { spawn } from 'node:child_process';
import { existsSync, fstatSync, mkdirSync, mkdtempSync, openSync, closeSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync, utimesSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { UserError, clip, toErrorLine } from '../../src/errors.ts';
import { writeFileAtomic } from '../../src/io/atomic-write.ts';
import { ensureDir } from '../../src/io/fs-errors.ts';
import { DirectoryStore } from '../../src/runtime/directory-store.ts';
import { acquireLock, readLock, releaseLock } from '../../src/runtime/lock-file.ts';
import { MemoryStore } from '../../src/runtime/memory-store.ts';
import { resumeRun, startRun } from '../../src/runtime/runs.ts';
import { stepsMachine } from './fixtures/machines.ts';
import { bundleLock, raceForLock, removeBundle } from './lock-race.ts';

const temps: string[] = [];
/** A temp dir, removed after the file's tests. */
function temp(): string {
  const dir = mkdtempSync(join(tmpdir(), 'lk-hard-'));
  temps.push(dir);
  return dir;
}
afterAll(() => {
  for (const dir of temps.splice(0)) rmSync(dir, { recursive: true, force: true });
});
const DEAD_PID = 999_999_999;
const deadLock = (path: string) => writeFileSync(path, JSON.stringify({ pid: DEAD_PID, since: '2020-01-01T00:00:00.000Z' }));
const lockId = (path: string) => {
  const fd = openSync(path, 'r');
  try {
    const s = fstatSync(fd, { bigint: true });
    return `${s.ino}-${s.mtimeNs}-${s.size}`;
  } finally {
    closeSync(fd);
  }
};

describe('the store lock under a race of many processes', () => {
  // 20 racers per trial: plain Node processes released by a barrier in the same millisecond. Before the fix (an
  // empty lock between its exclusive create and its write was taken over as stale) two of three free-store trials
  // of 24 gave the lock to two processes. (The figures of many more trials: docs/runtime.md, "One run per store".)
  const bundle = bundleLock();
  afterAll(() => removeBundle(bundle));

  it('a free store: exactly one of 20 racers gets it, twice over', { timeout: 40_000 }, async () => {
    for (let trial = 0; trial < 2; trial++) {
      const result = await raceForLock(bundle, 20);
      expect(result).toEqual({ got: 1, refused: 19, lost: 0, errors: [] });
    }
  });

  it('a stale lock (dead holder): exactly one of 20 racers takes it over', { timeout: 40_000 }, async () => {
    expect(await raceForLock(bundle, 20, deadLock)).toEqual({ got: 1, refused: 19, lost: 0, errors: [] });
  });

  it('an old empty lock (a crash of an older writer): exactly one of 12 racers takes it over', { timeout: 40_000 }, async () => {
    const result = await raceForLock(bundle, 12, (path) => {
      writeFileSync(path, '');
      utimesSync(path, new Date(0), new Date(0));
    });
    expect(result).toEqual({ got: 1, refused: 11, lost: 0, errors: [] });
  });
});

describe('the store lock', () => {
  it('an empty lock just created counts as held for the grace period: its writer finishing wins', async () => {
    const dir = temp();
    const path = join(dir, 'lock');
    writeFileSync(path, '');
    // Another process fills in the lock 200 ms later, as a writer between its create and its write would.
    const writer = spawn(process.execPath, [
      '-e',
      `setTimeout(() => { require('fs').writeFileSync(${JSON.stringify(path)}, JSON.stringify({ pid: process.pid, since: 'now' })); setTimeout(() => {}, 10000); }, 200)`,
    ]);
    try {
      await new Promise((r) => setTimeout(r, 50));
      expect(() => acquireLock(path, 'store s', { graceMs: 3000 })).toThrow(new RegExp(`^store s is locked by a running process \\(pid ${writer.pid}, since now\\)`));
      expect(readLock(path)!.pid).toBe(writer.pid);
    } finally {
      writer.kill('SIGKILL');
    }
  });

  it('an empty lock older than the grace period is stale: taken over, no litter', () => {
    const dir = temp();
    const path = join(dir, 'lock');
    writeFileSync(path, '');
    const started = Date.now();
    acquireLock(path, 'store s', { graceMs: 300 });
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
    expect(readLock(path)!.pid).toBe(process.pid);
    releaseLock(path);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('a stale takeover left unfinished by a dead process does not block the store', () => {
    const dir = temp();
    const path = join(dir, 'lock');
    deadLock(path);
    writeFileSync(`${path}.takeover-${lockId(path)}`, JSON.stringify({ pid: DEAD_PID, since: 'then' }));
    writeFileSync(`${path}.${DEAD_PID}.3.tmp`, 'half');
    acquireLock(path, 'store s');
    expect(readLock(path)!.pid).toBe(process.pid);
    releaseLock(path);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('a lock that is a folder: one line naming it, nothing moved', () => {
    const dir = temp();
    mkdirSync(join(dir, 'lock'));
    expect(() => new DirectoryStore(dir).lock()).toThrow(UserError);
    expect(() => new DirectoryStore(dir).lock()).toThrow(new RegExp(`^store ${dir}: its lock ${dir}/lock is not a file .*remove it`));
    expect(readdirSync(dir)).toEqual(['lock']);
  });
});

describe('snapshot.json and run.json holding JSON that is not theirs', () => {
  const meta = (dir: string) => ({
    version: 1,
    lifecycle: 'steps',
    input: { steps: 1, dir },
    started: new Date(0).toISOString(),
    updated: new Date(0).toISOString(),
    status: 'interrupted',
    pid: DEAD_PID,
    resumes: 0,
    options: { verify: false, timeoutMs: null },
  });

  for (const content of ['null', '0', '"text"', '[]', 'true']) {
    it(`snapshot.json holding ${content} is unreadable, not "no snapshot": resume refuses, nothing changed`, async () => {
      const dir = temp();
      writeFileSync(join(dir, 'run.json'), JSON.stringify(meta(dir)));
      writeFileSync(join(dir, 'snapshot.json'), content);
      const before = readdirSync(dir).map((f) => [f, readFileSync(join(dir, f), 'utf8')]);
      const store = new DirectoryStore(dir);
      expect(() => store.loadSnapshot()).toThrow(new RegExp(`^snapshot ${dir}/snapshot.json is unreadable`));
      await expect(resumeRun({ store, lifecycle: 'steps', machine: stepsMachine })).rejects.toThrow(/snapshot .* is unreadable/);
      expect(readdirSync(dir).map((f) => [f, readFileSync(join(dir, f), 'utf8')])).toEqual(before);
    });
  }

  it('run.json holding null is unreadable, not "no run"', () => {
    const dir = temp();
    writeFileSync(join(dir, 'run.json'), 'null');
    expect(() => new DirectoryStore(dir).readMeta()).toThrow(new RegExp(`^run meta ${dir}/run.json is unreadable`));
  });
});

describe('filesystem errors a user can cause name the path, what is wrong and what to do', () => {
  const input = (dir: string) => ({ steps: 1, dir });
  const run = (store: DirectoryStore, dir: string) => startRun({ store, lifecycle: 'steps', machine: stepsMachine, input: input(dir) });

  it('a store path that is a file', async () => {
    const dir = temp();
    writeFileSync(join(dir, 'store'), 'x');
    await expect(run(new DirectoryStore(join(dir, 'store')), dir)).rejects.toThrow(
      new RegExp(`^cannot create the store at ${dir}/store: ${dir}/store is a file, not a folder: choose another path; or use another --store$`),
    );
    expect(() => new DirectoryStore(join(dir, 'store')).readMeta()).toThrow(new RegExp(`^store ${dir}/store is not a folder \\(${dir}/store is a file\\)`));
  });

  it('a store below a file', async () => {
    const dir = temp();
    writeFileSync(join(dir, 'file'), 'x');
    await expect(run(new DirectoryStore(join(dir, 'file', 'a', 'store')), dir)).rejects.toThrow(new RegExp(`${dir}/file is a file, not a folder`));
  });

  it('a store under /proc fails at once instead of spinning in mkdir', { timeout: 5000 }, () => {
    const started = Date.now();
    expect(() => new DirectoryStore('/proc/lifecycle-kit-test/store').lock()).toThrow(/does not allow creating folders/);
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it('a journal that is a folder: refused before anything is written', async () => {
    const dir = temp();
    const storeDir = join(dir, 'store');
    mkdirSync(join(storeDir, 'journal.jsonl'), { recursive: true });
    await expect(run(new DirectoryStore(storeDir), dir)).rejects.toThrow(new RegExp(`journal.jsonl is not a regular file .*move it away`));
    expect(readdirSync(storeDir)).toEqual(['journal.jsonl']);
  });

  it('a snapshot.json that is a folder: refused before anything is written', async () => {
    const dir = temp();
    const storeDir = join(dir, 'store');
    mkdirSync(join(storeDir, 'snapshot.json'), { recursive: true });
    await expect(run(new DirectoryStore(storeDir), dir)).rejects.toThrow(/snapshot.json is not a regular file/);
    expect(readdirSync(storeDir)).toEqual(['snapshot.json']);
  });

  it.runIf(process.platform === 'linux')('a full disk while appending (ENOSPC): one line naming the journal, no line left', async () => {
    const dir = temp();
    const store = new DirectoryStore(join(dir, 'store'));
    mkdirSync(store.dir);
    symlinkSync('/dev/full', join(store.dir, 'journal.jsonl'));
    // /dev/full is a device, not a regular file: refused up front.
    await expect(run(store, dir)).rejects.toThrow(/journal.jsonl is not a regular file/);
    expect(() => store.appendJournal({ time: '', event: 'E', from: null, to: 'a', step: null })).toThrow(
      new RegExp(`journal ${store.dir}/journal.jsonl is not a regular file`),
    );
  });

  it('a snapshot that cannot be saved takes its journal line back', async () => {
    const store = new MemoryStore();
    let saves = 0;
    store.saveSnapshot = () => {
      saves++;
      throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC', syscall: 'write' });
    };
    const dir = temp();
    const result = await startRun({ store, lifecycle: 'steps', machine: stepsMachine, input: input(dir) });
    expect(result.status).toBe('failed');
    expect(result.error).toMatch(/ENOSPC/);
    expect(saves).toBe(1);
    expect(store.readJournal().entries).toEqual([]);
  });

  it('writing a file onto a folder (-o dir): one line naming it, the folder untouched', () => {
    const dir = temp();
    mkdirSync(join(dir, 'out'));
    expect(() => writeFileAtomic(join(dir, 'out'), 'x')).toThrow(new RegExp(`^cannot write ${dir}/out: ${dir}/out is a folder, not a file \\(EISDIR\\): remove the folder, or choose another path$`));
    expect(readdirSync(dir)).toEqual(['out']);
    expect(readdirSync(join(dir, 'out'))).toEqual([]);
  });

  it('writing below a file: one line naming the file in the way', () => {
    const dir = temp();
    writeFileSync(join(dir, 'f'), '');
    expect(() => writeFileAtomic(join(dir, 'f', 'x', 'out.md'), 'x')).toThrow(new RegExp(`${dir}/f is a file, not a folder`));
  });

  it('ensureDir creates missing levels and accepts an existing folder', () => {
    const dir = temp();
    ensureDir(join(dir, 'a', 'b', 'c'), 'x');
    ensureDir(join(dir, 'a', 'b', 'c'), 'x');
    expect(existsSync(join(dir, 'a', 'b', 'c'))).toBe(true);
  });
});

describe('error lines are bounded', () => {
  it('a 1 MB value echoed in a UserError is clipped to ~200 characters with an ellipsis', () => {
    const error = new UserError(`manifest name '${'n'.repeat(1_000_000)}' is not valid: use [a-z0-9-]`);
    expect(error.message.length).toBeLessThan(300);
    expect(error.message).toMatch(/^manifest name 'n+…n+' is not valid: use \[a-z0-9-\]$/);
  });

  it('a long message of short words is kept under a bound, its end (the fix) kept', () => {
    const line = toErrorLine(`bad: ${'ab '.repeat(100_000)}: do this`);
    expect(line.length).toBeLessThanOrEqual(1200);
    expect(line).toMatch(/: do this$/);
  });

  it('control characters are escaped, so an error stays one line', () => {
    expect(new UserError('a\nb\r\u0000c').message).toBe('a\\nb\\r\\u0000c');
  });

  it('clip keeps short values and both ends of long ones', () => {
    expect(clip('short')).toBe('short');
    const long = `/start/${'x'.repeat(500)}/end.json`;
    expect(clip(long)).toHaveLength(200);
    expect(clip(long)).toMatch(/^\/start\/x+…x+\/end\.json$/);
  });
});
