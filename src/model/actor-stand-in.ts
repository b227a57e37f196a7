import { type AnyActorRef, createActor, fromCallback, fromTransition } from 'xstate';

/** The id every stand-in has, so a context holding one compares the same in the model and in a test. */
const STAND_IN_ID = 'lifecycle-kit.stand-in';

/** Each stand-in, with the context its snapshot holds (undefined: none). */
const STAND_INS = new WeakMap<object, { context: unknown }>();

/** How generated tests and catalogue modules write a stand-in: a call to this function, which the package exports. */
export const STAND_IN_CALL = 'actorStandIn';

/**
 * An actor that takes every event and does nothing, for a sample whose type is an actor ref (an input's
 * `parentRef: AnyActorRef`, an event carrying a `replyTo`): the machine can `sendTo` it, subscribe to it and read
 * its snapshot, as with the actor its parent would pass. Data could not stand in: XState delivers to a ref through
 * its internals (`_send`). Given a `context`, its snapshot holds it (`settingsRef.getSnapshot().context.apiKey`, for a
 * ref typed `ActorRefFrom<typeof settingsMachine>`). Generated tests make one with this same function.
 *
 * @example
 * createActor(machine, { input: { parentRef: actorStandIn(), settings: actorStandIn({ apiKey: 'id-1' }) } }).start();
 */
export function actorStandIn(context?: unknown): AnyActorRef {
  const ref: AnyActorRef =
    context === undefined
      ? createActor(fromCallback(() => {}), { id: STAND_IN_ID }).start()
      : createActor(fromTransition((state: unknown) => state, context), { id: STAND_IN_ID }).start();
  STAND_INS.set(ref, { context });
  return ref;
}

/** Whether `value` is one `actorStandIn` made (a generated test writes it as a call to it). */
export function isActorStandIn(value: unknown): boolean {
  return typeof value === 'object' && value !== null && STAND_INS.has(value);
}

/**
 * The call that makes this stand-in again, its context written by `write` (`actorStandIn()`,
 * `actorStandIn({ apiKey: "id-1" })`).
 */
export function standInCall(ref: object, write: (context: unknown) => string): string {
  const context = STAND_INS.get(ref)?.context;
  return context === undefined ? `${STAND_IN_CALL}()` : `${STAND_IN_CALL}(${write(context)})`;
}
