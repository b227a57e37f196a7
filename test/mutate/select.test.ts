import { describe, expect, it } from 'vitest';
import { parseShard, sample, shardOf } from '../../src/mutate/select.ts';

const items = Array.from({ length: 50 }, (_, i) => `m${i}`);

describe('sampling and sharding', () => {
  it('a seeded sample is the same every time, in the list order, and another seed picks others', () => {
    const a = sample(items, 10, 7);
    expect(a).toEqual(sample(items, 10, 7));
    expect(a).toHaveLength(10);
    expect([...a].sort((x, y) => items.indexOf(x) - items.indexOf(y))).toEqual(a);
    expect(sample(items, 10, 8)).not.toEqual(a);
    expect(sample(items, 60, 7)).toEqual(items);
  });

  it('shards partition the list: every item in exactly one', () => {
    const shards = [1, 2, 3, 4].map((index) => shardOf(items, { index, count: 4 }));
    expect(shards.flat().sort()).toEqual([...items].sort());
    expect(shards.map((s) => s.length)).toEqual([13, 13, 12, 12]);
    expect(shardOf(items, { index: 1, count: 1 })).toEqual(items);
  });

  it('reads i/n', () => {
    expect(parseShard('2/4')).toEqual({ index: 2, count: 4 });
    for (const bad of ['0/4', '5/4', '2', 'a/b', '2/0', '-1/3']) expect(parseShard(bad), bad).toBeUndefined();
  });
});
