/**
 * Evaluation metrics on Float64Array inputs, matching scikit-learn 1.2 (golden-tested to 1e-9).
 * Every metric throws a DataError on mismatched lengths, empty input or non-finite values.
 *
 * @example
 * import { rocAuc, logLoss } from './index.ts';
 * rocAuc(yTrue, model.predictProba(X));
 */
export { rocAuc, rocCurve, type RocCurve, type RocCurveOptions, type WeightOptions } from './roc-auc.ts';
export { averagePrecision, precisionRecallCurve, type PrecisionRecallCurve } from './pr-auc.ts';
export { logLoss, type LogLossOptions } from './log-loss.ts';
export { brierScore } from './brier.ts';
export {
  accuracy,
  confusionMatrix,
  precision,
  recall,
  f1,
  precisionRecallF1,
  type AccuracyOptions,
  type Average,
  type ConfusionMatrix,
  type ConfusionMatrixOptions,
  type PrecisionRecallF1,
  type PrfOptions,
} from './classification.ts';
export { mse, rmse, mae, mape, r2 } from './regression.ts';
export { calibrationCurve, type CalibrationCurve, type CalibrationCurveOptions } from './calibration.ts';
export { argsortAscending } from './sort.ts';
