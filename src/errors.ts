const USER_ERROR = Symbol.for('lifecycle-kit.UserError');

/**
 * An error the user caused (bad path, unknown machine, bad JSON, invalid option): the CLI prints its message
 * as one line on stderr and exits with `exitCode`, without a stack trace. The message is made one bounded line by
 * `toErrorLine`, so a value echoed into it (a 1 MB manifest name, a file's raw text) cannot flood the terminal.
 */
export class UserError extends Error {
  readonly exitCode: number;
  /** The brand other copies of lifecycle-kit recognise (a user's module may load its own copy through tsx). */
  readonly [USER_ERROR] = true;
  constructor(message: string, exitCode = 1) {
    super(toErrorLine(message));
    this.name = 'UserError';
    this.exitCode = exitCode;
  }

  /**
   * `instanceof UserError` holds for a UserError of any copy of lifecycle-kit: a user's services throw the one
   * their own import gives, which the CLI must still print as one line, not as an unexpected error.
   */
  static [Symbol.hasInstance](value: unknown): boolean {
    if (this !== UserError) return Function.prototype[Symbol.hasInstance].call(this, value);
    return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[USER_ERROR] === true;
  }
}

/** The longest run of non-blank characters (an echoed value, a path) an error line keeps. */
export const MAX_ECHO = 200;
const LONG_RUN = new RegExp(`\\S{${MAX_ECHO + 1},}`, 'g');
/** The longest error line. */
const MAX_LINE = 1200;

/**
 * Shortens a value echoed in a message to about `max` characters, keeping its start and its end around an
 * ellipsis (the end of a path names the file).
 *
 * @example
 * clip('x'.repeat(1e6)).length // 200
 */
export function clip(value: string, max: number = MAX_ECHO): string {
  if (value.length <= max) return value;
  const tail = Math.floor(max / 4);
  return `${value.slice(0, max - tail - 1)}…${value.slice(value.length - tail)}`;
}

/**
 * Makes an error message one bounded line: control characters escaped (`\n` stays visible as `\n`), every run of
 * non-blank characters longer than `MAX_ECHO` clipped, and the whole line kept under `MAX_LINE` (its start and its
 * end, where the fix is said, are kept).
 */
export function toErrorLine(message: string): string {
  const oneLine = message.replace(/[\u0000-\u001f\u007f]/g, (c) => JSON.stringify(c).slice(1, -1));
  const clipped = oneLine.length <= MAX_ECHO ? oneLine : oneLine.replace(LONG_RUN, (run) => clip(run));
  if (clipped.length <= MAX_LINE) return clipped;
  const tail = Math.floor(MAX_LINE / 3);
  return `${clipped.slice(0, MAX_LINE - tail - 3)} … ${clipped.slice(clipped.length - tail)}`;
}
