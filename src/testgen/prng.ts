/**
 * The seeded generator behind `testgen --strategy random`: mulberry32 (a 32-bit state, a period of 2^32, good
 * enough to pick among a handful of events), keyed by murmur3's finaliser so that `(seed, walk)` pairs get
 * unrelated streams. It is ours, not fast-check's, because a committed walk file must stay the same for the same
 * seed: the values fast-check draws for a seed are no promise across its versions, and an upgrade would make every
 * committed suite stale. (Shrinking is ours for another reason: see shrink.ts.)
 */
export interface Random {
  /** A float in [0, 1). */
  next(): number;
  /** A whole number in [0, n). */
  below(n: number): number;
}

/** Largest seed: seeds are 32-bit. */
export const MAX_SEED = 0xffff_ffff;

/**
 * A generator for the given keys, e.g. `seededRandom(seed, walk)`: walk 3 of seed 7 draws the same numbers
 * whatever the number of walks, so `--walks 5` and `--walks 10` share their first five walks.
 */
export function seededRandom(...keys: number[]): Random {
  let state = 0x9e37_79b9;
  for (const key of keys) state = fmix32((state ^ (key >>> 0)) >>> 0);
  const next = (): number => {
    state = (state + 0x6d2b_79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 0x1_0000_0000;
  };
  return { next, below: (n) => Math.floor(next() * n) };
}

function fmix32(h: number): number {
  h = Math.imul(h ^ (h >>> 16), 0x85eb_ca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2_ae35);
  return (h ^ (h >>> 16)) >>> 0;
}
