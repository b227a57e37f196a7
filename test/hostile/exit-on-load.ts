// Hostile machine module: exits the process with 0 while being imported, which would look like success.
import { createMachine } from 'xstate';

process.exit(0);

export const machine = createMachine({ id: 'exits', initial: 'a', states: { a: {} } });
