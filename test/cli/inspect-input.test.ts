// `inspect --input` takes what `run --input` takes: JSON text or the path of a JSON file.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const BIN = new URL('../../bin/lifecycle.js', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'lk-inspect-input-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Starts `lifecycle inspect ...`; resolves once it serves its page (then stops it) or once it exits. */
function inspect(args: string[]): Promise<{ served: boolean; code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, 'inspect', ...args], { env: { ...process.env, NO_COLOR: '1' } });
    let stdout = '';
    let stderr = '';
    let served = false;
    child.stdout.on('data', (chunk) => {
      stdout += String(chunk);
      if (!served && /page: +http/.test(stdout)) {
        served = true;
        child.kill('SIGINT');
      }
    });
    child.stderr.on('data', (chunk) => (stderr += String(chunk)));
    child.on('exit', (code) => resolve({ served, code, stdout, stderr }));
  });
}

describe('inspect --input', () => {
  it('reads a JSON file, as run does', async () => {
    const file = join(dir, 'in.json');
    writeFileSync(file, JSON.stringify({ package: 'examples/packages/nginx/1.0.0', target: join(dir, 'target') }));
    const r = await inspect(['install', '--fake-services', '--input', file]);
    expect(r.stderr).not.toMatch(/not JSON|failed/);
    expect(r.served).toBe(true);
  });

  it('a path that is neither JSON nor a file is one line naming it', async () => {
    const r = await inspect(['install', '--fake-services', '--input', join(dir, 'missing.json')]);
    expect(r.served).toBe(false);
    expect(r.code).toBe(1);
    expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/--input: '.*missing\.json' is neither JSON nor an existing file/);
  });
});
