import { existsSync, statSync } from 'node:fs';
import { extname, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { AnyStateMachine } from 'xstate';
import { BUILTIN_NAMES } from '../../machines/names.ts';
import { UserError } from '../errors.ts';
import { markAbandonedLoad } from './abandoned-load.ts';
import { seedRandom } from './seeded-random.ts';
import { loadingAtModelTime } from './stepper.ts';

/** A machine together with where it came from. */
export interface LoadedMachine {
  machine: AnyStateMachine;
  /** The built-in's name, or the export's name for a file. */
  name: string;
  /** `builtin` or the absolute file path. */
  origin: 'builtin' | string;
  /** The module's exports, for a file (where a catalogue may be found too). */
  module?: Record<string, unknown>;
  /** The export name for a file (`machine`, `default`, or the one named after `#`). */
  exportName?: string;
}

export interface LoadOptions {
  /**
   * Load the module with the clock at the model's time (EXPLORATION_TIME), as paths, catalogues and generated
   * tests do: what the module computes from the clock as it loads is then the same in each of them.
   */
  atModelTime?: boolean;
}

const TS_EXTENSIONS = ['.ts', '.mts', '.cts'];
const EXTENSIONS = [...TS_EXTENSIONS, '.js', '.mjs', '.cjs'];

/**
 * Loads a machine from a built-in name (`install`) or a module reference (`path/to/file.ts#exportName`).
 * Without `#exportName`, the export `machine` is taken, else the default export, else the only exported machine.
 * TypeScript files are loaded through tsx, so a user's `.ts` machine needs no build step.
 *
 * @example
 * const { machine } = await loadMachine('./lifecycles/checkout.ts#checkoutMachine');
 */
export async function loadMachine(ref: string, cwd: string = process.cwd(), options: LoadOptions = {}): Promise<LoadedMachine> {
  if (BUILTIN_NAMES.includes(ref)) {
    // Loaded only when one is named: a user's machine does not pay for creating the built-ins.
    const builtin = (await import('../../machines/index.ts')).BUILTINS.find((b) => b.name === ref)!;
    return { machine: builtin.machine, name: builtin.name, origin: 'builtin' };
  }

  const hash = ref.lastIndexOf('#');
  const file = hash >= 0 ? ref.slice(0, hash) : ref;
  const exportName = hash >= 0 ? ref.slice(hash + 1) : undefined;
  if (!looksLikePath(file)) {
    throw new UserError(`unknown machine '${ref}': use a built-in (${BUILTIN_NAMES.join(', ')}) or path/to/file.ts#exportName`);
  }
  if (exportName === '') throw new UserError(`'${ref}' names no export after '#': use path/to/file.ts#exportName`);
  const path = resolve(cwd, file);
  if (!existsSync(path)) throw new UserError(`machine file not found: ${file}`);
  if (!statSync(path).isFile()) throw new UserError(`not a file: ${file}`);
  if (!EXTENSIONS.includes(extname(path))) {
    throw new UserError(`cannot load ${file}: expected a module ending in ${EXTENSIONS.join(', ')}`);
  }

  const mod = options.atModelTime ? await loadingAtModelTime(() => importModule(path, file)) : await importModule(path, file);
  const [name, machine] = pickMachine(mod, file, exportName);
  return { machine, name, origin: path, module: mod, exportName: name };
}

async function importModule(path: string, file: string): Promise<Record<string, unknown>> {
  try {
    return await importUserModule(path, file, 'machine module');
  } catch (error) {
    if (error instanceof UserError) throw error;
    const message = firstLine(error);
    if (/does not exist on|Invalid transition definition|Initial state .* not found/.test(message)) {
      throw new UserError(`invalid machine in ${file}: a target does not resolve: ${message}`);
    }
    throw new UserError(`cannot load ${file}: ${message}`);
  }
}

/** How long loading a user's module may take by default; `LIFECYCLE_LOAD_TIMEOUT_MS` overrides it. */
export const DEFAULT_LOAD_TIMEOUT_MS = 10_000;

export { hasAbandonedLoad } from './abandoned-load.ts';

class ExitDuringLoad extends Error {}

/**
 * Imports a user's module (`.ts` through tsx, loaded only then, so it needs no build), guarded, since its top level runs arbitrary code:
 * - a time limit (`LIFECYCLE_LOAD_TIMEOUT_MS`, default 10 s), for a top-level await that waits on a live timer or
 *   socket that never delivers;
 * - a top-level await left with nothing to wait on (which would make Node exit 13 without a word) is caught when the
 *   event loop empties (`beforeExit`);
 * - `process.exit()` called while loading is refused: it throws inside the module and fails the load;
 * - an exception thrown by the module's own callbacks while it loads fails the load instead of crashing.
 * Each is a one-line `UserError` naming the file. Other import errors are thrown as they are.
 *
 * @example
 * const mod = await importUserModule('/abs/checkout.ts', './checkout.ts', 'machine module');
 */
/** The seed of Math.random (and crypto.randomUUID) while a user's module loads. */
const MODULE_SEED = 0x5eed;

export async function importUserModule(path: string, file: string, what: string): Promise<Record<string, unknown>> {
  const timeoutMs = loadTimeoutMs();
  const realExit = process.exit;
  return new Promise<Record<string, unknown>>((resolve, reject) => {
    let settled = false;
    // What the module draws while it loads (`const draft = { _id: \`drafts.${uuid()}\` }`) is the same in every
    // process that loads it: the model's, when a suite is generated, and the test's.
    const unseed = seedRandom(MODULE_SEED);
    const finish = (settle: () => void, abandon = false) => {
      if (settled) return;
      settled = true;
      unseed();
      if (abandon) markAbandonedLoad();
      clearTimeout(timer);
      process.exit = realExit;
      process.off('beforeExit', onBeforeExit);
      // A moment later: the throw of a process.exit() refused from the module's timer is still on its way up.
      setImmediate(() => process.off('uncaughtException', onUncaught));
      settle();
    };
    // unref: it must not keep the loop alive, or an await on nothing could never be told from a slow one.
    const timer = setTimeout(() => {
      finish(
        () =>
          reject(
            new UserError(
              `${what} ${file} did not finish loading within ${formatMs(timeoutMs)} (a top-level await or import that never settles?): fix the module, or allow longer with LIFECYCLE_LOAD_TIMEOUT_MS=<ms>`,
            ),
          ),
        true,
      );
    }, timeoutMs).unref();
    const onBeforeExit = () =>
      finish(
        () =>
          reject(
            new UserError(`${what} ${file} never finished loading: its top-level await waits on something that nothing left running can settle: fix the module`),
          ),
        true,
      );
    const onUncaught = (error: unknown) => {
      if (error instanceof ExitDuringLoad) return; // already reported
      if (settled) throw error;
      finish(() => reject(new UserError(`cannot load ${file}: it threw while loading: ${firstLine(error)}`)), true);
    };
    process.on('beforeExit', onBeforeExit);
    process.on('uncaughtException', onUncaught);
    process.exit = ((code?: number | string | null) => {
      finish(
        () =>
          reject(
            new UserError(`${what} ${file} called process.exit(${code ?? ''}) while loading: a module that is imported must not exit; remove the call, or move it out of the module's top level`),
          ),
        true,
      );
      throw new ExitDuringLoad(`process.exit() called while loading ${file}`);
    }) as typeof process.exit;
    importModuleFile(path).then(
      (mod) => finish(() => resolve(mod as Record<string, unknown>)),
      (error: unknown) => finish(() => reject(error instanceof ExitDuringLoad ? new UserError(error.message) : error)),
    );
  });
}

/** TypeScript through tsx (loaded only then); JavaScript natively, through tsx only when Node cannot read it as it is. */
async function importModuleFile(path: string): Promise<unknown> {
  const url = pathToFileURL(path).href;
  const viaTsx = async () => (await import('tsx/esm/api')).tsImport(url, import.meta.url);
  if (TS_EXTENSIONS.includes(extname(path))) return viaTsx();
  try {
    return await import(url);
  } catch (error) {
    // Failures before the module ran (it could not be parsed or linked as it is): ESM syntax in a CommonJS `.js`, an
    // import of a `.ts` sibling. Anything else is the module's own error.
    const code = (error as { code?: unknown }).code;
    if (error instanceof SyntaxError || code === 'ERR_MODULE_NOT_FOUND' || code === 'ERR_UNKNOWN_FILE_EXTENSION' || code === 'ERR_REQUIRE_ESM') return viaTsx();
    throw error;
  }
}

function loadTimeoutMs(): number {
  const raw = process.env.LIFECYCLE_LOAD_TIMEOUT_MS;
  if (raw === undefined || raw.trim() === '') return DEFAULT_LOAD_TIMEOUT_MS;
  const ms = Number(raw);
  if (!Number.isFinite(ms) || ms <= 0) {
    throw new UserError(`LIFECYCLE_LOAD_TIMEOUT_MS must be a positive number of milliseconds, not '${raw}'`);
  }
  return Math.min(ms, 2 ** 31 - 1);
}

function formatMs(ms: number): string {
  return ms >= 1000 ? `${+(ms / 1000).toFixed(1)} s` : `${ms} ms`;
}

function pickMachine(mod: Record<string, unknown>, file: string, exportName: string | undefined): [string, AnyStateMachine] {
  const names = Object.keys(mod).filter((k) => k !== '__esModule');
  if (exportName !== undefined) {
    if (!(exportName in mod)) {
      throw new UserError(`${file} has no export '${exportName}'${names.length ? ` (exports: ${names.join(', ')})` : ''}`);
    }
    const value = mod[exportName];
    if (!isMachine(value)) throw new UserError(`export '${exportName}' of ${file} is not an XState machine`);
    return [exportName, value];
  }
  if (isMachine(mod.machine)) return ['machine', mod.machine];
  if (isMachine(mod.default)) return ['default', mod.default];
  const machines = names.filter((k) => isMachine(mod[k]));
  if (machines.length === 1) return [machines[0], mod[machines[0]] as AnyStateMachine];
  if (machines.length === 0) {
    throw new UserError(`${file} exports no XState machine: export one as 'machine', or name it with ${file}#exportName`);
  }
  throw new UserError(`${file} exports several machines (${machines.join(', ')}): choose one with ${file}#${machines[0]}`);
}

/** Duck-typed, so a machine built with the user's own copy of xstate is recognised too. */
export function isMachine(value: unknown): value is AnyStateMachine {
  if (!value || typeof value !== 'object') return false;
  const m = value as Record<string, unknown>;
  return (
    typeof m.transition === 'function' &&
    typeof m.getInitialSnapshot === 'function' &&
    typeof m.provide === 'function' &&
    typeof m.root === 'object' &&
    m.root !== null
  );
}

function looksLikePath(ref: string): boolean {
  return ref.includes('/') || ref.includes('\\') || EXTENSIONS.includes(extname(ref));
}

function firstLine(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.replace(/\s*\n\s*/g, ' ').trim();
}
