/** Held-out evaluation summaries built from the metrics. */
import { accuracy, brierScore, logLoss, rocAuc, averagePrecision } from './metrics/index.ts';

export interface BinaryMetrics {
  [name: string]: number;
  auc: number;
  logLoss: number;
  brier: number;
  accuracy: number;
  averagePrecision: number;
  positiveRate: number;
  rows: number;
}

/** ROC AUC, log loss, Brier, accuracy at 0.5, average precision, on labels in {0, 1}. */
export function evaluateBinary(yTrue: Float64Array, prob: Float64Array): BinaryMetrics {
  const pred = new Float64Array(prob.length);
  let pos = 0;
  for (let i = 0; i < prob.length; i++) { pred[i] = prob[i]! >= 0.5 ? 1 : 0; pos += yTrue[i]!; }
  return {
    auc: rocAuc(yTrue, prob),
    logLoss: logLoss(yTrue, prob),
    brier: brierScore(yTrue, prob),
    accuracy: accuracy(yTrue, pred),
    averagePrecision: averagePrecision(yTrue, prob),
    positiveRate: pos / Math.max(1, yTrue.length),
    rows: yTrue.length,
  };
}
