/**
 * Which mutants a run takes: a seeded sample (`--max`, `--seed`) and a shard of it (`--shard i/n`). Both are pure
 * functions of the enumerated list, so every machine of a CI matrix picks the same sample and its own part of it.
 */

export interface Shard {
  /** 1-based. */
  index: number;
  count: number;
}

/** The part of `items` a run takes: a sample of `max` (by `seed`, default 1), then its shard. */
export function select<T>(items: readonly T[], options: { max?: number; seed?: number; shard?: Shard }): { picked: T[]; mine: T[] } {
  const picked = options.max !== undefined ? sample(items, options.max, options.seed ?? 1) : [...items];
  return { picked, mine: options.shard ? shardOf(picked, options.shard) : picked };
}

/** `max` items picked with a seeded shuffle, kept in their original order; all of them when `max` is not less. */
export function sample<T>(items: readonly T[], max: number, seed: number): T[] {
  if (max >= items.length) return [...items];
  const random = mulberry32(seed);
  const order = items.map((_, i) => i);
  for (let i = order.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  return order
    .slice(0, max)
    .sort((a, b) => a - b)
    .map((i) => items[i]!);
}

/** Shard `index` of `count`: every count-th item from the index-th, so each shard gets a bit of every operator. */
export function shardOf<T>(items: readonly T[], shard: Shard): T[] {
  return items.filter((_, k) => k % shard.count === shard.index - 1);
}

/** `2/4` → `{ index: 2, count: 4 }`; undefined when it is not `i/n` with 1 ≤ i ≤ n. */
export function parseShard(text: string): Shard | undefined {
  const m = /^(\d+)\/(\d+)$/.exec(text.trim());
  if (!m) return undefined;
  const [index, count] = [Number(m[1]), Number(m[2])];
  return index >= 1 && index <= count ? { index, count } : undefined;
}

/** A small seeded generator (Mulberry32): the same seed gives the same sample on every machine and Node version. */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
