// `lifecycle diff`: exit codes, text, JSON and pictures, git revisions as a side (in a temp repository with two
// commits of a small machine), and one-line errors that name the value.
import { execFile, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run } from '../../cli/main.ts';
import { parseMermaid } from '../../src/diagram/mermaid-parse.ts';
import { diffGraphs } from '../../src/diff/compare.ts';
import { loadSide } from '../../src/diff/source.ts';
import { extractGraph } from '../../src/model/extract.ts';
import { PACKAGE_ROOT } from '../../src/package-root.ts';
import { editSource, MACHINES } from './variants.ts';

const exec = promisify(execFile);
const BIN = join(PACKAGE_ROOT, 'bin/lifecycle.js');

async function runInProcess(args: string[]) {
  let stdout = '';
  let stderr = '';
  const code = await run(args, { stdout: { write: (s) => (stdout += String(s)) }, stderr: { write: (s) => (stderr += String(s)) } });
  return { code, stdout, stderr };
}

const leftovers = (dir: string) => readdirSync(dir).filter((f) => f.startsWith('.lifecycle-diff-'));

const MACHINE = (after: number, key: string) => `import { setup } from 'xstate';
import { isReady } from './guards.ts';
export const jobMachine = setup({ actors: { fetch: {} as never }, guards: { isReady } }).createMachine({
  id: 'job',
  initial: 'idle',
  states: {
    idle: { on: { START: { guard: 'isReady', target: '${key}' } } },
    ${key}: { invoke: { src: 'fetch', onDone: 'done', onError: 'idle' }, after: { ${after}: 'idle' } },
    done: { type: 'final' },
  },
});
`;

