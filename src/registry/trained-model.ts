/**
 * Training glue: fits the feature pipeline on the training rows only, then the estimator on the
 * transformed rows, and packs both (with the input signature) into one model package. `loadPredictor`
 * turns a package back into something that scores Frames, and `scoreDataset` scores a query.
 *
 * @example
 * const model = await trainModel(train, { label: 'late', numeric: ['distance'], categorical: ['origin'],
 *   estimator: { type: 'logistic-regression', C: 1 } });
 * const p = model.predict(test);
 * await ctx.models.register('delay', model.toPackage({ metrics: evaluateBinary(test.numbers('late'), p) }));
 */
import { DataError } from '../core/errors.ts';
import type { Engine } from '../engine/index.ts';
import { FeaturePipeline, fitCategoryEncoder, fitStandardScaler, fitTransformFeaturePipeline, type FittedTransformer, type PipelineStep } from '../features/index.ts';
import { Frame, numberColumn, type Column } from '../frame/frame.ts';
import { fitEstimator, loadEstimator, type Estimator, type EstimatorSpec, type Task } from '../ml/estimators.ts';
import type { Json } from '../core/json.ts';
import { MODEL_FORMAT, type ModelPackage } from './package.ts';

export interface TrainOptions {
  label: string;
  numeric?: readonly string[];
  categorical?: readonly string[];
  estimator: EstimatorSpec;
  task?: Task;
  /** Categories seen fewer times in training become "unknown". */
  minCategoryFrequency?: number;
  /** Standard-scale numeric columns; default true for linear estimators. */
  scale?: boolean;
  /**
   * A feature pipeline of your own (fitted on the training rows only), instead of the default
   * scaling and category encoding. The model's inputs are then the columns its steps read.
   */
  features?: readonly PipelineStep[];
  onProgress?: (done: number, total: number) => void;
}

const LINEAR = new Set(['logistic-regression', 'ridge', 'linear-regression']);

export class Predictor {
  readonly features: FeaturePipeline;
  readonly estimator: Estimator;
  readonly signature: readonly { name: string; type: string }[];
  readonly target: string;

  constructor(features: FeaturePipeline, estimator: Estimator, signature: readonly { name: string; type: string }[], target: string) {
    this.features = features; this.estimator = estimator; this.signature = signature; this.target = target;
  }

  /** Scores rows: checks the signature, transforms, predicts. */
  predict(frame: Frame): Float64Array {
    for (const { name, type } of this.signature) {
      if (!frame.has(name)) {
        throw new DataError(`Column "${name}" is missing from the data to score; the model needs ${this.signature.map((s) => s.name).join(', ')}`, { context: { column: name } });
      }
      const kind = frame.column(name).kind;
      if (kind !== type) throw new DataError(`Column "${name}" is ${kind === 'number' ? 'numeric' : 'text'}; the model was trained with it as ${type === 'number' ? 'numeric' : 'text'}`, { context: { column: name } });
    }
    return this.estimator.predict(this.features.transform(frame));
  }

  toPackage(extra: { metrics?: Record<string, number>; params?: Record<string, Json> } = {}): ModelPackage {
    return {
      format: MODEL_FORMAT,
      estimator: { type: this.estimator.type, state: this.estimator.toJSON() },
      transformers: [this.features.toJSON()],
      signature: [...this.signature],
      target: this.target,
      task: this.estimator.task,
      metrics: extra.metrics ?? {},
      params: extra.params ?? {},
      createdAt: Date.now(),
    };
  }
}

export async function trainModel(frame: Frame, options: TrainOptions): Promise<Predictor> {
  const numeric = options.numeric ?? [];
  const categorical = options.categorical ?? [];
  const inputs = options.features && numeric.length + categorical.length === 0
    ? [...new Set(options.features.flatMap((s) => s.columns))]
    : [...numeric, ...categorical];
  if (inputs.length === 0) throw new DataError('trainModel needs at least one feature column (numeric, categorical, or a features pipeline)');
  if (frame.numRows === 0) throw new DataError('trainModel got no training rows');
  for (const name of inputs) {
    if (!frame.has(name)) throw new DataError(`Feature column "${name}" is not in the training data (columns: ${frame.names.join(', ')})`, { context: { column: name } });
  }
  const y = labelValues(frame, options.label);
  const task: Task = options.task ?? (isBinary(y) ? 'binary' : 'regression');
  let features: FeaturePipeline;
  let x: Frame;
  options.onProgress?.(0, 2);
  if (options.features) {
    // Fitted on the training rows only; steps that need it (target encoding) fit out of fold.
    const fitted = fitTransformFeaturePipeline(frame.select(inputs), options.features);
    features = fitted.transformer;
    x = fitted.output;
  } else {
    const steps: FittedTransformer[] = [];
    const textCategorical = categorical.filter((c) => frame.column(c).kind === 'string');
    x = frame.select(inputs);
    if (options.scale ?? LINEAR.has(options.estimator.type)) {
      const scaler = fitStandardScaler(x, numeric);
      steps.push(scaler);
      x = scaler.transform(x);
    }
    if (textCategorical.length > 0) {
      const encoder = fitCategoryEncoder(x, textCategorical, { minFrequency: options.minCategoryFrequency ?? 1 });
      steps.push(encoder);
      x = encoder.transform(x);
    }
    features = new FeaturePipeline(steps, inputs);
  }
  options.onProgress?.(1, 2);
  const estimatorCategorical = categorical.filter((c) => x.has(c));
  const estimator = await fitEstimator(x, y, options.estimator, { task, categorical: estimatorCategorical, ...(options.onProgress ? { onProgress: options.onProgress } : {}) });
  options.onProgress?.(2, 2);
  const signature = inputs.map((name) => ({ name, type: frame.column(name).kind }));
  return new Predictor(features, estimator, signature, options.label);
}

export function loadPredictor(pkg: ModelPackage): Predictor {
  const spec = pkg.transformers[0];
  const features = spec ? FeaturePipeline.fromJSON(spec.state) : new FeaturePipeline([], pkg.signature.map((s) => s.name));
  return new Predictor(features, loadEstimator(pkg.estimator), pkg.signature, pkg.target);
}

/**
 * Scores the rows of a query with a model package; returns a Frame of the `keep` columns plus
 * `prediction`, ready to be written as a dataset.
 */
export async function scoreDataset(engine: Engine, pkg: ModelPackage, sql: string, options: { keep?: readonly string[] } = {}): Promise<Frame> {
  const predictor = loadPredictor(pkg);
  const frame = await engine.toFrame(sql);
  const prediction = predictor.predict(frame);
  const cols: [string, Column][] = (options.keep ?? []).map((k) => [k, frame.column(k)]);
  cols.push(['prediction', numberColumn(prediction)]);
  return new Frame(cols);
}

function labelValues(frame: Frame, label: string): Float64Array {
  if (!frame.has(label)) throw new DataError(`Label column "${label}" is not in the training data (columns: ${frame.names.join(', ')})`, { context: { column: label } });
  const y = frame.numbers(label);
  for (let i = 0; i < y.length; i++) {
    if (!Number.isFinite(y[i]!)) throw new DataError(`Label column "${label}" has a ${Number.isNaN(y[i]!) ? 'missing' : 'infinite'} value at row ${i}`, { context: { column: label, row: i }, hint: 'Filter or quarantine rows without a label before training.' });
  }
  return y;
}

function isBinary(y: Float64Array): boolean {
  for (let i = 0; i < y.length; i++) if (y[i] !== 0 && y[i] !== 1) return false;
  return true;
}
