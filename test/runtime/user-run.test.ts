/**
 * A user's own lifecycle run end to end through the CLI (issue 15): services found beside the machine or given with
 * --services, a run that waits for an event and takes it from `lifecycle send`, a kill while waiting with the event
 * delivered on resume exactly once, the success convention, and a run that can never move failing instead of
 * hanging.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BIN, lifecycle } from './crash-harness.ts';

const USER = new URL('../fixtures/user/', import.meta.url).pathname;
const DEPLOY = `${USER}deploy.ts#deployMachine`;
const dirs: string[] = [];
const temp = () => {
  const dir = mkdtempSync(join(tmpdir(), 'lk-user-run-'));
  dirs.push(dir);
  return dir;
};
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

/** Starts `lifecycle run` in the background; `until` resolves when its stdout matches. */
function background(args: string[]) {
  const child: ChildProcess = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1' } });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => (stdout += d));
  child.stderr!.on('data', (d: Buffer) => (stderr += d));
  const closed = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  return {
    child,
    closed,
    out: () => stdout,
    err: () => stderr,
    async until(pattern: RegExp, ms = 20_000) {
      const end = Date.now() + ms;
      while (!pattern.test(stdout)) {
        if (Date.now() > end) throw new Error(`timed out waiting for ${pattern}; stdout:\n${stdout}\nstderr:\n${stderr}`);
        await new Promise((r) => setTimeout(r, 25));
      }
    },
  };
}

