import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { run } from '../../cli/main.ts';

const exec = promisify(execFile);
export const ROOT = new URL('../../', import.meta.url).pathname;
const VITEST = join(ROOT, 'node_modules/vitest/vitest.mjs');

/** `lifecycle testgen <args> -o <out>` in process; throws with its stderr when it fails. */
export async function testgen(args: string[], out: string): Promise<void> {
  let stderr = '';
  const code = await run(['testgen', ...args, '-o', out], { stdout: { write: () => true }, stderr: { write: (s) => (stderr += String(s)) } });
  if (code !== 0) throw new Error(`testgen ${args.join(' ')} exited ${code}: ${stderr}`);
}

/**
 * Runs generated test files with vitest in a child process (the repo's config, which runs files under test/), and
 * gives each test's title and outcome, with the first failure message of those that did not pass.
 */
export async function runSuites(files: string[], out: string, env: NodeJS.ProcessEnv = {}): Promise<{ title: string; status: string; failure?: string }[]> {
  const report = join(out, `report-${Date.now()}.json`);
  await exec(process.execPath, [VITEST, 'run', ...files, '--reporter=json', `--outputFile=${report}`], { cwd: ROOT, env: { ...process.env, LIFECYCLE_COVERAGE: '', ...env } }).catch(() => undefined);
  const results = (JSON.parse(readFileSync(report, 'utf8')) as { testResults: { assertionResults: { title: string; status: string; failureMessages: string[] }[] }[] }).testResults;
  return results.flatMap((f) => f.assertionResults).map((t) => ({ title: t.title, status: t.status, ...(t.status !== 'passed' ? { failure: t.failureMessages[0] } : {}) }));
}

/** The tests that did not pass, as `title: first failure line`. */
export function failures(tests: { title: string; status: string; failure?: string }[]): string[] {
  return tests.filter((t) => t.status !== 'passed').map((t) => `${t.title}: ${t.failure?.split('\n')[0] ?? t.status}`);
}