let repo = '';
const git = (...args: string[]) => execFileSync('git', args, { cwd: repo, stdio: 'pipe' });
beforeAll(() => {
  // Outside the project, with its node_modules linked in so that the machine's `xstate` import resolves.
  repo = mkdtempSync(join(tmpdir(), 'lk-diff-git-'));
  symlinkSync(join(PACKAGE_ROOT, 'node_modules'), join(repo, 'node_modules'));
  writeFileSync(join(repo, 'guards.ts'), 'export const isReady = () => true;\n');
  writeFileSync(join(repo, '.gitignore'), 'node_modules\n');
  git('init', '-q');
  git('-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '-q', '--allow-empty', '-m', 'empty');
  writeFileSync(join(repo, 'job.ts'), MACHINE(1000, 'working'));
  git('add', '.');
  git('-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '-q', '-m', 'v1');
  writeFileSync(join(repo, 'job.ts'), MACHINE(5000, 'running'));
  git('-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '-q', '-am', 'v2');
});
afterAll(() => rmSync(repo, { recursive: true, force: true }));

describe('lifecycle diff', () => {
  it('identical machines exit 0; different ones exit 1 with one line per change', async () => {
    expect(await runInProcess(['diff', 'install', 'install'])).toMatchObject({ code: 0, stdout: '--- install\n+++ install\nno changes\n' });
    const out = await runInProcess(['diff', 'install', 'upgrade']);
    expect(out.code).toBe(1);
    expect(out.stdout).toContain('~ machine id upgrade (was install)');
    expect(out.stdout).toContain('cannot resume: a run persisted on the old machine in');
  });

  it('a git revision of a file against another, its relative imports resolved, no temp file left', async () => {
    const old = await loadSide('HEAD~1:job.ts#jobMachine', repo);
    const now = await loadSide('HEAD:job.ts', repo);
    const diff = diffGraphs(extractGraph(old.machine), extractGraph(now.machine));
    expect(diff.changes.map((c) => c.type)).toEqual(['state-removed', 'state-added', 'delay-changed']);
    expect(diff.changes[0]).toEqual({ type: 'state-removed', state: 'working', renamedTo: 'running' });
    expect(diff.cannotResume.map((b) => b.state)).toEqual(['working']);
    expect(leftovers(repo)).toEqual([]);
    const same = await loadSide('HEAD:job.ts#jobMachine', repo);
    expect(diffGraphs(extractGraph(now.machine), extractGraph(same.machine)).equal).toBe(true);
  });

  it('as a child process: a revision against the working tree, JSON, exit 1', async () => {
    const child = await exec(process.execPath, [BIN, 'diff', 'HEAD~1:job.ts#jobMachine', './job.ts#jobMachine', '--json'], { cwd: repo }).catch((e: { code: number; stdout: string }) => e);
    expect((child as { code?: number }).code).toBe(1);
    const report = JSON.parse((child as { stdout: string }).stdout);
    expect(report).toMatchObject({ old: 'HEAD~1:job.ts#jobMachine', equal: false });
    expect(report.changes).toContainEqual({ type: 'delay-changed', transition: { source: 'running', event: 'after 5s', targets: ['idle'] }, from: '1s', to: '5s' });
    expect(leftovers(repo)).toEqual([]);
  });

  it('the temp file is removed when the revision fails to load, and the error names the revision', async () => {
    git('-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '-q', '--allow-empty', '-m', 'marker');
    writeFileSync(join(repo, 'broken.ts'), 'export const x = ;\n');
    git('add', 'broken.ts');
    git('-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '-q', '-m', 'broken');
    await expect(loadSide('HEAD:broken.ts', repo)).rejects.toThrow(/^cannot load HEAD:broken\.ts: /);
    expect(leftovers(repo)).toEqual([]);
  });

  it('the temp file is removed when the process is stopped while the revision loads', async () => {
    writeFileSync(join(repo, 'slow.ts'), "await new Promise((r) => setTimeout(r, 60_000));\nexport const x = 1;\n");
    git('add', 'slow.ts');
    git('-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '-q', '-m', 'slow');
    const child = spawn(process.execPath, [BIN, 'diff', 'HEAD:slow.ts', 'install'], { cwd: repo, env: { ...process.env, LIFECYCLE_LOAD_TIMEOUT_MS: '120000' }, stdio: 'ignore' });
    const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, signal) => resolve(signal)));
    const deadline = Date.now() + 30_000;
    while (leftovers(repo).length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(leftovers(repo)).toHaveLength(1);
    child.kill('SIGTERM');
    expect(await exited).toBe('SIGTERM');
    expect(leftovers(repo)).toEqual([]);
  });

  it('errors are one line naming the value', async () => {
    const cases: [string[], RegExp][] = [
      [['diff', 'nosuchrev:machines/install.ts', 'install'], /^lifecycle: cannot read nosuchrev:machines\/install\.ts from git: .*nosuchrev/],
      [['diff', 'HEAD:machines/nope.ts', 'install'], /^lifecycle: cannot read HEAD:machines\/nope\.ts from git: .*nope\.ts/],
      [['diff', 'install', 'nosuch'], /^lifecycle: unknown machine 'nosuch'/],
      [['diff', 'HEAD:machines/install.ts#nope', 'install'], /^lifecycle: HEAD:machines\/install\.ts has no export 'nope'/],
    ];
    for (const [args, message] of cases) {
      const out = await runInProcess(args);
      expect(out.code, args.join(' ')).toBe(1);
      expect(out.stderr).toMatch(message);
      expect(out.stderr.trim().split('\n'), args.join(' ')).toHaveLength(1);
    }
    expect(leftovers(MACHINES)).toEqual([]);
  });

  it('usage errors exit 2', async () => {
    for (const args of [['diff', 'install'], ['diff', 'install', 'upgrade', '-f', 'svg', '--json'], ['diff', 'install', 'upgrade', '-o', 'x.txt'], ['diff', 'install', 'upgrade', '-f', 'dot', '-o', 'x.svg']]) {
      const out = await runInProcess(args);
      expect(out.code, args.join(' ')).toBe(2);
      expect(out.stderr.trim().split('\n')).toHaveLength(1);
    }
  });

  it('pictures: the new machine with changes coloured, removed states put back dashed', async () => {
    const edited = join(MACHINES, `.diff-test-cli-${process.pid}.ts`);
    try {
      const retarget: [string, string] = ["target: 'preconditionFailed',\n          actions: 'refuseDowngrade'", "target: 'failed',\n          actions: 'refuseDowngrade'"];
      writeFileSync(edited, editSource('install', [[/rollingBack/g, 'restoringPrevious'], ['    recovering: {', "    verifying: { on: { VERIFIED: 'installing' } },\n    recovering: {"], retarget]));
      const dot = await runInProcess(['diff', 'install', `${edited}#installMachine`, '-f', 'dot']);
      expect(dot.code).toBe(1);
      expect(dot.stdout).toMatch(/"install\.verifying" \[[^\]]*color="#2b8a3e"/);
      expect(dot.stdout).toMatch(/"install\.rollingBack" \[label="rollingBack \(renamed\? → restoringPrevious\)[^\]]*style="rounded,filled,dashed"/);
      // The retargeted transition: orange to its new target, its old arrow red and dashed.
      expect(dot.stdout).toMatch(/"install\.decidingVersion" -> "install\.failed" \[label="~ always.*color="#e8590c"/);
      expect(dot.stdout).toMatch(/"install\.decidingVersion" -> "install\.preconditionFailed" \[label="− always.*id="was:.*style=dashed.*color="#c92a2a"/);
      const mermaid = await runInProcess(['diff', 'install', `${edited}#installMachine`, '-f', 'mermaid']);
      expect(mermaid.stdout).toContain('classDef diff_added');
      expect(mermaid.stdout).toMatch(/class install\.verifying,install\.restoringPrevious diff_added/);
      expect(await parseMermaid(mermaid.stdout)).toEqual({ ok: true });
      const svg = join(repo, 'diff.svg');
      const out = await runInProcess(['diff', 'install', `${edited}#installMachine`, '-o', svg]);
      expect(out.stdout).toContain('+ state verifying');
      expect(execFileSync('head', ['-c', '4', svg], { encoding: 'utf8' })).toBe('<svg');
    } finally {
      rmSync(edited, { force: true });
    }
  });

  it('--help has examples', async () => {
    const out = await runInProcess(['diff', '--help']);
    expect(out.code).toBe(0);
    expect(out.stdout).toContain('$ lifecycle diff HEAD~1:machines/install.ts#installMachine install');
  });
});
