/**
 * The hand-off: the current version runs the next version's upgrade entrypoint from the stable path
 * `<home>/bin/upgrade` as a real child process — `upgrade handoff --home <home> --from <v> --to <v>` — and assumes
 * nothing else about the next version. The entrypoint checks that it is the version asked for and can take over,
 * writes the upgrade marker, and prints one JSON line `{ "accepted": true, "version": ... }`. From then on the
 * next version's services (migrate, swap, start, watch) carry the upgrade.
 */
import { spawn } from 'node:child_process';
import { dirname } from 'node:path';
import type { HandOffInput } from '../../../machines/upgrade.ts';
import { serviceError } from '../install/fs.ts';
import { assertSafeHome } from './safety.ts';

interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

function runEntrypoint(file: string, args: string[], cwd: string, timeoutMs: number): Promise<Exit> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, {
      cwd,
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: timeoutMs,
      env: { ...process.env, PATH: `${dirname(process.execPath)}:${process.env.PATH ?? ''}` },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

/** Runs the entrypoint and resolves once the next version has accepted the upgrade. */
export async function handOff(input: HandOffInput, timeoutMs = 30_000): Promise<void> {
  const { entrypoint, agentHome, fromVersion, toVersion } = input;
  // The entrypoint writes the upgrade marker under data/: a home changed since the first step is refused first.
  await assertSafeHome(agentHome);
  let exit: Exit;
  try {
    exit = await runEntrypoint(entrypoint, ['handoff', '--home', agentHome, '--from', fromVersion, '--to', toVersion], agentHome, timeoutMs);
  } catch (error) {
    throw serviceError('handoff-failed', `cannot run the upgrade entrypoint ${entrypoint}: ${(error as Error).message}`);
  }
  const last = (s: string) => s.trim().split('\n').pop() ?? '';
  if (exit.code !== 0)
    throw serviceError('handoff-refused', `upgrade entrypoint ${entrypoint} ${exit.signal ? `was killed by ${exit.signal}` : `exited with code ${exit.code}`}${exit.stderr.trim() ? `: ${last(exit.stderr)}` : ''}`);
  let answer: { accepted?: boolean; version?: string; reason?: string };
  try {
    answer = JSON.parse(last(exit.stdout));
  } catch {
    throw serviceError('handoff-refused', `upgrade entrypoint ${entrypoint} did not answer with a JSON line; it printed "${last(exit.stdout)}"`);
  }
  if (answer.accepted !== true || answer.version !== toVersion)
    throw serviceError('handoff-refused', `upgrade entrypoint ${entrypoint} did not take the upgrade to ${toVersion} over${answer.reason ? `: ${answer.reason}` : ` (it answered version ${answer.version})`}`);
}
