/**
 * Average precision (the area under the precision-recall step curve) and the
 * precision-recall curve, as scikit-learn 1.2 (`average_precision_score`,
 * `precision_recall_curve`) for binary labels, with sample weights.
 * AP = sum over thresholds of (R_k - R_{k-1}) * P_k: no interpolation, ties form one step.
 */
import { DataError } from '../../core/errors.ts';
import { binaryCurve, type BinaryCurve } from './binary-curve.ts';
import type { WeightOptions } from './roc-auc.ts';

export interface PrecisionRecallCurve {
  /** Precision at each threshold, then a final 1 (recall 0). */
  precision: Float64Array;
  /** Recall at each threshold (decreasing), then a final 0. */
  recall: Float64Array;
  /** Increasing distinct scores; one fewer than precision and recall. */
  thresholds: Float64Array;
}

function requirePositives(metric: string, c: BinaryCurve): void {
  if (c.tps[c.tps.length - 1]! > 0) return;
  throw new DataError(`${metric}: yTrue has no positive rows; precision and recall are not defined`, {
    hint: 'Evaluate on a sample that holds positives (label 1).',
    context: { metric, argument: 'yTrue' },
  });
}

/**
 * Average precision of scores against binary labels (1 = positive).
 * Throws a DataError on mismatched lengths, empty or non-finite input, labels other than 0/1,
 * or no positive row (scikit-learn warns and returns 0 there).
 *
 * @example
 * averagePrecision(new Float64Array([0, 0, 1, 1]), new Float64Array([0.1, 0.4, 0.35, 0.8])); // 0.8333...
 */
export function averagePrecision(yTrue: Float64Array, yScore: Float64Array, options: WeightOptions = {}): number {
  const c = binaryCurve('averagePrecision', yTrue, yScore, options.sampleWeight);
  requirePositives('averagePrecision', c);
  const m = c.tps.length;
  const tpTotal = c.tps[m - 1]!;
  let ap = 0;
  let recallPrev = 0;
  for (let k = 0; k < m; k++) {
    const tp = c.tps[k]!;
    const recall = tp / tpTotal;
    ap += (recall - recallPrev) * (tp / (tp + c.fps[k]!));
    recallPrev = recall;
  }
  return ap;
}

/**
 * Precision-recall curve points for plotting, identical to scikit-learn 1.2's
 * `precision_recall_curve` (thresholds increasing, a final (recall 0, precision 1) point).
 *
 * @example
 * const pr = precisionRecallCurve(new Float64Array([0, 0, 1, 1]), new Float64Array([0.1, 0.4, 0.35, 0.8]));
 * // pr.precision = [0.5, 0.667, 0.5, 1, 1], pr.recall = [1, 1, 0.5, 0.5, 0], pr.thresholds = [0.1, 0.35, 0.4, 0.8]
 */
export function precisionRecallCurve(yTrue: Float64Array, yScore: Float64Array, options: WeightOptions = {}): PrecisionRecallCurve {
  const c = binaryCurve('precisionRecallCurve', yTrue, yScore, options.sampleWeight);
  requirePositives('precisionRecallCurve', c);
  const m = c.tps.length;
  const tpTotal = c.tps[m - 1]!;
  const precision = new Float64Array(m + 1);
  const recall = new Float64Array(m + 1);
  const thresholds = new Float64Array(m);
  for (let k = 0; k < m; k++) {
    const j = m - 1 - k;
    const tp = c.tps[k]!;
    const ps = tp + c.fps[k]!;
    precision[j] = ps === 0 ? 0 : tp / ps;
    recall[j] = tp / tpTotal;
    thresholds[j] = c.thresholds[k]!;
  }
  precision[m] = 1;
  recall[m] = 0;
  return { precision, recall, thresholds };
}
