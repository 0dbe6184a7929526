/**
 * Brier score as scikit-learn 1.2's `brier_score_loss`: the (weighted) mean squared
 * difference between the binary label and the predicted probability of class 1.
 */
import { checkBinaryLabels, checkPair, checkProbabilities } from './check.ts';
import type { WeightOptions } from './roc-auc.ts';

/**
 * @example
 * brierScore(new Float64Array([0, 1, 1]), new Float64Array([0.1, 0.9, 0.8])); // (0.01 + 0.01 + 0.04) / 3 = 0.02
 */
export function brierScore(yTrue: Float64Array, yProb: Float64Array, options: WeightOptions = {}): number {
  const total = checkPair('brierScore', 'yTrue', yTrue, 'yProb', yProb, options.sampleWeight);
  checkBinaryLabels('brierScore', 'yTrue', yTrue);
  checkProbabilities('brierScore', 'yProb', yProb);
  const w = options.sampleWeight;
  let s = 0;
  for (let i = 0; i < yTrue.length; i++) {
    const d = yTrue[i]! - yProb[i]!;
    s += w === undefined ? d * d : w[i]! * d * d;
  }
  return s / total;
}
