/**
 * Bootstrap samples as integer weights. A row's count in tree t's sample is Poisson(rate) (the
 * large-n limit of drawing rate * n rows with replacement: about 63% of rows in the bag at rate 1),
 * drawn by inverting the Poisson distribution at a counter-based hash of (seed, tree, row).
 *
 * Why a hash and not a sequential generator: a row's count is a pure function of (seed, tree,
 * row), so the out-of-bag rows of any tree can be recomputed by any thread for any row range
 * (the OOB pass runs over row blocks, not trees), and nothing depends on thread count or order.
 *
 * @example
 * const table = poissonTable(1);
 * const key = treeKey(seed, t);
 * const count = bootstrapCount(table, uniformOf(key, row)); // 0, 1, 2, ...
 */
import { mix32, streamKey } from '../trees/sampling.ts';

/** Cumulative Poisson(rate) probabilities P(X <= k), k = 0.. until the tail is below 1e-15. */
export function poissonTable(rate: number): Float64Array {
  const cdf: number[] = [];
  let p = Math.exp(-rate);
  let c = p;
  for (let k = 0; c < 1 - 1e-15 && k < 64; k++) {
    cdf.push(c);
    p *= rate / (k + 1);
    c += p;
  }
  cdf.push(1);
  return Float64Array.from(cdf);
}

/** The count whose cumulative interval holds u (u in [0, 1)). */
export function bootstrapCount(table: Float64Array, u: number): number {
  let k = 0;
  while (u >= table[k]!) k++;
  return k;
}

/** The bootstrap stream of tree t. */
export function treeKey(seed: number, tree: number): number {
  return streamKey(seed, tree);
}

/** The feature-sampling seed of tree t (a stream apart from the bootstrap's). */
export function treeFeatureSeed(seed: number, tree: number): number {
  return mix32(streamKey(seed, tree) ^ 0x6a09e667);
}
