/**
 * Gradient-boosted trees as a Sluice estimator (type 'gbdt'): importing this module registers it
 * (src/ml/estimators.ts imports every family). Text columns and the numeric columns named
 * categorical are split on natively as categories; missing values need no imputation.
 *
 * Spec options (GbdtSpecOptions in options.ts, all optional): numTrees, learningRate, maxLeaves,
 * maxDepth, minSamplesLeaf, minHessianLeaf, l2, minGain, subsample, colsample, seed, threads, maxBins,
 * loss ('huber' for robust regression), huberDelta, earlyStoppingRounds (with trainModel's
 * `validation` rows), numClasses, categorical { smoothing, l2, maxSetSize, minSamples, maxOneHot }.
 * The model state is the binary artifact (serialize.ts) in base64.
 *
 * @example
 * await fitEstimator(frame, y, { type: 'gbdt', numTrees: 200, learningRate: 0.05 }, { task: 'binary', categorical: [] });
 */
import type { Frame } from '../../frame/frame.ts';
import type { Json } from '../../core/json.ts';
import { registerEstimator, type Estimator, type Task } from '../estimator.ts';
import { checkPredictInput } from '../input.ts';
import { GradientBoostedTrees } from './estimator.ts';
import { GBDT_OPTIONS, type GbdtSpecOptions } from './options.ts';

declare module '../estimator.ts' {
  interface EstimatorSpecs {
    /** Histogram gradient-boosted trees: binary, multiclass, regression. */
    gbdt: GbdtSpecOptions;
  }
}

class GbdtEstimator implements Estimator {
  readonly type = 'gbdt';
  constructor(readonly model: GradientBoostedTrees, readonly task: Task) {}
  /** Binary: P(label = 1); multiclass: row-major probabilities; regression: the prediction. */
  predict(frame: Frame): Float64Array {
    checkPredictInput(frame, 'gbdt', this.model.featureNames);
    return this.task === 'regression' ? this.model.predict(frame) : this.model.predictProba(frame);
  }
  toJSON(): Json {
    return { task: this.task, artifact: Buffer.from(this.model.toBytes()).toString('base64') };
  }
}

registerEstimator({
  type: 'gbdt',
  tasks: ['binary', 'multiclass', 'regression'],
  options: GBDT_OPTIONS,
  async fit(frame, y, spec, options) {
    const { type: _type, loss, ...rest } = spec;
    const objective = options.task === 'regression' ? (loss === 'huber' ? 'huber' : 'regression') : options.task;
    const numeric = new Set(frame.names.filter((n) => frame.column(n).kind === 'number'));
    const model = await new GradientBoostedTrees().fit(frame, y, {
      ...rest,
      objective,
      ...(options.task === 'multiclass' && options.numClasses !== undefined ? { numClasses: options.numClasses } : {}),
      categoricalFeatures: options.categorical.filter((c) => numeric.has(c)),
      ...(options.sampleWeight ? { sampleWeight: options.sampleWeight } : {}),
      ...(options.validation ? { validation: { frame: options.validation.frame, label: options.validation.y } } : {}),
      ...(options.onProgress ? { onIteration: options.onProgress } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
    });
    return new GbdtEstimator(model, options.task);
  },
  load(state) {
    const s = state as { task: Task; artifact: string };
    return new GbdtEstimator(GradientBoostedTrees.fromBytes(new Uint8Array(Buffer.from(s.artifact, 'base64'))), s.task);
  },
  example: { numTrees: 12, maxLeaves: 8, minSamplesLeaf: 5, seed: 3 },
});
