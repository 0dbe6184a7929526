/**
 * Fold assignment for k-fold and stratified k-fold: one fold id per row. It lives here, below the
 * model-selection layer, because out-of-fold target encoding needs it and features may not import ml;
 * `ml/selection` builds its splitters on these same functions.
 *
 * @example
 * kFoldAssignment(10, 3, { shuffle: false }); // Int32Array [0,0,0,0,1,1,1,2,2,2]
 */
import { Rng } from '../core/rng.ts';
import { DataError } from '../core/errors.ts';

export interface FoldAssignmentOptions {
  /** Shuffle before cutting folds (default true). */
  shuffle?: boolean;
  /** Seed of the shuffle (default 0). */
  seed?: number;
}

/**
 * scikit-learn's KFold: rows (shuffled with `seed` if asked) cut into k contiguous folds, the first
 * n % k of them one row larger.
 */
export function kFoldAssignment(n: number, k: number, options: FoldAssignmentOptions = {}): Int32Array {
  checkK(k, n, 'k-fold');
  const order = new Int32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  if (options.shuffle ?? true) new Rng(options.seed ?? 0).shuffle(order);
  const fold = new Int32Array(n);
  let start = 0;
  for (let f = 0; f < k; f++) {
    const size = Math.floor(n / k) + (f < n % k ? 1 : 0);
    for (let i = start; i < start + size; i++) fold[order[i]!] = f;
    start += size;
  }
  return fold;
}

/**
 * scikit-learn's StratifiedKFold (its 1.x allocation): classes numbered by first appearance, the
 * sorted class labels dealt round-robin to the folds to decide how many of each class every fold
 * gets, then each class's rows take their fold ids in row order (shuffled within the class if asked).
 * Every fold then holds each class in nearly the training proportion.
 */
export function stratifiedKFoldAssignment(labels: ArrayLike<number>, k: number, options: FoldAssignmentOptions = {}): Int32Array {
  const n = labels.length;
  checkK(k, n, 'stratified k-fold');
  const classOf = new Map<number, number>();
  const encoded = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const v = labels[i]!;
    if (Number.isNaN(v)) throw new DataError(`stratified k-fold: the label is missing at row ${i}`, { context: { row: i }, hint: 'Stratify on a label without missing values.' });
    let c = classOf.get(v);
    if (c === undefined) { c = classOf.size; classOf.set(v, c); }
    encoded[i] = c;
  }
  const nClasses = classOf.size;
  const counts = new Int32Array(nClasses);
  for (let i = 0; i < n; i++) counts[encoded[i]!]!++;
  if (counts.every((c) => c < k)) {
    throw new DataError(`stratified k-fold: ${k} folds but no class has that many rows (largest class: ${Math.max(...counts)})`, {
      hint: 'Use fewer folds, or plain k-fold.',
    });
  }
  // allocation[f][c]: rows of class c in fold f, from dealing the sorted labels round-robin.
  const allocation = Array.from({ length: k }, () => new Int32Array(nClasses));
  let pos = 0;
  for (let c = 0; c < nClasses; c++) {
    for (let j = 0; j < counts[c]!; j++, pos++) allocation[pos % k]![c]!++;
  }
  const rng = new Rng(options.seed ?? 0);
  const shuffle = options.shuffle ?? true;
  const fold = new Int32Array(n);
  for (let c = 0; c < nClasses; c++) {
    const ids = new Int32Array(counts[c]!);
    let p = 0;
    for (let f = 0; f < k; f++) for (let j = 0; j < allocation[f]![c]!; j++) ids[p++] = f;
    if (shuffle) rng.shuffle(ids);
    p = 0;
    for (let i = 0; i < n; i++) if (encoded[i] === c) fold[i] = ids[p++]!;
  }
  return fold;
}

function checkK(k: number, n: number, who: string): void {
  if (!Number.isInteger(k) || k < 2) throw new DataError(`${who}: the number of folds must be an integer >= 2, got ${k}`);
  if (k > n) {
    throw new DataError(`${who}: ${k} folds for ${n} rows would leave a fold empty`, { hint: `Use at most ${n} folds, or more rows.` });
  }
}
