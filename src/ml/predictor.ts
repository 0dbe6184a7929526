/**
 * A trained model ready to score: the fitted feature pipeline, the estimator, the input signature and
 * the class names. `loadPredictor` rebuilds one from a model package (old packages too), and
 * `scoreDataset` scores the rows of a query.
 *
 * @example
 * const model = loadPredictor(pkg);
 * model.predict(rows);          // regression: values; binary: P(positive class); multiclass: n x K row-major
 * model.predictClasses(rows);   // the most probable class of each row, as the label held it ('setosa', true, 3)
 * model.evaluate(heldOut);      // metrics against the label column of held-out rows
 */
import { DataError } from '../core/errors.ts';
import type { Engine } from '../engine/index.ts';
import { FeaturePipeline } from '../features/index.ts';
import { Frame, numberColumn, stringColumn, type Column } from '../frame/frame.ts';
import type { Json } from '../core/json.ts';
import { evaluateBinary, evaluateMulticlass, evaluateRegression, type BinaryMetrics, type MulticlassMetrics, type RegressionMetrics } from './evaluate.ts';
import { loadEstimator, type ClassLabel, type Estimator, type PredictAsyncOptions, type Task } from './estimators.ts';
import { codeLabels } from './labels.ts';
import { MODEL_FORMAT, type ModelPackage } from './package.ts';

export interface Signature { name: string; type: string }

export class Predictor {
  readonly features: FeaturePipeline;
  readonly estimator: Estimator;
  readonly signature: readonly Signature[];
  readonly target: string;
  /** Classification: the class of each code (binary: the positive class last); null for regression. */
  readonly classes: readonly ClassLabel[] | null;
  /** What the user must know about the fit (e.g. an unconverged solver); kept in the package. */
  readonly warnings: readonly string[];

  constructor(features: FeaturePipeline, estimator: Estimator, signature: readonly Signature[], target: string, extra: { classes?: readonly ClassLabel[] | null; warnings?: readonly string[] } = {}) {
    this.features = features; this.estimator = estimator; this.signature = signature; this.target = target;
    this.classes = extra.classes ?? (estimator.task === 'binary' ? [0, 1] : null);
    this.warnings = extra.warnings ?? estimator.warnings ?? [];
  }

  get task(): Task { return this.estimator.task; }

  /**
   * Scores rows: checks the signature, transforms, predicts. Regression: the values; binary:
   * P(positive class) per row; multiclass: row-major n x K class probabilities.
   */
  predict(frame: Frame): Float64Array {
    return this.estimator.predict(this.#input(frame));
  }

  /**
   * As predict, on worker threads where the estimator can (the random forest); the same values.
   * For large batches: the calling thread stays free between row blocks.
   */
  async predictAsync(frame: Frame, options: PredictAsyncOptions = {}): Promise<Float64Array> {
    const x = this.#input(frame);
    return this.estimator.predictAsync ? this.estimator.predictAsync(x, options) : this.estimator.predict(x);
  }

  /** Checks the signature and transforms the features. */
  #input(frame: Frame): Frame {
    for (const { name, type } of this.signature) {
      if (!frame.has(name)) {
        throw new DataError(`Column "${name}" is missing from the data to score; the model needs ${this.signature.map((s) => s.name).join(', ')}`, { context: { column: name } });
      }
      const kind = frame.column(name).kind;
      if (kind !== type) {
        throw new DataError(`Column "${name}" is ${kind === 'number' ? 'numeric' : 'text'}; the model was trained with it as ${type === 'number' ? 'numeric' : 'text'}`, {
          context: { column: name }, hint: `Cast it back in the scoring query (CAST("${name}" AS ${type === 'number' ? 'DOUBLE' : 'VARCHAR'})).`,
        });
      }
    }
    return this.features.transform(frame);
  }

  /** Classification probabilities (as predict); a regressor has none. */
  predictProba(frame: Frame): Float64Array {
    if (this.task === 'regression') throw new DataError(`The model of "${this.target}" is a regressor: it predicts values, not class probabilities`, { hint: 'Use predict().' });
    return this.predict(frame);
  }

