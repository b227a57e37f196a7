import { type AnyActorRef, createActor, fromCallback } from 'xstate';

/** The id every stand-in has, so a context holding one compares the same in the model and in a test. */
const STAND_IN_ID = 'lifecycle-kit.stand-in';

const STAND_INS = new WeakSet<object>();

/** How generated tests and catalogue modules write a stand-in: a call to this function, which the package exports. */
export const STAND_IN_CALL = 'actorStandIn';

/**
 * An actor that takes every event and does nothing, for a sample whose type is an actor ref (an input's
 * `parentRef: AnyActorRef`, an event carrying a `replyTo`): the machine can `sendTo` it, subscribe to it and read
 * its snapshot, as with the actor its parent would pass. Data could not stand in: XState delivers to a ref through
 * its internals (`_send`). Generated tests make one with this same function.
 *
 * @example
 * createActor(machine, { input: { parentRef: actorStandIn() } }).start();
 */
export function actorStandIn(): AnyActorRef {
  const ref = createActor(fromCallback(() => {}), { id: STAND_IN_ID }).start();
  STAND_INS.add(ref);
  return ref;
}

/** Whether `value` is one `actorStandIn` made (a generated test writes it as a call to it). */
export function isActorStandIn(value: unknown): boolean {
  return typeof value === 'object' && value !== null && STAND_INS.has(value);
}
