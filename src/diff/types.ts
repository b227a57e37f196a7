/**
 * What `diffGraphs` reports: plain, serializable data (the `--json` output). States are named by their path
 * without the machine id (`installing.transforms`, `(root)` for the root), so two versions of a machine compare
 * even when its id changed.
 */

/** A transition as a change names it. */
export interface TransitionRef {
  /** The source state's path. */
  source: string;
  /** What triggers it, as the diagrams print it: `RETRY`, `after 30s`, `done: download`, `always`. */
  event: string;
  guard?: string;
  /** Target paths; empty for a targetless transition. */
  targets: string[];
}

export type Change =
  | { type: 'machine-id-changed'; from: string; to: string }
  | { type: 'state-added'; state: string; renamedFrom?: string }
  | { type: 'state-removed'; state: string; renamedTo?: string }
  | { type: 'kind-changed'; state: string; from: string; to: string }
  | { type: 'initial-changed'; state: string; from: string[]; to: string[] }
  | { type: 'tags-changed'; state: string; added: string[]; removed: string[] }
  | { type: 'transition-added'; transition: TransitionRef }
  | { type: 'transition-removed'; transition: TransitionRef }
  | { type: 'transition-retargeted'; transition: TransitionRef; from: string[] }
  | { type: 'guard-changed'; transition: TransitionRef; from?: string }
  | { type: 'delay-changed'; transition: TransitionRef; from: string; to: string }
  | { type: 'actions-changed'; transition: TransitionRef; from: string[] }
  | { type: 'service-changed'; state: string; invoke: string; from: string; to: string }
  | { type: 'service-added'; state: string; invoke: string; src: string }
  | { type: 'service-removed'; state: string; invoke: string; src: string };

export type ChangeType = Change['type'];

/** A state a run persisted on the old machine cannot be resumed in on the new one. */
export interface ResumeBlocker {
  /** The old machine's state path. */
  state: string;
  /** `removed`: no such state now; `service-changed`: it invokes another service (or under another id). */
  reason: 'removed' | 'service-changed';
  /** One line saying why. */
  detail: string;
}

export interface GraphDiff {
  /** No change at all. */
  equal: boolean;
  changes: Change[];
  cannotResume: ResumeBlocker[];
  /**
   * Ids of the new graph's states and transitions touched by a change, and the old graph's ones that are gone,
   * for the picture.
   */
  marks: DiffMarks;
}

/** What the picture colours. */
export interface DiffMarks {
  addedStates: string[];
  changedStates: string[];
  /** Old state ids. */
  removedStates: string[];
  addedTransitions: string[];
  changedTransitions: string[];
  /** Old transition ids. */
  removedTransitions: string[];
  /** Old transition ids of the retargeted ones (their old arrow is drawn as removed). */
  retargetedFrom: string[];
  /** Old path → new path of the likely renames. */
  renames: Record<string, string>;
}
