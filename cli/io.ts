import type { Command } from 'commander';
import { UserError } from '../src/errors.ts';

/** The streams a command writes to; tests pass fakes. */
export interface Io {
  stdout: { write(chunk: string | Uint8Array): unknown; isTTY?: boolean };
  stderr: { write(chunk: string | Uint8Array): unknown; isTTY?: boolean };
}

export interface CommandContext {
  io: Io;
  setExitCode(code: number): void;
}

export type Register = (program: Command, ctx: CommandContext) => void;

/** A usage error (exit 2) raised after commander's own parsing, e.g. a flag combination that makes no sense. */
export function usageError(message: string): UserError {
  return new UserError(message, 2);
}
