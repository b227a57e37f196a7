import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { UserError } from '../errors.ts';
import { MODULE_EXTENSION } from '../package-root.ts';
import type { BuiltinServices } from './types.ts';

/**
 * Loads a lifecycle's services from `src/services/<lifecycle>/index.ts`, by its export `<lifecycle>Services` (a
 * `LifecycleServices`, or a function returning one), else its default export.
 *
 * Imported lazily, so that a command loads only the services it runs (they pull in servers, archivers, child
 * processes), and so that a lifecycle whose services are not written yet is a clear error rather than a crash of
 * every command. The specifier is computed for the same reason: a missing module must not fail type-checking.
 */
function lazyServices(lifecycle: string): () => Promise<BuiltinServices> {
  return async () => {
    const url = new URL(`./${lifecycle}/index${MODULE_EXTENSION}`, import.meta.url);
    if (!existsSync(fileURLToPath(url))) {
      throw new UserError(`the ${lifecycle} lifecycle has no services yet (src/services/${lifecycle}/index.ts is missing)`);
    }
    const mod = (await import(url.href)) as Record<string, unknown>;
    const exported = mod[`${lifecycle}Services`] ?? mod.default;
    const services = typeof exported === 'function' ? await (exported as () => unknown)() : exported;
    if (!isLifecycleServices(services)) {
      throw new UserError(`src/services/${lifecycle}/index.ts does not export ${lifecycle}Services as a LifecycleServices ({ lifecycle, actors, invariants, sandboxInput })`);
    }
    return services;
  };
}

function isLifecycleServices(value: unknown): value is BuiltinServices {
  const v = value as Partial<BuiltinServices> | null;
  return !!v && typeof v === 'object' && typeof v.actors === 'object' && typeof v.sandboxInput === 'function';
}

/**
 * The real services of each built-in lifecycle, by lifecycle name, loaded on first use.
 *
 * @example
 * const services = await SERVICES.install();
 * const actor = createActor(installMachine.provide({ actors: services.actors }), { input });
 */
export const SERVICES: Record<string, () => Promise<BuiltinServices>> = {
  install: lazyServices('install'),
  upgrade: lazyServices('upgrade'),
  preboot: lazyServices('preboot'),
  operator: lazyServices('operator'),
};
