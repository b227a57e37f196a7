import assert, { AssertionError } from 'node:assert';
import { inspect } from 'node:util';

/**
 * `assert.ok(value)` with no message, made cheap while the model runs a machine's code. Node builds that message
 * from the call's source: it reads the file at the position V8 reports and parses from there with acorn until an
 * expression fits. A `.ts` module run through tsx reports positions in the code tsx made, not in the file on
 * disk, so the parse never fits and the search is quadratic in the file's size: 30 to 50 s for the first failure
 * at each call site of a 400-line machine. While `fn` runs, `assert.ok` and `assert.strict.ok` (the members a
 * module calls; a bare `assert(x)` cannot be reached) throw the same AssertionError with a message made from the
 * value instead. Synchronous, like the steps it wraps; nested calls keep the outer patch.
 */
export function withQuickAssert<T>(fn: () => T): T {
  if (depth++ === 0) {
    assert.ok = quickOk as typeof assert.ok;
    assert.strict.ok = quickOk as typeof assert.ok;
  }
  try {
    return fn();
  } finally {
    if (--depth === 0) {
      assert.ok = realOk;
      assert.strict.ok = realStrictOk;
    }
  }
}

let depth = 0;
const realOk: (value: unknown, message?: string | Error) => void = assert.ok;
const realStrictOk: (value: unknown, message?: string | Error) => void = assert.strict.ok;

function quickOk(...args: unknown[]): void {
  const [value, message] = args;
  if (args.length === 0 || (message !== undefined && message !== null)) {
    realOk(...(args as [unknown, (string | Error)?]));
    return;
  }
  if (value) return;
  throw new AssertionError({ actual: value, expected: true, operator: '==', message: `The expression evaluated to a falsy value (${inspect(value, { depth: 1 })})`, stackStartFn: quickOk });
}
