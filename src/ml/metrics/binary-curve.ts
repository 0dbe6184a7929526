/**
 * The cumulative counts behind every threshold curve (scikit-learn's `_binary_clf_curve`):
 * for each distinct score, from the highest down, the weight of positives (tps) and of
 * negatives (fps) scored at or above it. Ties form one point, so tied scores count half
 * right and half wrong in the AUC, exactly as scikit-learn. Zero-weight rows are dropped.
 *
 * @example
 * const c = binaryCurve('rocAuc', new Float64Array([0, 1, 1]), new Float64Array([0.2, 0.8, 0.2]), undefined);
 * // c.thresholds = [0.8, 0.2], c.tps = [1, 2], c.fps = [0, 1]
 */
import { DataError } from '../../core/errors.ts';
import { checkBinaryLabels, checkPair } from './check.ts';
import { argsortAscending } from './sort.ts';

export interface BinaryCurve {
  /** Weight of negatives with score >= thresholds[k]; increasing, fps[last] is the total. */
  fps: Float64Array;
  /** Weight of positives with score >= thresholds[k]; increasing, tps[last] is the total. */
  tps: Float64Array;
  /** Distinct scores, decreasing. */
  thresholds: Float64Array;
}

/** Validates (binary labels, finite scores, weights) and accumulates the curve. */
export function binaryCurve(
  metric: string,
  yTrue: Float64Array,
  yScore: Float64Array,
  sampleWeight: Float64Array | undefined,
): BinaryCurve {
  checkPair(metric, 'yTrue', yTrue, 'yScore', yScore, sampleWeight);
  checkBinaryLabels(metric, 'yTrue', yTrue);
  const order = argsortAscending(yScore);
  const n = order.length;
  const fps = new Float64Array(n);
  const tps = new Float64Array(n);
  const thresholds = new Float64Array(n);
  let m = 0;
  let tp = 0;
  let fp = 0;
  let current = NaN;
  let started = false;
  // Walking the stable ascending order backwards reproduces numpy's mergesort[::-1], so
  // weighted cumulative sums add up in the same order as scikit-learn's.
  for (let k = n - 1; k >= 0; k--) {
    const i = order[k]!;
    const w = sampleWeight === undefined ? 1 : sampleWeight[i]!;
    if (w === 0) continue;
    const s = yScore[i]!;
    if (started && s !== current) {
      fps[m] = fp; tps[m] = tp; thresholds[m] = current; m++;
    }
    started = true;
    current = s;
    if (yTrue[i] === 1) tp += w; else fp += w;
  }
  fps[m] = fp; tps[m] = tp; thresholds[m] = current; m++;
  return { fps: fps.slice(0, m), tps: tps.slice(0, m), thresholds: thresholds.slice(0, m) };
}

/** Throws when the positive or the negative class carries no weight. */
export function requireBothClasses(metric: string, curve: BinaryCurve): void {
  const last = curve.tps.length - 1;
  const pos = curve.tps[last]!;
  const neg = curve.fps[last]!;
  if (pos > 0 && neg > 0) return;
  const present = pos > 0 ? 1 : 0;
  throw new DataError(`${metric}: yTrue contains only class ${present}; the score is not defined with a single class`, {
    hint: 'Evaluate on a sample that holds both positives and negatives (check the split or the filter).',
    context: { metric, argument: 'yTrue' },
  });
}
