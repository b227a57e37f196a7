import { describe, expect, it } from 'vitest';
import { assign, setup } from 'xstate';
import { extractGraph } from '../../src/model/extract.ts';
import { generatePaths } from '../../src/paths/index.ts';

// A machine whose every start is slow (a context factory doing real work, an assertion rebuilding its message from
// the source): the time bound holds among the inputs too, and what it cut is said instead of blamed on the samples.
let starts = 0;
const slow = (ms: number) => {
  starts++;
  const end = performance.now() + ms;
  while (performance.now() < end);
};
const machine = setup({ types: { input: {} as { n: number } } }).createMachine({
  id: 'slow',
  context: ({ input }) => {
    slow(20);
    return { n: input.n };
  },
  initial: 'idle',
  states: {
    idle: { on: { GO: { guard: ({ context }) => context.n > 1000, target: 'done', actions: assign({ n: 0 }) } } },
    done: { type: 'final' },
  },
});

describe('the time bound', () => {
  it('stops exploring among the inputs, and an untaken guard is put down to the bound, not the samples', () => {
    const inputs = Array.from({ length: 200 }, (_, n) => ({ n }));
    const result = generatePaths(machine, extractGraph(machine), { catalogue: { inputs }, maxTimeMs: 100 });
    expect(result.stats.cut).toBe('time');
    expect(starts).toBeLessThan(100); // of 200 inputs, 20 ms each
    const go = result.coverage.transitions.uncovered.find((u) => u.event === 'GO');
    expect(go?.reason).toBe('bound reached');
  });
});
