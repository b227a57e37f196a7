import type { GraphTransition } from '../model/types.ts';

/**
 * Printable forms shared by every renderer, so a transition reads the same in Mermaid, DOT and Markdown.
 * Pure functions of the graph model.
 */

/** `500ms`, `30s`, `1.5min`, `2h`; a named delay stays its name. */
export function formatDelay(delay: number | string | undefined): string {
  if (delay === undefined) return '?';
  if (typeof delay === 'string') return delay;
  if (delay < 1000) return `${delay}ms`;
  if (delay < 60_000) return `${trim(delay / 1000)}s`;
  if (delay < 3_600_000) return `${trim(delay / 60_000)}min`;
  return `${trim(delay / 3_600_000)}h`;
}

function trim(n: number): string {
  return String(Number(n.toFixed(2)));
}

/** What triggers the transition: `GO`, `after 30s`, `done: download`, `error: download`, `always`, `done`. */
export function eventLabel(t: GraphTransition): string {
  const service = t.service ?? t.invokeId ?? '?';
  switch (t.kind) {
    case 'always':
      return 'always';
    case 'after':
      return `after ${formatDelay(t.delay)}`;
    case 'done.actor':
      return `done: ${service}`;
    case 'error.actor':
      return `error: ${service}`;
    case 'snapshot':
      return `snapshot: ${service}`;
    case 'done.state':
      return 'done';
    default:
      return t.event;
  }
}

/** `EVENT [guard] / action, action`. */
export function transitionLabel(t: GraphTransition): string {
  let text = eventLabel(t);
  if (t.guard) text += ` [${t.guard.label}]`;
  if (t.actions.length) text += ` / ${t.actions.join(', ')}`;
  return text;
}

/**
 * Breaks a label into lines of at most `width` characters where it can (before ` [guard]` and ` / actions`,
 * after `, ` and spaces), so that a long label is drawn narrow instead of as one wide line. A word longer than
 * `width` stays whole.
 *
 * @example
 * wrapLabel('error: download [canRetry(error: …)] / recordError', 20); // 'error: download\n[canRetry(error: …)]\n/ recordError'
 */
export function wrapLabel(text: string, width: number): string {
  if (text.length <= width) return text;
  // Pieces that read as units: the trigger, the guard, then each action.
  const tokens = text.split(/(?= \[| \/ )|(?<=, )|(?<= )/);
  const lines: string[] = [];
  let line = '';
  for (const token of tokens) {
    if (line && (line + token).trimEnd().length > width) {
      lines.push(line.trimEnd());
      line = token.trimStart();
    } else line += token;
  }
  if (line.trim()) lines.push(line.trimEnd());
  return lines.join('\n');
}
