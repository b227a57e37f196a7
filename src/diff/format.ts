import { CHANGE_ORDER } from './compare.ts';
import type { Change, ChangeType, GraphDiff, TransitionRef } from './types.ts';

/** The heading each change is listed under in the text output. */
const GROUP: Record<ChangeType, string> = {
  'machine-id-changed': 'machine',
  'state-removed': 'states',
  'state-added': 'states',
  'kind-changed': 'states',
  'initial-changed': 'states',
  'tags-changed': 'states',
  'transition-removed': 'transitions',
  'transition-added': 'transitions',
  'transition-retargeted': 'transitions',
  'guard-changed': 'guards',
  'delay-changed': 'delays',
  'actions-changed': 'actions',
  'service-changed': 'services',
  'service-added': 'services',
  'service-removed': 'services',
};

/** The groups in the order they are printed (the order of their first change type). */
export const GROUPS = [...new Set(Object.keys(CHANGE_ORDER).map((t) => GROUP[t as ChangeType]))];

/**
 * The diff for people: a count, one line per change under its group (`+` added, `-` removed, `~` changed), then
 * the states a persisted run could not resume in.
 *
 * @example
 * formatDiff(diff, { old: 'HEAD~1:machines/install.ts', new: 'machines/install.ts' });
 */
export function formatDiff(diff: GraphDiff, names: { old: string; new: string }): string {
  const out = [`--- ${names.old}`, `+++ ${names.new}`];
  if (diff.equal) return `${[...out, 'no changes'].join('\n')}\n`;
  out.push(`${diff.changes.length} change${diff.changes.length === 1 ? '' : 's'}`);
  for (const group of GROUPS) {
    const lines = diff.changes.filter((c) => GROUP[c.type] === group).map(changeLine);
    if (lines.length) out.push('', group, ...lines.map((l) => `  ${l}`));
  }
  out.push('');
  if (diff.cannotResume.length === 0) out.push('every state a run can be persisted in resumes on the new machine');
  else out.push('cannot resume: a run persisted on the old machine in', ...diff.cannotResume.map((b) => `  ${b.state}: ${b.detail}`));
  return `${out.join('\n')}\n`;
}

/** One change as one line. */
export function changeLine(c: Change): string {
  switch (c.type) {
    case 'machine-id-changed':
      return `~ machine id ${c.to} (was ${c.from})`;
    case 'state-removed':
      return `- state ${c.state}${c.renamedTo ? ` (renamed? → ${c.renamedTo})` : ''}`;
    case 'state-added':
      return `+ state ${c.state}${c.renamedFrom ? ` (renamed? ← ${c.renamedFrom})` : ''}`;
    case 'kind-changed':
      return `~ state ${c.state} is ${c.to} (was ${c.from})`;
    case 'initial-changed':
      return `~ initial of ${c.state}: ${list(c.to)} (was ${list(c.from)})`;
    case 'tags-changed':
      return `~ tags of ${c.state}: ${[...c.added.map((t) => `+${t}`), ...c.removed.map((t) => `-${t}`)].join(' ')}`;
    case 'transition-added':
      return `+ ${transition(c.transition)}`;
    case 'transition-removed':
      return `- ${transition(c.transition)}`;
    case 'transition-retargeted':
      return `~ ${transition(c.transition)} (was → ${list(c.from)})`;
    case 'guard-changed':
      return `~ ${transition(c.transition)} (guard was ${c.from === undefined ? 'none' : `[${c.from}]`})`;
    case 'delay-changed':
      return `~ ${transition(c.transition)} (delay was ${c.from})`;
    case 'actions-changed':
      return `~ ${transition(c.transition)} (actions were ${c.from.length ? c.from.join(', ') : 'none'})`;
    case 'service-changed':
      return `~ ${c.state} invokes ${c.to} (was ${c.from})`;
    case 'service-added':
      return `+ ${c.state} invokes ${c.src}`;
    case 'service-removed':
      return `- ${c.state} invokes ${c.src}`;
  }
}

function transition(t: TransitionRef): string {
  return `${t.source}: ${t.event}${t.guard ? ` [${t.guard}]` : ''} → ${t.targets.length ? t.targets.join(', ') : '(no target)'}`;
}

function list(paths: string[]): string {
  return paths.length ? paths.join(', ') : 'none';
}
