import { relative } from 'node:path';
import type { LifecycleGraph } from '../../src/model/types.ts';
import { formatEvent } from '../../src/paths/format.ts';
import type { GeneratedFile } from '../../src/testgen/generate.ts';
import { MAX_SEED } from '../../src/testgen/prng.ts';
import type { WalkFailure } from '../../src/testgen/random-walks.ts';
import { type Io, usageError } from '../io.ts';

export interface WalkFlags {
  seed: number;
  length: number;
  walks: number;
}

const DEFAULTS = { length: '20', walks: '10' };

/** `--strategy random`'s options, checked; undefined for the transition cover (which takes none of them). */
export function walkOptions(opts: { strategy: string; seed?: string; length?: string; walks?: string }): WalkFlags | undefined {
  if (opts.strategy !== 'random') {
    const given = (['seed', 'length', 'walks'] as const).find((k) => opts[k] !== undefined);
    if (given) throw usageError(`--${given} is for --strategy random`);
    return undefined;
  }
  // No default seed: the seed is what makes the file, so the command that wrote it says which.
  if (opts.seed === undefined) throw usageError('--strategy random needs --seed <n> (the same seed writes the same walks), e.g. --seed 1');
  return {
    seed: whole('--seed', opts.seed, 0, MAX_SEED),
    length: whole('--length', opts.length ?? DEFAULTS.length, 1, 10_000),
    walks: whole('--walks', opts.walks ?? DEFAULTS.walks, 1, 1000),
  };
}

/** The flags that write the same walks again, for messages. */
export function walkFlags(flags: WalkFlags): string {
  return `--strategy random --seed ${flags.seed} --length ${flags.length} --walks ${flags.walks}`;
}

function whole(flag: string, value: string, min: number, max: number): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < min || n > max) throw usageError(`${flag} takes a whole number from ${min} to ${max}, not '${value}'`);
  return n;
}

/**
 * Prints each failing walk, shrunk, with the test that reproduces it, and one line on stderr. Returns whether any
 * walk failed (the command then exits 1).
 */
export function reportWalks(failures: WalkFailure[], files: GeneratedFile[], graph: LifecycleGraph, io: Io): boolean {
  const rel = (p: string) => relative(process.cwd(), p);
  for (const f of failures) {
    const how = f.kind === 'diverged' ? `replayed, it goes elsewhere: ${f.message}` : `the machine ${f.kind === 'threw' ? 'threw' : 'ended in error'} at step ${f.original}: ${f.message}`;
    io.stdout.write(`${f.walk} fails: ${how}\n`);
    if (f.sameAs) {
      io.stdout.write(`  shrunk to the same case as ${f.sameAs}\n`);
      continue;
    }
    // A step that threw took no transition; the event's own transitions name it (`after 1s`, `done: save`).
    const events = f.path.steps.map((s) => formatEvent(s.event, graph, s.transitions.length ? s.transitions : graph.transitions.filter((t) => t.event === s.event.type).map((t) => t.id))).join(' → ');
    io.stdout.write(`  ${f.kind === 'diverged' ? 'not shrunk' : 'shrunk'} to ${f.path.steps.length} step${f.path.steps.length === 1 ? '' : 's'}: ${events}\n`);
    const entry = f.kind !== 'diverged' && MISSING_FIELD.test(f.message) ? sampleEntry(graph, f.path.steps.at(-1)!.event.type) : undefined;
    if (entry) io.stdout.write(`  if no real run gets that payload, give the catalogue realistic samples for ${entry} ('lifecycle catalogue' writes one to start from)\n`);
    const file = files.find((g) => g.source.includes(JSON.stringify(f.path.label!).slice(1, -1)));
    if (file) io.stdout.write(`  reproduce: npx vitest run ${rel(file.path)} -t ${shellQuote(f.walk + ',')}\n`);
  }
  if (!failures.length) return false;
  const cases = failures.filter((f) => !f.sameAs).length;
  const where = [...new Set(files.filter((g) => failures.some((f) => g.source.includes(JSON.stringify(f.path.label!).slice(1, -1)))).map((g) => rel(g.path)))];
  io.stderr.write(`lifecycle: ${failures.length} walk${failures.length === 1 ? '' : 's'} fail${failures.length === 1 ? 's' : ''} (${failures[0].walk}: ${failures[0].message}); ${cases === 1 ? `the case that reproduces ${failures.length === 1 ? 'it' : 'them'} is` : `the ${cases} cases that reproduce them are`} in ${where.join(', ')}\n`);
  return true;
}

/** Messages of a payload missing a field the machine reads: more likely a sample than the machine at fault. */
const MISSING_FIELD = /Cannot read propert|is not a function|is not iterable|of undefined|of null/;

/** The catalogue entry an event's payload comes from: `events.PLAY`, `services.save.done`; none for timers. */
function sampleEntry(graph: LifecycleGraph, type: string): string | undefined {
  const outcome = /^xstate\.(done|error|snapshot)\.actor\.|^xstate\.snapshot\./.exec(type);
  if (outcome) {
    const service = graph.transitions.find((t) => t.event === type)?.service;
    return service && `services.${service}.${type.startsWith('xstate.done.') ? 'done' : type.startsWith('xstate.error.') ? 'error' : 'snapshot'}`;
  }
  return type.startsWith('xstate.') ? undefined : `events.${type}`;
}

function shellQuote(s: string): string {
  return /^[\w./,-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}
