/**
 * Errors a user (or a hostile module or store) can cause, as the CLI prints them: one line naming the path or file,
 * what was wrong and what to do; never `unexpected error: <errno>`, never a silent exit, nothing left behind.
 */
import { execFile, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { run } from '../../cli/main.ts';

const BIN = new URL('../../bin/lifecycle.js', import.meta.url).pathname;
const HOSTILE = new URL('../hostile/', import.meta.url).pathname;
const STEPS = `${new URL('../runtime/fixtures/machines.ts', import.meta.url).pathname}#stepsMachine`;
const temps: string[] = [];
/** A temp dir, removed after the file's tests. */
const temp = () => {
  const dir = mkdtempSync(join(tmpdir(), 'lk-cli-err-'));
  temps.push(dir);
  return dir;
};
afterAll(() => {
  for (const dir of temps.splice(0)) rmSync(dir, { recursive: true, force: true });
});

interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
  ms: number;
}

/** The real binary, bounded by `timeoutMs` (killed after it). */
function lifecycle(args: string[], env: Record<string, string> = {}, timeoutMs = 30_000): Promise<Result> {
  const started = Date.now();
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { env: { ...process.env, NO_COLOR: '1', ...env }, timeout: timeoutMs }, (error, stdout, stderr) => {
      const code = error ? ((error as { code?: number }).code ?? null) : 0;
      resolve({ code: typeof code === 'number' ? code : null, stdout, stderr, ms: Date.now() - started });
    });
  });
}

async function inProcess(args: string[]) {
  let stdout = '';
  let stderr = '';
  const code = await run(args, { stdout: { write: (s) => (stdout += String(s)) }, stderr: { write: (s) => (stderr += String(s)) } });
  return { code, stdout, stderr };
}

/** One line on stderr, no stack trace, no bare errno. */
const oneLine = (stderr: string) => {
  expect(stderr.trimEnd().split('\n')).toHaveLength(1);
  expect(stderr).not.toMatch(/\n\s+at |unexpected error/);
};

describe('machine modules that misbehave while loading', () => {
  it('a top-level await that never settles: one line naming the file, exit 1 (not a silent 13)', { timeout: 60_000 }, async () => {
    const [never, busy, exits, exitsLater] = await Promise.all([
      lifecycle(['validate', `${HOSTILE}tla-never.ts`]),
      lifecycle(['validate', `${HOSTILE}tla-live-timer.ts`], { LIFECYCLE_LOAD_TIMEOUT_MS: '800' }),
      lifecycle(['validate', `${HOSTILE}exit-on-load.ts`]),
      lifecycle(['run', `${HOSTILE}exit-later-on-load.ts`, '--store', join(temp(), 'store')]),
    ]);
    expect(never.code).toBe(1);
    oneLine(never.stderr);
    expect(never.stderr).toMatch(/^lifecycle: machine module .*tla-never\.ts never finished loading: its top-level await/);

    // A live timer keeps the process busy: the time limit ends it, and the process exits despite the timer.
    expect(busy.code).toBe(1);
    oneLine(busy.stderr);
    expect(busy.stderr).toMatch(/tla-live-timer\.ts did not finish loading within 800 ms .*LIFECYCLE_LOAD_TIMEOUT_MS/);
    expect(busy.ms).toBeLessThan(25_000);

    for (const [r, name] of [[exits, 'exit-on-load'], [exitsLater, 'exit-later-on-load']] as const) {
      expect(r.code).toBe(1);
      oneLine(r.stderr);
      expect(r.stderr).toMatch(new RegExp(`${name}\\.ts called process\\.exit\\(0\\) while loading`));
    }
  });

  it('LIFECYCLE_LOAD_TIMEOUT_MS that is not a number is a one-line error', async () => {
    const prev = process.env.LIFECYCLE_LOAD_TIMEOUT_MS;
    process.env.LIFECYCLE_LOAD_TIMEOUT_MS = 'soon';
    try {
      const r = await inProcess(['validate', `${HOSTILE}tla-never.ts`]);
      expect(r.code).toBe(1);
      expect(r.stderr).toBe("lifecycle: LIFECYCLE_LOAD_TIMEOUT_MS must be a positive number of milliseconds, not 'soon'\n");
    } finally {
      if (prev === undefined) delete process.env.LIFECYCLE_LOAD_TIMEOUT_MS;
      else process.env.LIFECYCLE_LOAD_TIMEOUT_MS = prev;
    }
  });
});

