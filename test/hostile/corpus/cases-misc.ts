/**
 * Cases against the loaders (machine modules that never finish loading, exit, throw or do not parse), preboot's
 * interactive setup attacked cross-site while `lifecycle run preboot` waits, and two `run`s of one store at once.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { httpRequest, isListening } from '../../../src/services/preboot/index.ts';
import { BIN, lifecycle } from './cli.ts';
import { escape, judge, type Case, type Ctx } from './case.ts';
import { HOSTILE, STEPS } from './fixtures.ts';

const module = (c: Ctx, name: string, text: string) => (writeFileSync(join(c.dir, name), text), join(c.dir, name));

export const loaderCases: Case[] = [
  { id: 'top-level await that never settles', cls: 'loaders', prepare: () => ({ args: ['validate', `${HOSTILE}tla-never.ts`] }), line: () => /tla-never\.ts never finished loading/ },
  {
    id: 'top-level await with a live timer',
    cls: 'loaders',
    prepare: () => ({ args: ['validate', `${HOSTILE}tla-live-timer.ts`], env: { LIFECYCLE_LOAD_TIMEOUT_MS: '800' } }),
    line: () => /tla-live-timer\.ts did not finish loading within 800 ms/,
    maxMs: 15_000,
  },
  { id: 'process.exit(0) while loading', cls: 'loaders', prepare: () => ({ args: ['validate', `${HOSTILE}exit-on-load.ts`] }), line: () => /exit-on-load\.ts called process\.exit\(0\) while loading/ },
  {
    id: 'process.exit(0) from a timer while loading (run)',
    cls: 'loaders',
    prepare: (c) => ({ args: ['run', `${HOSTILE}exit-later-on-load.ts`, '--store', join(c.dir, 'store')] }),
    line: () => /exit-later-on-load\.ts called process\.exit\(0\) while loading/,
  },
  {
    id: 'a module that throws while loading',
    cls: 'loaders',
    prepare: (c) => ({ args: ['validate', module(c, 'throws.ts', "throw new Error('boom at load');\nexport const machine = 1;\n")] }),
    line: (c) => new RegExp(`${escape(join(c.dir, 'throws.ts'))}.*boom at load`),
  },
  {
    id: 'a module that does not parse',
    cls: 'loaders',
    prepare: (c) => ({ args: ['validate', module(c, 'broken.ts', 'export const machine = {{{;\n')] }),
    line: (c) => new RegExp(escape(join(c.dir, 'broken.ts'))),
  },
  {
    id: 'a module with no machine',
    cls: 'loaders',
    prepare: (c) => ({ args: ['validate', module(c, 'none.ts', 'export const answer = 42;\n')] }),
    line: (c) => new RegExp(escape(join(c.dir, 'none.ts'))),
  },
  {
    id: 'LIFECYCLE_LOAD_TIMEOUT_MS that is not a number',
    cls: 'loaders',
    prepare: () => ({ args: ['validate', `${HOSTILE}tla-never.ts`], env: { LIFECYCLE_LOAD_TIMEOUT_MS: 'soon' } }),
    line: () => /LIFECYCLE_LOAD_TIMEOUT_MS must be a positive number of milliseconds, not 'soon'/,
  },
];

/** `lifecycle run preboot` waiting at preboot, attacked with the cross-site POSTs and a code guesser; then Ctrl-C. */
const prebootCrossSite: Case = {
  id: 'cross-site POSTs and code guessing against the interactive setup of a running preboot',
  cls: 'preboot cross-site',
  async drive(c) {
    const configPath = join(c.dir, 'config', 'server.json');
    const input = { dataDir: join(c.dir, 'data'), configPath, host: '127.0.0.1', port: 0, plugins: ['interactive-setup'] };
    const child = spawn(process.execPath, [BIN, 'run', 'preboot', '--store', join(c.dir, 'store'), '--input', JSON.stringify(input)], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, NO_COLOR: '1' },
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d));
    child.stderr.on('data', (d: Buffer) => (err += d));
    const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    c.defer(() => void child.kill('SIGKILL'));
    const deadline = Date.now() + 20_000;
    let match: RegExpExecArray | null = null;
    while (!(match = /to configure: curl .* -d '(\{.*\})' (http:\/\/\S+)/.exec(out)) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    if (!match) return [`preboot did not print its configure command within 20 s: ${JSON.stringify(out + err).slice(0, 300)}`];
    const [, body, configure] = match;
    const credentials = JSON.stringify({ ...(JSON.parse(body!) as object), username: 'attacker', password: 'x' });
    const port = new URL(configure!).port;
    const problems: string[] = [];
    // Even with the right code (a page cannot read it, but assume the worst): foreign Origin/Host, text/plain.
    const attempts: [string, Record<string, string>][] = [
      ['foreign Origin and Host, text/plain', { origin: 'http://attacker.example', host: 'attacker.example', 'content-type': 'text/plain' }],
      ['foreign Origin, JSON', { origin: 'http://attacker.example', 'content-type': 'application/json' }],
      ['DNS rebinding (foreign Host, our port)', { host: `attacker.example:${port}`, 'content-type': 'application/json' }],
      ['text/plain from our own origin', { 'content-type': 'text/plain' }],
    ];
    for (const [what, headers] of attempts) {
      const answer = await httpRequest('POST', configure!, { body: credentials, headers, timeoutMs: 3000 }).catch((e: Error) => ({ status: 0, body: e.message }));
      if (answer.status < 400) problems.push(`${what}: answered ${answer.status}`);
    }
    // A same-origin guesser: five wrong codes lock the setup, after which even the right code is refused.
    const guess = (code: string) => httpRequest('POST', configure!, { body: JSON.stringify({ ...(JSON.parse(credentials) as object), code }), headers: { 'content-type': 'application/json' }, timeoutMs: 3000 });
    for (let i = 0; i < 5; i++) {
      const answer = await guess(String(100000 + i));
      if (answer.status < 400) problems.push(`wrong code ${100000 + i}: answered ${answer.status}`);
    }
    const right = await guess((JSON.parse(body!) as { code: string }).code);
    if (right.status !== 429) problems.push(`the right code after five wrong ones: answered ${right.status}, expected 429 (locked)`);
    if (existsSync(configPath)) problems.push(`the config was written: ${readFileSync(configPath, 'utf8').slice(0, 200)}`);
    if (!(await isListening('127.0.0.1', Number(port)))) problems.push('the preboot server went away');
    child.kill('SIGINT');
    const code = await Promise.race([exited, new Promise<'hung'>((r) => setTimeout(() => r('hung'), 10_000))]);
    if (code === 'hung') problems.push('did not stop within 10 s of Ctrl-C');
    else if (code !== 0) problems.push(`exit ${code} after Ctrl-C, expected 0 (stopped): ${err.trim().slice(0, 300)}`);
    if (/\n\s+at |unexpected error/.test(err)) problems.push(`stack trace on stderr: ${err.slice(0, 300)}`);
    return problems;
  },
};

