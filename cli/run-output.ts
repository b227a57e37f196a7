import { existsSync, lstatSync, readFileSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import type { AnyMachineSnapshot, EventObject } from 'xstate';
import { INSTALL_STEPS } from '../machines/install.ts';
import { PREBOOT_STEPS } from '../machines/preboot.ts';
import { UPGRADE_STEPS } from '../machines/upgrade.ts';
import { UserError, toErrorLine } from '../src/errors.ts';
import { fsUserError } from '../src/io/fs-errors.ts';
import { progressOf, type ProgressSelector } from '../src/runtime/progress-view.ts';
import type { WaitInfo } from '../src/runtime/waiting.ts';
import type { EventCatalogue } from '../src/model/catalogue.ts';
import type { ResolvedLifecycle } from '../src/runtime/resolve-lifecycle.ts';
import type { ActorRunOptions, Notice } from '../src/runtime/run-actor.ts';
import type { RunResult } from '../src/runtime/runs.ts';
import { describeValue } from '../src/runtime/state-paths.ts';
import type { JournalEntry } from '../src/runtime/types.ts';
import type { Io } from './io.ts';
import { usageError } from './io.ts';

/** The ordered steps of the built-ins that have them, for "step n of m". */
const STEP_LISTS: Record<string, readonly string[]> = {
  install: INSTALL_STEPS,
  upgrade: UPGRADE_STEPS,
  preboot: PREBOOT_STEPS,
};

/** `--input`: JSON text, or the path of a JSON file. Throws a one-line `UserError` naming what was wrong. */
export function parseInputOption(value: string): unknown {
  const text = value.trim();
  if (/^[[{"]/.test(text) || /^(null|true|false|-?\d)/.test(text)) {
    try {
      return JSON.parse(text);
    } catch (error) {
      throw new UserError(`--input is not valid JSON (${(error as Error).message}): pass a JSON object or the path of a .json file`);
    }
  }
  if (!existsSync(value)) throw new UserError(`--input: '${value}' is neither JSON nor an existing file`);
  let fileText: string;
  try {
    fileText = readFileSync(value, 'utf8');
  } catch (error) {
    throw fsUserError(error, value, 'read the --input file');
  }
  try {
    return JSON.parse(fileText);
  } catch (error) {
    throw new UserError(`--input file ${value} is not valid JSON (${(error as Error).message})`);
  }
}

/** `--timeout`: a positive number of milliseconds. */
export function parseTimeout(value: string): number {
  const ms = Number(value);
  if (!Number.isInteger(ms) || ms <= 0) throw usageError(`--timeout must be a positive number of milliseconds, got '${value}'`);
  return ms;
}

const clock = (iso: string) => new Date(iso).toTimeString().slice(0, 8);

/** How long a waiting run's hint waits for the samples its example payload comes from. */
const SAMPLES_WAIT_MS = 2000;

/** A transition line printed among the last this many is a loop's round: counted, not printed again. */
const RECENT_LINES = 12;

/** One plain line per transition on stdout, and on a TTY a live line on stderr for the step in progress. */
export interface ProgressPrinter {
  transition(entry: JournalEntry, snapshot: AnyMachineSnapshot): void;
  snapshot(snapshot: AnyMachineSnapshot): void;
  /** Writes a line of its own (the live line is cleared first and drawn again after). */
  line(stream: 'stdout' | 'stderr', text: string): void;
  stop(): void;
}

/**
 * Prints a run's progress: `[12:00:01] installing.kibana_assets.running → installing.ilm_policies.running` per
 * transition that moves (progress-only updates, such as download bytes, only feed the live line; a loop's later
 * rounds are counted in one line when something new happens or the run ends), and an error
 * note when a step failed. On a TTY the live line shows the step (n of m), its attempt, the time spent in it and
 * download bytes when the context has them. `notes` (a `LifecycleServices.notes`) adds indented lines under a
 * transition when there are some that differ from the last ones printed: where to reach what the run waits on.
 */
export function createProgressPrinter(
  io: Io,
  lifecycle: string,
  notes?: (state: { context: unknown; value: unknown }) => string[],
  select?: ProgressSelector,
): ProgressPrinter {
  let lastNotes = '';
  const live = io.stderr.isTTY === true && !process.env.NO_PROGRESS;
  const steps = STEP_LISTS[lifecycle];
  let current: AnyMachineSnapshot | null = null;
  let stepSince = Date.now();
  let lastStep: string | null = null;
  let shown = false;
  const clear = () => {
    if (shown) io.stderr.write('\r\x1b[K');
    shown = false;
  };
  const render = () => {
    if (!live || !current || current.status !== 'active') return;
    const p = progressOf(current.context, select, current.value);
    const parts: string[] = [];
    if (p.step) {
      const n = steps?.indexOf(p.step) ?? -1;
      parts.push(n >= 0 ? `step ${n + 1} of ${steps!.length}: ${p.step}` : p.step);
      if (p.attempts && p.attempts > 1) parts.push(`attempt ${p.attempts}`);
    } else parts.push(describeValue(current.value));
    if (p.bytesReceived !== null && p.bytesReceived > 0) {
      parts.push(p.totalBytes ? `${formatBytes(p.bytesReceived)} / ${formatBytes(p.totalBytes)} (${Math.floor((100 * p.bytesReceived) / p.totalBytes)}%)` : formatBytes(p.bytesReceived));
    }
    parts.push(`${Math.round((Date.now() - stepSince) / 1000)} s`);
    io.stderr.write(`\r\x1b[K… ${parts.join(' · ')}`);
    shown = true;
  };
  /** The notes of a state as printed (indented lines), '' when there are none. */
  const notesOf = (snapshot: AnyMachineSnapshot): string => {
    let lines: string[] = [];
    try {
      lines = notes?.({ context: snapshot.context, value: snapshot.value }) ?? [];
    } catch {
      // Display only: a broken note must not break the run.
    }
    return lines.map((line) => `  ${line}\n`).join('');
  };
  const recent: string[] = [];
  let repeated = 0;
  const flushRepeated = () => {
    if (repeated > 0) io.stdout.write(`  (… ${repeated} more transition${repeated === 1 ? '' : 's'} repeating the ones above)\n`);
    repeated = 0;
  };
  const timer = live ? setInterval(render, 250) : null;
  timer?.unref();

  return {
    transition(entry, snapshot) {
      current = snapshot;
      if (entry.step !== lastStep) {
        lastStep = entry.step;
        stepSince = Date.now();
      }
      const from = describeValue(entry.from);
      const to = describeValue(entry.to);
      const moved = from !== to || entry.event === 'xstate.init' || entry.event === 'lifecycle.resume';
      if (!moved && !entry.error) return;
      const head = entry.event === 'xstate.init' ? `start → ${to}` : entry.event === 'lifecycle.resume' ? `resume at ${to}` : `${from} → ${to}`;
      // A loop (health checks, a resync) prints its round once; later rounds are counted, not printed — unless
      // they bring notes that differ from the last ones (an operator converging on a new version).
      const notesText = notesOf(snapshot);
      if (!entry.error && recent.includes(head) && (notesText === '' || notesText === lastNotes)) {
        repeated++;
        render();
        return;
      }
      recent.push(head);
      if (recent.length > RECENT_LINES) recent.shift();
      clear();
      flushRepeated();
      const error = entry.error
        ? `  (${entry.error.step ? `${entry.error.step}${entry.error.attempt ? ` attempt ${entry.error.attempt}` : ''} failed: ` : 'error: '}${toErrorLine(entry.error.message)})`
        : '';
      io.stdout.write(`[${clock(entry.time)}] ${head}${error}\n`);
      if (notesText !== '' && notesText !== lastNotes) {
        lastNotes = notesText;
        io.stdout.write(notesText);
      }
      render();
    },
    snapshot(snapshot) {
      current = snapshot;
      render();
    },
    line(stream, text) {
      clear();
      io[stream].write(`${text}\n`);
      render();
    },
    stop() {
      if (timer) clearInterval(timer);
      clear();
      flushRepeated();
    },
  };
}

function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 ** 2) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1024 ** 2).toFixed(1)} MiB`;
}

/** The signals a run gets from SIGINT/SIGTERM: a first one asks for a shutdown when the lifecycle has one. */
export interface InterruptSignals {
  /** Aborted to stop the run at once (resumable). */
  interrupt: AbortSignal;
  /** Aborted by the first signal when the lifecycle declares a `shutdownEvent`; never otherwise. */
  shutdown: AbortSignal;
}

/**
 * Runs `body` with signals that SIGINT and SIGTERM abort, so that Ctrl-C stops a run cleanly (services cleaned up,
 * the store unlocked, resumable) instead of killing it mid-write. With `shutdown` (a lifecycle that runs until told
 * to stop), the first signal asks the machine to shut down instead (`onShutdown` says so) and a second interrupts.
 */
export async function withInterruptSignal<T>(body: (signals: InterruptSignals) => Promise<T>, shutdown?: { onShutdown(): void }): Promise<T> {
  const interrupt = new AbortController();
  const graceful = new AbortController();
  const onSignal = () => {
    if (shutdown && !graceful.signal.aborted) {
      graceful.abort();
      shutdown.onShutdown();
    } else interrupt.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    return await body({ interrupt: interrupt.signal, shutdown: graceful.signal });
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

/** What a first Ctrl-C prints for a lifecycle with a `shutdownEvent` (none without one: the signal interrupts). */
export function announceShutdown(io: Io, lifecycle: string, event: EventObject | undefined, printer: ProgressPrinter): { onShutdown(): void } | undefined {
  if (!event) return undefined;
  return {
    onShutdown() {
      printer.stop();
      io.stderr.write(`lifecycle: shutting ${lifecycle} down (${event.type}); Ctrl-C again to interrupt at once\n`);
    },
  };
}

/** Prints a notice as it happens: information on stdout, a warning on stderr. */
export function printNotice(io: Io, printer: ProgressPrinter): (notice: Notice) => void {
  return (notice) => (notice.level === 'warning' ? printer.line('stderr', `warning: ${notice.message}`) : printer.line('stdout', notice.message));
}

/**
 * What `run` and `resume` both give the runtime for a lifecycle: its machine and services (actors, invariants,
 * restore, shutdown event), the signals of Ctrl-C, and the printer's callbacks.
 */
export function lifecycleRunOptions(
  io: Io,
  lifecycle: ResolvedLifecycle,
  printer: ProgressPrinter,
  signals: InterruptSignals,
  waiting?: { storeArg: string; samples?: () => Promise<EventCatalogue | undefined> },
): Omit<ActorRunOptions, 'store'> {
  const services = lifecycle.services;
  return {
    progress: services?.progress as ProgressSelector | undefined,
    // The example payload comes from the machine's samples (a guard may read it), resolved only once a run waits,
    // and given up on after a moment: the hint must come while the person is looking.
    onWaiting:
      waiting &&
      ((wait) => {
        const [head, send] = waitingLines(wait, waiting.storeArg);
        printer.line('stdout', head);
        const timeout = delay(SAMPLES_WAIT_MS, undefined, { ref: false });
        void Promise.race([waiting.samples?.() ?? Promise.resolve(undefined), timeout]).then(
          (samples) => printer.line('stdout', samples ? waitingLines(wait, waiting.storeArg, samples)[1] : send),
          () => printer.line('stdout', send),
        );
      }),
    lifecycle: lifecycle.ref,
    machine: lifecycle.machine,
    actors: services?.actors,
    invariants: services?.invariants as ActorRunOptions['invariants'],
    restore: services?.restore as ActorRunOptions['restore'],
    signal: signals.interrupt,
    shutdown: services?.shutdownEvent && { signal: signals.shutdown, event: services.shutdownEvent },
    onTransition: printer.transition,
    onSnapshot: printer.snapshot,
    onNotice: printNotice(io, printer),
  };
}

/**
 * What a run at rest prints: the events its state takes, and the command that sends one (with the catalogue's
 * first payload for it, when there is one, since a guard may read the payload).
 */
export function waitingLines(wait: WaitInfo, storeArg: string, catalogue?: EventCatalogue): [head: string, send: string] {
  const store = storeArg === '.lifecycle' ? '' : ` --store ${shellQuote(storeArg)}`;
  const first = wait.events.find((e) => e !== '*' && !e.endsWith('.*')) ?? wait.events[0]!;
  const type = first === '*' ? 'ANY_EVENT' : first.endsWith('.*') ? `${first.slice(0, -1)}name` : first;
  const sample = catalogue?.events?.[first]?.[0];
  const example = JSON.stringify({ type, ...(sample && typeof sample === 'object' ? sample : {}) });
  return [`  waiting in ${wait.state} for ${wait.events.join(', ')}${wait.timers ? ' (or its timer)' : ''}`, `  send one with: lifecycle send${store} ${shellQuote(example)}`];
}

function shellQuote(text: string): string {
  return /^[\w@%+=:,./-]+$/.test(text) ? text : `'${text.replace(/'/g, `'\\''`)}'`;
}