describe('a user lifecycle run (child process)', () => {
  it('waits for an event with a hint, refuses bad ones, takes a good one from send, and ends as the machine says', async () => {
    const dir = temp();
    const store = join(dir, 'store');
    const run = background(['run', DEPLOY, '--store', store, '--input', JSON.stringify({ dir, version: '2.0.0' }), '--verify']);
    await run.until(/send one with: lifecycle send --store \S+ '\{"type":"APPROVE".*\}'/);
    expect(run.out()).toMatch(/waiting in awaitingApproval for APPROVE, REJECT\n/);
    // The services beside the machine (deploy.services.ts) built the artifact, and the meta says where they are.
    expect(existsSync(join(dir, 'build', 'app-2.0.0.txt'))).toBe(true);
    expect(JSON.parse(readFileSync(join(store, 'run.json'), 'utf8')).services).toBe(`${USER}deploy.services.ts#services`);

    const unknown = await lifecycle(['send', '--store', store, '{"type":"DEPLOY"}']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toBe('lifecycle: DEPLOY refused: awaitingApproval does not take DEPLOY (it takes APPROVE, REJECT)\n');
    const noPayload = await lifecycle(['send', '--store', store, '{"type":"APPROVE"}']);
    expect(noPayload.code).toBe(1);
    expect(noPayload.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(noPayload.stderr).toMatch(/^lifecycle: APPROVE refused: the guard 'namedApprover' of APPROVE in awaitingApproval threw \(.*\): send the fields it reads\n$/);
    const emptyName = await lifecycle(['send', '--store', store, '{"type":"APPROVE","by":""}']);
    expect(emptyName.stderr).toBe('lifecycle: APPROVE refused: awaitingApproval takes APPROVE only when its guard holds, and it does not for this event\n');
    const internal = await lifecycle(['send', '--store', store, '{"type":"xstate.done.actor.x"}']);
    expect(internal.code).toBe(2);

    const good = await lifecycle(['send', '--store', store, '{"type":"APPROVE","by":"ops"}']);
    expect(good.stderr).toBe('');
    expect(good.stdout).toBe('delivered APPROVE: awaitingApproval → releasing.publish.running, releasing.announce.pending\n');
    expect(await run.closed).toBe(0);
    expect(run.out()).toMatch(/ended in released after .* \(a final state not marked as a success or a failure/);
    expect(run.out()).not.toMatch(/succeeded/);
    expect(readFileSync(join(dir, 'published', 'current'), 'utf8')).toBe('app 2.0.0\n');
    const status = await lifecycle(['status', '--store', store]);
    expect(status.stdout).toMatch(/^status\s+ended \(in a final state marked neither/m);
    const late = await lifecycle(['send', '--store', store, '{"type":"REJECT"}']);
    expect(late.code).toBe(1);
    expect(late.stderr).toMatch(/already ended: there is nothing to send REJECT to\n$/);
  });

  it('an event sent while the run is down is delivered once, on resume; a cancelled run is not a success', async () => {
    const dir = temp();
    const store = join(dir, 'store');
    const run = background(['run', DEPLOY, '--store', store, '--input', JSON.stringify({ dir, version: '1.0.0' })]);
    await run.until(/waiting in awaitingApproval/);
    run.child.kill('SIGKILL');
    await run.closed;
    // Down, the run is still checked where it stopped: a wrong event is refused now, not warned about on resume.
    const wrong = await lifecycle(['send', '--store', store, '{"type":"NOPE"}']);
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toBe('lifecycle: NOPE refused: awaitingApproval does not take NOPE (it takes APPROVE, REJECT)\n');
    const queued = await lifecycle(['send', '--store', store, '{"type":"REJECT"}']);
    expect(queued.code).toBe(0);
    expect(queued.stdout).toMatch(/^queued REJECT: the run is not running now; 'lifecycle resume --store .*' delivers it/);
    const resumed = await lifecycle(['resume', '--store', store]);
    expect(resumed.code).toBe(1);
    expect(resumed.stdout).toMatch(/awaitingApproval → cancelled\n {2}\(REJECT was sent with lifecycle send\)\n/);
    expect(resumed.stderr).toMatch(/^lifecycle: .*#deployMachine failed, ending in cancelled: the final state cancelled is named like a failure/);
    expect(readdirSync(join(store, 'inbox')).filter((f) => f.endsWith('.json'))).toEqual([]);
    const journal = readFileSync(join(store, 'journal.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { event: string });
    expect(journal.filter((e) => e.event === 'REJECT')).toHaveLength(1);
  });

  it("a sandboxed run finished by resume removes its sandbox; a store naming another folder as its sandbox gets it left alone", async () => {
    const dir = temp();
    const store = join(dir, 'store');
    const run = background(['run', DEPLOY, '--store', store]);
    await run.until(/waiting in awaitingApproval/);
    const sandbox = /^sandbox: (.+)$/m.exec(run.out())![1]!;
    run.child.kill('SIGKILL');
    await run.closed;
    expect(JSON.parse(readFileSync(join(store, 'run.json'), 'utf8')).sandbox).toBe(sandbox);
    await lifecycle(['send', '--store', store, '{"type":"APPROVE","by":"ops"}']);
    const resumed = await lifecycle(['resume', '--store', store]);
    expect(resumed.code).toBe(0);
    expect(resumed.stdout).toMatch(/^sandbox removed: /m);
    expect(existsSync(sandbox)).toBe(false);

    // A hostile run.json: the "sandbox" is a folder of the user's.
    const second = join(dir, 'second');
    const again = background(['run', DEPLOY, '--store', second]);
    await again.until(/waiting in awaitingApproval/);
    again.child.kill('SIGKILL');
    await again.closed;
    const meta = JSON.parse(readFileSync(join(second, 'run.json'), 'utf8')) as Record<string, unknown>;
    const precious = join(dir, 'precious');
    mkdirSync(precious);
    writeFileSync(join(second, 'run.json'), JSON.stringify({ ...meta, sandbox: precious }));
    await lifecycle(['send', '--store', second, '{"type":"REJECT"}']);
    const r = await lifecycle(['resume', '--store', second]);
    expect(r.stderr).toMatch(/warning: left .*precious alone: it is not a sandbox lifecycle makes/);
    expect(existsSync(precious)).toBe(true);
    rmSync(meta.sandbox as string, { recursive: true, force: true });
  });

  it('a run whose service finishes with nothing to take its result fails as stuck, with no hang', async () => {
    const dir = temp();
    const r = await lifecycle(['run', `${USER}stuck.ts#stuckMachine`, '--store', join(dir, 'store')]);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('lifecycle: ' + `${USER}stuck.ts#stuckMachine failed in working: stuck in working: nothing runs there (work (of working) not running) and no event or timer can leave it\n`);
  });

  it('a waiting state with a timer ends by it; the outcome follows the convention', async () => {
    const dir = temp();
    const r = await lifecycle(['run', `${USER}stuck.ts#tickingMachine`, '--store', join(dir, 'store')]);
    expect(r.stdout).toMatch(/waiting in waiting for GO \(or its timer\)/);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/failed, ending in timedOut: the final state timedOut is named like a failure/);
  });

  it('--verify with no invariants is a usage error; services that do not fit are one line', async () => {
    const dir = temp();
    const verify = await lifecycle(['run', `${USER}stuck.ts#tickingMachine`, '--store', join(dir, 'a'), '--verify']);
    expect(verify.code).toBe(2);
    expect(verify.stderr).toMatch(/^lifecycle: --verify: .* has no invariants to check: give services with invariants/);
    const key = await lifecycle(['run', DEPLOY, '--store', join(dir, 'b'), '--services', `${USER}bad.services.ts#misspeltKey`, '--input', '{"dir":"/x","version":"1"}']);
    expect(key.code).toBe(1);
    expect(key.stderr).toBe(`lifecycle: services bad.services.ts#misspeltKey: unknown key 'invariant' (did you mean 'invariants'?); allowed: lifecycle, actors, invariants, sandboxInput, checkInput, dispose, restore, notes, shutdownEvent, progress, faults, scenarios, unchecked\n`.replace('bad.services.ts', `${USER}bad.services.ts`));
    const actor = await lifecycle(['run', DEPLOY, '--store', join(dir, 'c'), '--services', `${USER}bad.services.ts#misspeltActor`, '--input', '{"dir":"/x","version":"1"}']);
    expect(actor.stderr).toMatch(/actors\.bulid is not an actor the machine names \(did you mean 'build'\?\); it names: build, publish\n$/);
    const fault = await lifecycle(['run', DEPLOY, '--store', join(dir, 'd'), '--services', `${USER}bad.services.ts#misspeltFault`, '--input', '{"dir":"/x","version":"1"}']);
    expect(fault.stderr).toMatch(/faults\.publsh is not an actor the machine names \(did you mean 'publish'\?\)\n$/);
    const unchecked = await lifecycle(['run', DEPLOY, '--store', join(dir, 'e'), '--services', `${USER}bad.services.ts#uncheckedNotFields`, '--input', '{"dir":"/x","version":"1"}']);
    expect(unchecked.stderr).toMatch(/unchecked\.publish must be an array of output field paths \(strings such as 'pid'\), not .*\n$/);
    expect(existsSync(join(dir, 'b'))).toBe(false);
  });
});

describe('lifecycle retry (child process)', () => {
  it('redrives a failed run from the step that failed, the steps before it not run again', async () => {
    const dir = temp();
    const store = join(dir, 'store');
    const ref = `${USER}flaky.ts#flakyMachine`;
    const failed = await lifecycle(['run', ref, '--store', store, '--input', JSON.stringify({ dir })]);
    expect(failed.code).toBe(1);
    expect(failed.stderr).toMatch(/failed, ending in failed: publish \(attempt 2\): the registry is down\n$/);
    const again = await lifecycle(['retry', '--store', store]);
    expect(again.code).toBe(1);
    expect(again.stdout).toMatch(/failed → publishing\.attempt\n/);
    writeFileSync(join(dir, 'ok'), '');
    const fixed = await lifecycle(['retry', '--store', store]);
    expect(fixed.code).toBe(0);
    expect(fixed.stdout).toMatch(/publishing\.attempt → done\n.*succeeded in/);
    expect(readFileSync(join(dir, 'prepared'), 'utf8')).toBe('x');
    const over = await lifecycle(['retry', '--store', store]);
    expect(over.code).toBe(1);
    expect(over.stderr).toMatch(/succeeded: there is nothing to retry\n$/);
    const measured = await lifecycle(['coverage', ref, '--journal', store]);
    expect(measured.code).toBe(0);
  });
});