/**
 * Four `run`s of one store started together: each either runs or is refused on one line, and no two run at once
 * (a run that starts after another ended may run: it starts a new run in the store). Their steps sleep, so that
 * start-up jitter leaves them overlapping.
 */
const cliRace: Case = {
  id: 'four runs of one store at once',
  cls: 'lock races',
  async drive(c) {
    const work = join(c.dir, 'work');
    const args = ['run', STEPS, '--store', join(c.dir, 'store'), '--input', JSON.stringify({ steps: 2, dir: work, sleepMs: 1500 })];
    const procs = await Promise.all(Array.from({ length: 4 }, () => lifecycle({ args })));
    const won = procs.filter((p) => p.code === 0);
    const problems: string[] = [];
    if (won.length === 0) problems.push('no run succeeded');
    const refusal: Case = { id: '', cls: 'lock races', line: () => /locked by a running process \(pid \d+/ };
    for (const p of procs.filter((q) => q.code !== 0)) problems.push(...judge(refusal, c, p));
    // `step-<i> pid <pid>` per step run: a double run shows as two pids interleaved.
    const log = existsSync(join(work, 'runs.log')) ? readFileSync(join(work, 'runs.log'), 'utf8').trim().split('\n') : [];
    const pids = log.map((l) => /pid (\d+)/.exec(l)?.[1]);
    const interleaved = pids.some((pid, i) => i % 2 === 1 && pid !== pids[i - 1]);
    if (interleaved || log.length !== 2 * won.length) problems.push(`two runs at once: ${log.join(' | ')}`);
    return problems;
  },
};

export const processCases: Case[] = [prebootCrossSite, cliRace];
