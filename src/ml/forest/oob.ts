/**
 * Out-of-bag predictions: each training row is predicted by the trees whose bootstrap sample left
 * it out, which estimates the forest's error on new rows without a held-out set.
 *
 * A row's bootstrap count in a tree is a hash of (seed, tree, row) (bootstrap.ts), so any thread
 * can tell which trees left row r out; the pass runs over row blocks, each row summing its trees in
 * tree order, and the result does not depend on the thread count.
 *
 * @example
 * const acc = new OobAccumulator(flat, bins, F, seed, rate, skip);
 * acc.run(sums, counts, 0, n);
 * const { score, prediction } = oobResult('binary', label, sums, counts, 1);
 */
import { DataError } from '../../core/errors.ts';
import { uniformOf } from '../trees/sampling.ts';
import type { Task } from '../estimator.ts';
import { treeKey } from './bootstrap.ts';
import { leafOfRow, type FlatTrees } from './predict.ts';

const ROW_BLOCK = 512;

/**
 * Adds, for rows [from, to), the leaf values of the trees that left each row out to `sums`
 * (row-major, outputs per row) and counts those trees in `counts`. Trees flagged in `skip` (their
 * sample was every row) are left out.
 */
export function accumulateOob(
  flat: FlatTrees, bins: Uint8Array | Uint16Array, F: number, seed: number, rate: number, skip: Uint8Array,
  sums: Float64Array, counts: Float64Array, from: number, to: number,
): void {
  const K = flat.outputs;
  // Count 0 of Poisson(rate) is the interval u < exp(-rate) (bootstrapCount's first cell).
  const p0 = Math.exp(-rate);
  for (let r0 = from; r0 < to; r0 += ROW_BLOCK) {
    const r1 = Math.min(to, r0 + ROW_BLOCK);
    for (let t = 0; t < flat.numTrees; t++) {
      if (skip[t]) continue;
      const key = treeKey(seed, t);
      for (let r = r0; r < r1; r++) {
        if (uniformOf(key, r) >= p0) continue;
        const leaf = leafOfRow(flat, bins, r * F, t);
        for (let k = 0; k < K; k++) sums[r * K + k]! += flat.value[leaf * K + k]!;
        counts[r]!++;
      }
    }
  }
}

export interface OobResult {
  /** Accuracy (classification) or R² (regression) over the rows some tree left out. */
  score: number;
  /** Per row (outputs per row): mean out-of-bag prediction, NaN for rows every tree saw. */
  prediction: Float64Array;
  /** Rows with an out-of-bag prediction. */
  rows: number;
}

/** OOB predictions (sums / counts) and their score against the labels. */
export function oobResult(task: Task, label: Float64Array, sums: Float64Array, counts: Float64Array, outputs: number): OobResult {
  const n = label.length;
  const K = outputs;
  const prediction = new Float64Array(n * K);
  let rows = 0;
  let correct = 0;
  let mean = 0;
  for (let r = 0; r < n; r++) {
    const c = counts[r]!;
    if (c === 0) { prediction.fill(NaN, r * K, (r + 1) * K); continue; }
    for (let k = 0; k < K; k++) prediction[r * K + k] = sums[r * K + k]! / c;
    rows++;
    mean += label[r]!;
    if (task === 'binary') correct += (prediction[r]! > 0.5 ? 1 : 0) === label[r] ? 1 : 0;
    else if (task === 'multiclass') {
      let best = 0;
      for (let k = 1; k < K; k++) if (prediction[r * K + k]! > prediction[r * K + best]!) best = k;
      correct += best === label[r] ? 1 : 0;
    }
  }
  if (rows === 0) {
    throw new DataError(`random forest: no training row was left out of any tree's sample, so there is no out-of-bag score (${n} rows)`, {
      hint: 'Use more trees or a smaller maxSamples, or drop oobScore.',
    });
  }
  if (task !== 'regression') return { score: correct / rows, prediction, rows };
  mean /= rows;
  let ssRes = 0;
  let ssTot = 0;
  for (let r = 0; r < n; r++) {
    if (counts[r] === 0) continue;
    const e = label[r]! - prediction[r]!;
    const d = label[r]! - mean;
    ssRes += e * e;
    ssTot += d * d;
  }
  // As scikit-learn's r2_score: a constant label scores 1 when predicted exactly, else 0.
  const score = ssTot > 0 ? 1 - ssRes / ssTot : ssRes === 0 ? 1 : 0;
  return { score, prediction, rows };
}
