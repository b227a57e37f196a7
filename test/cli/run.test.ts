/**
 * `lifecycle run`, `status` and `resume` as a user runs them: the real binary as a child process, in temp dirs.
 */
import { spawn } from 'node:child_process';
import { appendFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BIN, lifecycle } from '../runtime/crash-harness.ts';

const FIXTURES = new URL('../runtime/fixtures/machines.ts', import.meta.url).pathname;
const STEPS = `${FIXTURES}#stepsMachine`;
const temps: string[] = [];
/** A temp dir, removed after the file's tests. */
function temp(): string {
  const dir = mkdtempSync(join(tmpdir(), 'lk-cli-run-'));
  temps.push(dir);
  return dir;
}
afterAll(() => {
  for (const dir of temps.splice(0)) rmSync(dir, { recursive: true, force: true });
});
const contents = (dir: string) => Object.fromEntries(readdirSync(dir).map((f) => [f, readFileSync(join(dir, f), 'utf8')]));

/** Exactly one line on stderr, no stack trace. */
const oneLine = (stderr: string) => {
  expect(stderr.trimEnd().split('\n')).toHaveLength(1);
  expect(stderr).not.toMatch(/\n\s+at /);
};

/** A run holding `store` (a 20 s step), started once its first snapshot is saved. Kill it when done. */
async function busyStore(store: string, dir: string) {
  const child = spawn(process.execPath, [BIN, 'run', STEPS, '--store', store, '--input', JSON.stringify({ steps: 1, dir, sleepMs: 20_000 })], { stdio: 'ignore' });
  while (!existsSync(join(store, 'snapshot.json'))) await new Promise((r) => setTimeout(r, 5));
  return child;
}

