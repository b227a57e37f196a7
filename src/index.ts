/**
 * lifecycle-kit's library API: the same capabilities as the `lifecycle` CLI.
 *
 * @example
 * import { loadMachine, extractGraph, toMermaid, validate } from 'lifecycle-kit';
 * const { machine } = await loadMachine('install');
 * const graph = extractGraph(machine);
 * console.log(toMermaid(graph), validate(graph).ok);
 */
export type * from './model/types.ts';
export { extractGraph, describeGuard } from './model/extract.ts';
export { loadMachine, isMachine, type LoadedMachine } from './model/load.ts';
export { UserError } from './errors.ts';
export { render as toMermaid, mermaidIds, type MermaidOptions } from './diagram/mermaid.ts';
export { render as toDot } from './diagram/dot.ts';
export { render as toJson } from './diagram/json.ts';
export { render as toMarkdown, type MarkdownOptions } from './diagram/markdown.ts';
export { FORMATS, TEXT_FORMATS, IMAGE_FORMATS, type Format } from './diagram/formats.ts';
export { renderImages } from './diagram/images.ts';
export { openRenderer, ChromiumMissingError, DiagramSyntaxError } from './diagram/render-image.ts';
export { buildDocs, staleDocs } from './diagram/docs.ts';
export { validate, RULES, type Finding, type ValidationReport } from './validate/index.ts';
export { generatePaths, exploreStateSpace, type GeneratePathsOptions, type PathsResult, type LifecyclePath, type Coverage } from './paths/index.ts';
export { generateTests, buildSuite } from './testgen/index.ts';
export { resolveCatalogue, type EventCatalogue } from './model/catalogue.ts';
export { createStepper, type Stepper } from './model/stepper.ts';
export { BUILTINS, type BuiltinLifecycle } from '../machines/index.ts';
export { writeFileAtomic } from './io/atomic-write.ts';
export {
  startRun,
  resumeRun,
  DirectoryStore,
  MemoryStore,
  readRunStatus,
  ServiceTimeoutError,
  type RunStore,
  type RunMeta,
  type JournalEntry,
  type RunResult,
  type RunStatusReport,
} from './runtime/index.ts';
export { SERVICES } from './services/index.ts';
export type { LifecycleServices, Invariant, InvariantProbe } from './services/types.ts';
