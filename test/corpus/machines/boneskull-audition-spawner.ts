// Source: https://github.com/boneskull/xstate-audition/blob/05af2998854d06f572197630568a81a0fef04c0d/test/fixture.ts
// Commit: 05af2998854d06f572197630568a81a0fef04c0d
// License: Apache-2.0 (boneskull/xstate-audition, LICENSE at repository root)
// Changes: stubbed `wait` (../src/util.js) as a setTimeout promise. Module verbatim otherwise (dummyLogic,
//   promiseLogic and the spawnerMachine test fixture).
import {
  type ActorLogic,
  createMachine,
  type EventObject,
  fromPromise,
  type Snapshot,
  spawnChild,
} from 'xstate';
// --- stubs for app imports ---
const wait = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
// --- end stubs ---

export const dummyLogic: ActorLogic<Snapshot<undefined>, EventObject> = {
  getInitialSnapshot: () => ({
    context: undefined,
    error: undefined,
    output: undefined,
    status: 'active',
  }),
  getPersistedSnapshot: (snapshot) => snapshot,
  transition: (snapshot) => snapshot,
};

export const promiseLogic = fromPromise<string, void>(async ({signal}) => {
  if (signal.aborted) {
    throw new Error('Aborted');
  }
  await wait(100);
  if (signal.aborted) {
    throw new Error('Aborted');
  }
  return 'hello world';
});

export const ACTOR_ID = 'test-actor';

/**
 * A machine that waits, then spawns a {@link dummyLogic} actor, waits more, then
 * exits.
 */
export const spawnerMachine = createMachine({
  initial: 'spawning',
  states: {
    done: {
      type: 'final',
    },
    spawning: {
      after: {
        50: {
          actions: spawnChild(dummyLogic, {id: ACTOR_ID}),
          target: 'waitMore',
        },
      },
    },
    waitMore: {
      after: {
        50: 'done',
      },
    },
  },
});
