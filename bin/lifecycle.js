#!/usr/bin/env node
// The `lifecycle` command. It runs the build (dist/), which needs no transpiler: tsx is loaded only to read a user's
// `.ts` machine. In a clone (tsconfig.build.json beside it) whose sources changed since the last `npm run build`, it
// runs the sources through tsx instead, so a stale build never answers for edited code; LIFECYCLE_DEV=1 forces the
// sources, LIFECYCLE_DEV=0 the build.
import { Console } from 'node:console';
import { existsSync, readdirSync, statSync } from 'node:fs';

const root = new URL('../', import.meta.url);
const built = new URL('dist/cli/main.js', root);
const stamp = new URL('dist/.build-stamp', root);

/** True in a clone whose sources are newer than its build (or that has none). */
function buildIsStale() {
  if (!existsSync(new URL('tsconfig.build.json', root))) return false; // an installed package: only the build ships
  if (!existsSync(stamp)) return true;
  const builtAt = statSync(stamp).mtimeMs;
  const newer = (dir) => {
    let entries;
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch {
      return false;
    }
    for (const entry of entries) {
      const url = new URL(entry.name + (entry.isDirectory() ? '/' : ''), dir);
      if (entry.isDirectory() ? newer(url) : statSync(url).mtimeMs > builtAt) return true;
    }
    return false;
  };
  return ['src/', 'cli/', 'machines/'].some((dir) => newer(new URL(dir, root)));
}

const dev = process.env.LIFECYCLE_DEV;
const fromSources = dev === '1' || (dev !== '0' && buildIsStale());
if (fromSources) (await import('tsx/esm/api')).register();

// A reader that stops early (`lifecycle diagram x | head`) is not an error.
process.stdout.on('error', (error) => {
  if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw error;
});
// A command whose await is left with nothing to wait on would end the process with Node's silent exit 13; say so.
let finished = false;
let idleRounds = 0;
process.on('beforeExit', () => {
  if (finished) return;
  // Give the others a round first: a loader's own listener turns an await on nothing into a clear error.
  if (++idleRounds < 3) return void setImmediate(() => {});
  process.stderr.write('lifecycle: the command stopped before it finished: it waited on something that nothing left running can settle (a bug: please report it, with the command)\n');
  process.exit(1);
});
// Standard output is the command's answer (JSON with --json, a diagram, a test file): what a user's machine or
// services print while they run (console.log in an action) goes to standard error, so it cannot corrupt it.
globalThis.console = new Console({ stdout: process.stderr, stderr: process.stderr });
const { run, mustExit } = await import(fromSources ? '../cli/main.ts' : built.href);
process.exitCode = await run(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr });
finished = true;
// A user's module given up on while loading may have left a timer or a socket running: do not wait for it.
if (mustExit()) process.exit();
