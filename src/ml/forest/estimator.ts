/**
 * Random forests as a Sluice estimator (type 'random-forest'): importing this module registers it
 * (src/ml/estimators.ts imports every family). Text columns are split on as categories (sets of
 * categories, not thresholds on codes); so are the numeric columns named categorical. Missing values
 * need no imputation.
 *
 * Spec options (ForestSpecOptions in options.ts, all optional): numTrees, maxDepth, maxFeatures
 * ('sqrt' | 'log2' | 'all' | count | fraction), minSamplesLeaf, minSamplesSplit, bootstrap,
 * maxSamples, oobScore, seed, threads, maxBins, numClasses. The model state is the binary artifact
 * (serialize.ts) in base64.
 *
 * @example
 * await trainModel(frame, { label: 'late', task: 'binary', numeric: ['distance'], categorical: ['origin'],
 *   estimator: { type: 'random-forest', numTrees: 100, maxDepth: 12, maxFeatures: 'sqrt', seed: 1 } });
 */
import type { Frame } from '../../frame/frame.ts';
import type { Json } from '../../core/json.ts';
import { registerEstimator, type Estimator, type PredictAsyncOptions, type Task } from '../estimator.ts';
import { checkPredictInput } from '../input.ts';
import { RandomForest } from './forest.ts';
import { FOREST_OPTIONS, FOREST_RENAMED, type ForestSpecOptions } from './options.ts';

declare module '../estimator.ts' {
  interface EstimatorSpecs {
    /** Random forests (bagged trees): binary, multiclass, regression. */
    'random-forest': ForestSpecOptions;
  }
}

class RandomForestEstimator implements Estimator {
  readonly type = 'random-forest';
  constructor(readonly model: RandomForest, readonly task: Task) {}
  /** Binary: P(label = 1); multiclass: row-major probabilities; regression: the prediction. */
  predict(frame: Frame): Float64Array {
    checkPredictInput(frame, 'random-forest', this.model.featureNames);
    return this.task === 'regression' ? this.model.predict(frame) : this.model.predictProba(frame);
  }
  /** As predict, on worker threads. */
  async predictAsync(frame: Frame, options: PredictAsyncOptions = {}): Promise<Float64Array> {
    checkPredictInput(frame, 'random-forest', this.model.featureNames);
    return this.task === 'regression' ? this.model.predictValuesAsync(frame, options) : this.model.predictProbaAsync(frame, options);
  }
  toJSON(): Json {
    return { task: this.task, artifact: Buffer.from(this.model.toBytes()).toString('base64') };
  }
}

registerEstimator({
  type: 'random-forest',
  tasks: ['binary', 'multiclass', 'regression'],
  options: FOREST_OPTIONS,
  renamed: FOREST_RENAMED,
  async fit(frame, y, spec, options) {
    const { type: _type, ...rest } = spec;
    const numeric = new Set(frame.names.filter((n) => frame.column(n).kind === 'number'));
    const model = await new RandomForest().fit(frame, y, {
      ...rest,
      task: options.task,
      ...(options.task === 'multiclass' && options.numClasses !== undefined ? { numClasses: options.numClasses } : {}),
      categoricalFeatures: options.categorical.filter((c) => numeric.has(c)),
      ...(options.sampleWeight ? { sampleWeight: options.sampleWeight } : {}),
      ...(options.onProgress ? { onProgress: options.onProgress } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
    });
    return new RandomForestEstimator(model, options.task);
  },
  load(state) {
    const s = state as { task: Task; artifact: string };
    return new RandomForestEstimator(RandomForest.fromBytes(new Uint8Array(Buffer.from(s.artifact, 'base64'))), s.task);
  },
  example: { numTrees: 10, maxDepth: 8, seed: 3 },
});
