#!/usr/bin/env node
// The example agent: one version of it lives in <home>/data/agent-<version>-<hash>/. It reads its own agent.json,
// serves GET /health and GET /version on 127.0.0.1 (a free port), writes <its dir>/run/agent.json once it listens,
// and counts its starts in state/run/starts.json. It exits on SIGTERM, and by itself once its directory is gone
// (a rolled-back or removed version never lingers).
import { createServer } from 'node:http';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const dir = dirname(dirname(fileURLToPath(import.meta.url)));
const meta = JSON.parse(readFileSync(join(dir, 'agent.json'), 'utf8'));

function writeJson(file, value) {
  mkdirSync(dirname(file), { recursive: true });
  const temp = `${file}.${process.pid}.tmp`;
  writeFileSync(temp, `${JSON.stringify(value, null, 2)}\n`);
  renameSync(temp, file);
}

const startsFile = join(dir, 'state', 'run', 'starts.json');
const starts = existsSync(startsFile) ? JSON.parse(readFileSync(startsFile, 'utf8')) : { count: 0 };
writeJson(startsFile, { count: starts.count + 1, last: new Date().toISOString(), version: meta.version });

if (meta.health === 'crash') setTimeout(() => process.exit(1), 150);

const server = createServer((req, res) => {
  const send = (status, body) => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  };
  if (req.url === '/health') {
    if (meta.health === 'silent') return; // listens, never answers (a hung agent)
    if (meta.health === 'unhealthy') send(503, { status: 'degraded', version: meta.version, reason: 'cannot reach the fleet server' });
    else send(200, { status: 'healthy', version: meta.version, pid: process.pid });
  } else if (req.url === '/version') send(200, { version: meta.version, buildDate: meta.buildDate });
  else send(404, { error: 'not found' });
});

server.listen(0, '127.0.0.1', () => {
  const { port } = server.address();
  writeJson(join(dir, 'run', 'agent.json'), { pid: process.pid, port, version: meta.version, startedAt: new Date().toISOString() });
  console.log(`agent ${meta.version} listening on 127.0.0.1:${port} (pid ${process.pid})`);
});

const stop = () => server.close(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
setInterval(() => {
  if (!existsSync(join(dir, 'agent.json'))) process.exit(0);
}, 250);
