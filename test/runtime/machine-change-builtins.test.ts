/**
 * Issue 13, the corpus of machine changes against persisted runs of each built-in: a run of a copy of
 * machines/<name>.ts (beside it, so its relative imports resolve) is SIGKILLed in a state that waits (a backoff, a
 * grace period, a resync), the copy is edited, and `lifecycle resume` either ends as a resume on the unchanged
 * machine does (final state, outcome; for install the installed files) or refuses with one stderr line and the
 * store untouched (and the untouched store still resumes on the original machine). 0 silent hangs (every resume is
 * bounded), 0 wrong ends.
 */
import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { stopHomeAgent, upgradeServices } from '../../src/services/upgrade/index.ts';
import { operatorServices } from '../../src/services/operator/index.ts';
import { examplePackage } from '../../src/services/install/index.ts';
import { prebootServices } from '../../src/services/preboot/index.ts';
import { BIN, treeOf } from './crash-harness.ts';

const ROOT = new URL('../../', import.meta.url).pathname;
const cleanup: string[] = [];
const teardowns: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const t of teardowns) await t().catch(() => undefined);
  for (const p of cleanup) rmSync(p, { recursive: true, force: true });
});

interface Proc {
  code: number | null;
  stdout: string;
  stderr: string;
  /** Killed after `ms`: a hang. */
  hung: boolean;
}

/** `lifecycle <args>` as a child process, killed (and reported as hung) after `ms`. */
function cli(args: string[], ms = 45_000): Promise<Proc> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, env: { ...process.env, NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let hung = false;
    const timer = setTimeout(() => {
      hung = true;
      child.kill('SIGKILL');
    }, ms);
    child.stdout.on('data', (d: Buffer) => (stdout += d));
    child.stderr.on('data', (d: Buffer) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, hung });
    });
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const readJson = (p: string) => JSON.parse(readFileSync(p, 'utf8')) as Record<string, any>;
const savedValue = (store: string) => (readJson(join(store, 'snapshot.json')).snapshot as { value: unknown }).value;

interface Builtin {
  name: 'install' | 'upgrade' | 'operator' | 'preboot';
  exportName: string;
  /** The `--services` ref (default: src/services/<name>/index.ts#<name>Services). */
  services?: string;
  /** A fresh sandbox in `dir`: the run's input, and the folder whose files an end is compared by (if any). */
  setup(dir: string): Promise<{ input: unknown; target?: string }>;
  /** The saved state value to kill the run in. */
  killIn(value: unknown): boolean;
  /** The final state value and outcome of a resume on the unchanged machine. */
  end: { value: unknown; outcome: string };
  /** The outcome in the run's final context (default `context.outcome`). */
  outcome?(context: Record<string, unknown>): unknown;
  /** Before the resume (operator: a DELETE, queued while the run is down, so that the run ends). */
  beforeResume?(store: string): Promise<void>;
  teardown?(dir: string): Promise<void>;
  /** Extra arguments of the resume, per edit. */
  resumeArgs?: Record<string, string[]>;
  /** The edits: name → change of the copy's text. */
  edits: Record<string, (text: string) => string>;
}

/** `text` with `from` replaced by `to`; fails when it finds nothing, so an edit never silently does nothing. */
function sub(text: string, from: string | RegExp, to: string): string {
  const next = text.replace(from, to);
  if (next === text) throw new Error(`edit found nothing: ${from}`);
  return next;
}

/** A context field the machine now starts with (and its type). */
const addContextField = (t: string) => sub(t, 'context: ({ input }) => ({\n', 'context: ({ input }) => ({\n    auditTrail: [] as string[],\n');

const INSTALL: Builtin = {
  name: 'install',
  exportName: 'installMachine',
  async setup(dir) {
    // The package fails its transforms step once: the run waits in the step's backoff (3 s), a pending timer.
    const pkg = join(dir, 'pkg');
    cpSync(examplePackage('nginx', '1.0.0'), pkg, { recursive: true });
    const manifest = readJson(join(pkg, 'manifest.json'));
    writeFileSync(join(pkg, 'manifest.json'), JSON.stringify({ ...manifest, faults: [{ step: 'transforms', times: 1 }] }));
    const target = join(dir, 'target');
    return { input: { package: pkg, target, retry: { maxAttempts: 3, initialIntervalMs: 3000, backoffRate: 1, maxIntervalMs: 3000 } }, target };
  },
  killIn: (v) => JSON.stringify(v) === JSON.stringify({ installing: { transforms: 'retrying' } }),
  end: { value: 'installed', outcome: 'installed' },
  edits: {
    'rename the state it is in': (t) => sub(t, "backoff: 'retrying'", "backoff: 'waitingToRetry'"),
    'rename its invoked service': (t) => sub(t, /\binstallTransforms\b/g, 'installTransformsV2'),
    'add a context field': addContextField,
    'remove an unrelated transition': (t) =>
      sub(t, "{ guard: { type: 'installedVersionIs', params: { relation: 'same' } }, target: 'alreadyInstalled' },", ''),
    // install has one delay, the backoff the run waits in: its implementation changes, its name does not.
    'change a delay': (t) =>
      sub(t, 'backoff: ({ context }) => backoffDelay(context.retry, context.attempts),', 'backoff: ({ context }) => backoffDelay(context.retry, context.attempts) + 500,'),
    'add a state': (t) => sub(t, '    installed: {\n', "    spare: { type: 'final' },\n    installed: {\n"),
    'a pending timer (unchanged machine)': (t) => t,
  },
};