/**
 * The samples a waiting run's hint takes its example payload from (the hand-written catalogue, else samples
 * inferred from the machine's types), resolved once, on first use; undefined when they cannot be.
 */
export function lazySamples(lifecycle: ResolvedLifecycle): () => Promise<EventCatalogue | undefined> {
  let samples: Promise<EventCatalogue | undefined> | undefined;
  return () =>
    (samples ??= (async () => {
      const [{ resolveSamples }, { extractGraph }] = await Promise.all([import('../src/model/samples.ts'), import('../src/model/extract.ts')]);
      return (await resolveSamples(lifecycle.loaded, extractGraph(lifecycle.machine))).catalogue;
    })().catch(() => undefined));
}

/** Prints how a run ended and returns the exit code: 0 succeeded or ended, 1 failed, 130 interrupted. */
export function reportRunEnd(io: Io, result: RunResult, startedAt: number, storeArg: string): number {
  const lifecycle = result.meta.lifecycle;
  const where = result.snapshot ? describeValue(result.snapshot.value) : '';
  const seconds = ((Date.now() - startedAt) / 1000).toFixed(1);
  const storeHint = storeArg === '.lifecycle' ? '' : ` --store ${storeArg}`;
  switch (result.status) {
    case 'succeeded':
      io.stdout.write(`${lifecycle}: succeeded in ${seconds} s${where ? ` (${where})` : ''}\n`);
      return 0;
    case 'ended':
      // Over, but not said to be a success: the machine does not mark this final state as one.
      io.stdout.write(`${lifecycle}: ended in ${where} after ${seconds} s (a final state not marked as a success or a failure: tag it 'success' or 'failure' to say which)\n`);
      return 0;
    case 'interrupted':
      io.stderr.write(`lifecycle: ${lifecycle} interrupted at ${where || 'start'}: continue with 'lifecycle resume${storeHint}'\n`);
      return 130;
    default: {
      // In a final state the machine chose to fail ("ending in failed"); elsewhere the run stopped there.
      const place = !where ? '' : result.snapshot?.status === 'done' ? `, ending in ${where}` : ` in ${where}`;
      io.stderr.write(`lifecycle: ${lifecycle} failed${place}: ${toErrorLine(result.error ?? 'unknown error')}\n`);
      return 1;
    }
  }
}

