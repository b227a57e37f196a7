import type { AnyStateMachine } from 'xstate';
import { UserError } from '../errors.ts';
import { loadMachine, type LoadedMachine } from '../model/load.ts';
import { SERVICES } from '../services/index.ts';
import { findServicesBeside, loadServicesRef } from '../services/load-user.ts';
import type { LifecycleServices } from '../services/types.ts';

/** A lifecycle ready to run: its machine and its real services. */
export interface ResolvedLifecycle {
  /** What the run meta records: the built-in's name, or `<absolute file>#<export>` so a resume works from anywhere. */
  ref: string;
  machine: AnyStateMachine;
  /** The built-in's services, or a user's (`--services`, or found beside the machine); null when there are none. */
  services: LifecycleServices | null;
  /** Where a user's services came from (`<absolute file>#<export>`), for the run meta; undefined for a built-in's. */
  servicesRef?: string;
  loaded: LoadedMachine;
}

/**
 * Resolves a built-in name (`install`) or a module reference (`path/to/file.ts#exportName`) to a machine and its
 * services: a built-in's own; for a user's machine, `services` (a `file.ts#export` reference) when given, else
 * those found beside the machine (an export `services` / `<export>Services`, or a sibling `<file>.services.ts`).
 * Throws a `UserError` for an unknown lifecycle or services that do not fit the machine.
 *
 * @example
 * const { machine, services } = await resolveLifecycle('./src/deploy.ts#deployMachine', { services: './src/deploy-services.ts' });
 */
export async function resolveLifecycle(ref: string, options: { cwd?: string; services?: string } = {}): Promise<ResolvedLifecycle> {
  const cwd = options.cwd ?? process.cwd();
  const loaded = await loadMachine(ref, cwd);
  if (loaded.origin === 'builtin') {
    if (options.services) throw new UserError(`--services is for your own machines: the built-in ${loaded.name} brings its own services`);
    const services = await SERVICES[loaded.name]!();
    return { ref: loaded.name, machine: loaded.machine, services, loaded };
  }
  const found = options.services ? await loadServicesRef(options.services, loaded.machine, cwd) : await findServicesBeside(loaded);
  return { ref: `${loaded.origin}#${loaded.name}`, machine: loaded.machine, services: found?.services ?? null, servicesRef: found?.ref, loaded };
}
