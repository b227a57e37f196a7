// Source: https://github.com/statelyai/xstate/blob/01cfc0a8ee5ef6e96ae00cf400f03a260b168d90/examples/7guis-flight-booker-react/src/machines/flightMachine.ts
// Commit: 01cfc0a8ee5ef6e96ae00cf400f03a260b168d90
// License: MIT (statelyai/xstate, packages/core/package.json "license")
// Changes: stubbed TODAY/TOMORROW/sleep (../utils) and the global FlightData type (types.d.ts); dropped the default
//   export `createActorContext(flightBookerMachine)` (@xstate/react). Machine verbatim.
import { setup, assign, assertEvent, fromPromise } from 'xstate';

// --- stubs for app imports ---
type FlightData = { departDate: string; returnDate: string };
const TODAY = new Date().toISOString().split('T')[0];
const TOMORROW = new Date(Date.now() + 86_400_000).toISOString().split('T')[0];
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
// --- end stubs ---

export const flightBookerMachine = setup({
  types: {
    context: {} as FlightData,
    events: {} as
      | { type: 'BOOK_DEPART' }
      | { type: 'BOOK_RETURN' }
      | { type: 'CHANGE_TRIP_TYPE' }
      | { type: 'CHANGE_DEPART_DATE'; value: string }
      | { type: 'CHANGE_RETURN_DATE'; value: string }
  },
  actions: {
    setDepartDate: assign(({ event }) => {
      assertEvent(event, 'CHANGE_DEPART_DATE');
      return { departDate: event.value };
    }),
    setReturnDate: assign(({ event }) => {
      assertEvent(event, 'CHANGE_RETURN_DATE');
      return { returnDate: event.value };
    })
  },
  actors: {
    Booker: fromPromise(() => {
      return sleep(2000);
    })
  },
  guards: {
    'isValidDepartDate?': ({ context: { departDate } }) => {
      return departDate >= TODAY;
    },
    'isValidReturnDate?': ({ context: { departDate, returnDate } }) => {
      return departDate >= TODAY && returnDate > departDate;
    }
  }
}).createMachine({
  id: 'flightBookerMachine',
  context: {
    departDate: TODAY,
    returnDate: TOMORROW
  },
  initial: 'scheduling',
  states: {
    scheduling: {
      initial: 'oneWay',
      on: {
        CHANGE_DEPART_DATE: {
          actions: {
            type: 'setDepartDate'
          }
        }
      },
      states: {
        oneWay: {
          on: {
            CHANGE_TRIP_TYPE: {
              target: 'roundTrip'
            },
            BOOK_DEPART: {
              target: '#flightBookerMachine.booking',
              guard: {
                type: 'isValidDepartDate?'
              }
            }
          }
        },
        roundTrip: {
          on: {
            CHANGE_TRIP_TYPE: {
              target: 'oneWay'
            },
            CHANGE_RETURN_DATE: {
              actions: {
                type: 'setReturnDate'
              }
            },
            BOOK_RETURN: {
              target: '#flightBookerMachine.booking',
              guard: {
                type: 'isValidReturnDate?'
              }
            }
          }
        }
      }
    },
    booking: {
      invoke: {
        src: 'Booker',
        onDone: {
          target: 'booked'
        },
        onError: {
          target: 'scheduling'
        }
      }
    },
    booked: {
      type: 'final'
    }
  }
});
