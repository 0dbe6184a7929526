/**
 * Log loss (cross-entropy) as scikit-learn 1.2's `log_loss`: probabilities are clipped to
 * [eps, 1 - eps] (eps defaults to float64 machine epsilon, sklearn's "auto"), each row is
 * renormalized to sum to one, and the loss is the (weighted) mean of -log p(true class).
 */
import { DataError } from '../../core/errors.ts';
import { checkClassCodes, checkFinite, checkProbabilities, checkSampleWeight } from './check.ts';

export interface LogLossOptions {
  sampleWeight?: Float64Array;
  /** Clipping bound; default 2.220446049250313e-16 (Number.EPSILON, scikit-learn's eps="auto"). */
  eps?: number;
  /** Mean (true, default) or sum (false) of the per-row losses. */
  normalize?: boolean;
}

/**
 * Binary: `yProb` has one entry per row, P(class 1), and yTrue is 0/1.
 * Multiclass: `yProb` is row-major n x k (k = yProb.length / n) and yTrue holds class codes
 * 0..k-1. The classes are always 0..k-1, so a sample holding a single class is fine
 * (scikit-learn with `labels=range(k)`).
 *
 * @example
 * logLoss(new Float64Array([0, 1]), new Float64Array([0.2, 0.7])); // (-log 0.8 - log 0.7) / 2 = 0.2899...
 * logLoss(new Float64Array([2]), new Float64Array([0.1, 0.2, 0.7])); // -log 0.7
 */
export function logLoss(yTrue: Float64Array, yProb: Float64Array, options: LogLossOptions = {}): number {
  const metric = 'logLoss';
  const n = yTrue.length;
  checkFinite(metric, 'yTrue', yTrue);
  checkFinite(metric, 'yProb', yProb);
  if (yProb.length % n !== 0) {
    throw new DataError(`${metric}: yProb has ${yProb.length} values, not a multiple of the ${n} rows of yTrue`, {
      hint: 'Pass P(class 1) per row for binary labels, or a row-major n x k matrix of class probabilities.',
      context: { metric, argument: 'yProb' },
    });
  }
  checkClassCodes(metric, 'yTrue', yTrue);
  checkProbabilities(metric, 'yProb', yProb);
  const weightTotal = checkSampleWeight(metric, n, options.sampleWeight);
  const eps = options.eps ?? Number.EPSILON;
  if (!(eps >= 0 && eps < 0.5)) {
    throw new DataError(`${metric}: eps is ${eps}; it must be within [0, 0.5)`, { hint: 'Omit eps to use machine epsilon.', context: { metric, argument: 'eps' } });
  }
  const hi = 1 - eps;
  const clip = (p: number): number => (p < eps ? eps : p > hi ? hi : p);
  const k = yProb.length / n;
  const w = options.sampleWeight;
  let total = 0;
  if (k === 1) {
    for (let i = 0; i < n; i++) {
      const y = yTrue[i]!;
      if (y > 1) throw badClass(metric, i, y, 2);
      const p1 = clip(yProb[i]!);
      const p0 = 1 - p1;
      const s = p0 + p1;
      const loss = -Math.log((y === 1 ? p1 : p0) / s);
      total += w === undefined ? loss : loss * w[i]!;
    }
  } else {
    for (let i = 0; i < n; i++) {
      const y = yTrue[i]!;
      if (y >= k) throw badClass(metric, i, y, k);
      const row = i * k;
      let s = 0;
      for (let j = 0; j < k; j++) s += clip(yProb[row + j]!);
      const loss = -Math.log(clip(yProb[row + y]!) / s);
      total += w === undefined ? loss : loss * w[i]!;
    }
  }
  return (options.normalize ?? true) ? total / weightTotal : total;
}

function badClass(metric: string, i: number, y: number, k: number): DataError {
  return new DataError(`${metric}: yTrue[${i}] is class ${y} but yProb has probabilities for ${k} classes (0..${k - 1})`, {
    hint: k === 2 ? 'For binary labels yTrue must be 0 or 1.' : 'Pass one probability column per class, in class-code order.',
    context: { metric, argument: 'yTrue', index: i },
  });
}
