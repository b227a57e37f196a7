// `lifecycle inspect` on a user's machine with real services (test/fixtures/user/deploy.ts, services beside it):
// a run waiting for an event is not reported finished, and its sandbox is named at start and removed on SIGTERM,
// on SIGINT, with a second signal during the cleanup, and when the server cannot listen.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { openPage } from './page-socket.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const MACHINE = 'test/fixtures/user/deploy.ts#deployMachine';
// The child's own temp dir: what it leaves behind is all in there.
const temps: string[] = [];
afterAll(() => temps.forEach((d) => rmSync(d, { recursive: true, force: true })));

function start(args: string[] = []) {
  const tmp = mkdtempSync(join(tmpdir(), 'lk-inspect-cli-'));
  temps.push(tmp);
  const child = spawn(process.execPath, ['bin/lifecycle.js', 'inspect', MACHINE, ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, TMPDIR: tmp } });
  const out = { stdout: '', stderr: '' };
  child.stdout!.on('data', (d) => (out.stdout += d));
  child.stderr!.on('data', (d) => (out.stderr += d));
  return { child, out, tmp };
}

async function started(out: { stdout: string; stderr: string }) {
  await expect.poll(() => out.stdout + out.stderr, { timeout: 30_000 }).toMatch(/Ctrl-C to stop|error/);
  return { sandbox: /^sandbox: (\S+)/m.exec(out.stdout)?.[1], ws: /url: '(ws:\S+)'/.exec(out.stdout)![1]! };
}

const exited = (child: ChildProcess) => once(child, 'exit') as Promise<[number | null, string | null]>;

describe('lifecycle inspect <user machine> with its real services', () => {
  it('waits in awaitingApproval: APPROVE without `by` is refused, the actor stays active, never "finished"; SIGTERM removes the sandbox', async () => {
    const { child, out } = start();
    const { sandbox, ws } = await started(out);
    expect(sandbox, out.stdout).toBeDefined();
    expect(sandbox).toMatch(/lifecycle-inspect-deploy-/);
    expect(existsSync(sandbox!)).toBe(true);
    const page = await openPage(ws);
    await expect.poll(() => page.control()?.accepts.map((a) => a.type), { timeout: 15_000 }).toContain('APPROVE');
    const actor = page.control()!.actor!;
    const refused = await page.command({ type: 'send', actor, event: { type: 'APPROVE' } });
    expect(refused).toMatchObject({ ok: false });
    expect(JSON.stringify(refused)).toMatch(/throws on it/);
    await new Promise((r) => setTimeout(r, 200));
    expect(page.control()).toMatchObject({ status: 'active' });
    expect(out.stderr).not.toMatch(/finished|failed/);
    page.ws.close();

    child.kill('SIGTERM');
    const [code] = await exited(child);
    expect(code).toBe(0);
    expect(out.stderr).not.toMatch(/finished/);
    expect(out.stderr).toContain('inspect: deployMachine stopped while in "awaitingApproval"');
    expect(out.stderr).toContain('inspect: stopped');
    expect(existsSync(sandbox!)).toBe(false);
  }, 60_000);

  it('a run that reaches its final state is reported finished, the page up', async () => {
    const { child, out } = start();
    const page = await openPage((await started(out)).ws);
    await expect.poll(() => page.control()?.accepts.map((a) => a.type), { timeout: 15_000 }).toContain('APPROVE');
    expect(await page.command({ type: 'send', actor: page.control()!.actor!, event: { type: 'APPROVE', by: 'ops' } })).toMatchObject({ ok: true });
    await expect.poll(() => out.stderr, { timeout: 15_000 }).toContain('inspect: deployMachine finished ("released"); the page stays up');
    page.ws.close();
    child.kill('SIGTERM');
    await exited(child);
    expect(out.stderr).not.toContain('stopped while');
  }, 60_000);

  it('SIGINT twice (the second during the cleanup) still removes the sandbox', async () => {
    const { child, out, tmp } = start();
    const { sandbox } = await started(out);
    expect(existsSync(sandbox!)).toBe(true);
    const exit = exited(child);
    // The second signal once the cleanup has begun (the actor is stopped first), not coalesced with the first.
    child.stderr!.on('data', (d) => String(d).includes('stopped while') && child.kill('SIGINT'));
    child.kill('SIGINT');
    const [code, signal] = await exit;
    expect({ code, signal }).toEqual({ code: 0, signal: null });
    expect(out.stderr).toContain('inspect: already stopping');
    expect(existsSync(sandbox!)).toBe(false);
    expect(readdirSync(tmp).filter((f) => f.startsWith('lifecycle-inspect-'))).toEqual([]);
  }, 60_000);

  it('a port another process holds: refused in one line, no sandbox left behind', async () => {
    const holder = createServer().listen(0, '127.0.0.1');
    await once(holder, 'listening');
    const port = (holder.address() as { port: number }).port;
    try {
      const { child, out, tmp } = start(['--port', String(port)]);
      const [code] = await exited(child);
      expect(code).toBe(1);
      expect(out.stderr).toContain(`port ${port} is in use`);
      expect(readdirSync(tmp).filter((f) => f.startsWith('lifecycle-inspect-'))).toEqual([]);
    } finally {
      holder.close();
    }
  }, 60_000);
});