describe('store and output paths a user gets wrong', () => {
  const input = (dir: string) => JSON.stringify({ steps: 1, dir });

  it('a store path that is a file: run, status and resume say so', async () => {
    const dir = temp();
    const store = join(dir, 'store');
    writeFileSync(store, 'x');
    for (const args of [['run', STEPS, '--store', store, '--input', input(dir)], ['status', '--store', store], ['resume', '--store', store]]) {
      const r = await inProcess(args);
      expect(r.code).toBe(1);
      oneLine(r.stderr);
      expect(r.stderr).toMatch(new RegExp(`${store}.* is a file`));
    }
  });

  it('a journal that is a folder, a lock that is a folder: one line naming it, nothing written', async () => {
    const dir = temp();
    for (const file of ['journal.jsonl', 'lock']) {
      const store = join(dir, file === 'lock' ? 'store-lock' : 'store-journal');
      mkdirSync(join(store, file), { recursive: true });
      const r = await inProcess(['run', STEPS, '--store', store, '--input', input(dir)]);
      expect(r.code).toBe(1);
      oneLine(r.stderr);
      expect(r.stderr).toMatch(new RegExp(`${store}/${file} is not a (regular )?file`));
      expect(readdirSync(store)).toEqual([file]);
    }
  });

  it('-o onto a folder, -o below a file: one line naming the path', async () => {
    const dir = temp();
    mkdirSync(join(dir, 'out'));
    writeFileSync(join(dir, 'file'), '');
    const onDir = await inProcess(['diagram', 'install', '-o', join(dir, 'out')]);
    expect(onDir.code).toBe(1);
    oneLine(onDir.stderr);
    expect(onDir.stderr).toBe(`lifecycle: cannot write ${dir}/out: ${dir}/out is a folder, not a file (EISDIR): remove the folder, or choose another path\n`);
    const below = await inProcess(['diagram', 'install', '-o', join(dir, 'file', 'install.mmd')]);
    expect(below.code).toBe(1);
    oneLine(below.stderr);
    expect(below.stderr).toMatch(new RegExp(`${dir}/file is a file, not a folder`));
    expect(readdirSync(dir).sort()).toEqual(['file', 'out']);
  });
});

describe('files given on the command line that are folders or cannot be created', () => {
  it('--input, --journal and --catalogue naming a folder; -o in /proc: one line each, the path named', async () => {
    const dir = temp();
    mkdirSync(join(dir, 'folder'));
    const cases: [string[], RegExp][] = [
      [['run', STEPS, '--store', join(dir, 'store'), '--input', join(dir, 'folder')], new RegExp(`^lifecycle: cannot read the --input file ${dir}/folder: ${dir}/folder is a folder, not a file \\(EISDIR\\)`)],
      [['coverage', 'install', '--journal', join(dir, 'folder')], new RegExp(`^lifecycle: cannot read the journal ${dir}/folder: ${dir}/folder is a folder, not a file`)],
      [['paths', 'install', '--catalogue', join(dir, 'folder')], new RegExp(`^lifecycle: catalogue ${dir}/folder is a folder, not a file`)],
      [['diagram', 'install', '-o', '/proc/lifecycle-kit-test.mmd'], /^lifecycle: cannot write \/proc\/lifecycle-kit-test\.mmd: the filesystem of \/proc does not allow creating files/],
    ];
    for (const [args, expected] of cases) {
      const r = await inProcess(args);
      expect(r.code, args.join(' ')).toBe(1);
      oneLine(r.stderr);
      expect(r.stderr).toMatch(expected);
    }
    expect(readdirSync(dir)).toEqual(['folder']);
  });
});

// Read-only and full filesystems need a mount: in a user namespace where one can be made (Linux), else skipped.
const canMount = process.platform === 'linux' && spawnSync('unshare', ['-rm', 'sh', '-c', 'mount -t tmpfs tmpfs /tmp'], { timeout: 5000 }).status === 0;

