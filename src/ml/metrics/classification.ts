/**
 * Label metrics as scikit-learn 1.2: accuracy, confusion matrix, precision, recall, F1
 * (binary, macro, micro, weighted), with sample weights. Labels are any finite numbers
 * (typically class codes); the label set is the sorted union of yTrue and yPred.
 * A ratio with a zero denominator is `zeroDivision` (0 by default, scikit-learn's "warn").
 */
import { DataError } from '../../core/errors.ts';
import { checkPair } from './check.ts';

export interface AccuracyOptions {
  sampleWeight?: Float64Array;
  /** Fraction (true, default) or (weighted) count (false) of correct predictions. */
  normalize?: boolean;
}

/**
 * Fraction of rows whose predicted label equals the true label.
 *
 * @example
 * accuracy(new Float64Array([0, 1, 2, 2]), new Float64Array([0, 2, 2, 2])); // 0.75
 */
export function accuracy(yTrue: Float64Array, yPred: Float64Array, options: AccuracyOptions = {}): number {
  const total = checkPair('accuracy', 'yTrue', yTrue, 'yPred', yPred, options.sampleWeight);
  const w = options.sampleWeight;
  let correct = 0;
  for (let i = 0; i < yTrue.length; i++) {
    if (yTrue[i] === yPred[i]) correct += w === undefined ? 1 : w[i]!;
  }
  return (options.normalize ?? true) ? correct / total : correct;
}

/** Sorted distinct values of both arrays. */
function unionLabels(a: Float64Array, b: Float64Array): Float64Array {
  const set = new Set<number>();
  // +0 and -0 are the same label, as in numpy.
  for (let i = 0; i < a.length; i++) set.add(a[i]! + 0);
  for (let i = 0; i < b.length; i++) set.add(b[i]! + 0);
  return Float64Array.from(set).sort();
}

/** Maps each label value to its position in `labels` (or -1 when it is not listed). */
function labelIndex(labels: Float64Array): (v: number) => number {
  const map = new Map<number, number>();
  for (let j = 0; j < labels.length; j++) map.set(labels[j]! + 0, j);
  return (v) => map.get(v + 0) ?? -1;
}

export interface ConfusionMatrixOptions {
  sampleWeight?: Float64Array;
  /** Labels (rows and columns, in this order); default the sorted union of yTrue and yPred. Others are ignored. */
  labels?: ArrayLike<number>;
  /** Divide by row sums ('true'), column sums ('pred') or the total ('all'); empty rows stay 0. */
  normalize?: 'true' | 'pred' | 'all';
}

export interface ConfusionMatrix {
  labels: Float64Array;
  /** Row-major k x k: matrix[i * k + j] = (weighted) count of true label i predicted as j. */
  matrix: Float64Array;
}

/**
 * Confusion matrix (rows are true labels, columns predicted labels), as sklearn's `confusion_matrix`.
 *
 * @example
 * confusionMatrix(new Float64Array([0, 1, 1]), new Float64Array([0, 0, 1])).matrix; // [1, 0, 1, 1]
 */
export function confusionMatrix(yTrue: Float64Array, yPred: Float64Array, options: ConfusionMatrixOptions = {}): ConfusionMatrix {
  checkPair('confusionMatrix', 'yTrue', yTrue, 'yPred', yPred, options.sampleWeight);
  const labels = options.labels === undefined ? unionLabels(yTrue, yPred) : Float64Array.from(options.labels);
  if (labels.length === 0) {
    throw new DataError('confusionMatrix: labels is empty', { hint: 'Pass at least one label, or omit labels.', context: { metric: 'confusionMatrix', argument: 'labels' } });
  }
  const k = labels.length;
  const index = labelIndex(labels);
  const matrix = new Float64Array(k * k);
  const w = options.sampleWeight;
  for (let i = 0; i < yTrue.length; i++) {
    const t = index(yTrue[i]!);
    const p = index(yPred[i]!);
    if (t < 0 || p < 0) continue;
    matrix[t * k + p]! += w === undefined ? 1 : w[i]!;
  }
  const norm = options.normalize;
  if (norm !== undefined) {
    const div = (cell: number, d: number): number => (d === 0 ? 0 : cell / d);
    if (norm === 'all') {
      let s = 0;
      for (let c = 0; c < k * k; c++) s += matrix[c]!;
      for (let c = 0; c < k * k; c++) matrix[c] = div(matrix[c]!, s);
    } else {
      const sums = new Float64Array(k);
      for (let r = 0; r < k; r++) for (let c = 0; c < k; c++) sums[norm === 'true' ? r : c]! += matrix[r * k + c]!;
      for (let r = 0; r < k; r++) for (let c = 0; c < k; c++) matrix[r * k + c] = div(matrix[r * k + c]!, sums[norm === 'true' ? r : c]!);
    }
  }
  return { labels, matrix };
}

export type Average = 'binary' | 'macro' | 'micro' | 'weighted';

export interface PrfOptions {
  sampleWeight?: Float64Array;
  /** Default 'binary' (scikit-learn's default): the scores of `posLabel` only. */
  average?: Average;
  /** Positive label for average 'binary'; default 1. */
  posLabel?: number;
  /** Value of a ratio whose denominator is zero: 0 (default) or 1. */
  zeroDivision?: 0 | 1;
}

export interface PrecisionRecallF1 {
  precision: number;
  recall: number;
  f1: number;
  /** Per-label scores behind the average (one label for 'binary', all labels otherwise). */
  perLabel: { labels: Float64Array; precision: Float64Array; recall: Float64Array; f1: Float64Array; support: Float64Array };
}

