import { readFileSync, statSync } from 'node:fs';
import { extname, resolve } from 'node:path';
import type { EventCatalogue } from '../../machines/catalogue.ts';
import { BUILTINS } from '../../machines/index.ts';
import { UserError } from '../errors.ts';
import { importUserModule, type LoadedMachine } from './load.ts';

export type { EventCatalogue } from '../../machines/catalogue.ts';

/**
 * Finds the event catalogue for a machine: `--catalogue file.json | file.ts#export` when given; else a built-in's
 * own; else an export of the machine's module named `catalogue` or `<exportName>Catalogue`; else none.
 */
export async function resolveCatalogue(loaded: LoadedMachine, ref?: string, cwd: string = process.cwd()): Promise<EventCatalogue | undefined> {
  if (ref) return loadCatalogue(ref, cwd);
  if (loaded.origin === 'builtin') return BUILTINS.find((b) => b.name === loaded.name)?.catalogue;
  const mod = loaded.module ?? {};
  const named = mod[`${loaded.name}Catalogue`] ?? mod.catalogue;
  return named && typeof named === 'object' ? (named as EventCatalogue) : undefined;
}

async function loadCatalogue(ref: string, cwd: string): Promise<EventCatalogue> {
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
      return JSON.parse(text) as EventCatalogue;
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
  if (!value || typeof value !== 'object') throw new UserError(`${file} has no catalogue export '${name}'`);
  return value as EventCatalogue;
}
