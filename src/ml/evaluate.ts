/**
 * Held-out evaluation summaries built from the metrics, one per task: evaluateBinary,
 * evaluateMulticlass, evaluateRegression (Predictor.evaluate picks the right one and codes the label).
 */
import { DataError } from '../core/errors.ts';
import { accuracy, averagePrecision, brierScore, confusionMatrix, logLoss, mae, precisionRecallF1, r2, rmse, rocAuc } from './metrics/index.ts';

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

export interface MulticlassMetrics {
  accuracy: number;
  logLoss: number;
  /** Unweighted mean of the per-class F1 scores. */
  macroF1: number;
  /** Mean of the per-class F1 scores weighted by each class's true rows. */
  weightedF1: number;
  numClasses: number;
  rows: number;
  /** Rows are true classes, columns predicted classes, both in code order. */
  confusion: { classes: (string | number | boolean)[]; matrix: number[][] };
}

export interface RegressionMetrics {
  [name: string]: number;
  rmse: number;
  mae: number;
  r2: number;
  rows: number;
}

function multiclassHint(what: string): DataError {
  return new DataError(`evaluateBinary: ${what}`, {
    code: 'BAD_METRIC_INPUT',
    hint: 'evaluateBinary scores two classes (labels 0/1, one probability per row). For a model with more classes use evaluateMulticlass(yTrue, prob, classes), or model.evaluate(rows), which picks the right one.',
  });
}

/** ROC AUC, log loss, Brier, accuracy at 0.5, average precision, on labels in {0, 1}. */
export function evaluateBinary(yTrue: Float64Array, prob: Float64Array): BinaryMetrics {
  if (yTrue.length > 0 && prob.length !== yTrue.length && prob.length % yTrue.length === 0) {
    throw multiclassHint(`prob has ${prob.length / yTrue.length} values per row (${prob.length} for ${yTrue.length} rows): these are multiclass probabilities`);
  }
  for (let i = 0; i < yTrue.length; i++) {
    const v = yTrue[i]!;
    if (Number.isInteger(v) && v > 1) throw multiclassHint(`yTrue[${i}] is ${v}: a class code of a multiclass label`);
  }
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

/**
 * Accuracy, log loss, macro and weighted F1 and the confusion matrix of multiclass probabilities.
 * `yTrue` holds class codes 0..K-1; `prob` is row-major n x K (as a multiclass model's predict);
 * `classes` names the codes in the confusion matrix (default the codes themselves).
 *
 * @example
 * const m = evaluateMulticlass(Float64Array.of(0, 2, 1), probs, ['setosa', 'versicolor', 'virginica']);
 * m.macroF1; m.confusion.matrix[2][1]; // virginica rows predicted versicolor
 */
export function evaluateMulticlass(yTrue: Float64Array, prob: Float64Array, classes?: readonly (string | number | boolean)[]): MulticlassMetrics {
  const n = yTrue.length;
  if (n === 0) throw new DataError('evaluateMulticlass: no rows to evaluate', { hint: 'Pass at least one held-out row.' });
  if (prob.length % n !== 0 || prob.length / n < 2) {
    throw new DataError(`evaluateMulticlass: prob has ${prob.length} values for ${n} rows; expected n x K class probabilities (K >= 2), row-major`, {
      code: 'BAD_METRIC_INPUT', hint: 'Pass a multiclass model\'s predict() output; for one probability per row (binary) use evaluateBinary.',
    });
  }
  const K = prob.length / n;
  if (classes !== undefined && classes.length !== K) {
    throw new DataError(`evaluateMulticlass: ${classes.length} class names for ${K} probabilities per row`, { code: 'BAD_METRIC_INPUT', hint: 'Pass the model\'s classes (model.classes).' });
  }
  for (let i = 0; i < n; i++) {
    const v = yTrue[i]!;
    if (!Number.isInteger(v) || v < 0 || v >= K) {
      throw new DataError(`evaluateMulticlass: yTrue[${i}] is ${v}; expected a class code 0..${K - 1}`, {
        code: 'BAD_METRIC_INPUT', context: { index: i }, hint: 'Code the label as the model does: model.labelCodes(rows), or use model.evaluate(rows).',
      });
    }
  }
  const pred = new Float64Array(n);
  for (let r = 0; r < n; r++) {
    let best = 0;
    for (let k = 1; k < K; k++) if (prob[r * K + k]! > prob[r * K + best]!) best = k;
    pred[r] = best;
  }
  const labels = Float64Array.from({ length: K }, (_, k) => k);
  const cm = confusionMatrix(yTrue, pred, { labels });
  const matrix = Array.from({ length: K }, (_, i) => Array.from(cm.matrix.subarray(i * K, (i + 1) * K)));
  return {
    accuracy: accuracy(yTrue, pred),
    logLoss: logLoss(yTrue, prob),
    macroF1: precisionRecallF1(yTrue, pred, { average: 'macro' }).f1,
    weightedF1: precisionRecallF1(yTrue, pred, { average: 'weighted' }).f1,
    numClasses: K,
    rows: n,
    confusion: { classes: classes ? [...classes] : Array.from({ length: K }, (_, k) => k), matrix },
  };
}

/** RMSE, MAE and R² of predicted values. */
export function evaluateRegression(yTrue: Float64Array, yPred: Float64Array): RegressionMetrics {
  return { rmse: rmse(yTrue, yPred), mae: mae(yTrue, yPred), r2: r2(yTrue, yPred), rows: yTrue.length };
}
