/**
 * Deterministic randomness for subsampling. Row sampling is a counter-based hash of
 * (seed, iteration, row) rather than a sequential generator, so a row's fate does not depend on
 * which thread looks at it or in which order: the same seed gives the same model at any thread
 * count.
 *
 * @example
 * const key = streamKey(seed, iteration);
 * if (uniformOf(key, row) < 0.8) ...; // row is in this iteration's sample
 */

/** A 32-bit integer mixer (lowbias32): every input bit affects every output bit. */
export function mix32(x: number): number {
  x ^= x >>> 16;
  x = Math.imul(x, 0x7feb352d);
  x ^= x >>> 15;
  x = Math.imul(x, 0x846ca68b);
  x ^= x >>> 16;
  return x >>> 0;
}

/** The key of one random stream (e.g. one boosting iteration) under a seed. */
export function streamKey(seed: number, stream: number): number {
  return mix32(mix32(seed >>> 0) ^ Math.imul(stream + 1, 0x9e3779b9)) | 0;
}

/** Uniform in [0, 1) for item i of a stream. */
export function uniformOf(key: number, i: number): number {
  return mix32(key ^ Math.imul(i, 0x85ebca6b) ^ (i >>> 16)) / 4294967296;
}

export function hashUniform(seed: number, stream: number, i: number): number {
  return uniformOf(streamKey(seed, stream), i);
}

/** A small sequential generator (mulberry32) for decisions made once on the main thread. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** `count` distinct indices of 0..n-1 in ascending order, chosen by `random`. */
export function sampleIndices(n: number, count: number, random: () => number): Int32Array {
  const all = new Int32Array(n);
  for (let i = 0; i < n; i++) all[i] = i;
  for (let i = 0; i < count; i++) {
    const j = i + Math.floor(random() * (n - i));
    const t = all[i]!;
    all[i] = all[j]!;
    all[j] = t;
  }
  return all.subarray(0, count).sort();
}
