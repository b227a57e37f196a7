#!/usr/bin/env node
// The example application the operator manages: a small HTTP server on loopback.
//
//   node app.mjs --work-dir <dir> --version <version> [--host 127.0.0.1] [--port 0] [--parameters '<json>']
//
// Parameters come from --parameters or the APP_PARAMETERS environment variable (JSON object). Known ones:
//   message       string   what GET / answers (default "hello")
//   healthy       boolean  false makes GET /health answer 503 (default true)
//   startDelayMs  number   wait this long before listening (default 0)
//   crashAfterMs  number   exit with code 1 this long after start; 0 crashes before listening (fault tests)
// Unknown parameters are kept and reported; a known one of the wrong type exits with code 2 (bad configuration).
//
// Once it listens it writes <work-dir>/app.ready.json { pid, port, version, parameters, startedAt } (atomically).
// GET /health → { status, version, parameters, pid }. It exits on SIGTERM/SIGINT, and by itself once its work dir
// is gone (a removed instance never lingers).
import { createServer } from 'node:http';
import { existsSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    'work-dir': { type: 'string' },
    version: { type: 'string' },
    host: { type: 'string', default: '127.0.0.1' },
    port: { type: 'string', default: '0' },
    parameters: { type: 'string' },
  },
});

function fail(message) {
  console.error(`operator-app: ${message}`);
  process.exit(2);
}

const workDir = values['work-dir'] ?? fail('--work-dir is required');
const version = values.version ?? fail('--version is required');
let parameters;
try {
  parameters = JSON.parse(values.parameters ?? process.env.APP_PARAMETERS ?? '{}');
} catch (error) {
  fail(`parameters are not valid JSON: ${error.message}`);
}
if (!parameters || typeof parameters !== 'object' || Array.isArray(parameters)) fail('parameters must be a JSON object');
const types = { message: 'string', healthy: 'boolean', startDelayMs: 'number', crashAfterMs: 'number' };
for (const [key, type] of Object.entries(types)) {
  if (parameters[key] !== undefined && typeof parameters[key] !== type) fail(`parameter ${key} must be a ${type}, found ${JSON.stringify(parameters[key])}`);
}
for (const key of ['startDelayMs', 'crashAfterMs']) {
  if (parameters[key] !== undefined && !(parameters[key] >= 0)) fail(`parameter ${key} must be >= 0`);
}

const readyFile = join(workDir, 'app.ready.json');
const startedAt = new Date().toISOString();
console.log(`operator-app ${version} starting (pid ${process.pid}) with ${JSON.stringify(parameters)}`);

if (parameters.crashAfterMs !== undefined) {
  setTimeout(() => {
    console.error(`operator-app ${version}: crashing after ${parameters.crashAfterMs} ms, as asked`);
    process.exit(1);
  }, parameters.crashAfterMs);
}

const server = createServer((req, res) => {
  const send = (status, body) => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  };
  if (req.url === '/health') {
    const healthy = parameters.healthy !== false;
    send(healthy ? 200 : 503, { status: healthy ? 'ok' : 'unhealthy', version, parameters, pid: process.pid });
  } else if (req.url === '/') send(200, { message: parameters.message ?? 'hello', version });
  else send(404, { error: 'not found' });
});

function writeReady(port) {
  const temp = `${readyFile}.${process.pid}.tmp`;
  writeFileSync(temp, `${JSON.stringify({ pid: process.pid, port, version, parameters, startedAt }, null, 2)}\n`);
  renameSync(temp, readyFile);
}

setTimeout(() => {
  server.listen(Number(values.port), values.host, () => {
    const { port } = server.address();
    writeReady(port);
    console.log(`operator-app ${version} listening on ${values.host}:${port}`);
  });
}, parameters.startDelayMs ?? 0);

function stop() {
  // Forget the ready file only if it is ours (a newer instance may have written its own).
  try {
    if (JSON.parse(readFileSync(readyFile, 'utf8')).pid === process.pid) rmSync(readyFile, { force: true });
  } catch {
    // no ready file
  }
  server.close(() => process.exit(0));
  setTimeout(() => process.exit(0), 1000).unref();
}
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
setInterval(() => {
  if (!existsSync(workDir)) process.exit(0);
}, 250);
