import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { fileStem, machineIdentity, recordingDir } from '../../src/coverage/file.ts';
import { createCoverageRecorder } from '../../src/coverage/recorder.ts';
import { extractGraph } from '../../src/model/extract.ts';
import { loadMachine } from '../../src/model/load.ts';

const dir = mkdtempSync(join(tmpdir(), 'lk-recorder-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const graph = extractGraph((await loadMachine(new URL('../fixtures/coverage/pay.ts', import.meta.url).pathname)).machine);

describe('coverage recording', () => {
  it('is off unless asked for, by option or environment', () => {
    expect(recordingDir(undefined, {})).toBeUndefined();
    expect(recordingDir(undefined, { LIFECYCLE_COVERAGE: '0' })).toBeUndefined();
    expect(recordingDir(undefined, { LIFECYCLE_COVERAGE: '1' })).toBe(resolve('.lifecycle-coverage'));
    expect(recordingDir(undefined, { LIFECYCLE_COVERAGE_DIR: 'x/cov' })).toBe(resolve('x/cov'));
    expect(recordingDir(true, {})).toBe(resolve('.lifecycle-coverage'));
    expect(recordingDir('mine', { LIFECYCLE_COVERAGE_DIR: 'x' })).toBe(resolve('mine'));
    expect(recordingDir(false, { LIFECYCLE_COVERAGE: '1' })).toBeUndefined();
  });

  it("identifies the machine by id and a hash of its transition ids", () => {
    const id = machineIdentity(graph);
    expect(id.id).toBe('pay');
    expect(machineIdentity({ ...graph, transitions: graph.transitions.slice(1) }).fingerprint).not.toBe(id.fingerprint);
    expect(machineIdentity({ ...graph, transitions: [...graph.transitions].reverse() }).fingerprint).toBe(id.fingerprint);
  });

  it('one file per test file and process: a live process keeps its file, a dead one is replaced', () => {
    const stem = fileStem('pay', 'test/a.test.ts');
    const alive = `${stem}.${process.ppid}.json`;
    const dead = `${stem}.4194303.json`;
    const otherFile = `${fileStem('pay', 'test/b.test.ts')}.4194303.json`;
    for (const f of [alive, dead, otherFile]) writeFileSync(join(dir, f), '{}');
    const recorder = createCoverageRecorder(graph, dir, 'test/a.test.ts');
    recorder.add(['pay.idle:CANCEL:0'], ['pay', 'pay.cancelled']);
    recorder.add(['pay.idle:CANCEL:0', 'pay.idle:APPROVE:1'], ['pay.rejected']);
    recorder.flush();
    const own = `${stem}.${process.pid}.json`;
    expect(readdirSync(dir).sort()).toEqual([alive, otherFile, own].sort());
    const file = JSON.parse(readFileSync(join(dir, own), 'utf8'));
    expect(file).toMatchObject({ machine: machineIdentity(graph), testFile: 'test/a.test.ts', runs: 2, transitions: ['pay.idle:APPROVE:1', 'pay.idle:CANCEL:0'], states: ['pay', 'pay.cancelled', 'pay.rejected'] });
    // A second runner of the same machine in the same test file adds to the same recording.
    const second = createCoverageRecorder(graph, dir, 'test/a.test.ts');
    second.add(['pay.idle:APPROVE:0'], ['pay.pay']);
    second.flush();
    expect(JSON.parse(readFileSync(join(dir, own), 'utf8'))).toMatchObject({ runs: 3, transitions: ['pay.idle:APPROVE:0', 'pay.idle:APPROVE:1', 'pay.idle:CANCEL:0'] });
  });

  it('sums the steps sandboxed paths ran against the real services, and coverage prints the share and the reasons', async () => {
    const own = mkdtempSync(join(dir, 'real-'));
    const recorder = createCoverageRecorder(graph, own, 'test/real.test.ts');
    recorder.add(['pay.idle:CANCEL:0'], ['pay'], { steps: 4, real: 4 });
    recorder.add(['pay.idle:CANCEL:0'], ['pay'], { steps: 6, real: 2, stopped: 'the services have no faults.charge' });
    recorder.add(['pay.idle:CANCEL:0'], ['pay'], { steps: 2, real: 0, stopped: 'the services have no faults.charge' });
    recorder.add(['pay.idle:CANCEL:0'], ['pay']); // not sandboxed: not counted
    recorder.flush();
    const [file] = readdirSync(own);
    expect(JSON.parse(readFileSync(join(own, file!), 'utf8')).steps).toEqual({ total: 12, real: 6, stopped: { 'the services have no faults.charge': 2 } });
    const { run } = await import('../../cli/main.ts');
    let out = '';
    const code = await run(['coverage', new URL('../fixtures/coverage/pay.ts', import.meta.url).pathname, '--from', own, '-f', 'text'], { stdout: { write: (t) => (out += String(t)) }, stderr: { write: () => {} } });
    expect(code).toBe(0);
    expect(out).toContain('steps against the real services: 6/12 (50%)\nleft the real system (2 paths): the services have no faults.charge\n');
  });
});
