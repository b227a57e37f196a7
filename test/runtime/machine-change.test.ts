/**
 * Issue 13: a run persisted on one machine and resumed on a changed one. Every case either resumes to the end an
 * unchanged machine gives (`done`) or is refused with one clear line and the store left as it was: never a silent
 * hang (XState's restore drops a child whose service is gone) and never a wrong end.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BIN, lifecycle } from './crash-harness.ts';

const SOURCE = new URL('../fixtures/user/changes.ts', import.meta.url).pathname;
const original = readFileSync(SOURCE, 'utf8');
const cleanup: string[] = [];
afterAll(() => {
  for (const p of cleanup) rmSync(p, { recursive: true, force: true });
});

/** A copy of the machine beside the original (so its imports resolve) and a store, both removed afterwards. */
function setUp(name: string) {
  const copy = SOURCE.replace(/changes\.ts$/, `.changes-${name}-${process.pid}.ts`);
  writeFileSync(copy, original);
  const dir = mkdtempSync(join(tmpdir(), 'lk-change-'));
  cleanup.push(copy, dir);
  return { ref: `${copy}#changesMachine`, copy, store: join(dir, 'store') };
}

/** Runs the copy until `state` is saved, then kills it with SIGKILL. */
async function killIn(ref: string, store: string, state: string, ms: number) {
  const child = spawn(process.execPath, [BIN, 'run', ref, '--store', store, '--input', JSON.stringify({ ms })], { stdio: 'ignore' });
  const snapshot = join(store, 'snapshot.json');
  for (let i = 0; i < 1000; i++) {
    if (existsSync(snapshot) && (JSON.parse(readFileSync(snapshot, 'utf8')) as { snapshot: { value: unknown } }).snapshot.value === state) break;
    await new Promise((r) => setTimeout(r, 20));
  }
  child.kill('SIGKILL');
  await new Promise((r) => child.on('close', r));
}

const edit = (copy: string, from: string | RegExp, to: string) => {
  const text = readFileSync(copy, 'utf8');
  const next = text.replace(from, to);
  if (next === text) throw new Error(`edit found nothing: ${from}`);
  writeFileSync(copy, next);
};

/** Resumes in the background, sends GO once the run waits for it, and returns how the resume ended. */
async function resumeAndGo(store: string, extra: string[] = []) {
  const child = spawn(process.execPath, [BIN, 'resume', '--store', store, ...extra], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d));
  child.stderr.on('data', (d: Buffer) => (stderr += d));
  const closed = new Promise<number | null>((resolve) => child.on('close', resolve));
  for (let i = 0; i < 2000 && !/waiting in waiting/.test(stdout) && child.exitCode === null; i++) await new Promise((r) => setTimeout(r, 25));
  if (child.exitCode === null) expect((await lifecycle(['send', '--store', store, '{"type":"GO"}'])).code).toBe(0);
  return { code: await closed, stdout, stderr };
}

/** The store's files, to check a refused resume changed nothing. */
const files = (store: string) => ['run.json', 'snapshot.json', 'journal.jsonl'].map((f) => readFileSync(join(store, f), 'utf8'));

describe('resuming on a changed machine (child processes)', () => {
  it.each([
    ['the same machine', () => {}],
    ['a new state', (c: string) => edit(c, "done: { type: 'final' },", "done: { type: 'final' },\n    spare: { on: { BACK: 'waiting' } },")],
    ['an unrelated transition removed', (c: string) => edit(c, ", after: { 30000: 'late' }", '')],
    ['a delay changed elsewhere', (c: string) => edit(c, '30000', '40000')],
  ])('%s: resumes, says what changed, and ends as the unchanged machine does', async (name, change) => {
    const { ref, copy, store } = setUp(name.replace(/\W+/g, '-'));
    await killIn(ref, store, 'working', 1500);
    change(copy);
    const r = await resumeAndGo(store);
    expect(r.stderr.replace(/^warning: the machine changed since.*\n/m, '')).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/succeeded in .* \(done\)/);
    if (name === 'the same machine') expect(r.stderr).toBe('');
    else expect(r.stderr).toMatch(/^warning: the machine changed since the run was saved \(\w+ → \w+\); resuming on the new one: /);
  }, 120_000);

  it.each([
    ['the state it is in renamed', (c: string) => edit(c, /working/g, "busy"), /the run is in `working`, which the machine no longer has/],
    ['its running service renamed', (c: string) => edit(c, /\bwork\b/g, "job"), /the run's service `work` in `working` is now `job`: the running one would be dropped/],
  ])('%s: refused with one line, the store untouched', { timeout: 120_000 }, async (name, change, says) => {
    const { ref, copy, store } = setUp(name.replace(/\W+/g, '-'));
    await killIn(ref, store, 'working', 60_000);
    change(copy);
    const before = files(store);
    const r = await lifecycle(['resume', '--store', store]);
    expect(r.code).toBe(1);
    expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(says);
    expect(r.stderr).toMatch(/Nothing was changed: resume with the machine the run started on, or give --migrate file\.ts#fn\n$/);
    expect(files(store)).toEqual(before);
  });

  it('a new context field touches the run (the graph is the same): refused, then resumed with --accept-changes', { timeout: 120_000 }, async () => {
    const { ref, copy, store } = setUp('context');
    await killIn(ref, store, 'working', 1500);
    edit(copy, 'rounds: 0 })', 'rounds: 0, notes: [] as string[] })');
    edit(copy, 'rounds: number }', 'rounds: number; notes: string[] }');
    const refused = await lifecycle(['resume', '--store', store]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/the machine changed where the run .* is: the machine's context now has `notes`, which the run's lacks .*resume with --accept-changes/);
    const r = await resumeAndGo(store, ['--accept-changes']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/succeeded in .* \(done\)/);
  });

  it('a changed delay of the state it waits in (a pending timer) needs --accept-changes; a migration can carry a renamed state over', { timeout: 120_000 }, async () => {
    const { ref, copy, store } = setUp('timer');
    await killIn(ref, store, 'waiting', 10);
    edit(copy, '30000', '31000');
    const refused = await lifecycle(['resume', '--store', store]);
    expect(refused.stderr).toMatch(/the timer of `waiting`, which the run is in, changed from 30000 to 31000/);

    edit(copy, /waiting/g, 'paused');
    const migration = copy.replace(/\.ts$/, '.migrate.ts');
    cleanup.push(migration);
    writeFileSync(migration, "export const rename = ({ snapshot }: { snapshot: { value: unknown } }) => ({ ...snapshot, value: snapshot.value === 'waiting' ? 'paused' : snapshot.value });\n");
    const stillRefused = await lifecycle(['resume', '--store', store]);
    expect(stillRefused.stderr).toMatch(/the run is in `waiting`, which the machine no longer has/);
    await lifecycle(['send', '--store', store, '{"type":"GO"}']);
    const migrated = await lifecycle(['resume', '--store', store, '--migrate', `${migration}#rename`]);
    expect(migrated.stderr).toMatch(/^warning: the machine changed since the run was saved/);
    expect(migrated.code).toBe(0);
    expect(migrated.stdout).toMatch(/resume at paused/);
    expect(migrated.stdout).toMatch(/succeeded in .* \(done\)/);
  });
});

