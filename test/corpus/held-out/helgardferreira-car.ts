// Source: https://github.com/helgardferreira/xstate-workshop/blob/3d702a9b69df14af46b3df0019614ab4bd1fdfe9/apps/prototype/src/playground/rapier/cars/car/actors/car/car.machine.ts
// Commit: 3d702a9b69df14af46b3df0019614ab4bd1fdfe9
// License: MIT (helgardferreira/xstate-workshop, package.json "license": "MIT" at repository root)
// Changes: inlined ./types (CarActorContext, CarActorInput, CarEvent and the event types, field names kept);
//   stubbed keyboardInputLogic / spinningChangeLogic / steeringChangeLogic (three.js/rapier-driven callback
//   actors) as fromCallback no-ops with the same input shapes. Machine verbatim.
import { type ActorRefFrom, type SnapshotFrom, assign, fromCallback, setup } from 'xstate';
// --- stubs for app imports ---
type CarActorContext = {
  spinning: { accelerationRate: number; decelerationRate: number; factor: number; maxVelocity: number; velocity: number };
  steering: { angle: number; damping: number; maxAngle: number; rate: number; stiffness: number };
};
type CarActorInput = {
  spinning?: { accelerationRate?: number; decelerationRate?: number; factor?: number; maxVelocity?: number; velocity?: number };
  steering?: { angle?: number; damping?: number; maxAngle?: number; rate?: number; stiffness?: number };
};
type SetSpinningAccelerationRateEvent = { type: 'SET_SPINNING_ACCELERATION_RATE'; value: number };
type SetSpinningDecelerationRateEvent = { type: 'SET_SPINNING_DECELERATION_RATE'; value: number };
type SetSpinningFactorEvent = { type: 'SET_SPINNING_FACTOR'; value: number };
type SetSpinningMaxVelocityEvent = { type: 'SET_SPINNING_MAX_VELOCITY'; value: number };
type SetSpinningVelocityEvent = { type: 'SET_SPINNING_VELOCITY'; value: number };
type SetSteeringAngleEvent = { type: 'SET_STEERING_ANGLE'; value: number };
type SetSteeringDampingEvent = { type: 'SET_STEERING_DAMPING'; value: number };
type SetSteeringMaxAngleEvent = { type: 'SET_STEERING_MAX_ANGLE'; value: number };
type SetSteeringRateEvent = { type: 'SET_STEERING_RATE'; value: number };
type SetSteeringStiffnessEvent = { type: 'SET_STEERING_STIFFNESS'; value: number };
type DriveReleaseEvent = { type: 'DRIVE_RELEASE' };
type ReverseEvent = { type: 'REVERSE' };
type ThrottleEvent = { type: 'THROTTLE' };
type SteerLeftEvent = { type: 'STEER_LEFT' };
type SteerReleaseEvent = { type: 'STEER_RELEASE' };
type SteerRightEvent = { type: 'STEER_RIGHT' };
type CarEvent =
  | DriveReleaseEvent
  | ReverseEvent
  | SetSpinningAccelerationRateEvent
  | SetSpinningDecelerationRateEvent
  | SetSpinningFactorEvent
  | SetSpinningMaxVelocityEvent
  | SetSpinningVelocityEvent
  | SetSteeringAngleEvent
  | SetSteeringDampingEvent
  | SetSteeringMaxAngleEvent
  | SetSteeringRateEvent
  | SetSteeringStiffnessEvent
  | SteerLeftEvent
  | SteerReleaseEvent
  | SteerRightEvent
  | ThrottleEvent;
const keyboardInputLogic = fromCallback<CarEvent>(() => () => {});
const spinningChangeLogic = fromCallback<
  CarEvent,
  { accelerationRate: number; decelerationRate: number; direction: 'idle' | 'forward' | 'reverse'; maxVelocity: number; velocity: number }
>(() => () => {});
const steeringChangeLogic = fromCallback<
  CarEvent,
  { angle: number; direction: 'center' | 'left' | 'right'; maxAngle: number; rate: number }
>(() => () => {});
// --- end stubs ---

