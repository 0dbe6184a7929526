/**
 * Regression metrics as scikit-learn 1.2, with sample weights: RMSE, MSE, MAE, MAPE, R².
 */
import { DataError } from '../../core/errors.ts';
import { checkPair } from './check.ts';
import type { WeightOptions } from './roc-auc.ts';

/**
 * Mean squared error, (weighted) mean of (y - ŷ)².
 *
 * @example
 * mse(new Float64Array([1, 2]), new Float64Array([1, 4])); // 2
 */
export function mse(yTrue: Float64Array, yPred: Float64Array, options: WeightOptions = {}): number {
  const total = checkPair('mse', 'yTrue', yTrue, 'yPred', yPred, options.sampleWeight);
  const w = options.sampleWeight;
  let s = 0;
  for (let i = 0; i < yTrue.length; i++) {
    const d = yTrue[i]! - yPred[i]!;
    s += w === undefined ? d * d : w[i]! * d * d;
  }
  return s / total;
}

/**
 * Root mean squared error, sqrt(mse) (sklearn's `mean_squared_error(squared=False)`).
 *
 * @example
 * rmse(new Float64Array([1, 2]), new Float64Array([1, 4])); // 1.4142...
 */
export function rmse(yTrue: Float64Array, yPred: Float64Array, options: WeightOptions = {}): number {
  checkPair('rmse', 'yTrue', yTrue, 'yPred', yPred, options.sampleWeight);
  return Math.sqrt(mse(yTrue, yPred, options));
}

/**
 * Mean absolute error, (weighted) mean of |y - ŷ|.
 *
 * @example
 * mae(new Float64Array([1, 2]), new Float64Array([2, 4])); // 1.5
 */
export function mae(yTrue: Float64Array, yPred: Float64Array, options: WeightOptions = {}): number {
  const total = checkPair('mae', 'yTrue', yTrue, 'yPred', yPred, options.sampleWeight);
  const w = options.sampleWeight;
  let s = 0;
  for (let i = 0; i < yTrue.length; i++) {
    const d = Math.abs(yTrue[i]! - yPred[i]!);
    s += w === undefined ? d : w[i]! * d;
  }
  return s / total;
}

/**
 * Mean absolute percentage error as a fraction (not x100): (weighted) mean of
 * |y - ŷ| / max(|y|, machine epsilon). As in scikit-learn, a true value of 0 gives a huge
 * term rather than an error.
 *
 * @example
 * mape(new Float64Array([100, 200]), new Float64Array([110, 180])); // 0.1
 */
export function mape(yTrue: Float64Array, yPred: Float64Array, options: WeightOptions = {}): number {
  const total = checkPair('mape', 'yTrue', yTrue, 'yPred', yPred, options.sampleWeight);
  const w = options.sampleWeight;
  let s = 0;
  for (let i = 0; i < yTrue.length; i++) {
    const y = yTrue[i]!;
    const d = Math.abs(yPred[i]! - y) / Math.max(Math.abs(y), Number.EPSILON);
    s += w === undefined ? d : w[i]! * d;
  }
  return s / total;
}

/**
 * Coefficient of determination R² = 1 - SS_res / SS_tot (weighted). As scikit-learn's
 * default (force_finite): a constant yTrue gives 1 for perfect predictions, else 0.
 * Needs at least two rows.
 *
 * @example
 * r2(new Float64Array([1, 2, 3]), new Float64Array([1, 2, 4])); // 0.5
 */
export function r2(yTrue: Float64Array, yPred: Float64Array, options: WeightOptions = {}): number {
  const total = checkPair('r2', 'yTrue', yTrue, 'yPred', yPred, options.sampleWeight);
  const n = yTrue.length;
  if (n < 2) {
    throw new DataError('r2: R² is not defined with fewer than two rows', {
      hint: 'Evaluate on at least two rows.',
      context: { metric: 'r2', argument: 'yTrue' },
    });
  }
  const w = options.sampleWeight;
  let mean = 0;
  for (let i = 0; i < n; i++) mean += w === undefined ? yTrue[i]! : w[i]! * yTrue[i]!;
  mean /= total;
  let num = 0;
  let den = 0;
  for (let i = 0; i < n; i++) {
    const wi = w === undefined ? 1 : w[i]!;
    const r = yTrue[i]! - yPred[i]!;
    const c = yTrue[i]! - mean;
    num += wi * r * r;
    den += wi * c * c;
  }
  if (num === 0) return 1;
  if (den === 0) return 0;
  return 1 - num / den;
}