const UPGRADE: Builtin = {
  name: 'upgrade',
  exportName: 'upgradeMachine',
  async setup(dir) {
    const input = await upgradeServices.sandboxInput!(dir);
    // The trial: the watcher pauses 1 s between probes for a grace period of 5 s (pending timers: both).
    return { input: { ...input, gracePeriodMs: 5000, healthCheckIntervalMs: 1000 }, target: undefined };
  },
  killIn: (v) => JSON.stringify(v).includes('"watching":"pausing"'),
  end: { value: 'completed', outcome: 'completed' },
  teardown: (dir) => stopHomeAgent(join(dir, 'agent')).then(() => undefined),
  edits: {
    'rename the state it is in': (t) => sub(t, /\bpausing\b/g, 'resting'),
    'rename its invoked service': (t) => sub(t, /(?<=['"])checkHealth(?=['"])|(?<=^\s+)checkHealth(?=:)/gm, 'probeAgentHealth'),
    'add a context field': addContextField,
    'remove an unrelated transition': (t) =>
      sub(
        t,
        "            {\n              guard: { type: 'violates', params: { rule: 'builtEarlier' } },\n              target: '#upgrade.refused',\n              actions: { type: 'refuse', params: { rule: 'builtEarlier' } },\n            },\n",
        '',
      ),
    // The delay of the state the run is in (pausing): a named delay becomes a fixed one.
    'change a delay': (t) => sub(t, "after: { healthCheckInterval: 'checking' }", "after: { 700: 'checking' }"),
    'add a state': (t) => sub(t, '    handingOff: {\n', "    spare: { on: { BACK: 'handingOff' } },\n    handingOff: {\n"),
    'a pending timer (unchanged machine)': (t) => t,
  },
};

const OPERATOR: Builtin = {
  name: 'operator',
  exportName: 'operatorMachine',
  services: 'src/services/operator/index.ts#operatorServices',
  async setup(dir) {
    const input = await operatorServices.sandboxInput!(dir);
    return { input: { ...input, resyncMs: 60_000 } };
  },
  killIn: (v) => v === 'converged',
  end: { value: 'ended', outcome: 'ended' },
  async beforeResume(store) {
    const sent = await cli(['send', '--store', store, '{"type":"DELETE"}'], 20_000);
    expect(sent.stdout).toMatch(/^queued DELETE/);
  },
  edits: {
    'rename the state it is in': (t) => sub(sub(t, '    converged: {\n', '    settled: {\n'), /#operator\.converged/g, '#operator.settled'),
    'rename its invoked service': (t) => sub(t, /(?<=src: ')readSpec(?=')|(?<=^\s+)readSpec(?=: notProvided)/gm, 'readSpecFile'),
    'add a context field': addContextField,
    'remove an unrelated transition': (t) =>
      sub(t, /(    blocked: \{\n[^\n]*\n[^\n]*\n)      on: \{ 'SPEC\.CHANGED': 'reconciling' \},\n/, '$1'),
    // The resync of the state the run waits in, as a fixed delay.
    'change a delay': (t) =>
      sub(t, /(    converged: \{\n[^\n]*\n[^\n]*\n[^\n]*\n)      after: \{ resync: 'reconciling' \},/, "$1      after: { 45000: 'reconciling' },"),
    'change a delay elsewhere': (t) => sub(t, "after: { requeue: 'reconciling' }", "after: { 1500: 'reconciling' }"),
    'add a state': (t) => sub(t, '    requeued: {\n', "    spare: { on: { BACK: 'reconciling' } },\n    requeued: {\n"),
    'a pending timer (unchanged machine)': (t) => t,
  },
};

const PREBOOT: Builtin = {
  name: 'preboot',
  exportName: 'prebootMachine',
  async setup(dir) {
    // The interactive setup's hold keeps the run in awaitingSetupHolds with watchHolds running (a callback service).
    return { input: await prebootServices.sandboxInput!(dir) };
  },
  killIn: (v) => JSON.stringify(v) === JSON.stringify({ preboot: 'awaitingSetupHolds' }),
  end: { value: 'stopped', outcome: 'requested' },
  outcome: (c) => c.stopReason,
  resumeArgs: {
    'rename its invoked service, and the services with it': ['--services', `${new URL('./machine-change-services.ts', import.meta.url).pathname}#renamedPrebootServices`],
  },
  async beforeResume(store) {
    const sent = await cli(['send', '--store', store, '{"type":"STOP"}'], 20_000);
    expect(sent.stdout).toMatch(/^queued STOP/);
  },
  edits: {
    'rename the state it is in': (t) => sub(t, /\bawaitingSetupHolds\b/g, 'awaitingHolds'),
    // The service that runs in the state the run is in (and in setup's invoke): actors and src, not the step's name.
    'rename its invoked service': (t) => sub(t, /(?<=src: ')watchHolds(?=')|(?<=^\s+)watchHolds(?=: notProvidedCallback)/gm, 'watchHoldRegistry'),
    'rename its invoked service, and the services with it': (t) =>
      sub(t, /(?<=src: ')watchHolds(?=')|(?<=^\s+)watchHolds(?=: notProvidedCallback)/gm, 'watchHoldRegistry'),
    'add a context field': addContextField,
    'remove an unrelated transition': (t) => sub(t, "      initial: 'stoppingPrebootServer',\n      on: { STOP: '#preboot.stopping' },\n", "      initial: 'stoppingPrebootServer',\n"),
    // preboot's one delay is the steps' backoff (no step is backing off here): its implementation changes.
    'change a delay': (t) =>
      sub(t, 'backoff: ({ context }) => backoffDelay(context.retry, context.attempts),', 'backoff: ({ context }) => backoffDelay(context.retry, context.attempts) + 500,'),
    'add a state': (t) => sub(t, '    stopped: {\n', "    spare: { on: { BACK: 'stopped' } },\n    stopped: {\n"),
    'the same machine (no timer pending in preboot)': (t) => t,
  },
};

/** The store's files, to check a refused resume changed nothing. */
const storeFiles = (store: string) =>
  ['run.json', 'snapshot.json', 'journal.jsonl'].map((f) => (existsSync(join(store, f)) ? readFileSync(join(store, f), 'utf8') : null));

interface Prepared {
  copy: string;
  original: string;
  store: string;
  dir: string;
  target?: string;
  resume(extra?: string[]): Promise<Proc & { value: unknown; outcome: unknown; status: unknown }>;
}

/** A copy of the built-in, run until it is saved in the kill state and SIGKILLed there. */
async function prepare(b: Builtin, label: string): Promise<Prepared> {
  const source = join(ROOT, 'machines', `${b.name}.ts`);
  const original = readFileSync(source, 'utf8');
  const copy = join(ROOT, 'machines', `.change-${b.name}-${label.replace(/\W+/g, '-')}-${process.pid}.ts`);
  writeFileSync(copy, original);
  const dir = mkdtempSync(join(tmpdir(), `lk-change-${b.name}-`));
  cleanup.push(copy, dir);
  if (b.teardown) teardowns.push(() => b.teardown!(dir));
  const { input, target } = await b.setup(dir);
  const store = join(dir, 'store');
  const services = b.services ?? `src/services/${b.name}/index.ts#${b.name}Services`;
  const child = spawn(process.execPath, [BIN, 'run', `${copy}#${b.exportName}`, '--services', services, '--store', store, '--input', JSON.stringify(input)], {
    cwd: ROOT,
    stdio: 'ignore',
  });
  const closed = new Promise((r) => child.on('close', r));
  let reached = false;
  for (let i = 0; i < 1500 && child.exitCode === null; i++) {
    try {
      if (existsSync(join(store, 'snapshot.json')) && b.killIn(savedValue(store))) {
        reached = true;
        break;
      }
    } catch {
      // a snapshot being replaced: read again
    }
    await sleep(20);
  }
  child.kill('SIGKILL');
  await closed;
  if (!reached) throw new Error(`${b.name} (${label}): the run never saved the kill state; it is in ${JSON.stringify(savedValue(store))}`);
  return {
    copy,
    original,
    store,
    dir,
    target,
    async resume(extra = []) {
      const r = await cli(['resume', '--store', store, ...extra]);
      let value: unknown = null;
      let outcome: unknown = null;
      let status: unknown = null;
      try {
        const saved = readJson(join(store, 'snapshot.json')).snapshot as { value: unknown; context: Record<string, unknown> };
        value = saved.value;
        outcome = (b.outcome ? b.outcome(saved.context) : saved.context.outcome) ?? null;
        status = readJson(join(store, 'run.json')).status;
      } catch {
        // reported through value/status null
      }
      return { ...r, value, outcome, status };
    },
  };
}

/** What a run left in its target, for install: the installed files (records and fault counters aside: they carry times). */
const installedFiles = (target?: string) =>
  target ? Object.fromEntries(Object.entries(treeOf(target)).filter(([k]) => !k.startsWith('.installations/'))) : {};

/** Expected behaviour of each case, per built-in: `resumes` (the same end), or `refused` with what the line says. */
type Expect = { kind: 'resumes'; warns?: RegExp } | { kind: 'refused'; says: RegExp; accept?: boolean };

const EXPECTED: Record<Builtin['name'], Record<string, Expect>> = {
  install: {
    'rename the state it is in': { kind: 'refused', says: /the run is in `installing\.transforms\.retrying`, which the machine no longer has/ },
    'rename its invoked service': { kind: 'refused', says: /^lifecycle: services \S+: actors\.installTransforms is not an actor the machine names \(did you mean 'installTransformsV2'\?\)/ },
    'add a context field': { kind: 'refused', says: /the machine's context now has `auditTrail`, which the run's lacks/, accept: true },
    'remove an unrelated transition': { kind: 'resumes', warns: /^warning: the machine changed since the run was saved/ },
    'change a delay': { kind: 'resumes' },
    'add a state': { kind: 'resumes', warns: /^warning: the machine changed since the run was saved/ },
    'a pending timer (unchanged machine)': { kind: 'resumes' },
  },
  upgrade: {
    'rename the state it is in': { kind: 'refused', says: /pausing`, which the machine no longer has/ },
    'rename its invoked service': { kind: 'refused', says: /^lifecycle: services \S+: actors\.checkHealth is not an actor the machine names; it names: .*probeAgentHealth/ },
    'add a context field': { kind: 'refused', says: /the machine's context now has `auditTrail`, which the run's lacks/, accept: true },
    'remove an unrelated transition': { kind: 'resumes', warns: /^warning: the machine changed since the run was saved/ },
    'change a delay': { kind: 'refused', says: /timer/, accept: true },
    'add a state': { kind: 'resumes', warns: /^warning: the machine changed since the run was saved/ },
    'a pending timer (unchanged machine)': { kind: 'resumes' },
  },
  preboot: {
    // The services' invariants name the state: their check refuses before the machine-change check does.
    'rename the state it is in': { kind: 'refused', says: /^lifecycle: services \S+: invariants\.preboot\.awaitingSetupHolds names no state of the machine \(did you mean 'preboot\.awaitingHolds'\?\)/ },
    'rename its invoked service': { kind: 'refused', says: /^lifecycle: services \S+: actors\.watchHolds is not an actor the machine names; it names: .*watchHoldRegistry$/ },
    'rename its invoked service, and the services with it': {
      kind: 'refused',
      says: /the run's service `watchHolds` in `preboot\.awaitingSetupHolds` is now `watchHoldRegistry`: the running one would be dropped/,
    },
    'add a context field': { kind: 'refused', says: /the machine's context now has `auditTrail`, which the run's lacks/, accept: true },
    'remove an unrelated transition': { kind: 'resumes', warns: /^warning: the machine changed since the run was saved/ },
    'change a delay': { kind: 'resumes' },
    'add a state': { kind: 'resumes', warns: /^warning: the machine changed since the run was saved/ },
    'the same machine (no timer pending in preboot)': { kind: 'resumes' },
  },
  operator: {
    // The services' invariants name the state: their check refuses before the machine-change check does.
    'rename the state it is in': { kind: 'refused', says: /^lifecycle: services \S+: invariants\.converged names no state of the machine/ },
    'rename its invoked service': { kind: 'refused', says: /^lifecycle: services \S+: actors\.readSpec is not an actor the machine names \(did you mean 'readSpecFile'\?\)/ },
    'add a context field': { kind: 'refused', says: /the machine's context now has `auditTrail`, which the run's lacks/, accept: true },
    'remove an unrelated transition': { kind: 'resumes', warns: /^warning: the machine changed since the run was saved/ },
    'change a delay': { kind: 'refused', says: /the timer of `converged`, which the run is in, changed/, accept: true },
    'change a delay elsewhere': { kind: 'resumes', warns: /^warning: the machine changed since the run was saved/ },
    'add a state': { kind: 'resumes', warns: /^warning: the machine changed since the run was saved/ },
    'a pending timer (unchanged machine)': { kind: 'resumes' },
  },
};

/** What each case did, printed at the end as the issue's table. */
const table: string[] = [];
afterAll(() => console.log(`built-in × case → result\n${table.join('\n')}`));

/** Same end as the unchanged machine: final state, outcome, status, and (install) the installed files. */
async function expectSameEnd(b: Builtin, p: Prepared, r: Awaited<ReturnType<Prepared['resume']>>, baseline: () => Promise<Record<string, string>>) {
  expect(r.hung, `resume hung: ${r.stdout}${r.stderr}`).toBe(false);
  expect(r.code, r.stderr).toBe(0);
  expect(r.value).toEqual(b.end.value);
  expect(r.outcome).toBe(b.end.outcome);
  expect(r.status).toBe('succeeded');
  if (p.target) expect(installedFiles(p.target)).toEqual(await baseline());
}

/**
 * Every case of every built-in takes minutes (each is a run, a kill and a resume as child processes): `npm test`
 * runs a refusal and an accepted change per built-in, `LIFECYCLE_CHANGES=all` all of them.
 */
const ALL = process.env.LIFECYCLE_CHANGES === 'all';
const SAMPLED = new Set(['rename the state it is in', 'add a context field']);

for (const b of [INSTALL, UPGRADE, OPERATOR, PREBOOT]) {
  describe(`${b.name}: resuming on a changed copy of machines/${b.name}.ts (child processes)`, () => {
    // The installed files of a resume on the unchanged machine (install), computed once.
    let baselineFiles: Promise<Record<string, string>> | null = null;
    const baseline = () =>
      (baselineFiles ??= (async () => {
        const p = await prepare(b, 'baseline');
        await b.beforeResume?.(p.store);
        const r = await p.resume();
        expect(r.code, r.stderr).toBe(0);
        return installedFiles(p.target);
      })());

    for (const [name, change] of Object.entries(b.edits)) {
      if (!ALL && !SAMPLED.has(name)) continue;
      const want = EXPECTED[b.name][name]!;
      it(`${name}: ${want.kind === 'resumes' ? 'resumes to the same end' : 'refused with one line, the store untouched'}`, { timeout: 90_000 }, async () => {
        const p = await prepare(b, name);
        writeFileSync(p.copy, change(p.original));
        await b.beforeResume?.(p.store);
        const before = storeFiles(p.store);
        const args = b.resumeArgs?.[name] ?? [];
        const r = await p.resume(args);
        const line = r.stderr.trim();
        try {
          if (want.kind === 'resumes') {
            await expectSameEnd(b, p, r, baseline);
            const warnings = r.stderr.split('\n').filter(Boolean);
            if (want.warns) {
              expect(warnings).toHaveLength(1);
              expect(warnings[0]).toMatch(want.warns);
            } else expect(r.stderr).toBe('');
            table.push(`${b.name} × ${name} → resumed, same end (${JSON.stringify(r.value)})${warnings.length ? `; warned: ${warnings[0]}` : ''}`);
            return;
          }
          expect(r.hung, `resume hung: ${r.stdout}${r.stderr}`).toBe(false);
          expect(r.code, `${r.stdout}${r.stderr}`).toBe(1);
          expect(line.split('\n')).toHaveLength(1);
          expect(line).toMatch(want.says);
          expect(storeFiles(p.store)).toEqual(before);
          table.push(`${b.name} × ${name} → refused: ${line}`);
          if (want.accept) {
            const accepted = await p.resume([...args, '--accept-changes']);
            await expectSameEnd(b, p, accepted, baseline);
            table.push(`${b.name} × ${name} → with --accept-changes: resumed, same end (${JSON.stringify(accepted.value)})`);
          } else {
            // The refused store still resumes on the machine the run started on, to the same end.
            writeFileSync(p.copy, p.original);
            await expectSameEnd(b, p, await p.resume(), baseline);
          }
        } catch (e) {
          table.push(`${b.name} × ${name} → UNEXPECTED: exit ${r.code}${r.hung ? ' (hung)' : ''}, ${JSON.stringify(r.value)} ${String(r.status)}; stderr: ${line}`);
          throw e;
        } finally {
          rmSync(p.copy, { force: true }); // the copy sits in machines/: gone as soon as the case is over
        }
      });
    }
  });
}
