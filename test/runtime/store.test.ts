import { execFile, spawn } from 'node:child_process';
import { appendFileSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { UserError } from '../../src/errors.ts';
import { DirectoryStore } from '../../src/runtime/directory-store.ts';
import { readLock } from '../../src/runtime/lock-file.ts';
import { resumeRun } from '../../src/runtime/runs.ts';
import { readRunStatus } from '../../src/runtime/run-status.ts';
import type { JournalEntry, RunMeta } from '../../src/runtime/types.ts';
import { stepsMachine } from './fixtures/machines.ts';

const exec = promisify(execFile);
const temps: string[] = [];
/** A temp dir, removed after the file's tests. */
function temp(): string {
  const dir = mkdtempSync(join(tmpdir(), 'lk-store-'));
  temps.push(dir);
  return dir;
}
afterAll(() => {
  for (const dir of temps.splice(0)) rmSync(dir, { recursive: true, force: true });
});
const entry = (i: number): JournalEntry => ({ time: new Date(0).toISOString(), event: `E${i}`, from: 'a', to: 'b', step: null });
const meta = (over: Partial<RunMeta> = {}): RunMeta => ({
  version: 1,
  lifecycle: 'steps',
  input: { steps: 1, dir: '/nonexistent' },
  started: new Date(0).toISOString(),
  updated: new Date(0).toISOString(),
  status: 'running',
  pid: 999_999_999,
  resumes: 0,
  options: { verify: false, timeoutMs: null },
  ...over,
});

/** Every file of a directory with its bytes, to prove that nothing was changed. */
const contents = (dir: string) => Object.fromEntries(readdirSync(dir).map((f) => [f, readFileSync(join(dir, f), 'utf8')]));

describe('directory store', () => {
  it('writes the snapshot atomically: whole file or previous file, no temp file left', () => {
    const dir = temp();
    const store = new DirectoryStore(dir);
    for (let i = 0; i < 20; i++) store.saveSnapshot({ version: 1, savedAt: `t${i}`, snapshot: { status: 'active', value: `s${i}` } });
    expect(store.loadSnapshot()).toEqual({ version: 1, savedAt: 't19', snapshot: { status: 'active', value: 's19' } });
    expect(readdirSync(dir)).toEqual(['snapshot.json']);
  });

  it('appends journal lines and reads them back; a torn last line is ignored with a warning, nothing before it lost', () => {
    const dir = temp();
    const store = new DirectoryStore(dir);
    for (let i = 0; i < 3; i++) store.appendJournal(entry(i));
    appendFileSync(join(dir, 'journal.jsonl'), '{"time":"1970-01-01T00:00:00.000Z","event":"E3","fr');
    const read = store.readJournal();
    expect(read.entries.map((e) => e.event)).toEqual(['E0', 'E1', 'E2']);
    expect(read.warnings).toEqual([expect.stringMatching(/journal .*journal\.jsonl: ignored a torn last line \(\d+ bytes/)]);

    // Before appending again, the torn tail is moved aside (kept), so the next line is a line of its own.
    expect(store.repairJournal()).toMatch(/moved a torn last line .* to .*journal\.jsonl\.torn/);
    store.unlock(); // closes the append handle
    store.appendJournal(entry(4));
    expect(store.readJournal()).toEqual({ entries: [entry(0), entry(1), entry(2), entry(4)], warnings: [] });
    expect(readFileSync(join(dir, 'journal.jsonl.torn'), 'utf8')).toContain('"event":"E3","fr');
  });

  it('refuses a journal with a corrupt line before the last', () => {
    const dir = temp();
    writeFileSync(join(dir, 'journal.jsonl'), `${JSON.stringify(entry(0))}\nnot json\n${JSON.stringify(entry(1))}\n`);
    expect(() => new DirectoryStore(dir).readJournal()).toThrow(/journal .*journal\.jsonl is corrupt at line 2/);
  });

  it.each([
    ['truncated', '{"version":1,"savedAt":"x","snapshot":{"status":"act'],
    ['empty', ''],
    ['not a snapshot', '{"hello":"world"}'],
  ])('a %s snapshot: resume fails with one line naming the file, and nothing is changed', async (_, text) => {
    const dir = temp();
    const store = new DirectoryStore(dir);
    store.writeMeta(meta());
    writeFileSync(join(dir, 'snapshot.json'), text);
    store.appendJournal(entry(0));
    store.unlock();
    const before = contents(dir);
    const error = await resumeRun({ store, lifecycle: 'steps', machine: stepsMachine }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UserError);
    expect((error as Error).message).toMatch(new RegExp(`^snapshot ${join(dir, 'snapshot.json')} is unreadable \\(.+\\): nothing was changed`));
    expect((error as Error).message).not.toContain('\n');
    expect(contents(dir)).toEqual(before);
  });

  it('a snapshot that does not fit the machine: resume fails clearly, nothing is changed', async () => {
    const dir = temp();
    const store = new DirectoryStore(dir);
    store.writeMeta(meta());
    store.saveSnapshot({ version: 1, savedAt: 'x', snapshot: { status: 'active', value: 'nowhere', context: {}, children: {}, historyValue: {} } });
    const before = contents(dir);
    await expect(resumeRun({ store, lifecycle: 'steps', machine: stepsMachine })).rejects.toThrow(
      /the saved snapshot in .* does not fit the steps machine: the run is in `nowhere`, which the machine no longer has\. Nothing was changed/,
    );
    expect(contents(dir)).toEqual(before);
  });

  it('status reads a run while it is written: torn last journal line tolerated', () => {
    const dir = temp();
    const store = new DirectoryStore(dir);
    store.writeMeta(meta({ pid: process.pid }));
    store.saveSnapshot({ version: 1, savedAt: 'x', snapshot: { status: 'active', value: { working: 'running' }, context: { step: 'step-0', attempts: 1, lastError: null } } });
    store.appendJournal(entry(0));
    appendFileSync(join(dir, 'journal.jsonl'), '{"torn');
    const status = readRunStatus(store);
    expect(status).toMatchObject({ state: 'working.running', step: 'step-0', attempts: 1, history: [entry(0)] });
    expect(status.warnings).toHaveLength(1);
  });
});

describe('store lock', () => {
  it('takes the lock with the holder pid and start time, and releases it', () => {
    const dir = temp();
    const store = new DirectoryStore(dir);
    store.lock();
    expect(readLock(join(dir, 'lock'))).toMatchObject({ pid: process.pid, since: expect.any(String) });
    store.unlock();
    expect(readdirSync(dir)).toEqual([]);
  });

  it('takes over a stale lock whose holder is dead', async () => {
    const dir = temp();
    const dead = spawn(process.execPath, ['-e', '']);
    await new Promise((r) => dead.on('exit', r));
    writeFileSync(join(dir, 'lock'), JSON.stringify({ pid: dead.pid, since: '2020-01-01T00:00:00.000Z' }));
    const store = new DirectoryStore(dir);
    store.lock();
    expect(readLock(join(dir, 'lock'))!.pid).toBe(process.pid);
    store.unlock();
  });

  it.runIf(process.platform === 'linux')('takes over a lock whose holder is a zombie (killed, not yet reaped)', async () => {
    const dir = temp();
    // `sleep 5` never waits for the backgrounded child the shell left it: that child stays a zombie.
    const parent = spawn('sh', ['-c', 'sleep 0 & echo $!; exec sleep 5'], { stdio: ['ignore', 'pipe', 'ignore'] });
    try {
      const pid = Number(await new Promise<string>((r) => parent.stdout.once('data', (d: Buffer) => r(d.toString()))));
      const deadline = Date.now() + 5000;
      while (!readFileSync(`/proc/${pid}/stat`, 'utf8').includes(') Z ') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
      expect(readFileSync(`/proc/${pid}/stat`, 'utf8')).toContain(') Z ');
      writeFileSync(join(dir, 'lock'), JSON.stringify({ pid, since: '2020-01-01T00:00:00.000Z' }));
      const store = new DirectoryStore(dir);
      store.lock();
      expect(readLock(join(dir, 'lock'))!.pid).toBe(process.pid);
      store.unlock();
    } finally {
      parent.kill('SIGKILL');
    }
  });

  it('refuses a lock held by a live process, naming its pid', async () => {
    const dir = temp();
    const live = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)']);
    try {
      writeFileSync(join(dir, 'lock'), JSON.stringify({ pid: live.pid, since: '2020-01-01T00:00:00.000Z' }));
      expect(() => new DirectoryStore(dir).lock()).toThrow(
        new RegExp(`^store ${dir} is locked by a running process \\(pid ${live.pid}, since 2020-01-01T00:00:00.000Z\\)`),
      );
      expect(readLock(join(dir, 'lock'))!.pid).toBe(live.pid);
    } finally {
      live.kill('SIGKILL');
    }
  });

  it('of several processes racing for one store, exactly one gets it', async () => {
    const dir = temp();
    mkdirSync(dir, { recursive: true });
    const code = `
      const { DirectoryStore } = await import(${JSON.stringify(new URL('../../src/runtime/directory-store.ts', import.meta.url).href)});
      const { readdirSync, writeFileSync } = await import('node:fs');
      const dir = ${JSON.stringify(dir)};
      const store = new DirectoryStore(dir + '/store');
      const start = Number(process.argv[1]);
      while (Date.now() < start) {}
      try {
        store.lock();
        console.log('got');
        // Hold the lock until every other process has tried (however late it started), then give it back.
        const until = Date.now() + 30_000;
        while (readdirSync(dir).filter((f) => f.startsWith('tried-')).length < 5 && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
        store.unlock();
      } catch (e) {
        console.log(/locked by a running process/.test(e.message) ? 'refused' : 'error ' + e.message);
        writeFileSync(dir + '/tried-' + process.pid, '');
      }`;
    const start = String(Date.now() + 1500);
    const outputs = await Promise.all(
      Array.from({ length: 6 }, () => exec(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code, start]).then((r) => r.stdout.trim())),
    );
    expect(outputs.filter((o) => o === 'got')).toHaveLength(1);
    expect(outputs.filter((o) => o === 'refused')).toHaveLength(5);
  });
});
