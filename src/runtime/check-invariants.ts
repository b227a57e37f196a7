import type { Invariant } from '../services/types.ts';
import { activePaths } from './state-paths.ts';

/** An invariant that does not hold: the state path it belongs to and what it found. */
export interface Violation {
  state: string;
  message: string;
}

/**
 * Runs the invariants of every active state path of `value` (ancestors included: an invariant on a compound state
 * applies to all its children) against the real system. An invariant that throws is a violation too: a check
 * that cannot look is not a check that passed.
 *
 * @example
 * const violations = await checkInvariants(services.invariants, { input, context, value: snapshot.value });
 */
export async function checkInvariants(
  invariants: Record<string, Invariant>,
  probe: { input: unknown; context: unknown; value: unknown },
): Promise<Violation[]> {
  const violations: Violation[] = [];
  for (const state of activePaths(probe.value)) {
    const invariant = invariants[state];
    if (!invariant) continue;
    try {
      for (const message of await invariant(probe)) violations.push({ state, message });
    } catch (error) {
      violations.push({ state, message: `the check itself failed: ${error instanceof Error ? error.message : String(error)}` });
    }
  }
  return violations;
}

/** Violations as one line for an error message. */
export function formatViolations(violations: Violation[]): string {
  return violations.map((v) => `${v.state}: ${v.message}`).join('; ');
}