describe('lifecycle run / status / resume (child process)', () => {
  it('runs a machine to success: a line per transition, exit 0; status shows the history', async () => {
    const dir = temp();
    const store = join(dir, 'store');
    const r = await lifecycle(['run', STEPS, '--store', store, '--input', JSON.stringify({ steps: 2, dir })]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^\[\d\d:\d\d:\d\d\] start → working\.running\n/);
    expect(r.stdout).toMatch(/\[\d\d:\d\d:\d\d\] working\.running → done\n/);
    expect(r.stdout).toMatch(/#stepsMachine: succeeded in \d+\.\d s \(done\)\n$/);

    const text = await lifecycle(['status', '--store', store]);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/^lifecycle\s+.*fixtures\/machines\.ts#stepsMachine$/m);
    expect(text.stdout).toMatch(/^status\s+succeeded$/m);
    expect(text.stdout).toMatch(/^state\s+done$/m);
    expect(text.stdout).toMatch(/^last succeeded\s+step-1$/m);
    expect(text.stdout).toMatch(/^history \(3 transitions\)$/m);
    const json = JSON.parse((await lifecycle(['status', '--store', store, '--json'])).stdout) as Record<string, unknown>;
    expect(json).toMatchObject({ status: 'succeeded', state: 'done', step: 'step-1', lastError: null, history: expect.any(Array) });
  });

  it('a failed final state: exit 1 and the last error on one line', async () => {
    const dir = temp();
    const input = { steps: 2, dir, failAt: 1, retry: { maxAttempts: 2, initialIntervalMs: 10 } };
    const r = await lifecycle(['run', STEPS, '--store', join(dir, 'store'), '--input', JSON.stringify(input)]);
    expect(r.code).toBe(1);
    oneLine(r.stderr);
    expect(r.stderr).toMatch(/^lifecycle: .*#stepsMachine failed, ending in failed: step-1 \(attempt 2\): step 1 failed on purpose\n$/);
    expect(r.stdout).toMatch(/working\.running → working\.retrying {2}\(step-1 attempt 1 failed: step 1 failed on purpose\)/);
    const status = await lifecycle(['status', '--store', join(dir, 'store')]);
    expect(status.stdout).toMatch(/^last error\s+step-1 attempt 2 \[injected\] at .*: step 1 failed on purpose$/m);
  });

  it('--timeout: a hung step fails with kind timeout after its retries, exit 1', async () => {
    const dir = temp();
    const input = { steps: 1, dir, hangAt: 0, retry: { maxAttempts: 2, initialIntervalMs: 10 } };
    const r = await lifecycle(['run', STEPS, '--store', join(dir, 'store'), '--input', JSON.stringify(input), '--timeout', '300']);
    expect(r.code).toBe(1);
    oneLine(r.stderr);
    expect(r.stderr).toMatch(/failed, ending in failed: step-0 \(attempt 2\): service "writeStep" timed out after 300 ms\n$/);
  });

  it('malformed --input: one clear line, exit 1, no store created', async () => {
    const dir = temp();
    const store = join(dir, 'store');
    const bad = await lifecycle(['run', STEPS, '--store', store, '--input', '{"steps": 2,']);
    expect(bad.code).toBe(1);
    oneLine(bad.stderr);
    expect(bad.stderr).toMatch(/^lifecycle: --input is not valid JSON \(.+\): pass a JSON object or the path of a \.json file\n$/);
    const missing = await lifecycle(['run', STEPS, '--store', store, '--input', 'nope.json']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toBe("lifecycle: --input: 'nope.json' is neither JSON nor an existing file\n");
    writeFileSync(join(dir, 'in.json'), '{ steps: 1 }');
    const file = await lifecycle(['run', STEPS, '--store', store, '--input', join(dir, 'in.json')]);
    expect(file.code).toBe(1);
    expect(file.stderr).toMatch(new RegExp(`^lifecycle: --input file ${join(dir, 'in.json')} is not valid JSON \\(.+\\)\\n$`));
    const timeout = await lifecycle(['run', STEPS, '--store', store, '--timeout', 'soon']);
    expect(timeout.code).toBe(2);
    expect(existsSync(store)).toBe(false);
  });

  it('killed (SIGKILL) inside a step, after its journal line: status says so, resume finishes, the step runs again', async () => {
    const dir = temp();
    const store = join(dir, 'store');
    const input = JSON.stringify({ steps: 3, dir, sleepMs: 300 });
    const child = spawn(process.execPath, [BIN, 'run', STEPS, '--store', store, '--input', input], { stdio: 'ignore' });
    const exited = new Promise((r) => child.on('exit', r));
    // The 2nd journal line is on disk once step-1's service has started (it starts after the line and the snapshot).
    const runsLog = join(dir, 'runs.log');
    while (!(existsSync(runsLog) && readFileSync(runsLog, 'utf8').split('\n').length > 2)) await new Promise((r) => setTimeout(r, 5));
    child.kill('SIGKILL');
    await exited;

    const status = await lifecycle(['status', '--store', store]);
    expect(status.stdout).toContain(`stopped without finishing (process ${child.pid} is gone): run 'lifecycle resume --store ${store}'\n`);
    expect(status.stdout).toMatch(/^step\s+step-1 \(attempt 1\)$/m);
    const r = await lifecycle(['resume', '--store', store]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^\[\d\d:\d\d:\d\d\] resume at working\.running\n/);
    const runs = readFileSync(join(dir, 'runs.log'), 'utf8').trim().split('\n').map((l) => l.split(' ')[0]);
    expect(runs).toEqual(['step-0', 'step-1', 'step-1', 'step-2']);
    const again = await lifecycle(['resume', '--store', store]);
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/^nothing to resume: the .* run in .* already succeeded$/m);
  });

  it('Ctrl-C (SIGINT) stops cleanly with exit 130, and the run resumes', async () => {
    const dir = temp();
    const store = join(dir, 'store');
    const child = spawn(process.execPath, [BIN, 'run', STEPS, '--store', store, '--input', JSON.stringify({ steps: 2, dir, sleepMs: 400 })]);
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d));
    const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
    while (!existsSync(join(store, 'snapshot.json'))) await new Promise((r) => setTimeout(r, 5));
    child.kill('SIGINT');
    expect(await exited).toBe(130);
    expect(stderr).toMatch(/interrupted at working\.running: continue with 'lifecycle resume --store .*'/);
    expect(existsSync(join(store, 'lock'))).toBe(false);
    expect((await lifecycle(['resume', '--store', store])).code).toBe(0);
  });

  it('a corrupt or truncated snapshot: resume fails on one line naming the file, status shows the rest with a warning; nothing is changed', async () => {
    const dir = temp();
    const store = join(dir, 'store');
    const child = spawn(process.execPath, [BIN, 'run', STEPS, '--store', store, '--input', JSON.stringify({ steps: 2, dir, sleepMs: 5000 })], { stdio: 'ignore' });
    const exited = new Promise((r) => child.on('exit', r));
    while (!existsSync(join(store, 'snapshot.json'))) await new Promise((r) => setTimeout(r, 5));
    child.kill('SIGKILL');
    await exited;
    const snapshot = readFileSync(join(store, 'snapshot.json'), 'utf8');
    writeFileSync(join(store, 'snapshot.json'), snapshot.slice(0, snapshot.length >> 1));
    const before = contents(store);
    const r = await lifecycle(['resume', '--store', store]);
    expect(r.code).toBe(1);
    oneLine(r.stderr);
    expect(r.stderr).toMatch(new RegExp(`^lifecycle: snapshot ${join(store, 'snapshot.json')} is unreadable \\(.+\\): nothing was changed`));
    const status = await lifecycle(['status', '--store', store]);
    expect(status.code).toBe(0);
    expect(status.stderr).toMatch(new RegExp(`^warning: snapshot ${join(store, 'snapshot.json')} is unreadable`));
    expect(status.stdout).toMatch(/^history \(\d+ transitions?\)/m);
    expect(contents(store)).toEqual(before);
  });

  it('a torn last journal line: status warns and shows the rest; resume keeps the torn bytes aside and finishes', async () => {
    const dir = temp();
    const store = join(dir, 'store');
    const child = spawn(process.execPath, [BIN, 'run', STEPS, '--store', store, '--input', JSON.stringify({ steps: 2, dir, sleepMs: 5000 })], { stdio: 'ignore' });
    const exited = new Promise((r) => child.on('exit', r));
    while (!existsSync(join(store, 'snapshot.json'))) await new Promise((r) => setTimeout(r, 5));
    child.kill('SIGKILL');
    await exited;
    const lines = readFileSync(join(store, 'journal.jsonl'), 'utf8');
    appendFileSync(join(store, 'journal.jsonl'), '{"time":"2026-01-01T00:00:00.000Z","event":"xstate.done.act');
    const status = await lifecycle(['status', '--store', store]);
    expect(status.code).toBe(0);
    expect(status.stderr).toMatch(/^warning: journal .*journal\.jsonl: ignored a torn last line \(\d+ bytes, an append cut short by a crash\)\n$/);
    expect(status.stdout).toMatch(/^history \(1 transitions\)$/m);
    const r = await lifecycle(['resume', '--store', store]);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/^warning: journal .*: moved a torn last line \(\d+ bytes\) to .*journal\.jsonl\.torn before appending\n$/);
    expect(readFileSync(join(store, 'journal.jsonl'), 'utf8').startsWith(lines)).toBe(true);
    expect(readFileSync(join(store, 'journal.jsonl.torn'), 'utf8')).toContain('"event":"xstate.done.act');
  });

  it('one run per store: a second process is refused with the holder pid', async () => {
    const dir = temp();
    const store = join(dir, 'store');
    const child = await busyStore(store, dir);
    try {
      const r = await lifecycle(['resume', '--store', store]);
      expect(r.code).toBe(1);
      oneLine(r.stderr);
      expect(r.stderr).toContain(`is locked by a running process (pid ${child.pid}, since `);
      const status = await lifecycle(['status', '--store', store]);
      expect(status.stdout).toMatch(new RegExp(`^status\\s+running \\(pid ${child.pid}\\)$`, 'm'));
    } finally {
      child.kill('SIGKILL');
    }
  });

  it('a run refused because the store is busy makes nothing: no sandbox directory, the store untouched', async () => {
    const dir = temp();
    const store = join(dir, 'store');
    const child = await busyStore(store, dir);
    try {
      const before = contents(store);
      const tmp = join(dir, 'tmp');
      mkdirSync(tmp);
      const r = await lifecycle(['run', 'install', '--store', store], { env: { TMPDIR: tmp } });
      expect(r.code).toBe(1);
      oneLine(r.stderr);
      expect(r.stdout).toBe('');
      expect(readdirSync(tmp).filter((f) => f.startsWith('lifecycle-'))).toEqual([]); // (tsx keeps its cache there too)
      expect(contents(store)).toEqual(before);
    } finally {
      child.kill('SIGKILL');
    }
  });

  it('--input is checked against the lifecycle (one line naming the field) and its relative paths are made absolute', async () => {
    const dir = temp();
    for (const [input, message] of [
      ['[]', 'install input: expected a JSON object { package, target, force?, retry? }, found an array'],
      ['{"pakage":"x","target":"t"}', 'install input: unknown field pakage; the fields are { package, target, force?, retry? }'],
      ['{"package":"x"}', 'install input: target is required (a path); the fields are { package, target, force?, retry? }'],
      ['{"package":"x","target":"t","force":"yes"}', 'install input: force must be true or false, found "yes"'],
    ] as const) {
      const r = await lifecycle(['run', 'install', '--store', join(dir, 'store'), '--input', input], { cwd: dir });
      expect(r.code).toBe(1);
      expect(r.stderr).toBe(`lifecycle: ${message}\n`);
      expect(existsSync(join(dir, 'store'))).toBe(false);
    }
    const pkg = new URL('../../examples/packages/nginx/1.0.0', import.meta.url).pathname;
    const r = await lifecycle(['run', 'install', '--store', 'store', '--input', JSON.stringify({ package: pkg, target: 'stack' })], { cwd: dir });
    expect(r.code).toBe(0);
    expect(JSON.parse(readFileSync(join(dir, 'store', 'run.json'), 'utf8')).input).toEqual({ package: pkg, target: join(dir, 'stack') });
    expect(existsSync(join(dir, 'stack'))).toBe(true);
  });

  it('status and resume of an empty store: one clear line', async () => {
    const dir = temp();
    for (const cmd of ['status', 'resume']) {
      const r = await lifecycle([cmd, '--store', join(dir, 'none')]);
      expect(r.code).toBe(1);
      expect(r.stderr).toBe(`lifecycle: no run in ${join(dir, 'none')}: start one with 'lifecycle run <lifecycle>'\n`);
    }
  });

  it('run install without --input runs on a sandbox, says where, and removes it once finished unless --keep-sandbox', async () => {
    const dir = temp();
    const r = await lifecycle(['run', 'install', '--verify', '--keep-sandbox'], { cwd: dir });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const sandbox = /^sandbox: (.+)$/m.exec(r.stdout)![1]!;
    temps.push(sandbox); // kept by --keep-sandbox: removed with the temp dirs should a check below fail
    expect(r.stdout).toMatch(/installing\.save_installation_record\.running → installed\n/);
    expect(r.stdout).toMatch(/^sandbox kept: /m);
    expect(existsSync(join(sandbox, 'target', '.installations', 'nginx.json'))).toBe(true);
    rmSync(sandbox, { recursive: true, force: true });
    expect(existsSync(join(dir, '.lifecycle', 'run.json'))).toBe(true);
    const again = await lifecycle(['run', 'install', '--store', join(dir, 'again')], { cwd: dir });
    expect(again.code).toBe(0);
    const removed = /^sandbox: (.+)$/m.exec(again.stdout)![1]!;
    expect(again.stdout).toMatch(/^sandbox removed: /m);
    expect(existsSync(removed)).toBe(false);
  });
});
