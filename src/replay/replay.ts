/**
 * Replays a run's journal against the current machine, purely (XState's `transition`, as `lifecycle paths` steps:
 * no service runs, no timer waits, no custom action executes): each line's event is reproduced from what the line
 * recorded, and the state reached and the transitions taken are compared with the line's. The first line that
 * differs is the answer.
 */
import { isDeepStrictEqual } from 'node:util';
import type { AnyMachineSnapshot, AnyStateMachine } from 'xstate';
import { createStepper, type StepResult } from '../model/stepper.ts';
import { describeValue } from '../runtime/state-paths.ts';
import { eventFor } from './events.ts';
import type { ReplayLine } from './journal.ts';
import { unrecordedIn } from './unrecorded.ts';

/** Where the journal and the machine part, at one line. */
export interface ReplayStep {
  /** The line's number in the journal, 1-based (history first). */
  step: number;
  event: string;
  journal: { from: unknown; to: unknown; transitions?: string[] };
  machine: { to: unknown; transitions: string[]; error?: string };
  /** Why, when the machine did not take the event at all (no such service running, a state that does not take it). */
  note?: string;
}

export type ReplayResult =
  | { result: 'same'; steps: number }
  | ({ result: 'diverged'; steps: number } & ReplayStep)
  /**
   * A line that cannot be checked: its outcome depends on data the journal does not record (`reads`: what the
   * machine read), or the journal does not begin at the run's start.
   */
  | { result: 'unreplayable'; steps: number; step: number; event: string; reason: string; reads?: string };

const DONE = 'xstate.done.actor.';
const ERROR = 'xstate.error.actor.';

/** `steps` in a result counts the lines replayed the same before the one reported. */
export function replayJournal(machine: AnyStateMachine, lines: ReplayLine[], input: unknown): ReplayResult {
  const stepper = createStepper(machine);
  /** Every snapshot reached, so that a resume from an earlier one (an at-least-once line) can rewind to it. */
  const reached: AnyMachineSnapshot[] = [];
  let current: AnyMachineSnapshot | null = null;
  let same = 0;
  for (const [i, line] of lines.entries()) {
    const step = i + 1;
    const journal = { from: line.from, to: line.to, ...(line.transitions ? { transitions: line.transitions } : {}) };
    if (line.event === 'lifecycle.resume' && current) {
      // The run went on from its saved snapshot: the line(s) after that were journaled but never saved.
      const from: AnyMachineSnapshot | undefined = [current, ...[...reached].reverse()].find((s) => isDeepStrictEqual(s.value, line.to));
      if (!from) return { result: 'diverged', steps: same, step, event: line.event, journal, machine: { to: current.value, transitions: [] }, note: 'the run resumed in a state the replay never reached' };
      current = from;
      same++;
      continue;
    }
    let outcome: StepResult | { error: unknown };
    /** The journal's transition ids as the machine names them now (a timer whose delay changed is renamed). */
    let expected = line.transitions;
    try {
      if (current === null && line.event !== 'xstate.init') {
        // No start line (a history segment was unreadable): replayable only from where the machine starts.
        current = stepper.initial(input).snapshot;
        reached.push(current);
        if (!isDeepStrictEqual(current.value, line.from)) {
          return { result: 'unreplayable', steps: same, step, event: line.event, reason: `the journal does not begin at the run's start (this first line is from ${describeValue(line.from)})` };
        }
      }
      if (current === null) outcome = stepper.initial(input);
      else {
        const event = eventFor(line, step, machine, current);
        if (event.type !== line.event) expected = expected?.map((id) => id.replace(`:${line.event}:`, `:${event.type}:`));
        outcome = stepper.step(current, event);
      }
    } catch (error) {
      outcome = { error };
    }
    const failed = 'snapshot' in outcome ? (outcome.snapshot.status === 'error' ? outcome.snapshot.error : undefined) : outcome.error;
    if (failed !== undefined) {
      const reads = unrecordedIn(failed);
      if (reads) return { result: 'unreplayable', steps: same, step, event: line.event, reads, reason: `the machine reads ${reads.replace(` (step ${step})`, '')}, which the journal does not record` };
      return { result: 'diverged', steps: same, step, event: line.event, journal, machine: { to: current?.value ?? null, transitions: [], error: oneLine(failed) } };
    }
    const { snapshot, taken } = outcome as StepResult;
    const matches = isDeepStrictEqual(snapshot.value, line.to) && (!expected || isDeepStrictEqual(taken, expected));
    if (!matches) {
      return { result: 'diverged', steps: same, step, event: line.event, journal, machine: { to: snapshot.value, transitions: taken }, ...noteFor(line.event, current, taken) };
    }
    current = snapshot;
    reached.push(snapshot);
    same++;
  }
  return { result: 'same', steps: same };
}

/** Why nothing was taken, when the event is a service's and that service is not running in the current machine. */
function noteFor(event: string, before: AnyMachineSnapshot | null, taken: string[]): { note?: string } {
  if (taken.length || !before) return {};
  const service = event.startsWith(DONE) ? event.slice(DONE.length) : event.startsWith(ERROR) ? event.slice(ERROR.length) : null;
  if (service && !(service in before.children)) return { note: `no service ${service} runs there` };
  return { note: `the machine takes no transition on ${event} there` };
}

function oneLine(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).replace(/\s*\n\s*/g, ' ');
}
