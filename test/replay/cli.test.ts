// `lifecycle replay` as a child process, on journals of real `lifecycle run`s.
import { execFile } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadMachine } from '../../src/model/load.ts';
import { startRun } from '../../src/runtime/runs.ts';
import { SERVICES } from '../../src/services/index.ts';
import { RecordingStore } from './recording-store.ts';

const BIN = join(process.cwd(), 'bin', 'lifecycle.js');
const run = async (...args: string[]) => {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [BIN, ...args], { env: { ...process.env, NO_PROGRESS: '1' } });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
};

const root = mkdtempSync(join(tmpdir(), 'lk-replay-cli-'));
const changedFile = join('machines', `install.replay-cli-${process.pid}.ts`);
afterAll(() => {
  rmSync(root, { recursive: true, force: true });
  rmSync(changedFile, { force: true });
});

describe('lifecycle replay', () => {
  const plain = join(root, 'plain');
  const recorded = join(root, 'recorded');
  beforeAll(async () => {
    // A run as `lifecycle run` records it today, and one whose lines also carry outputs (the proposed field).
    const ran = await run('run', 'install', '--store', plain);
    expect(ran.code, ran.stderr).toBe(0);
    const services = await SERVICES.install();
    const store = new RecordingStore(recorded);
    const input = await services.sandboxInput!(mkdtempSync(join(root, 'sandbox-')));
    const result = await startRun({ store, lifecycle: 'install', machine: (await loadMachine('install')).machine, actors: services.actors, input, inspect: store.inspect });
    expect(result.status).toBe('succeeded');
  });

  it('a journal with outputs against the same machine: same, exit 0 (text and --json)', async () => {
    const lines = readFileSync(join(recorded, 'journal.jsonl'), 'utf8').trim().split('\n').length;
    expect(await run('replay', 'install', '--journal', recorded)).toEqual({ code: 0, stdout: `replayed ${lines} steps: same\n`, stderr: '' });
    const json = await run('replay', 'install', '--journal', recorded, '--json');
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toMatchObject({ machine: 'install', result: 'same', steps: lines, warnings: [] });
  });

  it("a real run's own journal (service outputs and sent payloads recorded) replays the same, exit 0", async () => {
    const r = await run('replay', 'install', '--journal', plain);
    expect(r).toMatchObject({ code: 0, stderr: '' });
    expect(r.stdout).toMatch(/^replayed \d+ steps: same\n$/);
  });

  it('a changed machine (a retargeted transition, in a copy of machines/install.ts): the step that goes elsewhere, exit 1', async () => {
    const source = readFileSync('machines/install.ts', 'utf8');
    const from = "          {\n            target: 'installing',\n            actions: { type: 'recordInstallationRecord'";
    expect(source).toContain(from);
    writeFileSync(changedFile, source.replace(from, from.replace("'installing'", "'cleaningPrevious'")));
    try {
      const r = await run('replay', `./${changedFile}#installMachine`, '--journal', join(recorded, 'journal.jsonl'));
      expect(r).toEqual({
        code: 1,
        stdout: 'step 3 (event xstate.done.actor.0.install.readingRecord): the journal went from readingRecord to installing.kibana_assets.running, the machine now goes to cleaningPrevious\n',
        stderr: '',
      });
      const json = JSON.parse((await run('replay', `./${changedFile}#installMachine`, '--journal', recorded, '--json')).stdout);
      expect(json).toMatchObject({ result: 'diverged', step: 3, steps: 2, journal: { from: 'readingRecord' }, machine: { to: 'cleaningPrevious' } });
    } finally {
      rmSync(changedFile, { force: true });
    }
  });

  it('the journal of another machine is refused in one line', async () => {
    const r = await run('replay', 'upgrade', '--journal', recorded);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^lifecycle: journal \S+journal\.jsonl is of machine 'install', not 'upgrade' \(e\.g\. transition install\.\S+\): give the journal of a run of this lifecycle\n$/);
  });

  it('a journal kept as a fixture, away from its store: the input comes from --input', async () => {
    const fixtures = join(root, 'fixtures');
    mkdirSync(fixtures);
    const file = join(fixtures, 'install-1.jsonl');
    copyFileSync(join(recorded, 'journal.jsonl'), file);
    const alone = await run('replay', 'install', '--journal', file);
    expect(alone).toEqual({ code: 1, stdout: '', stderr: `lifecycle: no run.json beside ${file} gives the run's input: give it with --input\n` });
    const input = JSON.stringify((JSON.parse(readFileSync(join(recorded, 'run.json'), 'utf8')) as { input: unknown }).input);
    expect(await run('replay', 'install', '--journal', file, '--input', input)).toMatchObject({ code: 0, stderr: '' });
  });

  it('errors: one line each', async () => {
    const missing = await run('replay', 'install');
    expect(missing.code).toBe(2);
    expect(missing.stderr).toBe("lifecycle: required option '--journal <file|store>' not specified\n");
    expect(await run('replay', 'install', '--journal', join(root, 'nope'))).toEqual({ code: 1, stdout: '', stderr: `lifecycle: journal not found: ${join(root, 'nope')}\n` });
    const notJournal = join(root, 'not-a-journal.jsonl');
    writeFileSync(notJournal, '{"hello":1}\n');
    const bad = await run('replay', 'install', '--journal', notJournal);
    expect(bad).toMatchObject({ code: 1, stdout: '' });
    expect(bad.stderr).toBe(`lifecycle: ${notJournal} is not a run journal: line 1 has no event and state (a journal is the journal.jsonl of 'lifecycle run')\n`);
    const empty = join(root, 'empty');
    mkdirSync(empty);
    expect((await run('replay', 'install', '--journal', empty)).stderr).toBe(`lifecycle: ${empty} is a folder with no journal.jsonl, so not a run store: give a journal.jsonl or a --store folder of 'lifecycle run'\n`);
  });
});
