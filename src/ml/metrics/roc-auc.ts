/**
 * Area under the ROC curve and the ROC curve itself, as scikit-learn 1.2
 * (`roc_auc_score`, `roc_curve`) for binary labels, with sample weights.
 * O(n) after one O(n) radix argsort; ties between scores form one trapezoid.
 */
import { binaryCurve, requireBothClasses } from './binary-curve.ts';

export interface WeightOptions {
  /** Non-negative weight per row; zero-weight rows are ignored. */
  sampleWeight?: Float64Array;
}

export interface RocCurve {
  /** False positive rate at each threshold, increasing from 0 to 1. */
  fpr: Float64Array;
  /** True positive rate at each threshold, increasing from 0 to 1. */
  tpr: Float64Array;
  /**
   * Decreasing thresholds: a row is predicted positive when its score >= threshold.
   * thresholds[0] is max(score) + 1 (scikit-learn 1.2) so the curve starts at (0, 0).
   */
  thresholds: Float64Array;
}

/**
 * ROC AUC of scores against binary labels (1 = positive).
 * Throws a DataError on mismatched lengths, empty or non-finite input, labels other than 0/1,
 * or a single class.
 *
 * @example
 * rocAuc(new Float64Array([0, 0, 1, 1]), new Float64Array([0.1, 0.4, 0.35, 0.8])); // 0.75
 */
export function rocAuc(yTrue: Float64Array, yScore: Float64Array, options: WeightOptions = {}): number {
  const c = binaryCurve('rocAuc', yTrue, yScore, options.sampleWeight);
  requireBothClasses('rocAuc', c);
  const m = c.tps.length;
  // Trapezoids between consecutive distinct thresholds, normalized once at the end.
  let area = 0;
  let fpPrev = 0;
  let tpPrev = 0;
  for (let k = 0; k < m; k++) {
    const fp = c.fps[k]!;
    const tp = c.tps[k]!;
    area += (fp - fpPrev) * (tp + tpPrev);
    fpPrev = fp;
    tpPrev = tp;
  }
  return area / (2 * fpPrev * tpPrev);
}

export interface RocCurveOptions extends WeightOptions {
  /** Drop thresholds that are collinear on the curve (do not change the plot or the AUC). Default true. */
  dropIntermediate?: boolean;
}

/**
 * ROC curve points for plotting, identical to scikit-learn 1.2's `roc_curve`.
 *
 * @example
 * const { fpr, tpr } = rocCurve(new Float64Array([0, 0, 1, 1]), new Float64Array([0.1, 0.4, 0.35, 0.8]));
 * // fpr = [0, 0, 0.5, 0.5, 1], tpr = [0, 0.5, 0.5, 1, 1]
 */
export function rocCurve(yTrue: Float64Array, yScore: Float64Array, options: RocCurveOptions = {}): RocCurve {
  const c = binaryCurve('rocCurve', yTrue, yScore, options.sampleWeight);
  requireBothClasses('rocCurve', c);
  let { fps, tps, thresholds } = c;
  const m = fps.length;
  if ((options.dropIntermediate ?? true) && m > 2) {
    // Keep a point when the second difference of fps or tps is non-zero (a corner), as
    // scikit-learn computes it: a difference of differences, in floating point.
    const keep: number[] = [0];
    for (let j = 1; j < m - 1; j++) {
      const dfp = (fps[j + 1]! - fps[j]!) - (fps[j]! - fps[j - 1]!);
      const dtp = (tps[j + 1]! - tps[j]!) - (tps[j]! - tps[j - 1]!);
      if (dfp !== 0 || dtp !== 0) keep.push(j);
    }
    keep.push(m - 1);
    fps = Float64Array.from(keep, (j) => c.fps[j]!);
    tps = Float64Array.from(keep, (j) => c.tps[j]!);
    thresholds = Float64Array.from(keep, (j) => c.thresholds[j]!);
  }
  const k = fps.length;
  const fpr = new Float64Array(k + 1);
  const tpr = new Float64Array(k + 1);
  const th = new Float64Array(k + 1);
  const fpTotal = fps[k - 1]!;
  const tpTotal = tps[k - 1]!;
  th[0] = thresholds[0]! + 1;
  for (let j = 0; j < k; j++) {
    fpr[j + 1] = fps[j]! / fpTotal;
    tpr[j + 1] = tps[j]! / tpTotal;
    th[j + 1] = thresholds[j]!;
  }
  return { fpr, tpr, thresholds: th };
}
