import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';

const exec = promisify(execFile);
const ROOT = new URL('../../', import.meta.url).pathname;
const BIN = join(ROOT, 'bin/lifecycle.js');
const FIX = join(ROOT, 'test/fixtures/catalogue');
const DEPLOY = `${join(FIX, 'deploy.ts')}#deployMachine`;
const dir = mkdtempSync(join(tmpdir(), 'lk-catcheck-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function lifecycle(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await exec(process.execPath, [BIN, ...args], { cwd: ROOT, maxBuffer: 64 << 20 });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

/** Runs the CLI for each argument list, two at a time (the machine is shared). */
async function each(argLists: string[][]): Promise<{ code: number; stdout: string; stderr: string }[]> {
  const out: { code: number; stdout: string; stderr: string }[] = [];
  for (let i = 0; i < argLists.length; i += 2) out.push(...(await Promise.all(argLists.slice(i, i + 2).map(lifecycle))));
  return out;
}

function write(name: string, content: unknown): string {
  const path = join(dir, name);
  writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content));
  return path;
}

/** Exit 1 and exactly one line on stderr, matching `line`. */
function expectOneLine(r: { code: number; stderr: string }, line: RegExp): void {
  expect(r.code, r.stderr).toBe(1);
  expect(r.stderr.trimEnd().split('\n'), r.stderr).toHaveLength(1);
  expect(r.stderr.trimEnd()).toMatch(line);
  expect(r.stderr).not.toMatch(/unexpected error/);
}

describe('a checked catalogue', () => {
  it('each error class is one line and exit 1', async () => {
    const cases: [string, unknown, RegExp][] = [
      ['key.json', { event: { APPROVE: [{ by: 'lead' }] } }, /^lifecycle: catalogue .*key\.json: event: not a catalogue key \(did you mean 'events'\?\); allowed: \$schema, input, inputs, events, services, identity, unchecked$/],
      ['array.json', [{ events: {} }], /^lifecycle: catalogue .*array\.json: must be an object with the keys .*, not an array$/],
      ['sample-list.json', { events: { APPROVE: { by: 'lead' } } }, /^lifecycle: catalogue .*sample-list\.json: events\.APPROVE: must be an array of payloads \(\[\{"by":"lead"\}\]\), not an object$/],
      ['sample.json', { events: { APPROVE: ['lead'] } }, /: events\.APPROVE\[0\]: must be an object \(the event's fields without 'type'\), not the string "lead"$/],
      ['events.json', { events: [] }, /: events: must be an object of sample lists by event type/],
      ['outcome.json', { services: { deploy: { output: [] } } }, /: services\.deploy\.output: not an outcome of a service; allowed: done, error, snapshot$/],
      ['identity.json', { identity: 'approvals' }, /: identity: must be an array of context keys \(strings\), not the string "approvals"$/],
      ['inputs.json', { inputs: {} }, /: inputs: must be an array of inputs, not an object/],
      ['event.json', { events: { APROVE: [{ by: 'lead' }] } }, /: events\.APROVE: not an event the machine accepts \(did you mean 'APPROVE'\?\); allowed: APPROVE, CANCEL, reconnect\.\*$/],
      ['service.json', { services: { deplyo: { done: [{}] } } }, /: services\.deplyo: not a service the machine invokes \(did you mean 'deploy'\?\); allowed: deploy, xstate\.invoke\.0\.deploy\.verifying$/],
    ];
    const results = await each(cases.map(([name, content]) => ['paths', DEPLOY, '--catalogue', write(name, content)]));
    results.forEach((r, i) => expectOneLine(r, cases[i]![2]));
  });

  it('is checked by every command that takes one', async () => {
    const bad = write('cmd.json', { events: { APROVE: [] } });
    const line = /^lifecycle: catalogue .*cmd\.json: events\.APROVE: not an event the machine accepts/;
    // coverage reads a catalogue only where it plans paths, which --planned asks for where coverage measures.
    const planned = (await lifecycle(['coverage', '--help'])).stdout.includes('--planned') ? ['--planned'] : [];
    const runs = await each([
      ['paths', DEPLOY, '--catalogue', bad],
      ['testgen', DEPLOY, '--catalogue', bad, '-o', join(dir, 'gen'), '--check'],
      ['coverage', DEPLOY, ...planned, '--catalogue', bad],
      ['catalogue', DEPLOY, '--catalogue', bad],
    ]);
    for (const r of runs) expectOneLine(r, line);
    expect(existsSync(join(dir, 'gen'))).toBe(false);
  });

  it('names a TS catalogue by file and export, and an export beside the machine by the machine', async () => {
    const tsFile = write('deploy.catalogue.ts', "export const catalogue = { services: { deploy: { done: [{ ok: true }] } }, identty: ['approvals'] };\n");
    expectOneLine(await lifecycle(['paths', DEPLOY, '--catalogue', `${tsFile}#catalogue`]), /^lifecycle: catalogue .*deploy\.catalogue\.ts#catalogue: identty: not a catalogue key \(did you mean 'identity'\?\)/);
    expectOneLine(
      await lifecycle(['paths', `${join(FIX, 'bad-export.ts')}#deployMachine`]),
      /^lifecycle: deployMachine's catalogue export 'catalogue': events\.APROVE: not an event the machine accepts \(did you mean 'APPROVE'\?\)/,
    );
  });

  it('accepts $schema, wildcard events and inline services', async () => {
    const good = write('good.json', {
      $schema: '../node_modules/lifecycle-kit/schema/catalogue.schema.json',
      events: { APPROVE: [{ by: 'intern' }, { by: 'lead' }], 'reconnect.retry': [{}] },
      services: { deploy: { done: [{ ok: true }] }, 'xstate.invoke.0.deploy.verifying': { error: [{ message: 'checks failed' }] } },
    });
    const r = await lifecycle(['paths', DEPLOY, '--catalogue', good, '--no-infer']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^transitions: 7\/7 covered$/m);
  });

  it('lifecycle catalogue -o file.json writes a checked JSON catalogue whose $schema is the published schema', async () => {
    const out = join(dir, 'written.catalogue.json');
    const w = await lifecycle(['catalogue', DEPLOY, '-o', out]);
    expect(w.code, w.stderr).toBe(0);
    const json = JSON.parse(readFileSync(out, 'utf8')) as { $schema: string; events: Record<string, unknown> };
    expect(Object.keys(json)[0]).toBe('$schema');
    expect(resolve(dirname(out), json.$schema)).toBe(join(ROOT, 'schema/catalogue.schema.json'));
    expect(json.events.APPROVE).toEqual([{ by: 'lead' }, { by: 'intern' }]);
    const paths = await lifecycle(['paths', DEPLOY, '--catalogue', out, '--no-infer']);
    expect(paths.code, paths.stderr).toBe(0);
    expect(paths.stdout).toMatch(/^transitions: 7\/7 covered$/m);
  });
});
