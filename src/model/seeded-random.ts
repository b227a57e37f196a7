/**
 * `Math.random` and `crypto.randomUUID` made repeatable while a path runs, in the model (when the suite is
 * generated) and in the test alike: a machine that names a request `req-${Math.random()...}` gets the same name in
 * both, so its context compares. Each path starts from the same seed; the real functions are back afterwards.
 */
export function seedRandom(seed = 1): () => void {
  let state = seed >>> 0;
  // mulberry32: small, fast, and the same sequence on every platform.
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const random = Math.random;
  const draw = next;
  const sequence = () => (aside > 0 ? random() : draw());
  const cryptoObject = globalThis.crypto as (Crypto & { randomUUID?: () => string }) | undefined;
  const uuid = cryptoObject?.randomUUID;
  Math.random = sequence;
  if (cryptoObject && uuid) {
    const hex = () => Math.floor(sequence() * 16).toString(16);
    const fake = () => `${Array.from({ length: 8 }, hex).join('')}-${Array.from({ length: 4 }, hex).join('')}-4${Array.from({ length: 3 }, hex).join('')}-a${Array.from({ length: 3 }, hex).join('')}-${Array.from({ length: 12 }, hex).join('')}`;
    Object.defineProperty(cryptoObject, 'randomUUID', { value: fake, configurable: true, writable: true });
  }
  return () => {
    Math.random = random;
    if (cryptoObject && uuid) Object.defineProperty(cryptoObject, 'randomUUID', { value: uuid, configurable: true, writable: true });
  };
}

let aside = 0;

/**
 * Runs `fn` without drawing from the seeded sequence: work the model does that the running machine does not (the
 * stepper's own actor, made to give actions a `self`, runs the context factory once more) must not shift it.
 */
export function asideFromSeed<T>(fn: () => T): T {
  aside++;
  try {
    return fn();
  } finally {
    aside--;
  }
}
