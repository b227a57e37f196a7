#!/usr/bin/env node
// The `lifecycle` command. tsx is registered so that the CLI and users' `.ts` machines load without a build step.
import { register } from 'tsx/esm/api';

register();
// A reader that stops early (`lifecycle diagram x | head`) is not an error.
process.stdout.on('error', (error) => {
  if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw error;
});
const { run, mustExit } = await import('../cli/main.ts');
process.exitCode = await run(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr });
// A user's module given up on while loading may have left a timer or a socket running: do not wait for it.
if (mustExit()) process.exit();