// TODO: later improve with more advanced controls (e.g. drifting, nitrous, etc.)
// TODO: later add controls for windows, spoilers, and other dynamic meshes
// TODO: figure out car wheel spin issues
//       - determine if the current wheel spin / traction is accurate or not
//       - determine if the max velocity, acceleration / deceleration rate, and factor values are correct
//       - tweak wheel steering and spinning inputs for car machine
// TODO: implement integration between debug gui controls panel and car state machine
const carMachine = setup({
  types: {
    context: {} as CarActorContext,
    events: {} as CarEvent,
    input: {} as CarActorInput,
  },
  actions: {
    setSpinningVelocity: assign(
      ({ context }, { value }: Omit<SetSpinningVelocityEvent, 'type'>) => ({
        spinning: { ...context.spinning, velocity: value },
      })
    ),
    setSteeringAngle: assign(
      ({ context }, { value }: Omit<SetSteeringAngleEvent, 'type'>) => ({
        steering: { ...context.steering, angle: value },
      })
    ),
  },
  actors: {
    keyboardInput: keyboardInputLogic,
    spinningChange: spinningChangeLogic,
    steeringChange: steeringChangeLogic,
  },
}).createMachine({
  id: 'car',

  context: ({ input }) => ({
    // TODO: tweak default spinning config values
    spinning: {
      accelerationRate: input.spinning?.accelerationRate ?? 90,
      decelerationRate: input.spinning?.decelerationRate ?? 180,
      // factor: input.spinning?.factor ?? 50,
      factor: input.spinning?.factor ?? 30,
      maxVelocity: input.spinning?.maxVelocity ?? 50,
      velocity: input.spinning?.velocity ?? 0,
    },
    // TODO: tweak default steering config values
    steering: {
      angle: input.steering?.angle ?? 0,
      damping: input.steering?.damping ?? 500,
      maxAngle: input.steering?.maxAngle ?? 35,
      rate: input.steering?.rate ?? 100,
      stiffness: input.steering?.stiffness ?? 5_000,
    },
  }),

  type: 'parallel',

  invoke: {
    id: 'keyboardInput',
    src: 'keyboardInput',
  },

  states: {
    spinning: {
      initial: 'idle',

      on: {
        SET_SPINNING_VELOCITY: {
          actions: {
            params: ({ event }) => ({ value: event.value }),
            type: 'setSpinningVelocity',
          },
        },
      },

      states: {
        idle: {
          invoke: {
            id: 'spinningChangeIdle',
            src: 'spinningChange',
            input: ({ context: { spinning } }) => ({
              accelerationRate: spinning.accelerationRate,
              decelerationRate: spinning.decelerationRate,
              direction: 'idle',
              maxVelocity: spinning.maxVelocity,
              velocity: spinning.velocity,
            }),
          },

          on: {
            REVERSE: 'reversing',
            THROTTLE: 'driving',
          },
        },
        driving: {
          invoke: {
            id: 'spinningChangeForward',
            src: 'spinningChange',
            input: ({ context: { spinning } }) => ({
              accelerationRate: spinning.accelerationRate,
              decelerationRate: spinning.decelerationRate,
              direction: 'forward',
              maxVelocity: spinning.maxVelocity,
              velocity: spinning.velocity,
            }),
          },

          on: {
            DRIVE_RELEASE: 'idle',
            REVERSE: 'reversing',
          },
        },
        reversing: {
          invoke: {
            id: 'spinningChangeReverse',
            src: 'spinningChange',
            input: ({ context: { spinning } }) => ({
              accelerationRate: spinning.accelerationRate,
              decelerationRate: spinning.decelerationRate,
              direction: 'reverse',
              maxVelocity: spinning.maxVelocity,
              velocity: spinning.velocity,
            }),
          },

          on: {
            DRIVE_RELEASE: 'idle',
            THROTTLE: 'driving',
          },
        },
      },
    },

    steering: {
      initial: 'idle',

      on: {
        SET_STEERING_ANGLE: {
          actions: {
            params: ({ event }) => ({ value: event.value }),
            type: 'setSteeringAngle',
          },
        },
      },

      states: {
        idle: {
          invoke: {
            id: 'steeringChangeCenter',
            src: 'steeringChange',
            input: ({ context: { steering } }) => ({
              angle: steering.angle,
              direction: 'center',
              maxAngle: steering.maxAngle,
              rate: steering.rate,
            }),
          },

          on: {
            STEER_LEFT: 'steeringLeft',
            STEER_RIGHT: 'steeringRight',
          },
        },
        steeringLeft: {
          invoke: {
            id: 'steeringChangeLeft',
            src: 'steeringChange',
            input: ({ context: { steering } }) => ({
              angle: steering.angle,
              direction: 'left',
              maxAngle: steering.maxAngle,
              rate: steering.rate,
            }),
          },

          on: {
            STEER_RELEASE: 'idle',
            STEER_RIGHT: 'steeringRight',
          },
        },
        steeringRight: {
          invoke: {
            id: 'steeringChangeRight',
            src: 'steeringChange',
            input: ({ context: { steering } }) => ({
              angle: steering.angle,
              direction: 'right',
              maxAngle: steering.maxAngle,
              rate: steering.rate,
            }),
          },

          on: {
            STEER_LEFT: 'steeringLeft',
            STEER_RELEASE: 'idle',
          },
        },
      },
    },
  },
});

export { carMachine };

type CarActorRef = ActorRefFrom<typeof carMachine>;
type CarActorSnapshot = SnapshotFrom<typeof carMachine>;

export type { CarActorRef, CarActorSnapshot };
