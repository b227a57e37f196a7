/**
 * The names of the built-in lifecycles, in the order of `BUILTINS` (machines/index.ts), known without loading the
 * machines: a command given a user's machine does not create the four built-ins to tell it is not one of them.
 */
export const BUILTIN_NAMES: string[] = ['install', 'upgrade', 'preboot', 'operator'];
