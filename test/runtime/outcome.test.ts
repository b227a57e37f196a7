import { describe, expect, it } from 'vitest';
import { createActor, createMachine } from 'xstate';
import { outcomeOf } from '../../src/runtime/progress-view.ts';

const ended = (tags: string[], output: unknown) =>
  createActor(createMachine({ id: 'm', initial: 'end', states: { end: { type: 'final', tags } }, output: () => output })).start().getSnapshot();

describe('outcomeOf', () => {
  it('is failed for a final state tagged failure or an output that says failed, else succeeded', () => {
    expect(outcomeOf(ended([], { status: 'stopped' }))).toBe('succeeded');
    expect(outcomeOf(ended(['failure'], undefined))).toBe('failed');
    expect(outcomeOf(ended([], { status: 'failed' }))).toBe('failed');
  });
});
