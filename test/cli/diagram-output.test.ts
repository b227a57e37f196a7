// `diagram -o file` picks its format from the file's extension; a -f that contradicts it is a usage error.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { run } from '../../cli/main.ts';
import { formatOfPath } from '../../src/diagram/formats.ts';

const dir = mkdtempSync(join(tmpdir(), 'lk-diagram-out-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function cli(args: string[]) {
  let stdout = '';
  let stderr = '';
  const code = await run(args, { stdout: { write: (s) => (stdout += String(s)) }, stderr: { write: (s) => (stderr += String(s)) } });
  return { code, stdout, stderr };
}

describe('diagram -o: the format follows the extension', () => {
  it('maps extensions to formats', () => {
    expect(['a.png', 'a.SVG', 'a.dot', 'a.gv', 'a.json', 'a.md', 'a.mmd', 'a.mermaid', 'a.txt', 'a', 'dir.png/a'].map(formatOfPath)).toEqual([
      'png', 'svg', 'dot', 'dot', 'json', 'md', 'mermaid', 'mermaid', undefined, undefined, undefined,
    ]);
  });

  it('-o x.png without -f writes a PNG, -o x.dot DOT, -o x.json JSON', async () => {
    const png = join(dir, 'install.png');
    expect((await cli(['diagram', 'install', '-o', png])).code).toBe(0);
    expect(readFileSync(png).subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
    const dot = join(dir, 'install.dot');
    expect((await cli(['diagram', 'install', '-o', dot])).code).toBe(0);
    expect(readFileSync(dot, 'utf8')).toMatch(/^digraph /m);
    const json = join(dir, 'install.json');
    expect((await cli(['diagram', 'install', '-o', json])).code).toBe(0);
    expect(JSON.parse(readFileSync(json, 'utf8'))).toHaveProperty('states');
  });

  it('an unknown extension or no -o stays Mermaid', async () => {
    expect((await cli(['diagram', 'install'])).stdout).toMatch(/^stateDiagram-v2/m);
    const txt = join(dir, 'install.txt');
    expect((await cli(['diagram', 'install', '-o', txt])).code).toBe(0);
    expect(readFileSync(txt, 'utf8')).toMatch(/stateDiagram-v2/);
  });

  it('-f that contradicts the extension: exit 2, one line, nothing written', async () => {
    const out = join(dir, 'wrong.png');
    const r = await cli(['diagram', 'install', '-f', 'svg', '-o', out]);
    expect(r.code).toBe(2);
    expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/^lifecycle: -f svg does not match the extension of .*wrong\.png \(png\)/);
    expect(() => readFileSync(out)).toThrow();
    expect((await cli(['diagram', 'install', '-f', 'mermaid', '-o', join(dir, 'ok.mmd')])).code).toBe(0);
  });
});
