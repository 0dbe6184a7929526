/**
 * Random forests as a Sluice estimator (type 'random-forest'): importing this module registers it
 * (src/ml/estimators.ts imports every family). Text columns are split on as categories (sets of
 * categories, not thresholds on codes); so are the numeric columns trainModel names categorical.
 * Missing values need no imputation.
 *
 * Spec options (all optional): trees, maxDepth, maxFeatures ('sqrt' | 'log2' | 'all' | count |
 * fraction), minSamplesLeaf, minSamplesSplit, bootstrap, maxSamples, oobScore, seed, threads,
 * maxBins. The model state is the binary artifact (serialize.ts) in base64.
 *
 * @example
 * await trainModel(frame, { label: 'late', numeric: ['distance'], categorical: ['origin'],
 *   estimator: { type: 'random-forest', trees: 100, maxDepth: 12, maxFeatures: 'sqrt', seed: 1 } });
 */
import { DataError } from '../../core/errors.ts';
import type { Frame } from '../../frame/frame.ts';
import type { Json } from '../../core/json.ts';
import { registerEstimator, type Estimator, type EstimatorSpec, type FitOptions, type Task } from '../estimator.ts';
import { RandomForest, type RandomForestFitOptions } from './forest.ts';
import type { MaxFeatures } from './options.ts';

class RandomForestEstimator implements Estimator {
  readonly type = 'random-forest';
  constructor(readonly model: RandomForest, readonly task: Task) {}
  /** Binary: P(label = 1); multiclass: row-major probabilities; regression: the prediction. */
  predict(frame: Frame): Float64Array {
    return this.task === 'regression' ? this.model.predict(frame) : this.model.predictProba(frame);
  }
  toJSON(): Json {
    return { task: this.task, artifact: Buffer.from(this.model.toBytes()).toString('base64') };
  }
}

const NUMBERS = ['trees', 'maxDepth', 'minSamplesLeaf', 'minSamplesSplit', 'maxSamples', 'seed', 'threads', 'maxBins', 'numClasses'] as const;
const BOOLEANS = ['bootstrap', 'oobScore'] as const;
const KNOWN = new Set<string>(['type', 'maxFeatures', ...NUMBERS, ...BOOLEANS]);

function specOptions(spec: EstimatorSpec): RandomForestFitOptions {
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(spec)) {
    if (!KNOWN.has(key)) throw new DataError(`random-forest has no option "${key}"`, { context: { option: key }, hint: `Options: ${[...KNOWN].filter((k) => k !== 'type').join(', ')}.` });
  }
  for (const key of NUMBERS) {
    const v = spec[key];
    if (v === undefined || v === null) continue;
    if (typeof v !== 'number') throw new DataError(`random-forest option "${key}" must be a number, got ${JSON.stringify(v)}`, { context: { option: key } });
    out[key] = v;
  }
  for (const key of BOOLEANS) {
    const v = spec[key];
    if (v === undefined || v === null) continue;
    if (typeof v !== 'boolean') throw new DataError(`random-forest option "${key}" must be true or false, got ${JSON.stringify(v)}`, { context: { option: key } });
    out[key] = v;
  }
  const mf = spec['maxFeatures'];
  if (mf !== undefined && mf !== null) {
    if (typeof mf !== 'number' && typeof mf !== 'string') throw new DataError(`random-forest option "maxFeatures" must be 'sqrt', 'log2', 'all' or a number, got ${JSON.stringify(mf)}`, { context: { option: 'maxFeatures' } });
    out['maxFeatures'] = mf as MaxFeatures;
  }
  return out as RandomForestFitOptions;
}

registerEstimator(
  'random-forest',
  async (frame, y, spec, options: FitOptions) => {
    const numeric = new Set(frame.names.filter((n) => frame.column(n).kind === 'number'));
    const model = await new RandomForest().fit(frame, y, {
      ...specOptions(spec),
      task: options.task,
      categoricalFeatures: options.categorical.filter((c) => numeric.has(c)),
      ...(options.sampleWeight ? { sampleWeight: options.sampleWeight } : {}),
      ...(options.onProgress ? { onProgress: options.onProgress } : {}),
    });
    return new RandomForestEstimator(model, options.task);
  },
  (state) => {
    const s = state as { task: Task; artifact: string };
    return new RandomForestEstimator(RandomForest.fromBytes(new Uint8Array(Buffer.from(s.artifact, 'base64'))), s.task);
  },
);
