import { existsSync, statSync } from 'node:fs';
import { basename, dirname, extname, join, resolve } from 'node:path';
import type { AnyStateMachine } from 'xstate';
import { UserError } from '../errors.ts';
import { importUserModule, type LoadedMachine } from '../model/load.ts';
import { boundedList, closest } from '../model/suggest.ts';
import type { LifecycleServices } from './types.ts';

/** User services as loaded: the object, and the reference a resume loads them from again. */
export interface LoadedServices {
  services: LifecycleServices;
  /** `<absolute file>#<export>`. */
  ref: string;
}

const KEYS = ['lifecycle', 'actors', 'invariants', 'sandboxInput', 'checkInput', 'dispose', 'restore', 'notes', 'shutdownEvent', 'progress', 'faults', 'scenarios', 'unchecked'] as const;
const FUNCTIONS = ['sandboxInput', 'checkInput', 'dispose', 'restore', 'notes', 'progress'] as const;
const SIBLING_EXTENSIONS = ['.ts', '.mts', '.js', '.mjs'];

/**
 * Loads services given with `--services path/to/file.ts#export` (without `#export`: `services`, else the default
 * export), checked against the machine. Throws a one-line `UserError` naming the file and what is wrong.
 */
export async function loadServicesRef(ref: string, machine: AnyStateMachine, cwd: string = process.cwd()): Promise<LoadedServices> {
  const hash = ref.lastIndexOf('#');
  const file = hash >= 0 ? ref.slice(0, hash) : ref;
  const exportName = hash >= 0 ? ref.slice(hash + 1) : undefined;
  if (exportName === '') throw new UserError(`--services '${ref}' names no export after '#': use path/to/file.ts#exportName`);
  const path = resolve(cwd, file);
  if (!existsSync(path)) throw new UserError(`services file not found: ${file}`);
  if (!statSync(path).isFile()) throw new UserError(`services ${file} is not a file: pass path/to/file.ts#export`);
  const mod = await importServicesModule(path, file);
  const names = exportName ? [exportName] : ['services', 'default'];
  const name = names.find((n) => mod[n] !== undefined);
  if (!name) {
    const exported = Object.keys(mod).filter((k) => k !== '__esModule');
    throw new UserError(`${file} has no export ${names.map((n) => `'${n}'`).join(' or ')}${exported.length ? ` (exports: ${boundedList(exported)})` : ''}: name it with ${file}#<export>`);
  }
  return { services: checkServices(await unwrap(mod[name]), machine, `${file}#${name}`), ref: `${path}#${name}` };
}

/**
 * The services beside a user's machine, when there are some: an export `<machineExport>Services` or `services` of
 * the machine's own module, else of a sibling `<file>.services.ts` (`deploy.ts` → `deploy.services.ts`). Null
 * when there are none (the machine runs with the actors of its own `setup`).
 */
export async function findServicesBeside(loaded: LoadedMachine): Promise<LoadedServices | null> {
  if (loaded.origin === 'builtin') return null;
  const names = [`${loaded.name}Services`, 'services'];
  const own = names.find((n) => loaded.module?.[n] !== undefined);
  if (own) return { services: checkServices(await unwrap(loaded.module![own]), loaded.machine, `${basename(loaded.origin)}#${own}`), ref: `${loaded.origin}#${own}` };
  const stem = basename(loaded.origin, extname(loaded.origin));
  for (const ext of SIBLING_EXTENSIONS) {
    const sibling = join(dirname(loaded.origin), `${stem}.services${ext}`);
    if (!existsSync(sibling)) continue;
    const mod = await importServicesModule(sibling, basename(sibling));
    const name = [...names, 'default'].find((n) => mod[n] !== undefined);
    if (!name) throw new UserError(`${sibling} exports no services: export them as 'services' (or '${loaded.name}Services')`);
    return { services: checkServices(await unwrap(mod[name]), loaded.machine, `${basename(sibling)}#${name}`), ref: `${sibling}#${name}` };
  }
  return null;
}

async function importServicesModule(path: string, file: string): Promise<Record<string, unknown>> {
  try {
    return await importUserModule(path, file, 'services module');
  } catch (error) {
    if (error instanceof UserError) throw error;
    throw new UserError(`cannot load services ${file}: ${(error as Error).message.split('\n')[0]}`);
  }
}

/** A services export may be the object or a function returning it (so that it can open what it needs lazily). */
async function unwrap(value: unknown): Promise<unknown> {
  return typeof value === 'function' ? (value as () => unknown)() : value;
}

/**
 * Checks a services object's shape and its actor names against the machine: a misspelt key or actor would
 * otherwise be ignored in silence and the run would use the machine's placeholder.
 */
