/**
 * The hook that runs a suite against a mutant without editing it: the harness (`createPathRunner`) loads the
 * machine, and when `LIFECYCLE_MUTANT` is set, uses `mutantFromEnv(machine, spec)` instead. Loaded lazily by the
 * harness, so a normal run pays nothing.
 */
import { appendFileSync } from 'node:fs';
import type { AnyStateMachine } from 'xstate';
import { UserError } from '../errors.ts';
import { closest } from '../model/suggest.ts';
import { enumerateMutants, type Mutant } from './operators.ts';

/**
 * Set by `lifecycle mutate` for each child run: a file the hook appends the applied mutant's id to, so a run that
 * never applied it (a suite that does not load the machine through the harness) is not taken for a survivor.
 */
export const APPLIED_LOG_ENV = 'LIFECYCLE_MUTANT_LOG';

/** Starts the message of a mutant id the machine does not have, so the runner can tell it from a failing test. */
export const UNKNOWN_MUTANT = 'names no mutant of';

/**
 * The mutant of `machine` that `spec` (a mutant id, as `lifecycle mutate --list` prints it) names.
 *
 * @example
 * const machine = mutantFromEnv(loaded.machine, 'drop-guard install.decidingVersion:always:0');
 */
export function mutantFromEnv(machine: AnyStateMachine, spec: string): AnyStateMachine {
  const mutant = findMutant(machine, spec);
  const built = mutant.build();
  const log = process.env[APPLIED_LOG_ENV];
  if (log) appendFileSync(log, `${mutant.id}\n`);
  return built;
}

/** The mutant `spec` names, or a `UserError` saying the machine has none of that id (and the nearest one). */
export function findMutant(machine: AnyStateMachine, spec: string, mutants: Mutant[] = enumerateMutants(machine)): Mutant {
  const id = spec.trim();
  const found = mutants.find((m) => m.id === id);
  if (found) return found;
  const near = closest(id, mutants.map((m) => m.id));
  throw new UserError(
    `LIFECYCLE_MUTANT '${id}' ${UNKNOWN_MUTANT} ${machine.id}${near ? ` (did you mean '${near}'?)` : ''}: 'lifecycle mutate <machine> --list' lists its ${mutants.length} mutants`,
  );
}
