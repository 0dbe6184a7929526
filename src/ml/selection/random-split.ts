/**
 * Random train/test split of n rows: the rows are shuffled with the seed, the last `testSize` of them
 * (a fraction, rounded up as scikit-learn's train_test_split does, or a count) are the test part.
 *
 * @example
 * const { train, test } = randomSplit(frame.numRows, { testSize: 0.2, seed: 42 });
 */
import { Rng } from '../../core/rng.ts';
import { DataError } from '../../core/errors.ts';
import { sortedIndices, testCount, type Split } from './split.ts';

export interface RandomSplitOptions {
  /** Fraction in (0, 1) or a row count; default 0.25. */
  testSize?: number;
  /** Seed of the shuffle (default 0). */
  seed?: number;
  /** false: the last rows, in order, are the test part (default true). */
  shuffle?: boolean;
}

export function randomSplit(n: number, options: RandomSplitOptions = {}): Split {
  if (!Number.isInteger(n) || n < 2) throw new DataError(`random split: needs at least 2 rows, got ${n}`);
  const nTest = testCount(n, options.testSize ?? 0.25, 'random split');
  const order = new Int32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  if (options.shuffle ?? true) new Rng(options.seed ?? 0).shuffle(order);
  return { train: sortedIndices(order.subarray(0, n - nTest)), test: sortedIndices(order.subarray(n - nTest)) };
}
