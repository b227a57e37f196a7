import { readFileSync, statSync } from 'node:fs';
import { extname, resolve } from 'node:path';
import type { EventCatalogue } from '../../machines/catalogue.ts';
import { UserError } from '../errors.ts';
import { checkCatalogue } from './catalogue-check.ts';
import { extractGraph } from './extract.ts';
import { importUserModule, type LoadedMachine } from './load.ts';
import type { LifecycleGraph } from './types.ts';

export type { EventCatalogue } from '../../machines/catalogue.ts';

/**
 * Finds the event catalogue for a machine: `--catalogue file.json | file.ts#export` when given; else a built-in's
 * own; else an export of the machine's module named `catalogue` or `<exportName>Catalogue`; else none. Whichever it
 * is, it is checked (`checkCatalogue`) against the format and the machine (`graph`, extracted when not given): a
 * misspelt key or an unknown event would otherwise only show as low coverage.
 */
export async function resolveCatalogue(loaded: LoadedMachine, ref?: string, cwd: string = process.cwd(), graph?: LifecycleGraph): Promise<EventCatalogue | undefined> {
  const found = ref ? await loadCatalogue(ref, cwd) : await ownCatalogue(loaded);
  if (!found) return undefined;
  return checkCatalogue(found.value, found.where, graph ?? extractGraph(loaded.machine));
}

/** A built-in's catalogue, or the one exported beside the machine. */
async function ownCatalogue(loaded: LoadedMachine): Promise<{ value: unknown; where: string } | undefined> {
  if (loaded.origin === 'builtin') {
    const value = (await import('../../machines/index.ts')).BUILTINS.find((b) => b.name === loaded.name)?.catalogue;
    return value ? { value, where: `the built-in ${loaded.name} catalogue` } : undefined;
  }
  const mod = loaded.module ?? {};
  const key = `${loaded.name}Catalogue` in mod ? `${loaded.name}Catalogue` : 'catalogue';
  const value = mod[key];
  // A function or class of that name is not meant as a catalogue; any other value is, and is checked.
  if (value === undefined || typeof value === 'function') return undefined;
  return { value, where: `${loaded.name}'s catalogue export '${key}'` };
}

async function loadCatalogue(ref: string, cwd: string): Promise<{ value: unknown; where: string }> {
  const hash = ref.lastIndexOf('#');
  const file = hash >= 0 ? ref.slice(0, hash) : ref;
  const path = resolve(cwd, file);
  let isFile: boolean;
  try {
    isFile = statSync(path).isFile();
  } catch {
    throw new UserError(`catalogue file not found: ${file}`);
  }
  if (!isFile) throw new UserError(`catalogue ${file} is a folder, not a file: pass a .json file or file.ts#export`);
  if (extname(path) === '.json') {
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch {
      throw new UserError(`catalogue file not found: ${file}`);
    }
    try {
      return { value: JSON.parse(text) as unknown, where: `catalogue ${file}` };
    } catch (error) {
      throw new UserError(`catalogue ${file} is not valid JSON: ${(error as Error).message}`);
    }
  }
  let mod: Record<string, unknown>;
  try {
    mod = await importUserModule(path, file, 'catalogue');
  } catch (error) {
    if (error instanceof UserError) throw error;
    throw new UserError(`cannot load catalogue ${file}: ${(error as Error).message.split('\n')[0]}`);
  }
  const name = hash >= 0 ? ref.slice(hash + 1) : 'catalogue';
  const value = mod[name] ?? (hash < 0 ? mod.default : undefined);
  if (value === undefined || typeof value === 'function') throw new UserError(`${file} has no catalogue export '${name}'`);
  return { value, where: `catalogue ${file}#${name}` };
}
