import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { initialTransition, transition } from 'xstate';
import { UserError } from '../../src/errors.ts';
import { APPLIED_LOG_ENV, mutantFromEnv } from '../../src/mutate/apply.ts';
import { createPathRunner } from '../../src/testgen/harness.ts';
import { machine as turnstile } from './fixtures/turnstile.ts';

const FIXTURE = `${new URL('./fixtures/turnstile.ts', import.meta.url).pathname}#machine`;
const RETARGET = 'retarget-transition turnstile.locked:COIN:0->turnstile.open';

afterEach(() => {
  delete process.env.LIFECYCLE_MUTANT;
  delete process.env[APPLIED_LOG_ENV];
});

describe('mutantFromEnv', () => {
  it('gives the mutant the id names, and notes that it applied it where asked to', () => {
    const temp = mkdtempSync(join(tmpdir(), 'lk-mutant-'));
    try {
      process.env[APPLIED_LOG_ENV] = join(temp, 'applied');
      const mutant = mutantFromEnv(turnstile, ` ${RETARGET} `);
      const [start] = initialTransition(mutant);
      expect(transition(mutant, start, { type: 'COIN' })[0].value).toBe('open');
      expect(transition(turnstile, initialTransition(turnstile)[0], { type: 'COIN' })[0].value).toBe('unlocking');
      expect(readFileSync(join(temp, 'applied'), 'utf8')).toBe(`${RETARGET}\n`);
    } finally {
      rmSync(temp, { recursive: true, force: true });
    }
  });

  it('refuses an id the machine has no mutant of, naming the nearest', () => {
    const call = () => mutantFromEnv(turnstile, 'drop-guard turnstile.locked:PUSH:9');
    expect(call).toThrow(UserError);
    expect(call).toThrow(
      "LIFECYCLE_MUTANT 'drop-guard turnstile.locked:PUSH:9' names no mutant of turnstile (did you mean 'drop-guard turnstile.locked:PUSH:0'?): 'lifecycle mutate <machine> --list' lists its 20 mutants",
    );
  });
});

describe('the harness hook', () => {
  const steps = [{ event: { type: 'COIN' }, state: 'unlocking' as const }];

  it('runs a path against the machine, or against the mutant LIFECYCLE_MUTANT names', async () => {
    await (await createPathRunner({ machine: FIXTURE }))('coin', steps, 'locked');
    process.env.LIFECYCLE_MUTANT = RETARGET;
    const run = await createPathRunner({ machine: FIXTURE });
    await expect(run('coin', steps, 'locked')).rejects.toThrow('expected state unlocking, got open');
  });

  it('fails the suite at once on an unknown id', async () => {
    process.env.LIFECYCLE_MUTANT = 'negate-guard nowhere';
    await expect(createPathRunner({ machine: FIXTURE })).rejects.toThrow("LIFECYCLE_MUTANT 'negate-guard nowhere' names no mutant of turnstile");
  });
});
