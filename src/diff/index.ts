/** Graph diff: what changed between two versions of a machine, for people, programs and pictures. */
export { diffGraphs } from './compare.ts';
export { cannotResume } from './resume.ts';
export { changeLine, formatDiff } from './format.ts';
export { diffPicture, DIFF_COLORS } from './picture.ts';
export { loadSide, parseGitRef } from './source.ts';
export type { Change, ChangeType, DiffMarks, GraphDiff, ResumeBlocker, TransitionRef } from './types.ts';
