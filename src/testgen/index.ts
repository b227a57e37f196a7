import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, join, relative } from 'node:path';
import type { EventCatalogue } from '../../machines/catalogue.ts';
import { UserError } from '../errors.ts';
import type { LoadedMachine } from '../model/load.ts';
import type { LifecycleGraph } from '../model/types.ts';
import { generatePaths } from '../paths/index.ts';
import { transitionTextById } from '../paths/transition-text.ts';
import { expectationsOf } from './expectations.ts';
import { GENERATED_MARK, type GeneratedFile, generateTests } from './generate.ts';
import { randomWalks, type WalkFailure, type WalkOptions } from './random-walks.ts';

export { GENERATED_MARK, generateTests, type GeneratedFile, type TestgenOptions } from './generate.ts';

export interface SuiteOptions {
  outDir: string;
  catalogue?: EventCatalogue;
  harness?: string;
  maxStepsPerFile?: number;
  maxStates?: number;
  /** A user's services (`<absolute file>#<export>`): the suite imports them and runs sandboxed paths against them. */
  services?: { ref: string; sandbox: boolean };
  /** Seeded random walks instead of the transition cover, written as `<stem>.walks.test.ts`. */
  walks?: Omit<WalkOptions, 'catalogue'>;
}

/**
 * The generated suite for a machine: its transition-cover paths (or, with `walks`, its random walks and the shrunk
 * cases of those that fail) as vitest files under `outDir`. A machine no path can be found for is a `UserError`:
 * an empty suite would pass (or fail on "no test") while testing nothing.
 */
export function buildSuite(
  loaded: LoadedMachine,
  graph: LifecycleGraph,
  options: SuiteOptions,
): { files: GeneratedFile[]; stem: string; coverage: ReturnType<typeof generatePaths>['coverage']; walks?: { failures: WalkFailure[]; summary: string; repeated: number } } {
  const walks = options.walks && randomWalks(loaded.machine, graph, { ...options.walks, catalogue: options.catalogue });
  // Guard outcomes on top of the transition cover: a step per guarded transition where its guard is false.
  const result = walks ? walks.result : generatePaths(loaded.machine, graph, { cover: 'guards', catalogue: options.catalogue, maxStates: options.maxStates });
  if (!result.paths.length) {
    const { total, uncovered } = result.coverage.transitions;
    if (!total) throw new UserError(`no test paths for ${graph.id}: it has no transitions to take; nothing written`);
    const why = uncovered[0] ? ` (first: ${transitionTextById(graph, uncovered[0].id)}: ${uncovered[0].reason}${uncovered[0].detail ? `: ${uncovered[0].detail}` : ''})` : '';
    throw new UserError(`no test paths for ${graph.id}: none of its ${total} transitions can be taken${why}; nothing written ('lifecycle paths' says what stood in the way)`);
  }
  const stem = loaded.origin === 'builtin' ? loaded.name : `${basename(loaded.origin).replace(/\.[cm]?[jt]s$/, '')}${loaded.name === 'machine' ? '' : `.${loaded.name}`}`;
  const machine =
    loaded.origin === 'builtin'
      ? { builtin: loaded.name }
      : { file: toUrlPath(relative(options.outDir, loaded.origin)), exportName: loaded.exportName ?? loaded.name };
  const services = options.services ? userServicesImport(options.services, options.outDir) : loaded.origin === 'builtin';
  const invokeIds = new Set(graph.states.flatMap((s) => s.invoke.map((i) => i.id)));
  const snapshotInvokes = new Set(graph.transitions.flatMap((t) => (t.kind === 'snapshot' && t.invokeId ? [t.invokeId] : [])));
  // A failing walk's case is there to fail on the machine's error, which the model cannot step past.
  const expectations = result.paths.map((p, i) => (walks?.failing.has(i) ? undefined : expectationsOf(loaded.machine, p, { invokeIds, snapshotInvokes, unchecked: options.catalogue?.unchecked })));
  const kind = walks ? { suite: 'walks' as const, summary: walks.summary } : {};
  const files = generateTests(result, graph, { machine, name: stem, services, catalogue: options.catalogue, harness: options.harness, maxStepsPerFile: options.maxStepsPerFile, expectations, ...kind });
  return { files: files.map((f) => ({ ...f, path: join(options.outDir, f.path) })), stem, coverage: result.coverage, ...(walks ? { walks: { failures: walks.failures, summary: walks.summary, repeated: walks.repeated } } : {}) };
}

/** Generated files of `stem` already in `dir` (recognised by name and by the generated mark). */
export function existingSuiteFiles(dir: string, stem: string, suite: 'paths' | 'walks' = 'paths'): string[] {
  if (!existsSync(dir)) return [];
  const pattern = new RegExp(`^${stem.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\.${suite}(-\\d+)?\\.test\\.ts$`);
  return readdirSync(dir)
    .filter((f) => pattern.test(f))
    .map((f) => join(dir, f))
    .filter((f) => readFileSync(f, 'utf8').startsWith(GENERATED_MARK));
}

/** Paths of files that differ from, are missing from, or are left over beside the generated suite. */
export function staleSuiteFiles(files: GeneratedFile[], dir: string, stem: string, suite: 'paths' | 'walks' = 'paths'): string[] {
  const stale = files.filter((f) => !existsSync(f.path) || readFileSync(f.path, 'utf8') !== f.source).map((f) => f.path);
  const wanted = new Set(files.map((f) => f.path));
  return [...stale, ...existingSuiteFiles(dir, stem, suite).filter((f) => !wanted.has(f))];
}

function userServicesImport(services: { ref: string; sandbox: boolean }, outDir: string) {
  const hash = services.ref.lastIndexOf('#');
  return { file: toUrlPath(relative(outDir, services.ref.slice(0, hash))), exportName: services.ref.slice(hash + 1), sandbox: services.sandbox };
}

function toUrlPath(path: string): string {
  const p = path.split('\\').join('/');
  return p.startsWith('.') ? p : `./${p}`;
}

