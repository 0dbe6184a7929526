/**
 * Cross-validation of a whole model, features included: in every fold the feature pipeline is fitted
 * on the training rows only (its out-of-fold training output feeds the estimator), then the test rows
 * go through the fitted pipeline and the estimator. Nothing about the test rows reaches a scaler, an
 * encoder or the estimator before they are scored.
 *
 * @example
 * const cv = await crossValidateModel(frame, stratifiedKFold(frame.numbers('late'), { k: 5, shuffle: true, seed: 1 }), {
 *   label: 'late',
 *   features: (train) => fitTransformColumnTransformer(train, parts, { exclude: ['late'] }),
 *   estimator: { type: 'logistic-regression', C: 1 },
 *   metric: (y, p) => ({ auc: metrics.rocAuc(y, p) }),
 * });
 */
import { DataError } from '../../core/errors.ts';
import { isFitted, type Fitted, type FittedTransformer } from '../../features/index.ts';
import type { Frame } from '../../frame/frame.ts';
import { fitEstimator, type Estimator, type EstimatorSpec, type Task } from '../estimator.ts';
import { encodeLabel } from '../labels.ts';
import { crossValidate, type CrossValidationResult, type Scores } from './cross-validate.ts';
import type { Split } from './split.ts';

export interface CrossValidateModelOptions {
  label: string;
  /** Fits the features on a fold's training rows; default: every column but the label, as is. */
  features?: (train: Frame) => Fitted | FittedTransformer;
  estimator: EstimatorSpec;
  /** Inferred only where the label leaves no doubt, as trainModel does (text/boolean: classes; fractions: regression). */
  task?: Task;
  /** Numeric columns to treat as categorical (text columns always are). */
  categorical?: readonly string[];
  metric: (yTrue: Float64Array, yPred: Float64Array) => Scores;
  concurrency?: number;
}

export async function crossValidateModel(frame: Frame, splits: readonly Split[], options: CrossValidateModelOptions): Promise<CrossValidationResult> {
  if (!frame.has(options.label)) throw new DataError(`cross-validation: label column "${options.label}" is not in the data (columns: ${frame.names.join(', ')})`, { context: { column: options.label } });
  // Class labels become codes 0..K-1 (what the metric sees), as trainModel codes them.
  const { y, task } = encodeLabel(frame, options.label, options.task !== undefined ? { task: options.task } : {});
  const featureNames = frame.names.filter((n) => n !== options.label);
  const pick = (rows: Int32Array): Float64Array => Float64Array.from(rows, (i) => y[i]!);
  return crossValidate<{ features: FittedTransformer | null; estimator: Estimator }>(splits, {
    concurrency: options.concurrency ?? 1,
    fit: async (train) => {
      const rows = frame.take(train);
      let features: FittedTransformer | null = null;
      let x = rows.select(featureNames);
      if (options.features) {
        const r = options.features(rows);
        features = isFitted(r) ? r.transformer : r;
        x = withoutLabel(isFitted(r) ? r.output : r.transform(rows), options.label);
      }
      const estimator = await fitEstimator(x, pick(train), options.estimator, { task, categorical: options.categorical ?? [] });
      return { features, estimator };
    },
    score: (model, test) => {
      const rows = frame.take(test);
      const x = model.features ? withoutLabel(model.features.transform(rows), options.label) : rows.select(featureNames);
      return options.metric(pick(test), model.estimator.predict(x));
    },
  });
}

function withoutLabel(frame: Frame, label: string): Frame {
  return frame.has(label) ? frame.select(frame.names.filter((n) => n !== label)) : frame;
}
