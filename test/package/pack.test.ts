// SLOW (about 2 minutes; part of `npm test`): the package as users get it. Packs lifecycle-kit (`npm pack`, which
// builds dist/) from a staged copy of this tree, so the repo's own dist/ is never rebuilt under the other tests;
// installs the tarball into a fresh project with its own package.json (npm's cache first: --prefer-offline); and
// there runs `npx lifecycle diagram` on a .ts machine of the project, `testgen` + `vitest run`, a plain-Node ESM
// script importing the library API the docs name, and `tsc` on a file importing its types with a consumer's
// strictest settings (skipLibCheck off). Nothing outside the project is on any path it uses.
import { type ChildProcess, spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const tmp = mkdtempSync(join(tmpdir(), 'lifecycle-kit-pack-'));
const project = join(tmp, 'project');

interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

function run(command: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = {}): Promise<Result> {
  return new Promise((resolve, reject) => {
    const child: ChildProcess = spawn(command, args, {
      cwd,
      // Only the project: no LIFECYCLE_DEV, no NODE_OPTIONS or NODE_PATH of the test runner.
      env: { PATH: process.env.PATH, HOME: process.env.HOME, NO_PROGRESS: '1', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (d) => (stdout += d));
    child.stderr!.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

const ok = (r: Result) => {
  if (r.code !== 0) throw new Error(`exit ${r.code}\n${r.stdout}\n${r.stderr}`);
  return r;
};

const MACHINE = `import { assign, fromPromise, setup } from 'xstate';
import { initialStepProgress, retryingStep, stepAssigners as a, stepDelays, stepGuards, type StepProgress } from 'lifecycle-kit/steps';

export const doorMachine = setup({
  types: {
    context: {} as StepProgress & { opened: number },
    events: {} as { type: 'OPEN' } | { type: 'CLOSE' } | { type: 'LOCK'; code: 'a' | 'b' },
  },
  actors: { unlock: fromPromise(async () => 'ok') },
  actions: { enterStep: assign(a.enterStep), countAttempt: assign(a.countAttempt), recordError: assign(a.recordError) },
  guards: { ...stepGuards, rightCode: ({ event }) => event.type === 'LOCK' && event.code === 'b' },
  delays: stepDelays,
}).createMachine({
  id: 'door',
  context: { ...initialStepProgress(), opened: 0 },
  initial: 'closed',
  states: {
    closed: { on: { OPEN: 'opening', LOCK: { guard: 'rightCode', target: 'locked' } } },
    opening: retryingStep({
      step: 'unlock',
      src: 'unlock',
      retry: { maxAttempts: 2, initialIntervalMs: 100 },
      onDone: { target: '#door.open' },
      onError: { target: '#door.closed' },
    }),
    open: { on: { CLOSE: 'closed' } },
    locked: { type: 'final' },
  },
});
`;

// Every name README.md and docs/*.md tell a user to import, from the entry point they are documented in.
const SCRIPT = `import {
  loadMachine, extractGraph, toMermaid, validate, generatePaths, resolveSamples,
  attachInspector, startInspectSession, openRenderer, toWire,
  shouldRetry, backoffDelay, resolveRetryPolicy, toStepError, initialProgress,
  startRun, resumeRun, readRunStatus, DirectoryStore, MemoryStore, guardService, withTransitionHooks, restartDelays,
} from 'lifecycle-kit';
import { createPathRunner } from 'lifecycle-kit/testing';
import { retryingStep, stepGuards } from 'lifecycle-kit/steps';
import { inferCatalogue } from 'lifecycle-kit/infer';
import { ChromiumMissingError, withRenderer } from 'lifecycle-kit/render';

const fns = { attachInspector, startInspectSession, openRenderer, toWire, startRun, resumeRun, readRunStatus, guardService, withTransitionHooks, restartDelays, createPathRunner, retryingStep, inferCatalogue, withRenderer, ChromiumMissingError, DirectoryStore, MemoryStore };
for (const [name, f] of Object.entries(fns)) if (typeof f !== 'function') throw new Error(name + ' is not exported');
const { machine } = await loadMachine('./src/door.ts#doorMachine');
const graph = extractGraph(machine);
const { catalogue } = await resolveSamples(await loadMachine('./src/door.ts#doorMachine'), graph);
const policy = resolveRetryPolicy({ maxAttempts: 3 });
const inspector = await attachInspector({ machine });
await inspector.close();
console.log(JSON.stringify({
  mermaid: toMermaid(graph).split('\\n')[1],
  valid: validate(graph).ok,
  covered: generatePaths(machine, graph, { catalogue }).coverage.transitions.covered,
  retry: shouldRetry(policy, 1, toStepError('unlock', 1, new Error('x'))),
  delay: backoffDelay(policy, 1) > 0,
  attempts: initialProgress().attempts,
  guards: Object.keys(stepGuards),
  inspector: inspector.url.startsWith('http://127.0.0.1:'),
}));
`;

const TYPES = `import { extractGraph, loadMachine, shouldRetry, resolveRetryPolicy, type EventCatalogue, type LifecycleGraph, type RetryPolicy,
  type PathsResult, type AttachedInspector, type RunStore, type LifecycleServices, type ValidationReport } from 'lifecycle-kit';
import { createPathRunner, type TestStep } from 'lifecycle-kit/testing';
import { retryingStep, type StepProgress } from 'lifecycle-kit/steps';
import type { InferredCatalogue } from 'lifecycle-kit/infer';
import type { DiagramRenderer } from 'lifecycle-kit/render';

export const graph: Promise<LifecycleGraph> = loadMachine('install').then((loaded) => extractGraph(loaded.machine));
export const policy: RetryPolicy = resolveRetryPolicy({ maxAttempts: 2 });
export const again: boolean = shouldRetry(policy, 1, null);
export const catalogue: EventCatalogue = { events: { OPEN: [{}] } };
export const step: TestStep = { event: { type: 'OPEN' }, state: 'opening' };
export type Used = [PathsResult, AttachedInspector, RunStore, LifecycleServices, ValidationReport, StepProgress, InferredCatalogue, DiagramRenderer, typeof createPathRunner, typeof retryingStep];
`;

const TSCONFIG = {
  compilerOptions: {
    target: 'ES2022',
    module: 'NodeNext',
    moduleResolution: 'NodeNext',
    lib: ['ES2022'],
    types: ['node'],
    strict: true,
    noUncheckedIndexedAccess: true,
    exactOptionalPropertyTypes: true,
    skipLibCheck: false,
    noEmit: true,
  },
  include: ['types.ts'],
};

let tscRun: Promise<Result>;

describe('the packed package, installed into a fresh project', () => {
  beforeAll(async () => {
    // A staged copy: `npm pack` runs `prepare` (the build) there, not in this tree.
    const stage = join(tmp, 'stage');
    mkdirSync(stage);
    for (const entry of ['package.json', 'tsconfig.json', 'tsconfig.build.json', 'README.md', 'scripts', 'src', 'cli', 'machines', 'schema', 'bin', 'examples', 'docs']) {
      cpSync(join(ROOT, entry), join(stage, entry), { recursive: true, filter: (src) => !src.includes(`${join(ROOT, 'docs', 'lifecycles')}`) });
    }
    symlinkSync(join(ROOT, 'node_modules'), join(stage, 'node_modules'));
    ok(await run('npm', ['pack', '--pack-destination', tmp, '--silent'], stage));
    const tarball = readdirSync(tmp).find((f) => f.endsWith('.tgz'));
    if (!tarball) throw new Error('npm pack wrote no tarball');

    mkdirSync(join(project, 'src'), { recursive: true });
    writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }, null, 2));
    writeFileSync(join(project, 'src/door.ts'), MACHINE);
    writeFileSync(join(project, 'use.mjs'), SCRIPT);
    writeFileSync(join(project, 'types.ts'), TYPES);
    writeFileSync(join(project, 'tsconfig.json'), JSON.stringify(TSCONFIG, null, 2));
    // The versions this repo tests with, from npm's cache when it has them.
    const devDeps = (await import(join(ROOT, 'package.json'), { with: { type: 'json' } })).default.devDependencies as Record<string, string>;
    ok(
      await run(
        'npm',
        ['install', join(tmp, tarball), `vitest@${devDeps.vitest}`, 'typescript@5.9.3', `@types/node@${devDeps['@types/node']}`, '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error'],
        project,
      ),
    );
    // The type check takes longest (a minute on a busy 2-core machine): it runs while the commands below do.
    tscRun = run('npx', ['tsc', '-p', '.'], project);
  }, 300_000);

  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  it('npx lifecycle diagram draws a .ts machine of the project', async () => {
    const r = ok(await run('npx', ['lifecycle', 'diagram', 'src/door.ts#doorMachine'], project));
    expect(r.stdout).toContain('stateDiagram-v2');
    expect(r.stdout).toContain('door.opening');
    expect(r.stderr).toBe('');
  }, 120_000);

  it('lifecycle --version answers from the build and loads no tsx; the exports are the documented entry points', async () => {
    // A resolve hook that reports every module specifier the process resolves.
    const hook = `data:text/javascript,import { register } from 'node:module'; register('data:text/javascript,export async function resolve(s, c, next) { process.stderr.write("resolve " + s + "\\n"); return next(s, c); }');`;
    const r = ok(await run('node', ['--import', hook, 'node_modules/.bin/lifecycle', '--version'], project));
    expect(r.stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
    expect(r.stderr).toContain('resolve commander');
    expect(r.stderr).not.toMatch(/tsx|xstate|typescript/);
    const pkg = ok(await run('node', ['-e', "import('lifecycle-kit/package.json', { with: { type: 'json' } }).then((m) => console.log(Object.keys(m.default.exports).join(',')))"], project));
    expect(pkg.stdout.trim()).toBe('.,./testing,./steps,./infer,./render,./catalogue.schema.json,./package.json');
    // The catalogue schema: by its export, and at the path the README's JSON example names in $schema.
    const schema = ok(await run('node', ['-e', "import('lifecycle-kit/catalogue.schema.json', { with: { type: 'json' } }).then((m) => console.log(m.default.title))"], project));
    expect(schema.stdout.trim()).toBe('lifecycle-kit event catalogue');
    expect(existsSync(join(project, 'node_modules/lifecycle-kit/schema/catalogue.schema.json'))).toBe(true);
  }, 60_000);

  it('testgen writes a suite that vitest runs and passes in the project, and coverage measures what it took', async () => {
    const gen = ok(await run('npx', ['lifecycle', 'testgen', 'src/door.ts#doorMachine', '-o', 'test/generated'], project));
    expect(gen.stdout).toMatch(/transitions: (\d+)\/\1 covered/);
    const total = gen.stdout.match(/transitions: (\d+)\//)![1];
    const vitest = ok(await run('npx', ['vitest', 'run', 'test/generated'], project, { LIFECYCLE_COVERAGE: '1' }));
    // eslint-disable-next-line no-control-regex
    expect(vitest.stdout.replace(/\x1b\[[0-9;]*m/g, '')).toMatch(/Tests\s+\d+ passed/);
    const coverage = ok(await run('node_modules/.bin/lifecycle', ['coverage', 'src/door.ts#doorMachine', '--min-coverage', '100'], project));
    expect(coverage.stdout).toBe(`door (measured: 1 coverage file in .lifecycle-coverage): transitions ${total}/${total} taken (100%)\n`);
  }, 120_000);

  it('a plain-Node ESM script imports the documented API', async () => {
    const r = ok(await run('node', ['use.mjs'], project));
    const out = JSON.parse(r.stdout.trim().split('\n').pop()!) as Record<string, unknown>;
    expect(out).toMatchObject({ mermaid: 'stateDiagram-v2', valid: true, retry: true, delay: true, attempts: 0, inspector: true });
    expect(out.covered).toBeGreaterThan(0);
    expect(out.guards).toContain('canRetry');
  }, 60_000);

  it("its declarations type-check under strict, noUncheckedIndexedAccess, exactOptionalPropertyTypes, skipLibCheck off", async () => {
    const r = await tscRun;
    // xstate 5.33's own setup.d.ts fails exactOptionalPropertyTypes with skipLibCheck off (TS2344, in any project
    // that imports xstate): that is xstate's, so only errors elsewhere count.
    const errors = `${r.stdout}${r.stderr}`.split('\n').filter((l) => /error TS\d+/.test(l) && !l.startsWith('node_modules/xstate/'));
    expect(errors).toEqual([]);
  }, 300_000);
});