export function checkServices(value: unknown, machine: AnyStateMachine, where: string): LifecycleServices {
  if (!value || typeof value !== 'object' || Array.isArray(value)) {
    throw new UserError(`services ${where} must be an object such as defineServices(machine, { actors, invariants }), not ${describe(value)}`);
  }
  const record = value as Record<string, unknown>;
  for (const key of Object.keys(record)) {
    if ((KEYS as readonly string[]).includes(key)) continue;
    const near = closest(key, KEYS);
    throw new UserError(`services ${where}: unknown key '${key}'${near ? ` (did you mean '${near}'?)` : ''}; allowed: ${KEYS.join(', ')}`);
  }
  for (const key of FUNCTIONS) {
    if (record[key] !== undefined && typeof record[key] !== 'function') throw new UserError(`services ${where}: ${key} must be a function, not ${describe(record[key])}`);
  }
  if (record.lifecycle !== undefined && typeof record.lifecycle !== 'string') throw new UserError(`services ${where}: lifecycle must be a string`);
  const shutdown = record.shutdownEvent as { type?: unknown } | undefined;
  if (shutdown !== undefined && (typeof shutdown !== 'object' || shutdown === null || typeof shutdown.type !== 'string')) {
    throw new UserError(`services ${where}: shutdownEvent must be an event object with a string type, e.g. { type: 'STOP' }`);
  }
  const known = actorNames(machine);
  const actors = record.actors;
  if (actors !== undefined) {
    if (!actors || typeof actors !== 'object' || Array.isArray(actors)) throw new UserError(`services ${where}: actors must be an object of actor logic by name, not ${describe(actors)}`);
    for (const [name, logic] of Object.entries(actors)) {
      if (!known.includes(name)) {
        const near = closest(name, known);
        throw new UserError(
          `services ${where}: actors.${name} is not an actor the machine names${near ? ` (did you mean '${near}'?)` : ''}; ${known.length ? `it names: ${boundedList(known)}` : 'it names none in setup({ actors })'}`,
        );
      }
      if (!logic || typeof (logic as { transition?: unknown }).transition !== 'function') {
        throw new UserError(`services ${where}: actors.${name} is not actor logic (make it with fromPromise, fromCallback or a machine)`);
      }
    }
  }
  for (const hooks of ['faults', 'scenarios'] as const) {
    const value = record[hooks];
    if (value === undefined) continue;
    if (!value || typeof value !== 'object' || Array.isArray(value)) throw new UserError(`services ${where}: ${hooks} must be an object of functions by actor name (or event type)`);
    for (const [name, hook] of Object.entries(value)) {
      if (typeof hook !== 'function') throw new UserError(`services ${where}: ${hooks}.${name} must be a function, not ${describe(hook)}`);
      // Keyed by an actor, or by an event a callback service sends: a near miss of an actor name is a typo.
      const near = known.includes(name) ? undefined : closest(name, known);
      if (near) throw new UserError(`services ${where}: ${hooks}.${name} is not an actor the machine names (did you mean '${near}'?)`);
    }
  }
  const unchecked = record.unchecked;
  if (unchecked !== undefined) {
    if (!unchecked || typeof unchecked !== 'object' || Array.isArray(unchecked)) throw new UserError(`services ${where}: unchecked must be an object of output field lists by actor name, e.g. { startAgent: ['pid'] }`);
    for (const [name, fields] of Object.entries(unchecked)) {
      if (!known.includes(name)) {
        const near = closest(name, known);
        throw new UserError(`services ${where}: unchecked.${name} is not an actor the machine names${near ? ` (did you mean '${near}'?)` : ''}`);
      }
      if (!Array.isArray(fields) || fields.some((f) => typeof f !== 'string' || !f)) throw new UserError(`services ${where}: unchecked.${name} must be an array of output field paths (strings such as 'pid'), not ${describe(fields)}`);
    }
  }
  const invariants = record.invariants;
  if (invariants !== undefined) {
    if (!invariants || typeof invariants !== 'object' || Array.isArray(invariants)) throw new UserError(`services ${where}: invariants must be an object of checks by state path`);
    const paths = statePaths(machine);
    for (const [path, check] of Object.entries(invariants)) {
      if (typeof check !== 'function') throw new UserError(`services ${where}: invariants.${path} must be a function returning the violations found`);
      if (!paths.includes(path)) {
        const near = closest(path, paths);
        throw new UserError(`services ${where}: invariants.${path} names no state of the machine${near ? ` (did you mean '${near}'?)` : ''}; states are dot-joined paths such as ${boundedList(paths, 5)}`);
      }
    }
  }
  return record as LifecycleServices;
}

/** The actor names a machine declares in `setup({ actors })` or invokes by name. */
function actorNames(machine: AnyStateMachine): string[] {
  const names = new Set(Object.keys((machine.implementations.actors ?? {}) as object));
  const walk = (node: AnyStateMachine['root']) => {
    for (const inv of node.invoke) if (typeof inv.src === 'string') names.add(inv.src);
    for (const child of Object.values(node.states)) walk(child);
  };
  walk(machine.root);
  return [...names].sort();
}

/** Every state path of a machine, dot-joined without its id. */
function statePaths(machine: AnyStateMachine): string[] {
  const out: string[] = [];
  const walk = (node: AnyStateMachine['root']) => {
    for (const child of Object.values(node.states)) {
      out.push(child.path.join('.'));
      walk(child);
    }
  };
  walk(machine.root);
  return out;
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'string' ? `the string '${value.slice(0, 40)}'` : `a ${typeof value}`;
}
