/**
 * An error the user caused (bad path, unknown machine, bad JSON, invalid option): the CLI prints its message
 * as one line on stderr and exits with `exitCode`, without a stack trace.
 */
export class UserError extends Error {
  readonly exitCode: number;
  constructor(message: string, exitCode = 1) {
    super(message);
    this.name = 'UserError';
    this.exitCode = exitCode;
  }
}
