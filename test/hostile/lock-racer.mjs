// One racer of the lock race (test/runtime/hardening.test.ts): plain Node, no tsx, so that dozens start fast.
// argv: <bundle of lock-file.ts> <lock path> <race dir> <number of racers>
// It says it is ready, waits for the start time the test writes to <race dir>/go, takes the lock at that instant,
// and, if it got it, holds it until every other racer has tried (bounded), then releases it.
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const [bundle, lockPath, dir, count] = process.argv.slice(2);
const { acquireLock, releaseLock, readLock } = await import(bundle);
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const deadline = Date.now() + 30_000;

writeFileSync(join(dir, `ready-${process.pid}`), '');
while (!existsSync(join(dir, 'go')) && Date.now() < deadline) await sleep(5);
const startAt = Number(readFileSync(join(dir, 'go'), 'utf8'));
if (startAt - Date.now() > 15) await sleep(startAt - Date.now() - 15);
while (Date.now() < startAt) {} // spin: every racer calls acquireLock at the same millisecond

let got = false;
try {
  acquireLock(lockPath, 'store', { graceMs: 500 });
  got = true;
} catch (error) {
  if (!/locked by a running process/.test(error.message)) {
    writeFileSync(join(dir, `error-${process.pid}`), error.message);
    console.log(`error ${error.message}`);
    process.exit(1);
  }
}
writeFileSync(join(dir, `${got ? 'got' : 'refused'}-${process.pid}`), '');
if (got) {
  const others = Number(count) - 1;
  const tried = () => readdirSync(dir).filter((f) => /^(refused|got|error)-/.test(f)).length - 1;
  while (tried() < others && Date.now() < deadline) await sleep(10);
  // Still the holder after everyone tried: nobody took it over.
  const holder = readLock(lockPath);
  if (holder?.pid !== process.pid) writeFileSync(join(dir, `lost-${process.pid}`), JSON.stringify(holder));
  releaseLock(lockPath);
}
console.log(got ? 'got' : 'refused');
