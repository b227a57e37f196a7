import type { EventObject } from 'xstate';

/**
 * The event as the running machine receives it: a service's error arrives as the Error the harness rejects with
 * (see {@link toError}); the model steps with it too, so that an assign storing the error sees the same value in the model and in the test.
 */
export function asDelivered(event: EventObject): EventObject {
  if (!event.type.startsWith('xstate.error.actor.')) return event;
  return { ...event, error: toError((event as { error?: unknown }).error) } as EventObject;
}

/** Path errors are plain data (`{ message, kind }`); services throw Errors, so the machine is given one. */
export function toError(value: unknown): unknown {
  if (value instanceof Error) return value;
  if (value && typeof value === 'object' && typeof (value as { message?: unknown }).message === 'string') {
    return Object.assign(new Error((value as { message: string }).message), value);
  }
  return value;
}

