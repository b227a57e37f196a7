// Hostile machine module: a top-level await on a promise nothing can settle. Node alone exits 13 without a word.
import { createMachine } from 'xstate';

await new Promise(() => {});

export const machine = createMachine({ id: 'never', initial: 'a', states: { a: {} } });
