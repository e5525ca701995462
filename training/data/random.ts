/**
 * Seeded randomness shared by data splitting, synthetic data and training, so that every run is reproducible from
 * its seed. xoshiro128** (Blackman & Vigna) has a 2^128 - 1 period and passes BigCrush; its state is filled from
 * the seed with splitmix32 so that nearby seeds give unrelated streams.
 */

/** Uniform in [0, 1). */
export type Rng = () => number;

function splitmix32(state: number): () => number {
  return () => {
    state = (state + 0x9e3779b9) | 0;
    let z = state;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    return (z ^ (z >>> 16)) >>> 0;
  };
}

/** A reproducible uniform [0, 1) generator; `seed` is any safe integer (negative and > 2^32 seeds are distinct). */
export function createRng(seed: number): Rng {
  if (!Number.isSafeInteger(seed)) throw new RangeError(`seed must be a safe integer, got ${seed}`);
  const lo = seed >>> 0;
  const hi = Math.floor(seed / 0x1_0000_0000) >>> 0;
  const mix = splitmix32(lo ^ Math.imul(hi, 0x27d4eb2d));
  let a = mix();
  let b = mix();
  let c = mix();
  let d = mix();
  if ((a | b | c | d) === 0) a = 1; // the all-zero state is a fixed point
  return () => {
    const result = Math.imul(rotl(Math.imul(b, 5), 7), 9) >>> 0;
    const t = b << 9;
    c ^= a;
    d ^= b;
    b ^= c;
    a ^= d;
    c ^= t;
    d = rotl(d, 11);
    return result / 0x1_0000_0000;
  };
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

/** Uniform integer in [0, n). */
export function randomInt(rng: Rng, n: number): number {
  return Math.floor(rng() * n);
}

/** Standard normal draw (Box-Muller; the second value is discarded to keep the generator stateless). */
export function randomNormal(rng: Rng): number {
  const u = 1 - rng(); // (0, 1], so log never sees 0
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rng());
}

export interface MutableArrayLike<T> {
  length: number;
  [index: number]: T;
}

/** Fisher-Yates shuffle; returns `arr` for chaining. Works on plain and typed arrays. */
export function shuffleInPlace<A extends MutableArrayLike<unknown>>(arr: A, rng: Rng): A {
  for (let i = arr.length - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1));
    const tmp = arr[i];
    arr[i] = arr[j];
    arr[j] = tmp;
  }
  return arr;
}
