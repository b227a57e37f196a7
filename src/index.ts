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
import type { DiagramRenderer, RendererOptions } from './diagram/render-image.ts';
import type { AttachInspectorOptions, AttachedInspector } from './inspect/attach.ts';
import type { InspectSession, InspectSessionOptions } from './inspect/session.ts';
export type { DiagramRenderer, RendererOptions } from './diagram/render-image.ts';
export { buildDocs, staleDocs } from './diagram/docs.ts';
export { validate, RULES, type Finding, type ValidationReport } from './validate/index.ts';
export { generatePaths, exploreStateSpace, type GeneratePathsOptions, type PathsResult, type LifecyclePath, type Coverage } from './paths/index.ts';
export { generateTests, buildSuite } from './testgen/index.ts';
export { resolveCatalogue, type EventCatalogue } from './model/catalogue.ts';
export { resolveSamples, mergeCatalogues, type ResolvedSamples, type ResolveSamplesOptions } from './model/samples.ts';
export type { InferredCatalogue } from './model/infer/index.ts';
export { createStepper, type Stepper } from './model/stepper.ts';
export { actorStandIn } from './model/actor-stand-in.ts';
export { BUILTINS, type BuiltinLifecycle } from '../machines/index.ts';
export { writeFileAtomic } from './io/atomic-write.ts';
export {
  startRun,
  resumeRun,
  runActor,
  DirectoryStore,
  MemoryStore,
  readRunStatus,
  guardService,
  withTransitionHooks,
  restartDelays,
  ServiceTimeoutError,
  type StartRunOptions,
  type ResumeRunOptions,
  type ActorRunOptions,
  type ActorRunEnd,
  type RunStore,
  type RunMeta,
  type RunStatus,
  type JournalEntry,
  type RunResult,
  type RunStatusReport,
  type ServiceGuard,
  type TransitionHooks,
} from './runtime/index.ts';
export {
  shouldRetry,
  backoffDelay,
  resolveRetryPolicy,
  toStepError,
  initialProgress,
  canRetryStep,
  DEFAULT_RETRY_POLICY,
  type RetryPolicy,
  type StepError,
  type LifecycleProgress,
} from '../machines/progress.ts';
export { SERVICES } from './services/index.ts';
export type { LifecycleServices, BuiltinServices, Invariant, InvariantProbe, ArrangeArgs, FaultResult } from './services/types.ts';
export { defineServices } from './services/define.ts';
export type { RunProgress } from './runtime/progress-view.ts';
export { toWire } from './inspect/serialize.ts';
export type { AttachInspectorOptions, AttachedInspector } from './inspect/attach.ts';
export type { InspectSession, InspectSessionOptions } from './inspect/session.ts';

// The inspector (a web server and socket library) and the browser driver (playwright-core, about a second to load)
// are loaded on the first call, not when the package is imported.

/**
 * Starts an inspector server for an actor you create, and returns the observer that feeds it ({@link AttachedInspector}:
 * `inspect`, `url`, `wsUrl`, `control`, `close`). See docs/inspector.md.
 *
 * @example
 * const inspector = await attachInspector({ machine: installMachine });
 * const actor = createActor(installMachine.provide({ actors }), { input, inspect: inspector.inspect });
 * inspector.control(actor); // optional: let the page send events to it
 * actor.start();
 * console.error(`inspector: ${inspector.url}`);
 * await inspector.close(); // when the run ends
 */
export async function attachInspector(options?: AttachInspectorOptions): Promise<AttachedInspector> {
  return (await import('./inspect/attach.ts')).attachInspector(options);
}

/**
 * The whole `lifecycle inspect` command as a function: serves the live inspector page for a machine and runs it
 * under the page (with its real services, or fake ones the page resolves).
 *
 * @example
 * const { machine } = await loadMachine('install');
 * const session = await startInspectSession({ machine, builtin: 'install', fakeServices: true });
 */
export async function startInspectSession(options: InspectSessionOptions): Promise<InspectSession> {
  return (await import('./inspect/session.ts')).startInspectSession(options);
}

/**
 * Opens headless Chromium (Debian's `/usr/bin/chromium`, or `LIFECYCLE_CHROMIUM`) with Mermaid loaded, to render
 * diagrams as SVG/PNG with the Mermaid engine; `close()` it when done. Rejects with an error named
 * `ChromiumMissingError` or `ChromiumLaunchError` when there is no browser to drive (the Graphviz engine needs none);
 * the classes themselves are exported by `lifecycle-kit/render`.
 *
 * @example
 * const renderer = await openRenderer();
 * try {
 *   const svg = await renderer.renderSvg(toMermaid(graph));
 * } finally {
 *   await renderer.close();
 * }
 */
export async function openRenderer(options?: RendererOptions): Promise<DiagramRenderer> {
  return (await import('./diagram/render-image.ts')).openRenderer(options);
}
