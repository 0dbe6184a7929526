/**
 * Gradient-boosted trees as a Sluice estimator (type 'gbdt'): importing this module registers it
 * (src/ml/estimators.ts imports every family). Text columns and the numeric columns named
 * categorical are split on natively as categories; missing values need no imputation.
 *
 * Spec options (all optional): numTrees, learningRate, maxLeaves, maxDepth, minSamplesLeaf,
 * minHessianLeaf, l2, minGain, subsample, colsample, seed, threads, maxBins, loss ('huber' for
 * robust regression). The model state is the binary artifact (serialize.ts) in base64.
 *
 * @example
 * await fitEstimator(frame, y, { type: 'gbdt', numTrees: 200, learningRate: 0.05 }, { task: 'binary', categorical: [] });
 */
import { DataError } from '../../core/errors.ts';
import type { Frame } from '../../frame/frame.ts';
import type { Json } from '../../core/json.ts';
import { registerEstimator, type Estimator, type EstimatorSpec, type FitOptions, type Task } from '../estimator.ts';
import { GradientBoostedTrees } from './estimator.ts';
import type { BoosterOptions } from './options.ts';

class GbdtEstimator implements Estimator {
  readonly type = 'gbdt';
  constructor(readonly model: GradientBoostedTrees, readonly task: Task) {}
  /** Binary: P(label = 1); multiclass: row-major probabilities; regression: the prediction. */
  predict(frame: Frame): Float64Array {
    return this.task === 'regression' ? this.model.predict(frame) : this.model.predictProba(frame);
  }
  toJSON(): Json {
    return { task: this.task, artifact: Buffer.from(this.model.toBytes()).toString('base64') };
  }
}

const NUMERIC: readonly (keyof BoosterOptions | 'maxBins')[] = [
  'numTrees', 'learningRate', 'maxLeaves', 'maxDepth', 'minSamplesLeaf', 'minHessianLeaf', 'l2', 'minGain',
  'subsample', 'colsample', 'seed', 'threads', 'maxBins',
];

function specOptions(spec: EstimatorSpec): Record<string, number> {
  const out: Record<string, number> = {};
  for (const key of NUMERIC) {
    const v = spec[key];
    if (v === undefined || v === null) continue;
    if (typeof v !== 'number') throw new DataError(`Estimator option "${key}" must be a number, got ${JSON.stringify(v)}`, { context: { option: key } });
    out[key] = v;
  }
  return out;
}

registerEstimator(
  'gbdt',
  async (frame, y, spec, options: FitOptions) => {
    const loss = spec['loss'];
    if (loss !== undefined && loss !== null && loss !== 'squared' && loss !== 'huber') {
      throw new DataError(`gbdt option "loss" must be "squared" or "huber", got ${JSON.stringify(loss)}`);
    }
    const objective = options.task === 'regression' ? (loss === 'huber' ? 'huber' : 'regression') : options.task;
    const numeric = new Set(frame.names.filter((n) => frame.column(n).kind === 'number'));
    const model = await new GradientBoostedTrees().fit(frame, y, {
      ...specOptions(spec),
      objective,
      categoricalFeatures: options.categorical.filter((c) => numeric.has(c)),
      ...(options.sampleWeight ? { sampleWeight: options.sampleWeight } : {}),
      ...(options.onProgress ? { onIteration: options.onProgress } : {}),
    });
    return new GbdtEstimator(model, options.task);
  },
  (state) => {
    const s = state as { task: Task; artifact: string };
    return new GbdtEstimator(GradientBoostedTrees.fromBytes(new Uint8Array(Buffer.from(s.artifact, 'base64'))), s.task);
  },
);
