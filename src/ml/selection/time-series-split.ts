/**
 * Time-series cross-validation with an expanding window, as scikit-learn's TimeSeriesSplit: the
 * rows, in time order, end in k consecutive test blocks; each fold trains on everything before its
 * block minus `gap` rows (optionally only the latest `maxTrainSize`). Give `times` to order rows by
 * time first; otherwise the rows are taken to be in time order already.
 *
 * @example
 * const folds = timeSeriesSplit(frame.numRows, { k: 4, gap: 24, times: frame.numbers('hour') });
 */
import { DataError } from '../../core/errors.ts';
import type { Split } from './split.ts';

export interface TimeSeriesSplitOptions {
  /** Number of folds (default 5). */
  k?: number;
  /** Rows per test block (default n / (k + 1), rounded down). */
  testSize?: number;
  /** Rows left out between the end of training and the test block (default 0). */
  gap?: number;
  /** Keep at most this many of the latest training rows (a sliding window). */
  maxTrainSize?: number;
  /** A time per row: rows are ordered by it (stable) before cutting. */
  times?: ArrayLike<number>;
}

export function timeSeriesSplit(n: number, options: TimeSeriesSplitOptions = {}): Split[] {
  const k = options.k ?? 5;
  const gap = options.gap ?? 0;
  if (!Number.isInteger(k) || k < 2) throw new DataError(`time-series split: the number of folds must be an integer >= 2, got ${k}`);
  if (!Number.isInteger(gap) || gap < 0) throw new DataError(`time-series split: gap is a number of rows >= 0, got ${gap}`);
  if (k + 1 > n) throw new DataError(`time-series split: ${k} folds need at least ${k + 1} rows, got ${n}`, { hint: 'Use fewer folds.' });
  const testSize = options.testSize ?? Math.floor(n / (k + 1));
  if (!Number.isInteger(testSize) || testSize < 1) throw new DataError(`time-series split: testSize must be a whole number of rows >= 1, got ${testSize}`);
  if (n - gap - testSize * k <= 0) {
    throw new DataError(`time-series split: ${k} folds of ${testSize} test rows with a gap of ${gap} leave no training rows out of ${n}`, {
      hint: 'Use fewer folds, a smaller testSize or a smaller gap.',
    });
  }
  let order: Int32Array;
  if (options.times) {
    const t = options.times;
    if (t.length !== n) throw new DataError(`time-series split: times has ${t.length} values for ${n} rows`);
    for (let i = 0; i < n; i++) if (!Number.isFinite(t[i]!)) throw new DataError(`time-series split: the time is missing at row ${i}`, { context: { row: i } });
    order = Int32Array.from({ length: n }, (_, i) => i).sort((a, b) => t[a]! - t[b]! || a - b);
  } else {
    order = Int32Array.from({ length: n }, (_, i) => i);
  }
  const out: Split[] = [];
  for (let start = n - k * testSize; start < n; start += testSize) {
    const trainEnd = start - gap;
    const trainStart = options.maxTrainSize !== undefined && options.maxTrainSize < trainEnd ? trainEnd - options.maxTrainSize : 0;
    const train = Int32Array.from(order.subarray(trainStart, trainEnd));
    const test = Int32Array.from(order.subarray(start, start + testSize));
    // With `times` the positions map back to row numbers; keep each part ascending like the others.
    if (options.times) { train.sort(); test.sort(); }
    out.push({ train, test });
  }
  return out;
}
