/**
 * One run of a test suite under vitest, as a child process: its own process group, so a time limit stops the
 * suite with every worker it started (a mutant can loop forever inside one synchronous step, where no test timeout
 * fires); its JSON report tells which test failed first.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { UserError } from '../errors.ts';

export interface SuiteRun {
  outcome: 'passed' | 'failed' | 'timeout';
  ms: number;
  /** The first failing test (`file > name: message`), or what failed before any test ran. */
  failure?: string;
  /** How many tests ran. */
  tests: number;
  /** The end of what the run printed, for a failure no report explains. */
  output: string;
}

export interface SuiteRunOptions {
  cwd: string;
  env: NodeJS.ProcessEnv;
  timeoutMs: number;
  /** The JSON report's path (a file of its own per run). */
  reportFile: string;
  signal?: AbortSignal;
}

/** vitest's entry script: the project's own (the one its config expects), else the one beside lifecycle-kit. */
export function findVitest(cwd: string): string {
  for (const from of [join(cwd, 'package.json'), import.meta.url]) {
    try {
      const pkg = createRequire(from).resolve('vitest/package.json');
      const bin = join(dirname(pkg), 'vitest.mjs');
      if (existsSync(bin)) return bin;
    } catch {
      // not installed there
    }
  }
  throw new UserError('vitest is not installed: lifecycle mutate runs your suite with it (npm install --save-dev vitest)');
}

const OUTPUT_TAIL = 16_000;

/**
 * Runs `vitest run <files>` once, with one worker (the caller runs several suites side by side).
 *
 * @example
 * const run = await runSuite(findVitest(cwd), ['test/model/pay.paths.test.ts'], { cwd, env: process.env, timeoutMs: 60_000, reportFile });
 */
export function runSuite(vitest: string, files: readonly string[], options: SuiteRunOptions): Promise<SuiteRun> {
  const started = Date.now();
  const args = [vitest, 'run', ...files, '--maxWorkers=1', '--reporter=json', `--outputFile=${options.reportFile}`];
  return new Promise((resolve, reject) => {
    let child: ChildProcess;
    try {
      child = spawn(process.execPath, args, { cwd: options.cwd, env: options.env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    } catch (error) {
      reject(error);
      return;
    }
    let output = '';
    const keep = (chunk: Buffer) => {
      output = (output + chunk.toString('utf8')).slice(-OUTPUT_TAIL);
    };
    child.stdout!.on('data', keep);
    child.stderr!.on('data', keep);
    let timedOut = false;
    const stop = () => {
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        // already gone
      }
    };
    const timer = setTimeout(() => {
      timedOut = true;
      stop();
    }, options.timeoutMs);
    options.signal?.addEventListener('abort', stop, { once: true });
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', stop);
      // Workers of a killed group may outlive their parent for a moment; make sure none is left.
      if (timedOut || options.signal?.aborted) stop();
      const ms = Date.now() - started;
      if (timedOut) return resolve({ outcome: 'timeout', ms, tests: 0, output, failure: `still running after ${options.timeoutMs} ms` });
      const report = readReport(options.reportFile);
      const tests = report?.numTotalTests ?? 0;
      if (code === 0 && tests > 0) return resolve({ outcome: 'passed', ms, tests, output });
      resolve({ outcome: 'failed', ms, tests, output, failure: firstFailure(report) ?? lastLines(output) ?? `vitest exited with ${code}` });
    });
  });
}

interface JsonReport {
  numTotalTests?: number;
  testResults?: { name?: string; status?: string; message?: string; assertionResults?: { fullName?: string; status?: string; failureMessages?: string[] }[] }[];
}

function readReport(file: string): JsonReport | undefined {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as JsonReport;
  } catch {
    return undefined;
  }
}

function firstFailure(report: JsonReport | undefined): string | undefined {
  for (const file of report?.testResults ?? []) {
    const failed = file.assertionResults?.find((a) => a.status === 'failed');
    if (failed) return `${failed.fullName ?? '?'}: ${firstLine(failed.failureMessages?.[0] ?? 'failed')}`;
    if (file.status === 'failed' && file.message) return `${file.name ?? '?'}: ${firstLine(file.message)}`;
  }
  return undefined;
}

function firstLine(text: string): string {
  return text.split('\n').find((l) => l.trim() !== '')?.trim() ?? '';
}

function lastLines(output: string): string | undefined {
  const lines = output.replace(/\u001b\[[0-9;]*m/g, '').split('\n').map((l) => l.trim()).filter(Boolean);
  return lines.length ? lines.slice(-3).join(' | ') : undefined;
}
