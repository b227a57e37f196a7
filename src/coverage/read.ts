/**
 * What really ran, for `lifecycle coverage`: coverage files recorded by the generated suites and journals of runs.
 * Data of another machine is refused with one line naming the file, never counted as 0 taken.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { UserError } from '../errors.ts';
import { fsUserError } from '../io/fs-errors.ts';
import type { LifecycleGraph } from '../model/types.ts';
import { activeStateIds } from '../paths/coverage.ts';
import { COVERAGE_FORMAT, type CoverageFile, machineIdentity } from './file.ts';

export interface Measured {
  /** Transition ids taken. */
  taken: Set<string>;
  /** State ids that were active. */
  visited: Set<string>;
  /** The states a journal's run ended in (drawn open); empty for suites. */
  last: string[];
  /** What was read, for people: `2 coverage files in .lifecycle-coverage`, `journal .lifecycle/journal.jsonl`. */
  sources: string[];
  /** Steps the suites took, how many ran against the real services, and why paths left them (suites only). */
  steps: { total: number; real: number; stopped: Record<string, number> };
}

export function emptyMeasured(): Measured {
  return { taken: new Set(), visited: new Set(), last: [], sources: [], steps: { total: 0, real: 0, stopped: {} } };
}

/**
 * Reads the coverage files of `graph`'s machine in a directory (files of other machines, recorded there by other
 * suites, are left out) or one named file (which must be of this machine). Returns how many files were read, and
 * the other machines the directory holds coverage of.
 */
export function readCoverageFiles(path: string, graph: LifecycleGraph, into: Measured): { read: number; others: string[] } {
  const others = new Set<string>();
  if (!existsSync(path)) return { read: 0, others: [] };
  const identity = machineIdentity(graph);
  const single = !statSync(path).isDirectory();
  const files = single ? [path] : readdirSync(path).filter((f) => f.endsWith('.json') && !f.startsWith('.')).sort().map((f) => join(path, f));
  const known = new Set(graph.transitions.map((t) => t.id));
  let read = 0;
  for (const file of files) {
    const data = parseCoverageFile(file);
    if (data.machine.id !== identity.id) {
      if (single) throw new UserError(`coverage file ${file} is of machine '${data.machine.id}', not '${identity.id}': give this machine's coverage`);
      others.add(data.machine.id);
      continue;
    }
    const foreign = data.transitions.filter((id) => !known.has(id));
    if (data.machine.fingerprint !== identity.fingerprint || foreign.length) {
      throw new UserError(
        `coverage file ${file} was recorded on another version of machine '${identity.id}' (its transitions differ${foreign.length ? `, e.g. ${foreign[0]}` : ''}): remove it and run the generated tests again`,
      );
    }
    for (const id of data.transitions) into.taken.add(id);
    for (const id of data.states) into.visited.add(id);
    if (data.steps) {
      into.steps.total += data.steps.total;
      into.steps.real += data.steps.real;
      for (const [why, n] of Object.entries(data.steps.stopped ?? {})) into.steps.stopped[why] = (into.steps.stopped[why] ?? 0) + n;
    }
    read++;
  }
  if (read) into.sources.push(single ? `coverage file ${path}` : `${read} coverage file${read === 1 ? '' : 's'} in ${path}`);
  return { read, others: [...others].sort() };
}

function parseCoverageFile(file: string): CoverageFile {
  let data: unknown;
  try {
    data = JSON.parse(readText(file, 'read the coverage file'));
  } catch (error) {
    if (error instanceof UserError) throw error;
    throw new UserError(`${file} is not a lifecycle-kit coverage file (not JSON)`);
  }
  const d = data as Partial<CoverageFile> | null;
  if (!d || d.format !== COVERAGE_FORMAT || typeof d.machine?.id !== 'string' || !Array.isArray(d.transitions) || !Array.isArray(d.states)) {
    throw new UserError(`${file} is not a lifecycle-kit coverage file (no '${COVERAGE_FORMAT}' format, machine and transitions)`);
  }
  return d as CoverageFile;
}

interface JournalLine {
  event?: unknown;
  to?: unknown;
  transitions?: unknown;
}

/**
 * Reads a run's journal (`journal.jsonl`, or a store directory holding one). Every transition id and state it
 * names must be the machine's: a journal of another lifecycle is refused, and so is a file that is not a journal.
 */
export function readJournal(path: string, graph: LifecycleGraph, into: Measured): void {
  if (!existsSync(path)) throw new UserError(`journal not found: ${path}`);
  let file = path;
  if (statSync(path).isDirectory()) {
    file = join(path, 'journal.jsonl');
    if (!existsSync(file)) {
      throw new UserError(`cannot read the journal ${path}: ${path} is a folder, not a file, and no run store (no journal.jsonl in it): give a journal.jsonl or a --store folder`);
    }
  }
  // A store's compacted history (`history/journal-N.jsonl.gz`) counts too: it is the same run, moved aside.
  const history = file === path ? '' : readHistory(join(path, 'history'));
  const lines = (history + readText(file, 'read the journal')).split('\n').filter((l) => l.trim());
  if (!lines.length) throw new UserError(`journal ${file} is empty: no run was recorded in it`);
  const entries = lines.flatMap((line, i): JournalLine[] => {
    let entry: unknown;
    try {
      entry = JSON.parse(line);
    } catch {
      // A torn last line (a crash mid-append) is expected; anything earlier means this is no journal.
      if (i === lines.length - 1 && i > 0) return [];
      throw new UserError(`${file} is not a run journal: line ${i + 1} is not JSON (a journal is the journal.jsonl of 'lifecycle run')`);
    }
    const e = entry as JournalLine | null;
    if (!e || typeof e !== 'object' || typeof e.event !== 'string' || !('to' in e) || (e.transitions !== undefined && !Array.isArray(e.transitions))) {
      throw new UserError(`${file} is not a run journal: line ${i + 1} has no event and state (a journal is the journal.jsonl of 'lifecycle run')`);
    }
    return [e];
  });
  const known = new Set(graph.transitions.map((t) => t.id));
  const states = new Set(graph.states.map((s) => s.id));
  const foreign: string[] = [];
  let last: string[] = [];
  for (const e of entries) {
    for (const id of (e.transitions as string[] | undefined) ?? []) (known.has(id) ? into.taken.add(id) : foreign.push(String(id)));
    if (e.to === null || e.to === undefined) continue;
    const active = activeStateIds(graph.id, e.to);
    const unknown = active.find((id) => !states.has(id));
    if (unknown) foreign.push(`state ${unknown.slice(graph.id.length + 1)}`);
    else {
      last = active;
      for (const id of active) into.visited.add(id);
    }
  }
  if (foreign.length) {
    throw new UserError(`journal ${file} is not of machine '${graph.id}': ${foreign.length} of its transitions and states are not this machine's (e.g. ${foreign[0]}): give the journal of a run of this lifecycle`);
  }
  into.last = last;
  into.sources.push(`journal ${path}`);
}

function readText(file: string, doing: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    throw fsUserError(error, file, doing);
  }
}

/** The text of a store's compacted journal history, oldest first ('' when it has none). */
function readHistory(dir: string): string {
  let names: string[];
  try {
    names = readdirSync(dir).filter((n) => /^journal-\d+\.jsonl(\.gz)?$/.test(n)).sort();
  } catch {
    return '';
  }
  return names
    .map((name) => {
      const data = readFileSync(join(dir, name));
      const text = name.endsWith('.gz') ? gunzipSync(data).toString('utf8') : data.toString('utf8');
      return text.endsWith('\n') ? text : `${text}\n`;
    })
    .join('');
}