/**
 * A finished sandboxed run's temp directory is removed (with it, whatever the run left running there: an agent
 * exits once its home is gone); an unfinished one is kept, since a resume needs it.
 */
export function settleSandbox(io: Io, dir: string, remove: boolean): void {
  if (!remove) {
    io.stdout.write(`sandbox kept: ${dir} (remove it when done: an agent or app the run left running there exits once it is gone)\n`);
    return;
  }
  // The path comes from the store, which anyone may have edited: remove only what a run makes, a
  // `lifecycle-*` folder right in the temp directory, by its real path (no symlink out of it).
  if (!isRunSandbox(dir)) {
    io.stderr.write(`warning: left ${dir} alone: it is not a sandbox lifecycle makes (a lifecycle-* folder in ${tmpdir()})\n`);
    return;
  }
  try {
    rmSync(dir, { recursive: true, force: true });
    io.stdout.write(`sandbox removed: ${dir} (keep it next time with --keep-sandbox)\n`);
  } catch (error) {
    io.stderr.write(`warning: cannot remove the sandbox ${dir}: ${(error as Error).message.split('\n')[0]}\n`);
  }
}

function isRunSandbox(dir: string): boolean {
  try {
    if (lstatSync(dir).isSymbolicLink()) return false;
    const real = realpathSync(dir);
    return dirname(real) === realpathSync(tmpdir()) && basename(real).startsWith('lifecycle-');
  } catch {
    return false;
  }
}
