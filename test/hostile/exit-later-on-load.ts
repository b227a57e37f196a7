// Hostile machine module: exits the process with 0 from a timer while its top-level await waits on it.
import { createMachine } from 'xstate';

await new Promise(() => {
  setTimeout(() => process.exit(0), 20);
});

export const machine = createMachine({ id: 'exits-later', initial: 'a', states: { a: {} } });
