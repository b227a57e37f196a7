import type { AnyStateMachine } from 'xstate';
import { loadMachine } from '../model/load.ts';
import { SERVICES } from '../services/index.ts';
import type { LifecycleServices } from '../services/types.ts';

/** A lifecycle ready to run: its machine and, for a built-in, its real services. */
export interface ResolvedLifecycle {
  /** What the run meta records: the built-in's name, or `<absolute file>#<export>` so a resume works from anywhere. */
  ref: string;
  machine: AnyStateMachine;
  /** The built-in's services; null for a user's machine, which runs with the actors of its own `setup`. */
  services: LifecycleServices | null;
}

/**
 * Resolves a built-in name (`install`) or a module reference (`path/to/file.ts#exportName`) to a machine and its
 * services. Throws a `UserError` for an unknown lifecycle or a built-in whose services are missing.
 *
 * @example
 * const { machine, services } = await resolveLifecycle('install');
 */
export async function resolveLifecycle(ref: string, cwd: string = process.cwd()): Promise<ResolvedLifecycle> {
  const loaded = await loadMachine(ref, cwd);
  if (loaded.origin === 'builtin') {
    const services = await SERVICES[loaded.name]!();
    return { ref: loaded.name, machine: loaded.machine, services };
  }
  return { ref: `${loaded.origin}#${loaded.name}`, machine: loaded.machine, services: null };
}
