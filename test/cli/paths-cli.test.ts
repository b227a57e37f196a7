import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';

const exec = promisify(execFile);
const ROOT = new URL('../../', import.meta.url).pathname;
const BIN = join(ROOT, 'bin/lifecycle.js');
const FIX = join(ROOT, 'test/fixtures');
const temps: string[] = [];
/** A temp dir, removed after the file's tests. */
function temp(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  temps.push(dir);
  return dir;
}
afterAll(() => {
  for (const dir of temps.splice(0)) rmSync(dir, { recursive: true, force: true });
});

async function lifecycle(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await exec(process.execPath, [BIN, ...args], { cwd: ROOT, maxBuffer: 64 << 20 });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe('lifecycle paths', () => {
  it("keeps --json output pure JSON when the machine's actions print: their lines go to stderr", async () => {
    const r = await lifecycle(['paths', join(FIX, 'chatty.mjs'), '--json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).coverage.transitions).toMatchObject({ covered: 1, total: 1 });
    expect(r.stderr).toContain('[DEBUG] n is 0');
  });

  it('prints paths and a coverage summary', async () => {
    const r = await lifecycle(['paths', 'install']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^path 1 \(\d+ steps?\) from checkingPreconditions$/m);
    expect(r.stdout).toMatch(/^transitions: 51\/51 covered$/m);
  });

  it('--json has the documented shape', async () => {
    const r = await lifecycle(['paths', 'upgrade', '--json']);
    const json = JSON.parse(r.stdout);
    expect(Object.keys(json)).toEqual(['machine', 'cover', 'paths', 'coverage', 'stats', 'diagnostics']);
    expect(json.diagnostics).toEqual([]);
    expect(json.cover).toBe('transitions');
    expect(json.paths[0].steps[0]).toEqual({ event: expect.objectContaining({ type: expect.any(String) }), state: expect.anything() });
    expect(json.coverage.transitions).toMatchObject({ covered: json.coverage.transitions.total, uncovered: [] });
    expect(json.stats).toMatchObject({ paths: json.paths.length });
  });

  it('--cover states and simple', async () => {
    const states = JSON.parse((await lifecycle(['paths', join(FIX, 'machines/02-nested.ts'), '--cover', 'states', '--json'])).stdout);
    expect(states.coverage.states.covered).toBe(states.coverage.states.total);
    const simple = await lifecycle(['paths', join(FIX, 'machines/01-flat.ts'), '--cover', 'simple']);
    expect(simple.code).toBe(0);
  });

  it('bad flag values are usage errors', async () => {
    const r = await lifecycle(['paths', 'install', '--max-states', 'lots']);
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toBe("lifecycle: --max-states takes a whole number of at least 1, not 'lots'");
    expect((await lifecycle(['paths', 'install', '--cover', 'everything'])).code).toBe(2);
  });

  it('a catalogue that is not JSON is one clear line', async () => {
    const dir = temp('lk-paths-');
    writeFileSync(join(dir, 'c.json'), '{ nope');
    const r = await lifecycle(['paths', join(FIX, 'machines/07-guards.ts'), '--catalogue', join(dir, 'c.json')]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^lifecycle: catalogue .*c\.json is not valid JSON/);
  });
});

describe('lifecycle testgen', () => {
  it('the committed suites of the built-ins are fresh', async () => {
    for (const m of ['install', 'upgrade', 'preboot', 'operator']) {
      const r = await lifecycle(['testgen', m, '--check']);
      expect(r.code, r.stderr).toBe(0);
    }
  });

  it("writes a passing suite for a user's machine, split for sharding, and --check notices edits", async () => {
    const out = join(ROOT, 'test/.generated', `run-${process.pid}`);
    temps.push(out); // removed after the file's tests too, should one fail midway
    rmSync(out, { recursive: true, force: true });
    mkdirSync(out, { recursive: true });
    const ref = join(FIX, 'machines/03-targets.ts');
    const w = await lifecycle(['testgen', ref, '-o', out, '--max-steps-per-file', '5']);
    expect(w.code, w.stderr).toBe(0);
    const files = readdirSync(out).sort();
    expect(files.length).toBeGreaterThan(1);
    expect(files[0]).toMatch(/^03-targets\.paths-1\.test\.ts$/);
    const source = readFileSync(join(out, files[0]), 'utf8');
    expect(source).toContain("from \"lifecycle-kit/testing\"");
    expect(source).toMatch(/describe\("targets \(part 1 of \d+\)"/);

    const vitest = join(ROOT, 'node_modules/vitest/vitest.mjs');
    const run = await exec(process.execPath, [vitest, 'run', out], { cwd: ROOT }).catch((e) => e as { code: number; stdout: string });
    expect((run as { code?: number }).code ?? 0, (run as { stdout: string }).stdout).toBe(0);

    expect((await lifecycle(['testgen', ref, '-o', out, '--max-steps-per-file', '5', '--check'])).code).toBe(0);
    writeFileSync(join(out, files[0]), `${source}\n// edited\n`);
    const stale = await lifecycle(['testgen', ref, '-o', out, '--max-steps-per-file', '5', '--check']);
    expect(stale.code).toBe(1);
    expect(stale.stderr).toContain(`stale: test/.generated/run-${process.pid}/${files[0]}`);
    rmSync(out, { recursive: true, force: true });
  });
});

describe('lifecycle catalogue', () => {
  it('writes the merged catalogue as a module, refuses to overwrite it, and prints JSON', async () => {
    const dir = temp('lk-cat-');
    const out = join(dir, 'jobs.catalogue.ts');
    const ref = `${join(FIX, 'infer/jobs.ts')}#jobMachine`;
    const w = await lifecycle(['catalogue', ref, '-o', out]);
    expect(w.code, w.stderr).toBe(0);
    const source = readFileSync(out, 'utf8');
    expect(source).toContain('} satisfies EventCatalogue;');
    expect(source).toMatch(/jobStatus: "SUCCEEDED"/);
    const again = await lifecycle(['catalogue', ref, '-o', out]);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/exists: it may hold your edits; pass --force/);
    const json = JSON.parse((await lifecycle(['catalogue', ref, '--json'])).stdout);
    expect(json.catalogue.services.checkJob.done).toContainEqual({ jobStatus: 'FAILED' });
    expect(json.origins['services.checkJob.done']).toMatch(/^inferred from the output type/);
    const paths = await lifecycle(['paths', ref, '--catalogue', `${out}#catalogue`, '--no-infer']);
    expect(paths.stdout).toMatch(/^transitions: 14\/14 covered$/m);
    rmSync(dir, { recursive: true, force: true });
  });

  it('paths without samples says what is needed', async () => {
    const r = await lifecycle(['paths', join(FIX, 'infer/untyped-method.js'), '--no-infer']);
    expect(r.stdout).toMatch(/^uncovered: loading --done: load--> ready \(threw: action assign threw in loading on done: load: /m);
    expect(r.stdout).toMatch(/^needs:\n  - services\.load\.done: an output with the fields its onDone action assign read$/m);
  });
});

describe('lifecycle coverage', () => {
  it('--planned: what the generated paths would take, labelled as not measured, as text and as a marked Mermaid diagram', async () => {
    const text = await lifecycle(['coverage', 'preboot', '--planned']);
    expect(text.stdout).toMatch(/^preboot \(planned: the generated paths, not measured\): transitions 41\/41 would be taken \(100%\)$/m);
    const mmd = await lifecycle(['coverage', 'preboot', '--planned', '-f', 'mermaid']);
    expect(mmd.stdout).toContain('✓ ');
    expect(mmd.stdout).not.toContain('✗ ');
  });

  it('from a journal: untaken transitions are listed and marked', async () => {
    const dir = temp('lk-cov-');
    const journal = join(dir, 'journal.jsonl');
    writeFileSync(journal, `${JSON.stringify({ event: 'x', to: 'checkingPreconditions', transitions: [] })}\n${JSON.stringify({ event: 'xstate.done.actor.0.install.checkingPreconditions', to: 'decidingVersion', transitions: ['install.checkingPreconditions:xstate.done.actor.0.install.checkingPreconditions:0'] })}\n{"torn`);
    const json = JSON.parse((await lifecycle(['coverage', 'install', '--journal', journal, '-f', 'json'])).stdout);
    expect(json.transitions.taken).toBe(1);
    expect(json.transitions.untaken).toHaveLength(50);
    const mmd = await lifecycle(['coverage', 'install', '--journal', journal, '-f', 'mermaid']);
    expect(mmd.stdout).toContain('✗ ');
    const missing = await lifecycle(['coverage', 'install', '--journal', join(dir, 'nope.jsonl')]);
    expect(missing.code).toBe(1);
    expect(missing.stderr.trim()).toBe(`lifecycle: journal not found: ${join(dir, 'nope.jsonl')}`);
  });
});
