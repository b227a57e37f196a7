/**
 * `lifecycle-kit/infer`: event-catalogue samples inferred from a machine's TypeScript types (what `lifecycle paths`
 * uses to fill the gaps of a hand-written catalogue). An entry of its own because it loads the TypeScript compiler
 * (about half a second); `resolveSamples` from `lifecycle-kit` calls it when needed.
 *
 * @example
 * import { extractGraph, loadMachine } from 'lifecycle-kit';
 * import { inferCatalogue } from 'lifecycle-kit/infer';
 * const loaded = await loadMachine('./src/jobs.ts#jobMachine');
 * const { catalogue, origins } = inferCatalogue({ file: loaded.origin, exportName: 'jobMachine', machine: loaded.machine }, extractGraph(loaded.machine));
 */
export { inferCatalogue, type InferredCatalogue } from '../model/infer/index.ts';
export type { EventCatalogue } from '../model/catalogue.ts';
