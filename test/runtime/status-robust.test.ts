/**
 * `lifecycle status` on a damaged store: a corrupt snapshot still shows the meta and history (with one warning), a
 * garbage run.json fails on one line; neither changes the store, and resume keeps refusing a corrupt snapshot.
 */
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DirectoryStore } from '../../src/runtime/directory-store.ts';
import { readRunStatus } from '../../src/runtime/run-status.ts';
import type { JournalEntry, RunMeta } from '../../src/runtime/types.ts';
import { lifecycle } from './crash-harness.ts';

const LIFECYCLE = `${new URL('./fixtures/machines.ts', import.meta.url).pathname}#stepsMachine`;
const temps: string[] = [];
/** A temp dir, removed after the file's tests. */
function temp(): string {
  const dir = mkdtempSync(join(tmpdir(), 'lk-status-robust-'));
  temps.push(dir);
  return dir;
}
afterAll(() => {
  for (const dir of temps.splice(0)) rmSync(dir, { recursive: true, force: true });
});
const contents = (dir: string) => Object.fromEntries(readdirSync(dir).map((f) => [f, readFileSync(join(dir, f), 'utf8')]));
const entry = (to: string): JournalEntry => ({ time: new Date(0).toISOString(), event: 'xstate.done.actor.step', from: 'working', to, step: null });

/** A stopped run (dead pid) with two journal lines and the given snapshot.json text. */
function storeWithSnapshot(text: string): string {
  const dir = temp();
  const store = new DirectoryStore(dir);
  const meta: RunMeta = {
    version: 1,
    lifecycle: LIFECYCLE,
    input: { steps: 2, dir },
    started: '2026-01-02T03:04:05.000Z',
    updated: '2026-01-02T03:04:06.000Z',
    status: 'running',
    pid: 999_999_999,
    resumes: 0,
    options: { verify: false, timeoutMs: null },
  };
  store.writeMeta(meta);
  store.appendJournal(entry('working'));
  store.appendJournal(entry('done'));
  store.unlock();
  writeFileSync(join(dir, 'snapshot.json'), text);
  return dir;
}

const TRUNCATED = '{"version":1,"savedAt":"x","snapshot":{"status":"act';

describe('status on a damaged store', () => {
  it('a truncated snapshot: status shows meta and history, one warning line naming the file, exit 0', async () => {
    const dir = storeWithSnapshot(TRUNCATED);
    const before = contents(dir);
    const r = await lifecycle(['status', '--store', dir]);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(new RegExp(`^warning: snapshot ${join(dir, 'snapshot.json')} is unreadable \\([^\\n]+\\): nothing was changed[^\\n]*\\n$`));
    expect(r.stdout).toMatch(/^lifecycle\s+.*fixtures\/machines\.ts#stepsMachine$/m);
    expect(r.stdout).toMatch(/^status\s+stopped without finishing/m);
    expect(r.stdout).toMatch(/^started\s+2026-01-02T03:04:05\.000Z$/m);
    expect(r.stdout).toMatch(/^state\s+\(unknown: the saved snapshot is unreadable\)$/m);
    expect(r.stdout).toMatch(/^history \(2 transitions\)$/m);
    expect(contents(dir)).toEqual(before);
  });

  it('with --json the warning is in the JSON, not on stderr', async () => {
    const dir = storeWithSnapshot('');
    const r = await lifecycle(['status', '--store', dir, '--json']);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    const json = JSON.parse(r.stdout) as { warnings: string[]; snapshotUnreadable: boolean; state: unknown; history: unknown[] };
    expect(json.warnings).toEqual([expect.stringMatching(new RegExp(`^snapshot ${join(dir, 'snapshot.json')} is unreadable \\(empty file\\)`))]);
    expect(json).toMatchObject({ snapshotUnreadable: true, state: null });
    expect(json.history).toHaveLength(2);
  });

  it('readRunStatus reports a snapshot that is not a saved snapshot as a warning', () => {
    const report = readRunStatus(new DirectoryStore(storeWithSnapshot('{"hello":"world"}')));
    expect(report).toMatchObject({ status: 'running', state: null, snapshotUnreadable: true, history: [entry('working'), entry('done')] });
    expect(report.warnings).toEqual([expect.stringContaining('is unreadable (not a saved snapshot')]);
  });

  it('resume still refuses a truncated snapshot on one line and changes nothing', async () => {
    const dir = storeWithSnapshot(TRUNCATED);
    const before = contents(dir);
    const r = await lifecycle(['resume', '--store', dir]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(new RegExp(`^lifecycle: snapshot ${join(dir, 'snapshot.json')} is unreadable \\(.+\\): nothing was changed[^\\n]*\\n$`));
    expect(contents(dir)).toEqual(before);
  });

  it.each([['status'], ['resume']])('a garbage run.json: %s fails on one line naming the file, exit 1, nothing changed', async (command) => {
    const dir = temp();
    writeFileSync(join(dir, 'run.json'), 'garbage\n');
    const before = contents(dir);
    const r = await lifecycle([command, '--store', dir]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    // The raw text JSON.parse quotes comes out escaped ("garbage\n"), so the message stays on one line.
    expect(r.stderr).toMatch(new RegExp(`^lifecycle: run meta ${join(dir, 'run.json')} is unreadable \\(Unexpected token [^\\n]*"garbage\\\\n"[^\\n]*\\): nothing was changed[^\\n]*\\n$`));
    expect(contents(dir)).toEqual(before);
  });
});
