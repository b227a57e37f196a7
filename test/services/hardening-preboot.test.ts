/**
 * Cross-site and brute-force attempts against preboot's interactive setup: the server answers only its own Host,
 * takes only JSON from its own origin, and configures only with the one-time verification code printed with its URL,
 * for a bounded number of attempts. Loopback only.
 */
import { createServer, type Server } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { mkdtemp, rm } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { httpRequest, INTERACTIVE_SETUP_PREFIX, MAX_CODE_ATTEMPTS, releaseAll, verificationCodeOf } from '../../src/services/preboot/index.ts';
import { startPrebootServer } from '../../src/services/preboot/servers.ts';

let dir: string;
const servers: Server[] = [];
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'lk-hard-preboot-'));
});
afterEach(async () => {
  await releaseAll();
  for (const s of servers.splice(0)) await new Promise((r) => s.close(r));
  await rm(dir, { recursive: true, force: true });
});

async function fakeElasticsearch(): Promise<string> {
  const server = createServer((_req, res) => res.writeHead(200).end('{}'));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  servers.push(server);
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

async function setupServer() {
  const configPath = join(dir, 'config', 'server.json');
  const { server } = await startPrebootServer({ host: '127.0.0.1', port: 0, dataDir: join(dir, 'data'), configPath, config: {}, plugins: ['interactive-setup'] });
  const configure = `${server.url}${INTERACTIVE_SETUP_PREFIX}/configure`;
  return { url: server.url, configure, configPath, code: verificationCodeOf(server.url)! };
}

describe('preboot interactive setup against a cross-site attacker', () => {
  it('a POST with a foreign Origin, a foreign Host or text/plain is refused, and nothing is written', async () => {
    const es = await fakeElasticsearch();
    const { configure, configPath, code, url } = await setupServer();
    expect(code).toMatch(/^\d{6}$/);
    const body = JSON.stringify({ code, host: es, username: 'attacker', password: 'x' });
    const port = new URL(url).port;
    // The case: foreign Origin and Host, and a content type a cross-site form can send without a preflight.
    const all = await httpRequest('POST', configure, { body, headers: { origin: 'http://attacker.example', host: 'attacker.example', 'content-type': 'text/plain' } });
    expect(all.status).toBe(421);
    const origin = await httpRequest('POST', configure, { body, headers: { origin: 'http://attacker.example', 'content-type': 'application/json' } });
    expect(origin).toMatchObject({ status: 403, body: expect.stringContaining('another origin') });
    const rebinding = await httpRequest('POST', configure, { body, headers: { host: `attacker.example:${port}`, 'content-type': 'application/json' } });
    expect(rebinding).toMatchObject({ status: 421, body: expect.stringContaining('unknown Host') });
    const plain = await httpRequest('POST', configure, { body, headers: { 'content-type': 'text/plain' } });
    expect(plain).toMatchObject({ status: 415, body: expect.stringContaining('content-type: application/json') });
    const form = await httpRequest('POST', configure, { body: 'host=x', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    expect(form.status).toBe(415);
    expect((await httpRequest('GET', `${url}/api/status`, { headers: { host: 'attacker.example' } })).status).toBe(421);
    expect(existsSync(configPath)).toBe(false);
    // Its own origin, with the code: configured.
    const ok = await httpRequest('POST', configure, { body, headers: { origin: url, 'content-type': 'application/json; charset=utf-8' } });
    expect(ok.status).toBe(200);
    expect(existsSync(configPath)).toBe(true);
    expect(verificationCodeOf(url)).toBeNull();
  });

  it('the verification code is required; wrong ones are counted and the setup locks after the last attempt', async () => {
    const es = await fakeElasticsearch();
    const { configure, configPath, code } = await setupServer();
    const post = (body: object) => httpRequest('POST', configure, { body });
    expect(await post({ host: es })).toMatchObject({ status: 403, body: expect.stringContaining(`code is required: the 6-digit verification code printed with the server URL (${MAX_CODE_ATTEMPTS - 1} attempts left)`) });
    const wrong = code === '000000' ? '000001' : '000000';
    for (let i = 2; i <= MAX_CODE_ATTEMPTS; i++) expect((await post({ code: wrong, host: es })).status).toBe(403);
    const locked = await post({ code, host: es });
    expect(locked).toMatchObject({ status: 429, body: expect.stringContaining('the setup is locked') });
    expect(existsSync(configPath)).toBe(false);
  });

  it('a malformed Host or request line does not crash the server', async () => {
    const { url } = await setupServer();
    const { port } = new URL(url);
    const answer = await new Promise<string>((resolve) => {
      const socket = connect(Number(port), '127.0.0.1', () => socket.write('GET /api/status HTTP/1.1\r\nHost: a b\r\n\r\n'));
      let text = '';
      socket.on('data', (d) => (text += d));
      socket.on('close', () => resolve(text));
      socket.setTimeout(2000, () => socket.destroy());
    });
    expect(answer).toMatch(/^HTTP\/1\.1 4\d\d/);
    expect((await httpRequest('GET', `${url}/api/status`)).status).toBe(200);
  });
});
