/**
 * Stratified train/test split: every class keeps (as nearly as whole rows allow) its share of the
 * rows in both parts. The test rows of each class are its rows shuffled with the seed, first come
 * first taken; the per-class counts round by largest remainder so they add up to the test size.
 *
 * @example
 * const { train, test } = stratifiedSplit(frame.numbers('late'), { testSize: 0.2, seed: 7 });
 */
import { Rng } from '../../core/rng.ts';
import { DataError } from '../../core/errors.ts';
import { classCodes } from './classes.ts';
import { sortedIndices, testCount, type Split } from './split.ts';

export interface StratifiedSplitOptions {
  /** Fraction in (0, 1) or a row count; default 0.25. */
  testSize?: number;
  /** Seed of the shuffle within each class (default 0). */
  seed?: number;
}

export function stratifiedSplit(labels: ArrayLike<number>, options: StratifiedSplitOptions = {}): Split {
  const n = labels.length;
  const { codes, nClasses, counts } = classCodes(labels, 'stratified split');
  const nTest = testCount(n, options.testSize ?? 0.25, 'stratified split');
  for (let c = 0; c < nClasses; c++) {
    if (counts[c]! < 2) {
      throw new DataError(`stratified split: a class has only ${counts[c]} row; each class needs at least 2 to appear on both sides`, {
        hint: 'Merge rare classes, or use a random split.',
      });
    }
  }
  if (nTest < nClasses || n - nTest < nClasses) {
    throw new DataError(`stratified split: ${nClasses} classes need at least ${nClasses} rows on each side (test ${nTest}, train ${n - nTest})`, { hint: 'Change testSize.' });
  }
  // Largest remainder: floor each class's exact share, then hand out the rest by largest fraction.
  const exact = Array.from(counts, (c) => (c * nTest) / n);
  const take = exact.map((e, c) => Math.min(Math.floor(e), counts[c]! - 1));
  let left = nTest - take.reduce((a, b) => a + b, 0);
  const byFraction = exact.map((e, c) => ({ c, r: e - Math.floor(e) })).sort((a, b) => b.r - a.r || a.c - b.c);
  for (let p = 0; left > 0; p = (p + 1) % nClasses) {
    const { c } = byFraction[p]!;
    if (take[c]! < counts[c]! - 1) { take[c]!++; left--; }
  }
  const rng = new Rng(options.seed ?? 0);
  const train: number[] = [], test: number[] = [];
  for (let c = 0; c < nClasses; c++) {
    const rows: number[] = [];
    for (let i = 0; i < n; i++) if (codes[i] === c) rows.push(i);
    rng.shuffle(rows);
    rows.forEach((r, j) => (j < take[c]! ? test : train).push(r));
  }
  return { train: sortedIndices(train), test: sortedIndices(test) };
}
