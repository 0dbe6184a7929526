/**
 * A small, fast, seeded PRNG (xoshiro128**, 32-bit state words) so every random choice in Sluice is
 * reproducible from an explicit seed.
 *
 * @example
 * const rng = new Rng(42);
 * rng.next(); // float in [0, 1)
 */
export class Rng {
  #s0: number; #s1: number; #s2: number; #s3: number;

  constructor(seed: number) {
    // splitmix32 expands one seed into four well-mixed state words.
    let x = seed >>> 0;
    const mix = (): number => {
      x = (x + 0x9e3779b9) >>> 0;
      let z = x;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.#s0 = mix(); this.#s1 = mix(); this.#s2 = mix(); this.#s3 = mix();
  }

  /** A uniform 32-bit unsigned integer. */
  nextUint32(): number {
    const result = Math.imul(rotl(Math.imul(this.#s1, 5) >>> 0, 7), 9) >>> 0;
    const t = (this.#s1 << 9) >>> 0;
    this.#s2 ^= this.#s0; this.#s3 ^= this.#s1; this.#s1 ^= this.#s2; this.#s0 ^= this.#s3;
    this.#s2 ^= t; this.#s3 = rotl(this.#s3, 11);
    this.#s0 >>>= 0; this.#s1 >>>= 0; this.#s2 >>>= 0; this.#s3 >>>= 0;
    return result;
  }

  /** A float in [0, 1). */
  next(): number { return this.nextUint32() / 4294967296; }

  /** An integer in [0, n). */
  int(n: number): number { return Math.floor(this.next() * n); }

  /** Fisher-Yates shuffle in place. */
  shuffle<T extends { length: number; [i: number]: unknown }>(a: T): T {
    for (let i = a.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const tmp = a[i]; a[i] = a[j]; a[j] = tmp;
    }
    return a;
  }
}

function rotl(x: number, k: number): number { return ((x << k) | (x >>> (32 - k))) >>> 0; }
