import randexp from 'randexp';
import { seededRandom } from '../../testgen/prng.ts';

// randexp's module.exports is the class itself; its types describe an ES module whose default is the class.
const RandExp = randexp as unknown as typeof randexp.default;

/** Strings tried first, in this order: a guard's pattern is more often one of these kinds than not. */
const READABLE = [
  'sample',
  'Sample',
  'user@example.com',
  'https://example.com/',
  'http://127.0.0.1:8080/',
  '1.0.0',
  '2026-01-01',
  '2026-01-01T00:00:00.000Z',
  '12:00',
  '123456',
  '1234',
  '42',
  '1',
  'a',
  'A',
  'id-1',
  'abc-123',
  '#ff0000',
  '+1 555 0100',
  'Sample Name',
];

/** The seed of the generator randexp draws from. */
const REGEX_SEED = 0x5eed;

/** Longer patterns are not worth the time (nor a hostile one the risk). */
const MAX_SOURCE = 400;

/**
 * A string the pattern matches: the first readable one that does (`/^\d+$/` → '123456'), else one generated from
 * the pattern by randexp with a fixed seed (the same pattern always gives the same string) and repetitions bounded
 * to four past their minimum. Undefined when the pattern is invalid, too long, or nothing found matches (randexp
 * does not know lookarounds or back-references). Pure.
 *
 * @example
 * matchingString('^ORD-\\d{4}$', 'i'); // a string like 'ORD-3051'
 */
export function matchingString(source: string, flags = ''): string | undefined {
  if (source.length > MAX_SOURCE) return undefined;
  let re: RegExp;
  try {
    re = new RegExp(source, flags.replace(/[gy]/g, ''));
  } catch {
    return undefined;
  }
  const found = READABLE.find((s) => re.test(s));
  if (found !== undefined) return found;
  try {
    const gen = new RandExp(re);
    gen.max = 4;
    // Seeded: the same machine always gets the same samples (and the inference cache stays valid).
    const random = seededRandom(REGEX_SEED);
    gen.randInt = (a: number, b: number) => a + random.below(1 + b - a);
    const s = gen.gen();
    return s.length <= 256 && re.test(s) ? s : undefined;
  } catch {
    return undefined;
  }
}
