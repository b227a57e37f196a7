import { createMachine, type AnyStateMachine } from 'xstate';

/**
 * The synthetic chain machine of the path benchmark: states s0..s(N-1) and a final `done`; from each s_i,
 * NEXT goes to s(i+1), SKIP to s(i+2), FAIL to an error state e_i whose RETRY goes back to s_i.
 */
export function chainMachine(n: number): AnyStateMachine {
  const states: Record<string, object> = {};
  const name = (i: number) => (i >= n ? 'done' : `s${i}`);
  for (let i = 0; i < n; i++) {
    states[`s${i}`] = { on: { NEXT: name(i + 1), ...(i + 2 <= n ? { SKIP: name(i + 2) } : {}), FAIL: `e${i}` } };
    states[`e${i}`] = { on: { RETRY: `s${i}` } };
  }
  states.done = { type: 'final' };
  return createMachine({ id: `chain${n}`, initial: 's0', states: states as never });
}
