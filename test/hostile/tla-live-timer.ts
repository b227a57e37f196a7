// Hostile machine module: a top-level await that never settles while a live timer keeps the process busy.
import { createMachine } from 'xstate';

await new Promise(() => {
  setInterval(() => {}, 1000);
});

export const machine = createMachine({ id: 'busy', initial: 'a', states: { a: {} } });
