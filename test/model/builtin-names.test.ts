import { describe, expect, it } from 'vitest';
import { BUILTINS } from '../../machines/index.ts';
import { BUILTIN_NAMES } from '../../machines/names.ts';

describe('BUILTIN_NAMES', () => {
  it('names the built-ins in the order of BUILTINS, so loadMachine can tell a name without loading them', () => {
    expect(BUILTIN_NAMES).toEqual(BUILTINS.map((b) => b.name));
  });
});
