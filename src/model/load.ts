import { existsSync, statSync } from 'node:fs';
import { extname, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { AnyStateMachine } from 'xstate';
import { BUILTINS, BUILTIN_NAMES } from '../../machines/index.ts';
import { UserError } from '../errors.ts';

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

const EXTENSIONS = ['.ts', '.mts', '.cts', '.js', '.mjs', '.cjs'];

/**
 * Loads a machine from a built-in name (`install`) or a module reference (`path/to/file.ts#exportName`).
 * Without `#exportName`, the export `machine` is taken, else the default export, else the only exported machine.
 * TypeScript files are loaded through tsx, so a user's `.ts` machine needs no build step.
 *
 * @example
 * const { machine } = await loadMachine('./lifecycles/checkout.ts#checkoutMachine');
 */
export async function loadMachine(ref: string, cwd: string = process.cwd()): Promise<LoadedMachine> {
  const builtin = BUILTINS.find((b) => b.name === ref);
  if (builtin) return { machine: builtin.machine, name: builtin.name, origin: 'builtin' };

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

  const mod = await importModule(path, file);
  const [name, machine] = pickMachine(mod, file, exportName);
  return { machine, name, origin: path, module: mod, exportName: name };
}

async function importModule(path: string, file: string): Promise<Record<string, unknown>> {
  try {
    const { tsImport } = await import('tsx/esm/api');
    return (await tsImport(pathToFileURL(path).href, import.meta.url)) as Record<string, unknown>;
  } catch (error) {
    const message = firstLine(error);
    if (/does not exist on|Invalid transition definition|Initial state .* not found/.test(message)) {
      throw new UserError(`invalid machine in ${file}: a target does not resolve: ${message}`);
    }
    throw new UserError(`cannot load ${file}: ${message}`);
  }
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