/**
 * Precision, recall and F1 in one pass, as sklearn's `precision_recall_fscore_support`.
 *
 * @example
 * const s = precisionRecallF1(new Float64Array([0, 1, 1, 1]), new Float64Array([1, 1, 0, 1]));
 * // s.precision = 2/3, s.recall = 2/3, s.f1 = 2/3
 */
export function precisionRecallF1(yTrue: Float64Array, yPred: Float64Array, options: PrfOptions = {}): PrecisionRecallF1 {
  const metric = 'precisionRecallF1';
  checkPair(metric, 'yTrue', yTrue, 'yPred', yPred, options.sampleWeight);
  const average = options.average ?? 'binary';
  const zd = options.zeroDivision ?? 0;
  const present = unionLabels(yTrue, yPred);
  let labels = present;
  if (average === 'binary') {
    const pos = options.posLabel ?? 1;
    if (present.length > 2) {
      throw new DataError(`${metric}: average 'binary' needs at most two labels but found ${present.length} (${Array.from(present.slice(0, 5)).join(', ')}${present.length > 5 ? ', ...' : ''})`, {
        hint: "Use average 'macro', 'micro' or 'weighted' for multiclass labels.",
        context: { metric, argument: 'average' },
      });
    }
    if (present.length === 2 && !present.includes(pos)) {
      throw new DataError(`${metric}: posLabel ${pos} is not one of the labels ${present[0]}, ${present[1]}`, {
        hint: 'Set posLabel to the label of the positive class.',
        context: { metric, argument: 'posLabel' },
      });
    }
    labels = Float64Array.of(pos);
  }
  const k = labels.length;
  const index = labelIndex(labels);
  const tp = new Float64Array(k);
  const predSum = new Float64Array(k);
  const trueSum = new Float64Array(k);
  const w = options.sampleWeight;
  for (let i = 0; i < yTrue.length; i++) {
    const wi = w === undefined ? 1 : w[i]!;
    const t = index(yTrue[i]!);
    const p = index(yPred[i]!);
    if (t >= 0) trueSum[t]! += wi;
    if (p >= 0) predSum[p]! += wi;
    if (t >= 0 && t === p) tp[t]! += wi;
  }
  const ratio = (num: number, den: number): number => (den === 0 ? zd : num / den);
  const fscore = (p: number, r: number): number => { const d = p + r; return d === 0 ? 0 : (2 * p * r) / d; };
  const precision = new Float64Array(k);
  const recall = new Float64Array(k);
  const f1 = new Float64Array(k);
  for (let j = 0; j < k; j++) {
    precision[j] = ratio(tp[j]!, predSum[j]!);
    recall[j] = ratio(tp[j]!, trueSum[j]!);
    f1[j] = fscore(precision[j]!, recall[j]!);
  }
  const perLabel = { labels, precision, recall, f1, support: trueSum };
  if (average === 'micro') {
    let a = 0, b = 0, c = 0;
    for (let j = 0; j < k; j++) { a += tp[j]!; b += predSum[j]!; c += trueSum[j]!; }
    const p = ratio(a, b);
    const r = ratio(a, c);
    return { precision: p, recall: r, f1: fscore(p, r), perLabel };
  }
  if (average === 'weighted') {
    let ws = 0, ps = 0;
    for (let j = 0; j < k; j++) { ws += trueSum[j]!; ps += predSum[j]!; }
    if (ws === 0) {
      // scikit-learn's special case: no true rows in any label.
      return ps === 0 ? { precision: zd, recall: zd, f1: zd, perLabel } : { precision: 0, recall: zd, f1: 0, perLabel };
    }
    let p = 0, r = 0, f = 0;
    for (let j = 0; j < k; j++) { const wj = trueSum[j]!; p += precision[j]! * wj; r += recall[j]! * wj; f += f1[j]! * wj; }
    return { precision: p / ws, recall: r / ws, f1: f / ws, perLabel };
  }
  let p = 0, r = 0, f = 0;
  for (let j = 0; j < k; j++) { p += precision[j]!; r += recall[j]!; f += f1[j]!; }
  return { precision: p / k, recall: r / k, f1: f / k, perLabel };
}

/**
 * Precision: of the rows predicted positive, the fraction truly positive.
 *
 * @example
 * precision(new Float64Array([0, 1, 1]), new Float64Array([1, 1, 0])); // 0.5
 */
export function precision(yTrue: Float64Array, yPred: Float64Array, options: PrfOptions = {}): number {
  return precisionRecallF1(yTrue, yPred, options).precision;
}

/**
 * Recall: of the truly positive rows, the fraction predicted positive.
 *
 * @example
 * recall(new Float64Array([0, 1, 1]), new Float64Array([1, 1, 0])); // 0.5
 */
export function recall(yTrue: Float64Array, yPred: Float64Array, options: PrfOptions = {}): number {
  return precisionRecallF1(yTrue, yPred, options).recall;
}

/**
 * F1: harmonic mean of precision and recall (per label, then averaged as `average` says).
 *
 * @example
 * f1(new Float64Array([0, 1, 2, 2]), new Float64Array([0, 2, 2, 2]), { average: 'macro' }); // 0.6
 */
export function f1(yTrue: Float64Array, yPred: Float64Array, options: PrfOptions = {}): number {
  return precisionRecallF1(yTrue, yPred, options).f1;
}
