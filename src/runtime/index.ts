/**
 * The durable runtime: run a lifecycle machine with its services through XState actors, saving its persisted
 * snapshot and a journal line after every transition, and resume it after a crash.
 */
export { startRun, resumeRun, type RunResult, type StartRunOptions, type ResumeRunOptions } from './runs.ts';
export { runActor, type ActorRunOptions, type ActorRunEnd } from './run-actor.ts';
export { DirectoryStore, STORE_FILES } from './directory-store.ts';
export { MemoryStore } from './memory-store.ts';
export { acquireLock, releaseLock, readLock, isProcessAlive, type LockHolder } from './lock-file.ts';
export { JournalFile } from './journal-file.ts';
export { guardService, ServiceTimeoutError, type ServiceGuard } from './guard-service.ts';
export { withTransitionHooks, type TransitionHooks } from './transition-hooks.ts';
export { restartDelays, type RestartedDelay } from './restart-delays.ts';
export { checkInvariants, formatViolations, type Violation } from './check-invariants.ts';
export { progressOf, outcomeOf, journalEntry, type ProgressView } from './progress-view.ts';
export { leafPaths, activePaths, describeValue, activeStateNodes } from './state-paths.ts';
export { resolveLifecycle, type ResolvedLifecycle } from './resolve-lifecycle.ts';
export { readRunStatus, type RunStatusReport } from './run-status.ts';
export { transitionIds, createTransitionRecorder } from './transition-ids.ts';
export { assertRestorable } from './run-actor.ts';
export type { RunStore, RunMeta, RunStatus, JournalEntry, JournalRead, SavedSnapshot } from './types.ts';
