#!/usr/bin/env node
// The `lifecycle` command. tsx is registered so that the CLI and users' `.ts` machines load without a build step.
import { register } from 'tsx/esm/api';

register();
const { run } = await import('../cli/main.ts');
process.exitCode = await run(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr });
