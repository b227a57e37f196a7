// `lifecycle docs` in a user's project: their machines (arguments or lifecycle.config.json), never the built-ins
// unless asked, and nothing written over files it did not generate or outside the docs directory.
import { execFile } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const exec = promisify(execFile);
const BIN = new URL('../../bin/lifecycle.js', import.meta.url).pathname;
const NODE_MODULES = new URL('../../node_modules', import.meta.url).pathname;
const temps: string[] = [];
afterAll(() => {
  for (const dir of temps) rmSync(dir, { recursive: true, force: true });
});

const MACHINE = (final: string) => `import { createMachine } from 'xstate';
export const deployMachine = createMachine({
  id: 'deploy',
  description: 'Deploys a build.',
  initial: 'idle',
  states: {
    idle: { on: { START: 'rollout' } },
    rollout: { initial: 'canary', states: { canary: { on: { OK: 'full' } }, full: { on: { OK: '#deploy.${final}' } } } },
    ${final}: { type: 'final' },
  },
});
`;

/** A fresh project: a machine in src/, xstate resolvable, no config. */
function project(): string {
  const dir = mkdtempSync(join(tmpdir(), 'lk-docs-'));
  temps.push(dir);
  mkdirSync(join(dir, 'src'));
  symlinkSync(NODE_MODULES, join(dir, 'node_modules'));
  writeFileSync(join(dir, 'package.json'), '{ "type": "module" }\n');
  writeFileSync(join(dir, 'src', 'deploy.ts'), MACHINE('done'));
  return dir;
}

async function lifecycle(cwd: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await exec(process.execPath, [BIN, 'docs', ...args], { cwd, env: { ...process.env, NO_COLOR: '1' } });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

const oneLine = (stderr: string) => expect(stderr.trimEnd().split('\n')).toHaveLength(1);
const REF = './src/deploy.ts#deployMachine';

describe('lifecycle docs in a user project', () => {
  let dir: string;
  beforeAll(() => {
    dir = project();
  });

  it('with no machines and no config it does not look at the built-ins: a usage error saying what to do', async () => {
    for (const args of [[], ['--check']]) {
      const r = await lifecycle(dir, args);
      expect(r.code).toBe(2);
      oneLine(r.stderr);
      expect(r.stderr).toMatch(/nothing to document: name your machines .*lifecycle\.config\.json.*--builtins/);
      expect(r.stderr).not.toMatch(/install|upgrade/);
    }
    expect(existsSync(join(dir, 'docs'))).toBe(false);
  });

  it('writes and checks the pages of the machines it is given; --check lists stale files and the command that fixes them', async () => {
    const w = await lifecycle(dir, [REF, '-o', 'out']);
    expect(w.code).toBe(0);
    expect(readdirSync(join(dir, 'out')).sort()).toEqual(['deploy', 'deploy.md', 'deploy.svg']);
    expect(readdirSync(join(dir, 'out', 'deploy'))).toEqual(['rollout.svg']);
    expect(readFileSync(join(dir, 'out', 'deploy.md'), 'utf8')).toMatch(/^# deploy lifecycle\n[\s\S]*Deploys a build\./);
    expect((await lifecycle(dir, [REF, '-o', 'out', '--check'])).stdout).toBe('docs are fresh (3 files in out)\n');

    writeFileSync(join(dir, 'src', 'deploy.ts'), MACHINE('finished'));
    const c = await lifecycle(dir, [REF, '-o', 'out', '--check']);
    expect(c.code).toBe(1);
    expect(c.stderr).toContain('stale: out/deploy.md\n');
    expect(c.stderr).toContain(`run 'npx lifecycle docs ${REF} -o out' and commit the result`);
    expect((await lifecycle(dir, [REF, '-o', 'out'])).code).toBe(0);
    expect((await lifecycle(dir, [REF, '-o', 'out', '--check'])).code).toBe(0);
  });

  it('reads lifecycle.config.json: its lifecycles, page names and docs directory', async () => {
    const p = project();
    writeFileSync(join(p, 'lifecycle.config.json'), JSON.stringify({ lifecycles: [{ machine: REF, name: 'shipping' }], docs: 'docs/flows' }));
    expect((await lifecycle(p, [])).code).toBe(0);
    expect(readdirSync(join(p, 'docs', 'flows')).sort()).toEqual(['shipping', 'shipping.md', 'shipping.svg']);
    expect((await lifecycle(p, ['--check'])).stdout).toBe('docs are fresh (3 files in docs/flows)\n');
    writeFileSync(join(p, 'lifecycle.config.json'), JSON.stringify({ lifecycles: [{ machnie: REF }] }));
    const bad = await lifecycle(p, ['--check']);
    expect(bad.code).toBe(1);
    oneLine(bad.stderr);
    expect(bad.stderr).toContain('lifecycles[0].machnie: not a key of a lifecycle entry (allowed: machine, name, description)');
  });

  it('never overwrites a file it did not write (unless --force), nor writes through a symbolic link', async () => {
    const p = project();
    mkdirSync(join(p, 'out'));
    writeFileSync(join(p, 'out', 'deploy.md'), '# my own notes\n');
    const r = await lifecycle(p, [REF, '-o', 'out']);
    expect(r.code).toBe(1);
    oneLine(r.stderr);
    expect(r.stderr).toMatch(/out\/deploy\.md exists and was not written by lifecycle docs: .*--force/);
    expect(readFileSync(join(p, 'out', 'deploy.md'), 'utf8')).toBe('# my own notes\n');
    expect(existsSync(join(p, 'out', 'deploy.svg'))).toBe(false);
    expect((await lifecycle(p, [REF, '-o', 'out', '--force'])).code).toBe(0);
    expect(readFileSync(join(p, 'out', 'deploy.md'), 'utf8')).toMatch(/^# deploy lifecycle/);

    const elsewhere = mkdtempSync(join(tmpdir(), 'lk-docs-elsewhere-'));
    temps.push(elsewhere);
    rmSync(join(p, 'out', 'deploy'), { recursive: true });
    symlinkSync(elsewhere, join(p, 'out', 'deploy'));
    const link = await lifecycle(p, [REF, '-o', 'out']);
    expect(link.code).toBe(1);
    expect(link.stderr).toMatch(/out\/deploy\/rollout\.svg resolves outside out/);
    expect(readdirSync(elsewhere)).toEqual([]);
  });

  it('removes a drill-down picture it wrote that no compound state needs any more, and keeps anything else', async () => {
    const p = project();
    expect((await lifecycle(p, [REF])).code).toBe(0);
    const pictures = join(p, 'docs', 'lifecycles', 'deploy');
    cpSync(join(pictures, 'rollout.svg'), join(pictures, 'gone.svg'));
    writeFileSync(join(pictures, 'mine.svg'), '<svg/>\n');
    const c = await lifecycle(p, [REF, '--check']);
    expect(c.code).toBe(1);
    expect(c.stderr).toContain('stale: docs/lifecycles/deploy/gone.svg\n');
    const w = await lifecycle(p, [REF]);
    expect(w.stdout).toContain('removed docs/lifecycles/deploy/gone.svg');
    expect(readdirSync(pictures).sort()).toEqual(['mine.svg', 'rollout.svg']);
  });
});
