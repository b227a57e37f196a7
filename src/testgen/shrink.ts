/**
 * Shrinking a failing walk to a minimal one. The steps a walk may take depend on where the machine is, so a
 * shorter candidate is replayed on the model from the start: a step it can no longer take (a service no longer
 * running, an event no longer handled) rules the candidate out, and a candidate counts only when it fails the same
 * way (same kind, same message). That is why the shrinker is ours and not fast-check's: its integrated shrinking
 * would shrink the random choices, whose meaning changes as soon as an earlier step is gone.
 *
 * Passes, repeated until none helps or the budget of replays is spent: drop chunks of steps, halving the chunk
 * down to single steps (delta debugging's complement removal); then make a step or the start simpler (an earlier
 * sample of the same event, an earlier input). The result is 1-minimal: no single step can be dropped.
 */
import type { EventObject } from 'xstate';
import type { GuardChoices } from '../model/stepper.ts';

/** A walk to replay: which start, then each step's event and guard choices. */
export interface WalkPlan {
  /** Index into the model's starts. */
  start: number;
  steps: PlanStep[];
}

export interface PlanStep {
  event: EventObject;
  guards?: GuardChoices;
  /** Simpler events to try instead (earlier samples of the same type, where the walk drew this one). */
  simpler?: EventObject[];
}

/**
 * Replays a candidate; when it fails the way the walk did, the candidate cut after its failing step, else
 * undefined (it holds, or cannot be followed).
 */
export type FailsSame = (plan: WalkPlan) => WalkPlan | undefined;

export interface ShrinkResult {
  plan: WalkPlan;
  /** Replays spent. */
  tries: number;
  /** Whether the budget ran out before no pass helped any more. */
  exhausted: boolean;
}

export function shrinkWalk(failing: WalkPlan, failsSame: FailsSame, budget = 2000): ShrinkResult {
  let best = failing;
  let tries = 0;
  const attempt = (candidate: WalkPlan): boolean => {
    if (tries >= budget) return false;
    tries++;
    const cut = failsSame(candidate);
    if (!cut || !smaller(cut, best)) return false;
    best = cut;
    return true;
  };
  for (let progress = true; progress && tries < budget; ) {
    progress = false;
    for (const size of chunkSizes(best.steps.length)) {
      // Small chunks are tried at every offset: steps that only go together (start a service, then settle it;
      // fail it, then wait out the backoff) seldom sit on a chunk boundary.
      const stride = size <= SMALL ? 1 : size;
      for (let i = 0; i + size <= best.steps.length && tries < budget; ) {
        if (attempt({ ...best, steps: [...best.steps.slice(0, i), ...best.steps.slice(i + size)] })) progress = true;
        else i += stride;
      }
    }
    for (let s = 0; s < best.start && !progress; s++) progress = attempt({ ...best, start: s });
    for (let i = 0; i < best.steps.length && !progress; i++) {
      for (const event of best.steps[i].simpler ?? []) {
        const steps = best.steps.map((step, k) => (k === i ? { event, ...(step.guards ? { guards: step.guards } : {}) } : step));
        if ((progress = attempt({ ...best, steps }))) break;
      }
    }
  }
  return { plan: best, tries, exhausted: tries >= budget };
}

const SMALL = 4;

/** Halving chunk sizes down to SMALL, then every size below it: n/2, n/4, …, 4, 3, 2, 1. */
function chunkSizes(n: number): number[] {
  const sizes: number[] = [];
  for (let size = n >> 1; size > SMALL; size >>= 1) sizes.push(size);
  for (let size = Math.min(SMALL, n); size >= 1; size--) sizes.push(size);
  return sizes;
}

/** Fewer steps, else the same number with a simpler start or simpler events (fewer alternatives left to try). */
function smaller(a: WalkPlan, b: WalkPlan): boolean {
  if (a.steps.length !== b.steps.length) return a.steps.length < b.steps.length;
  if (a.start !== b.start) return a.start < b.start;
  const left = (p: WalkPlan) => p.steps.reduce((n, s) => n + (s.simpler?.length ?? 0), 0);
  return left(a) < left(b);
}
