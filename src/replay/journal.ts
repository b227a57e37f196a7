/**
 * Reads the journal a replay follows: a run's `journal.jsonl`, or a store folder (its compacted history first,
 * oldest first, then the journal), with the run's input from the store's `run.json`.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { UserError } from '../errors.ts';
import { fsUserError } from '../io/fs-errors.ts';
import { JournalFile } from '../runtime/journal-file.ts';
import type { JournalEntry } from '../runtime/types.ts';

/**
 * A journal line as replay reads it. `output` and `payload` are not written by the runtime yet: when a line has
 * them (a done event's output, an outside event's fields besides `type`), the replay uses them.
 */
export interface ReplayLine extends JournalEntry {
  output?: unknown;
  payload?: Record<string, unknown>;
}

export interface ReplayJournal {
  /** The file read (the store's journal.jsonl for a store). */
  file: string;
  lines: ReplayLine[];
  /** The run's input, from run.json; undefined when no run.json was found. */
  input: unknown;
  /** Whether a run.json gave the input. */
  hasInput: boolean;
  /** Lines left out (a torn last line, an unreadable history segment). */
  warnings: string[];
}

export function readReplayJournal(path: string): ReplayJournal {
  if (!existsSync(path)) throw new UserError(`journal not found: ${path}`);
  const store = statSync(path).isDirectory();
  const file = store ? join(path, 'journal.jsonl') : path;
  if (store && !existsSync(file)) {
    throw new UserError(`${path} is a folder with no journal.jsonl, so not a run store: give a journal.jsonl or a --store folder of 'lifecycle run'`);
  }
  const journal = new JournalFile(file);
  // A store's history is the same run, moved aside when the journal grew: it comes first. A bare file is read alone.
  const read = readEntries(journal, store);
  if (!read.entries.length) throw new UserError(`journal ${file} is empty: no run was recorded in it`);
  read.entries.forEach((e, i) => checkLine(e, i, file));
  const { input, hasInput } = runInput(join(store ? path : dirname(path), 'run.json'));
  return { file, lines: read.entries as ReplayLine[], input, hasInput, warnings: read.warnings };
}

function readEntries(journal: JournalFile, store: boolean): ReturnType<JournalFile['read']> {
  try {
    return store ? journal.readAll() : journal.read();
  } catch (error) {
    // The runtime's message speaks of a resume; here the file is simply no journal.
    const line = /is corrupt at line (\d+)/.exec((error as Error).message)?.[1];
    if (line) throw new UserError(`${journal.path} is not a run journal: line ${line} is not JSON (a journal is the journal.jsonl of 'lifecycle run')`);
    throw error;
  }
}

function checkLine(e: unknown, i: number, file: string): void {
  const line = e as Partial<ReplayLine> | null;
  if (!line || typeof line !== 'object' || typeof line.event !== 'string' || !('to' in line) || (line.transitions !== undefined && !Array.isArray(line.transitions))) {
    throw new UserError(`${file} is not a run journal: line ${i + 1} has no event and state (a journal is the journal.jsonl of 'lifecycle run')`);
  }
}

/** The input saved with the run, when the journal sits in a store. */
function runInput(file: string): { input: unknown; hasInput: boolean } {
  if (!existsSync(file)) return { input: undefined, hasInput: false };
  let meta: unknown;
  try {
    meta = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code) throw fsUserError(error, file, 'read the run');
    throw new UserError(`${file} is not JSON: give the run's input with --input`);
  }
  // A run without input has none in its run.json (JSON drops undefined): that is its input too.
  if (!meta || typeof meta !== 'object' || Array.isArray(meta)) return { input: undefined, hasInput: false };
  return { input: (meta as { input?: unknown }).input, hasInput: true };
}

/**
 * Refuses a journal of another machine: every transition id and state value of a run of `machineId` starts with
 * it. (A journal of a *changed* version of the machine passes: its differences are what replay reports.)
 */
export function assertJournalOf(journal: ReplayJournal, machineId: string, topStates: string[]): void {
  const foreignId = journal.lines.flatMap((l) => l.transitions ?? []).find((id) => !id.startsWith(`${machineId}.`) && !id.startsWith(`${machineId}:`));
  if (foreignId !== undefined) {
    const other = /^[^.:]+/.exec(foreignId)?.[0] ?? foreignId;
    throw new UserError(`journal ${journal.file} is of machine '${other}', not '${machineId}' (e.g. transition ${foreignId}): give the journal of a run of this lifecycle`);
  }
  const known = new Set(topStates);
  const tops = journal.lines.flatMap((l) => topKeys(l.to));
  if (tops.length && !tops.some((k) => known.has(k))) {
    throw new UserError(`journal ${journal.file} is not of machine '${machineId}': none of its states (e.g. ${tops[0]}) is this machine's: give the journal of a run of this lifecycle`);
  }
}

function topKeys(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  return value && typeof value === 'object' ? Object.keys(value) : [];
}
