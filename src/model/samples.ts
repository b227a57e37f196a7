import { join } from 'node:path';
import type { EventCatalogue } from '../../machines/catalogue.ts';
import { PACKAGE_ROOT } from '../package-root.ts';
import { resolveCatalogue } from './catalogue.ts';
import { childMachineSamples } from './child-samples.ts';
import { redispatchedCatalogue } from './dispatch-probe.ts';
import { inferenceCache } from './infer/cache.ts';
import { hydrateDispatch } from './infer/samples.ts';
import type { InferredCatalogue } from './infer/index.ts';
import type { LoadedMachine } from './load.ts';
import type { LifecycleGraph } from './types.ts';

/** The samples paths are generated from: the hand-written catalogue with inferred entries filling its gaps. */
export interface ResolvedSamples {
  /** What exploration uses. */
  catalogue: EventCatalogue;
  /** The hand-written catalogue (built-in, module export, or `--catalogue`), if any. */
  handWritten?: EventCatalogue;
  /** Where each entry of `catalogue` came from: `hand-written`, `module export input`, or an inference sentence. */
  origins: Record<string, string>;
  /** Whether the machine's module could be read with its types. */
  typed: boolean;
}

export interface ResolveSamplesOptions {
  /** `--catalogue file.json | file.ts#export`. */
  catalogueRef?: string;
  /** Infer samples from the machine's TypeScript types (default true). */
  infer?: boolean;
  cwd?: string;
}

/**
 * Resolves the samples for a machine: the hand-written catalogue always wins; an exported sample input
 * (`<exportName>Input` or `input`) comes next; samples inferred from the module's types fill the rest.
 *
 * @example
 * const { catalogue, origins } = await resolveSamples(loaded, graph);
 * generatePaths(loaded.machine, graph, { catalogue });
 */
export async function resolveSamples(loaded: LoadedMachine, graph: LifecycleGraph, options: ResolveSamplesOptions = {}): Promise<ResolvedSamples> {
  const handWritten = await resolveCatalogue(loaded, options.catalogueRef, options.cwd, graph);
  const layers: { catalogue: EventCatalogue; origin: (key: string) => string }[] = [];
  // A hand-written sample whose methods only dispatch (an `Either` written as code) is made our own, so that a
  // generated test can write it again.
  if (handWritten) layers.push({ catalogue: redispatchedCatalogue(handWritten), origin: () => 'hand-written' });
  const exportedInput = moduleInput(loaded);
  if (exportedInput) layers.push({ catalogue: redispatchedCatalogue({ input: exportedInput.value }), origin: () => `the module's export '${exportedInput.name}'` });
  let typed = false;
  // Invoked child machines are run for what they finish with and pass through; the types' samples of the same
  // service follow them (variants the child, explored without samples of its own, does not reach).
  const children = options.infer === false ? undefined : childMachineSamples(loaded.machine, graph);
  if (children && children.catalogue.services) layers.push({ catalogue: children.catalogue, origin: (key) => `from the child machine: ${children.origins[key] ?? ''}`.trim() });
  if (options.infer !== false) {
    const target = inferenceTarget(loaded);
    if (target) {
      // A cached inference is read without loading the inference code, which loads the TypeScript compiler (~0.5 s).
      const inferred =
        inferenceCache<InferredCatalogue>(target.file, target.exportName).get() ??
        (await import('./infer/index.ts')).inferCatalogue({ ...target, machine: loaded.machine }, graph);
      typed = inferred.typed;
      layers.push({ catalogue: hydrateDispatch(inferred.catalogue) as EventCatalogue, origin: (key) => `inferred ${inferred.origins[key] ?? ''}`.trim() });
    }
  }
  const { catalogue, origins } = mergeCatalogues(layers);
  const inferredLayer = layers.at(-1);
  if (children?.catalogue.services && inferredLayer && inferredLayer.catalogue !== children.catalogue) {
    for (const [src, outcomes] of Object.entries(children.catalogue.services)) {
      for (const kind of ['done', 'snapshot'] as const) {
        const own = outcomes[kind];
        const merged = catalogue.services?.[src];
        if (!own || !merged || merged[kind] !== own) continue;
        const more = inferredLayer.catalogue.services?.[src]?.[kind];
        if (more?.length) merged[kind] = [...own, ...more];
      }
    }
  }
  return { catalogue, ...(handWritten ? { handWritten } : {}), origins, typed };
}

/**
 * Merges catalogues, earlier layers winning entry by entry: the input (as a whole), each event's samples, each
 * service's `done`, `error` and `snapshot` samples. `identity` and `unchecked` come from the first layer that has them.
 */
export function mergeCatalogues(layers: { catalogue: EventCatalogue; origin: (key: string) => string }[]): { catalogue: EventCatalogue; origins: Record<string, string> } {
  const out: EventCatalogue = {};
  const origins: Record<string, string> = {};
  for (const { catalogue: c, origin } of layers) {
    if (out.inputs === undefined && out.input === undefined) {
      if (c.inputs !== undefined) {
        out.inputs = c.inputs;
        origins.input = origin('input');
      } else if (c.input !== undefined) {
        out.input = c.input;
        origins.input = origin('input');
      }
    }
    for (const [event, samples] of Object.entries(c.events ?? {})) {
      out.events ??= {};
      if (event in out.events) continue;
      out.events[event] = samples;
      origins[`events.${event}`] = origin(`events.${event}`);
    }
    for (const [src, outcomes] of Object.entries(c.services ?? {})) {
      out.services ??= {};
      const merged = (out.services[src] ??= {});
      for (const kind of ['done', 'error', 'snapshot'] as const) {
        if (outcomes[kind] === undefined || merged[kind] !== undefined) continue;
        merged[kind] = outcomes[kind];
        origins[`services.${src}.${kind}`] = origin(`services.${src}.${kind}`);
      }
    }
    if (out.identity === undefined && c.identity !== undefined) out.identity = c.identity;
    if (out.unchecked === undefined && c.unchecked !== undefined) out.unchecked = c.unchecked;
  }
  return { catalogue: out, origins };
}

function moduleInput(loaded: LoadedMachine): { name: string; value: unknown } | undefined {
  const mod = loaded.module;
  if (!mod) return undefined;
  for (const name of [`${loaded.exportName ?? loaded.name}Input`, 'input']) {
    const value = mod[name];
    if (value !== undefined && typeof value !== 'function') return { name, value };
  }
  return undefined;
}

/** The file and export that define the machine: a user's module, or a built-in's source in `machines/`. */
function inferenceTarget(loaded: LoadedMachine): { file: string; exportName: string } | undefined {
  if (loaded.origin === 'builtin') {
    return { file: join(PACKAGE_ROOT, 'machines', `${loaded.name}.ts`), exportName: `${loaded.name}Machine` };
  }
  if (!loaded.exportName) return undefined;
  return { file: loaded.origin, exportName: loaded.exportName };
}
