import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, existsSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { run } from '../../cli/main.ts';

const exec = promisify(execFile);
const BIN = new URL('../../bin/lifecycle.js', import.meta.url).pathname;
const FIX = new URL('../fixtures/', import.meta.url).pathname;

/** Runs the real `lifecycle` binary as a child process. */
async function lifecycle(args: string[], cwd = process.cwd(), env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await exec(process.execPath, [BIN, ...args], { cwd, env: { ...process.env, NO_COLOR: '1', ...env } });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

/** Runs the CLI in-process with fake streams. */
async function runInProcess(args: string[]) {
  let stdout = '';
  let stderr = '';
  const code = await run(args, { stdout: { write: (s) => (stdout += String(s)) }, stderr: { write: (s) => (stderr += String(s)) } });
  return { code, stdout, stderr };
}

const temps: string[] = [];
/** A temp dir, removed after the file's tests. */
function temp(): string {
  const dir = mkdtempSync(join(tmpdir(), 'lk-cli-'));
  temps.push(dir);
  return dir;
}
afterAll(() => {
  for (const dir of temps.splice(0)) rmSync(dir, { recursive: true, force: true });
});

const oneLine = (stderr: string) => {
  expect(stderr.trimEnd().split('\n')).toHaveLength(1);
  expect(stderr).not.toMatch(/\n\s+at /);
};

describe('lifecycle (child process)', () => {
  it('--version and --help', async () => {
    const v = await lifecycle(['--version']);
    expect(v.code).toBe(0);
    expect(v.stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
    const h = await lifecycle(['--help']);
    expect(h.code).toBe(0);
    expect(h.stdout).toContain('diagram');
    expect(h.stdout).toContain('validate');
    for (const cmd of ['list', 'diagram', 'validate', 'docs']) {
      const c = await lifecycle([cmd, '--help']);
      expect(c.code, cmd).toBe(0);
      expect(c.stdout, cmd).toContain('$ lifecycle');
    }
  });

  it('list and list --json', async () => {
    const text = await lifecycle(['list']);
    expect(text.stdout).toMatch(/^install\s+\S/m);
    const json = await lifecycle(['list', '--json']);
    const list = JSON.parse(json.stdout) as { name: string; description: string }[];
    expect(list.map((l) => l.name)).toEqual(['install', 'upgrade', 'preboot', 'operator']);
    expect(list.every((l) => l.description.length > 10)).toBe(true);
  });

  it('diagram of a built-in in each text format', async () => {
    const mmd = await lifecycle(['diagram', 'install']);
    expect(mmd.code).toBe(0);
    expect(mmd.stdout).toContain('stateDiagram-v2');
    const dot = await lifecycle(['diagram', 'install', '--format', 'dot']);
    expect(dot.stdout).toMatch(/^\/\/.*\ndigraph "install"/);
    const json = await lifecycle(['diagram', 'install', '-f', 'json']);
    expect(JSON.parse(json.stdout).states.length).toBeGreaterThan(5);
    const md = await lifecycle(['diagram', 'install', '-f', 'md']);
    expect(md.stdout).toContain('```mermaid');
  });

  it('diagram of a user file by export name, by the only export, and writes -o atomically', async () => {
    const named = await lifecycle(['diagram', join(FIX, 'loader/named-export.ts#checkoutMachine')]);
    expect(named.code).toBe(0);
    const only = await lifecycle(['diagram', join(FIX, 'loader/named-export.ts')]);
    expect(only.stdout).toBe(named.stdout);
    for (const file of ['loader/esm-module.mts', 'loader/plain-js.js', 'loader/default-export.ts']) {
      const r = await lifecycle(['diagram', join(FIX, file)]);
      expect(r.code, file).toBe(0);
    }
    const dir = temp();
    const out = join(dir, 'sub', 'x.mmd');
    const w = await lifecycle(['diagram', 'upgrade', '-o', out]);
    expect(w.code).toBe(0);
    expect(w.stdout).toBe('');
    expect(readFileSync(out, 'utf8')).toContain('stateDiagram-v2');
  });

  it('bad input: one line on stderr, exit 1, nothing written', async () => {
    const dir = temp();
    const out = join(dir, 'x.mmd');
    const cases: [string[], RegExp][] = [
      [['diagram', 'nosuch', '-o', out], /unknown machine 'nosuch'.*install, upgrade, preboot, operator/],
      [['diagram', './missing.ts', '-o', out], /machine file not found: \.\/missing\.ts/],
      [['diagram', join(FIX, 'loader/no-machine.ts'), '-o', out], /exports no XState machine/],
      [['diagram', join(FIX, 'loader/two-machines.ts'), '-o', out], /exports several machines \(alphaMachine, betaMachine\)/],
      [['diagram', join(FIX, 'loader/named-export.ts#nope'), '-o', out], /has no export 'nope'/],
      [['diagram', join(FIX, 'loader/throws-on-import.ts'), '-o', out], /cannot load .*throws-on-import\.ts: /],
      [['validate', join(FIX, 'loader/no-machine.ts')], /exports no XState machine/],
    ];
    for (const [args, message] of cases) {
      const r = await lifecycle(args);
      expect(r.code, args.join(' ')).toBe(1);
      expect(r.stderr, args.join(' ')).toMatch(message);
      oneLine(r.stderr);
      expect(existsSync(out)).toBe(false);
    }
  });

  it('a missing Chromium is one line saying how to install it, and nothing is written', async () => {
    const dir = temp();
    const out = join(dir, 'x.svg');
    const r = await lifecycle(['diagram', 'install', '-f', 'svg', '--engine', 'mermaid', '-o', out], process.cwd(), { LIFECYCLE_CHROMIUM: join(dir, 'no-chromium') });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^lifecycle: Chromium not found at .*: install it with 'apt-get install -y chromium'/);
    oneLine(r.stderr);
    expect(existsSync(out)).toBe(false);
  });

  it('renders SVG and PNG with one browser', async () => {
    const dir = temp();
    const svg = await lifecycle(['diagram', 'preboot', '-f', 'svg', '-o', join(dir, 'p.svg')]);
    expect(svg.code, svg.stderr).toBe(0);
    expect(readFileSync(join(dir, 'p.svg'), 'utf8')).toMatch(/^<svg[^>]+xmlns="http:\/\/www.w3.org\/2000\/svg"/);
    const png = await lifecycle(['diagram', 'preboot', '-f', 'png', '-o', join(dir, 'p.png')]);
    expect(png.code, png.stderr).toBe(0);
    expect(readFileSync(join(dir, 'p.png')).subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
  });

  it('usage errors exit 2 with one line', async () => {
    for (const args of [['diagram', 'install', '--format', 'gif'], ['diagram'], ['frobnicate'], ['list', '--bogus']]) {
      const r = await lifecycle(args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr, args.join(' ')).toMatch(/^lifecycle: (unknown|error|missing|option|argument)/);
      oneLine(r.stderr);
    }
  });

  it('validate: clean built-in exits 0; a lint fixture exits 1 naming the state; --json', async () => {
    const ok = await lifecycle(['validate', 'install']);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/install: valid \(0 errors, 0 warnings\)/);
    const bad = await lifecycle(['validate', join(FIX, 'machines/92-lint-dead-end.ts')]);
    expect(bad.code).toBe(1);
    expect(bad.stdout).toMatch(/^error\s+dead-end\s+stuck: /m);
    const json = await lifecycle(['validate', join(FIX, 'machines/92-lint-dead-end.ts'), '--json']);
    expect(JSON.parse(json.stdout)).toMatchObject({ ok: false, errors: 1, findings: [{ rule: 'dead-end', state: 'stuck' }] });
  });

  it('a user error never prints a stack trace; --debug does for unexpected ones', async () => {
    const dir = temp();
    const bad = join(dir, 'bad.ts');
    writeFileSync(bad, 'export const machine = ;\n');
    const r = await lifecycle(['diagram', bad]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^lifecycle: cannot load /);
    oneLine(r.stderr);
  });
});

describe('lifecycle (in process, fake streams)', () => {
  it('returns exit codes instead of exiting', async () => {
    expect((await runInProcess(['list'])).code).toBe(0);
    const bad = await runInProcess(['diagram', 'nosuch']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/^lifecycle: unknown machine 'nosuch'/);
    expect((await runInProcess(['diagram', 'install', '-f', 'nope'])).code).toBe(2);
  });
});