/** Runs the CLI inside a new mount namespace, after `setup` (shell) made its mounts. */
function inNamespace(setup: string, args: string[]): Promise<Result> {
  const started = Date.now();
  const script = `${setup} && exec "${process.execPath}" "${BIN}" "$@"`;
  return new Promise((resolve) => {
    execFile('unshare', ['-rm', 'sh', '-c', script, 'sh', ...args], { env: { ...process.env, NO_COLOR: '1' }, timeout: 30_000 }, (error, stdout, stderr) => {
      const code = error ? ((error as { code?: number }).code ?? null) : 0;
      resolve({ code: typeof code === 'number' ? code : null, stdout, stderr, ms: Date.now() - started });
    });
  });
}

describe.runIf(canMount)('read-only and full filesystems', () => {
  it('a read-only store: run and resume name the store and say read-only (not ENOENT), status still reads it; nothing written', { timeout: 60_000 }, async () => {
    const dir = temp();
    const store = join(dir, 'store');
    const made = await lifecycle(['run', STEPS, '--store', store, '--input', JSON.stringify({ steps: 1, dir })]);
    expect(made.code).toBe(0);
    const before = readdirSync(store).sort();
    const ro = `mount --bind "${store}" "${store}" && mount -o remount,bind,ro "${store}"`;
    mkdirSync(join(dir, 'ro'));
    const [again, resumed, status, fresh] = await Promise.all([
      inNamespace(ro, ['run', STEPS, '--store', store, '--input', JSON.stringify({ steps: 1, dir })]),
      inNamespace(ro, ['resume', '--store', store]),
      inNamespace(ro, ['status', '--store', store]),
      inNamespace(`mount -t tmpfs -o ro tmpfs "${dir}/ro"`, ['run', STEPS, '--store', `${dir}/ro/store`, '--input', JSON.stringify({ steps: 1, dir })]),
    ]);
    // A finished run needs no lock to say so, even in a store it cannot write.
    expect(resumed.code).toBe(0);
    expect(resumed.stdout).toMatch(/^nothing to resume: the .* run in .* already succeeded/);
    for (const r of [again, fresh]) {
      expect(r.code).toBe(1);
      oneLine(r.stderr);
      expect(r.stderr).toMatch(/the filesystem is read-only \(EROFS\): choose a path on a writable filesystem/);
      expect(r.stderr).not.toMatch(/ENOENT/);
    }
    expect(again.stderr).toMatch(new RegExp(`^lifecycle: cannot take the lock of store ${store} at ${store}/lock: `));
    expect(fresh.stderr).toMatch(new RegExp(`^lifecycle: cannot create the store at ${dir}/ro/store: `));
    expect(status.code).toBe(0);
    expect(status.stdout).toMatch(/^status\s+succeeded$/m);
    expect(readdirSync(store).sort()).toEqual(before);
  });

  it('a full disk: one line saying so, no lock and no temp file left', { timeout: 60_000 }, async () => {
    const dir = temp();
    const full = join(dir, 'full');
    mkdirSync(full);
    const fill = `mount -t tmpfs -o size=64k tmpfs "${full}" && mkdir "${full}/store" && { head -c 1048576 /dev/zero > "${full}/fill" 2>/dev/null || true; }`;
    const r = await inNamespace(`${fill}`, ['run', STEPS, '--store', `${full}/store`, '--input', JSON.stringify({ steps: 1, dir })]);
    expect(r.code).toBe(1);
    oneLine(r.stderr);
    expect(r.stderr).toMatch(new RegExp(`${full}/store/lock: no space left on the device \\(ENOSPC\\): free some space`));
    // The mount is gone with the namespace; what was in it cannot be listed here, so check the message only, and
    // the litter in a second namespace run that lists the store after the failure.
    const listed = await inNamespace(`${fill} && { "${process.execPath}" "${BIN}" run "${STEPS}" --store "${full}/store" --input '{"steps":1,"dir":"${dir}"}' 2>/dev/null; ls -A "${full}/store" >&2; false; }`, []);
    expect(listed.stderr.trim()).toBe('');
  });
});
