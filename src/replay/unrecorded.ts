/**
 * Stand-ins for what a journal line does not record (a done event's output, an outside event's payload). The
 * machine gets an object that throws, naming the step, as soon as a guard or an action reads it: a replay then says
 * which step cannot be replayed exactly instead of deciding on made-up data. A machine that never reads it replays
 * exactly.
 */

const MARK = 'lifecycle-replay-unrecorded:';

/** What was not recorded, e.g. `the output of 0.install.checkingPreconditions (step 2)`. */
export function unrecorded<T extends object>(what: string, known: T = {} as T): T {
  const fail = (): never => {
    throw new Error(`${MARK}${what}${MARK}`);
  };
  return new Proxy(known, {
    get(target, key) {
      if (typeof key === 'symbol' || key in target) return Reflect.get(target, key);
      // Promise resolution and JSON look for these on any value: absent, not a read of the data.
      if (key === 'then' || key === 'toJSON') return undefined;
      return fail();
    },
    has: (target, key) => (typeof key === 'symbol' || key in target ? true : fail()),
    ownKeys: () => fail(),
  });
}

/** The unrecorded thing an error (a throwing guard or action, XState's wrapping of it) was caused by, if any. */
export function unrecordedIn(error: unknown): string | null {
  for (let e = error, depth = 0; e && depth < 8; e = (e as { cause?: unknown }).cause, depth++) {
    const message = e instanceof Error ? e.message : String(e);
    const found = new RegExp(`${MARK}(.*?)${MARK}`, 's').exec(message);
    if (found) return found[1]!;
  }
  return null;
}
