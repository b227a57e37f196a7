import { describe, expect, it } from 'vitest';
import { loadMachine } from '../../src/model/load.ts';
import { createPathRunner } from '../../src/testgen/harness.ts';
import { withNamedInlineActors } from '../../src/testgen/inline-actors.ts';

const INLINE = new URL('../fixtures/coverage/inline.ts', import.meta.url).pathname;

describe('inline actors in generated tests', () => {
  it('are controlled like named services: the path, not the inline promise, decides how they end', async () => {
    const run = await createPathRunner({ machine: INLINE });
    // The inline actor would resolve at once; the path makes it fail.
    await run('buy, charging fails', [
      { event: { type: 'BUY' }, state: { pay: 'charging' } },
      { event: { type: 'xstate.error.actor.0.shop.pay.charging', error: { message: 'declined' } }, state: 'idle' },
    ], 'idle');
  });

  it("are named in a copy; the user's machine is left as it was", async () => {
    const { machine } = await loadMachine(INLINE);
    const { machine: copy, names } = withNamedInlineActors(machine);
    expect([...names]).toEqual([['xstate.invoke.0.shop.pay.charging', 'lifecycle-kit.inline.xstate.invoke.0.shop.pay.charging']]);
    expect(copy).not.toBe(machine);
    expect(typeof (machine.config.states!.pay as { states: { charging: { invoke: { src: unknown } } } }).states.charging.invoke.src).toBe('object');
    const { machine: same } = withNamedInlineActors(copy);
    expect(same).toBe(copy);
  });
});