  /** The number of classes (2 for binary); 1 for regression. */
  #numClasses(p: Float64Array, rows: number): number {
    if (this.task === 'regression') return 1;
    if (this.task === 'binary') return 2;
    return this.classes?.length ?? (rows > 0 ? p.length / rows : 0);
  }

  /** The most probable class of each row, by name (binary: the positive class when P >= 0.5). */
  predictClasses(frame: Frame): ClassLabel[] {
    if (this.task === 'regression') throw new DataError(`The model of "${this.target}" is a regressor: it has no classes`, { hint: 'Use predict() for its values.' });
    return this.classesOf(this.predict(frame), frame.numRows);
  }

  /** The most probable class of each of `n` rows, by name, from predict()'s probabilities. */
  classesOf(p: Float64Array, n: number): ClassLabel[] {
    const K = this.#numClasses(p, n);
    const name = (k: number): ClassLabel => this.classes?.[k] ?? k;
    const out: ClassLabel[] = new Array<ClassLabel>(n);
    for (let r = 0; r < n; r++) {
      if (this.task === 'binary') { out[r] = name(p[r]! >= 0.5 ? 1 : 0); continue; }
      let best = 0;
      for (let k = 1; k < K; k++) if (p[r * K + k]! > p[r * K + best]!) best = k;
      out[r] = name(best);
    }
    return out;
  }

  /** The label column of `frame` as the model's codes (classification) or values (regression). */
  labelCodes(frame: Frame, label = this.target): Float64Array {
    if (!frame.has(label)) throw new DataError(`Label column "${label}" is not in the rows to evaluate (columns: ${frame.names.join(', ')})`, { context: { column: label } });
    if (this.task === 'regression') return frame.numbers(label);
    const col = frame.column(label);
    const classes = this.classes ?? Array.from({ length: this.#numClasses(new Float64Array(0), 0) }, (_, k) => k);
    if (classes.length === 0 && col.kind === 'number') return col.values;
    return codeLabels(col, label, classes);
  }

  /** Held-out metrics against the label column: evaluateBinary, evaluateMulticlass or evaluateRegression. */
  evaluate(frame: Frame, label = this.target): BinaryMetrics | MulticlassMetrics | RegressionMetrics {
    const p = this.predict(frame);
    if (this.task === 'regression') return evaluateRegression(this.labelCodes(frame, label), p);
    const y = this.labelCodes(frame, label);
    if (this.task === 'binary') return evaluateBinary(y, p);
    return evaluateMulticlass(y, p, this.classes ?? undefined);
  }

  /** The model package: what the registry stores and loadPredictor reads. */
  toPackage(extra: { metrics?: Readonly<Record<string, number>> | MulticlassMetrics | BinaryMetrics | RegressionMetrics; params?: Record<string, Json> } = {}): ModelPackage {
    const metrics: Record<string, number> = {};
    let confusion: ModelPackage['confusion'];
    for (const [k, v] of Object.entries(extra.metrics ?? {})) {
      if (typeof v === 'number') metrics[k] = v;
      else if (k === 'confusion' && v && typeof v === 'object') {
        const c = v as MulticlassMetrics['confusion'];
        confusion = { classes: [...c.classes], matrix: c.matrix.map((row) => [...row]) };
      }
    }
    const pkg: ModelPackage = {
      format: MODEL_FORMAT,
      estimator: { type: this.estimator.type, state: this.estimator.toJSON() },
      transformers: [this.features.toJSON()],
      signature: this.signature.map((s) => ({ ...s })),
      target: this.target,
      task: this.estimator.task,
      metrics,
      params: extra.params ?? {},
      createdAt: Date.now(),
    };
    if (this.classes) pkg.classes = [...this.classes];
    if (confusion) pkg.confusion = confusion;
    if (this.warnings.length > 0) pkg.warnings = [...this.warnings];
    return pkg;
  }
}

/** Rebuilds a Predictor from a model package (any format this Sluice reads). */
export function loadPredictor(pkg: ModelPackage): Predictor {
  const spec = pkg.transformers[0];
  const features = spec ? FeaturePipeline.fromJSON(spec.state) : new FeaturePipeline([], pkg.signature.map((s) => s.name));
  const estimator = loadEstimator(pkg.estimator);
  return new Predictor(features, estimator, pkg.signature, pkg.target, {
    ...(pkg.classes ? { classes: pkg.classes } : {}),
    warnings: pkg.warnings ?? estimator.warnings ?? [],
  });
}

export interface ScoreOptions {
  /** Columns of the query copied to the output beside the predictions (ids, dates, the label). */
  keep?: readonly string[];
  /**
   * Classification output: 'probability' (default: binary `prediction` = P(positive class); multiclass
   * one `probability_<class>` column per class), 'class' (`predicted_class`, the class by name), or
   * 'both'. Regression always gives `prediction`.
   */
  output?: 'probability' | 'class' | 'both';
}

/**
 * Scores the rows of a query with a model package; returns a Frame of the `keep` columns plus the
 * predictions, ready to be written as a dataset.
 */
export async function scoreDataset(engine: Engine, pkg: ModelPackage, sql: string, options: ScoreOptions = {}): Promise<Frame> {
  const predictor = loadPredictor(pkg);
  const frame = await engine.toFrame(sql);
  const cols: [string, Column][] = (options.keep ?? []).map((k) => [k, frame.column(k)]);
  const output = options.output ?? 'probability';
  if (!['probability', 'class', 'both'].includes(output)) {
    throw new DataError(`scoreDataset output must be 'probability', 'class' or 'both', got ${JSON.stringify(output)}`, { context: { option: 'output' } });
  }
  const p = predictor.predict(frame);
  if (predictor.task === 'regression') {
    cols.push(['prediction', numberColumn(p)]);
    return new Frame(cols);
  }
  if (output !== 'class') {
    if (predictor.task === 'binary') cols.push(['prediction', numberColumn(p)]);
    else {
      const n = frame.numRows;
      const K = n > 0 ? p.length / n : predictor.classes?.length ?? 0;
      for (let k = 0; k < K; k++) {
        const col = new Float64Array(n);
        for (let r = 0; r < n; r++) col[r] = p[r * K + k]!;
        cols.push([`probability_${String(predictor.classes?.[k] ?? k)}`, numberColumn(col)]);
      }
    }
  }
  if (output !== 'probability') {
    const names = predictor.classesOf(p, frame.numRows);
    const column = names.every((c) => typeof c === 'number') ? numberColumn(names as number[])
      : names.every((c) => typeof c === 'boolean') ? numberColumn(names.map((c) => (c ? 1 : 0)), 'bool')
        : stringColumn(names.map(String));
    cols.push(['predicted_class', column]);
  }
  return new Frame(cols);
}
