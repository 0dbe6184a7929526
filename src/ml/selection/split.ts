/**
 * The one shape every splitter returns: row indices of the training and the test part, each sorted
 * ascending (as scikit-learn's splitters return them). Cross-validation is a list of these.
 *
 * @example
 * const folds = kFold(frame.numRows, { k: 5, shuffle: true, seed: 1 });
 * for (const { train, test } of folds) fit(frame.take(train)).score(frame.take(test));
 */
import { DataError } from '../../core/errors.ts';

export interface Split {
  readonly train: Int32Array;
  readonly test: Int32Array;
}

/** Splits from a fold id per row: fold f tests its own rows and trains on all the others. */
export function splitsFromAssignment(fold: Int32Array, k: number, who: string): Split[] {
  const sizes = new Int32Array(k);
  for (let i = 0; i < fold.length; i++) sizes[fold[i]!]!++;
  const out: Split[] = [];
  for (let f = 0; f < k; f++) {
    if (sizes[f] === 0) throw new DataError(`${who}: fold ${f} is empty`, { context: { fold: f }, hint: 'Use fewer folds or more rows.' });
    const test = new Int32Array(sizes[f]!);
    const train = new Int32Array(fold.length - sizes[f]!);
    for (let i = 0, a = 0, b = 0; i < fold.length; i++) {
      if (fold[i] === f) test[a++] = i; else train[b++] = i;
    }
    out.push({ train, test });
  }
  return out;
}

/** Checks a split has rows on both sides; the error names the fold. */
export function checkSplit(split: Split, where: string): void {
  if (split.test.length === 0) throw new DataError(`${where}: the test part is empty`, { hint: 'Use fewer folds, a larger test size, or more rows.' });
  if (split.train.length === 0) throw new DataError(`${where}: the training part is empty`, { hint: 'Use fewer folds, a smaller test size or gap, or more rows.' });
}

/** Resolves a test size given as a fraction (0 < s < 1) or a row count (s >= 1). */
export function testCount(n: number, testSize: number, who: string): number {
  if (!(testSize > 0) || (testSize >= 1 && !Number.isInteger(testSize))) {
    throw new DataError(`${who}: testSize must be a fraction in (0, 1) or a whole number of rows, got ${testSize}`);
  }
  const nTest = testSize < 1 ? Math.ceil(testSize * n) : testSize;
  if (nTest >= n) throw new DataError(`${who}: testSize ${testSize} leaves no training rows out of ${n}`, { hint: 'Use a smaller testSize.' });
  if (nTest === 0) throw new DataError(`${who}: testSize ${testSize} of ${n} rows leaves the test part empty`, { hint: 'Use a larger testSize or more rows.' });
  return nTest;
}

export function sortedIndices(rows: ArrayLike<number>): Int32Array {
  return Int32Array.from(rows).sort();
}
