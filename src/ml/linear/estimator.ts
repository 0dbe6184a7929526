/**
 * The linear families as Sluice estimators ('logistic-regression', 'ridge', 'elastic-net'): a Frame
 * of transformed features becomes a design matrix: numeric columns dense, text columns and the numeric
 * columns named categorical an implicit one-hot block over their codes (the same role the trees give
 * them). Missing numeric values are imputed with 0, which is the training mean once trainModel has
 * standard-scaled them (it does for linear estimators by default); a missing or unseen category
 * contributes nothing. A solver that stops at its iteration limit without converging leaves a warning
 * on the estimator (`warnings`), which trainModel logs and keeps in the model package.
 */
import type { Frame } from '../../frame/frame.ts';
import type { Json } from '../../core/json.ts';
import { registerEstimator, type Estimator, type Task } from '../estimator.ts';
import { checkPredictInput } from '../input.ts';
import type { OptionRules } from '../spec.ts';
import { designMatrix, type DesignMatrix } from './design.ts';
import { fitElasticNetAsync, type ElasticNetOptions } from './elastic-net.ts';
import { fitLogisticRegressionAsync, LogisticRegressionModel, type LogisticRegressionOptions } from './logistic.ts';
import type { FitInfo } from './problem.ts';
import { LinearRegressionModel } from './regression-model.ts';
import { fitRidge, type RidgeOptions } from './ridge.ts';

/** Options of `{ type: 'logistic-regression', ... }` (scikit-learn's names). */
export type LogisticSpecOptions = Pick<LogisticRegressionOptions, 'C' | 'penalty' | 'l1Ratio' | 'fitIntercept' | 'maxIter' | 'tol' | 'ftol' | 'classWeight'>;
/** Options of `{ type: 'ridge', ... }`. */
export type RidgeSpecOptions = Pick<RidgeOptions, 'alpha' | 'fitIntercept' | 'solver' | 'maxIter' | 'tol'>;
/** Options of `{ type: 'elastic-net', ... }`. */
export type ElasticNetSpecOptions = Pick<ElasticNetOptions, 'alpha' | 'l1Ratio' | 'fitIntercept' | 'maxIter' | 'tol' | 'ftol'>;

declare module '../estimator.ts' {
  interface EstimatorSpecs {
    /** Logistic regression (L-BFGS / OWL-QN): binary and multinomial. */
    'logistic-regression': LogisticSpecOptions;
    /** Ridge regression (least squares with an L2 penalty). */
    ridge: RidgeSpecOptions;
    /** Elastic net / lasso regression (OWL-QN). */
    'elastic-net': ElasticNetSpecOptions;
  }
}

const LOGISTIC_OPTIONS: OptionRules = {
  C: { kind: 'number', doc: 'inverse regularization strength, > 0 (default 1)' },
  penalty: { kind: 'enum', values: ['l2', 'l1', 'elasticnet', 'none'] },
  l1Ratio: { kind: 'number', doc: "penalty 'elasticnet': 0 is pure L2, 1 pure L1" },
  fitIntercept: { kind: 'boolean' },
  maxIter: { kind: 'integer', doc: 'solver iterations (default 100)' },
  tol: { kind: 'number', doc: 'gradient tolerance (default 1e-6)' },
  ftol: { kind: 'number', doc: 'relative objective change tolerance (default 1e-10; 0 disables)' },
  classWeight: { kind: 'numbers-or-enum', values: ['balanced'], doc: "'balanced' or one weight per class" },
};
const RIDGE_OPTIONS: OptionRules = {
  alpha: { kind: 'number', doc: 'penalty strength, >= 0 (default 1)' },
  fitIntercept: { kind: 'boolean' },
  solver: { kind: 'enum', values: ['auto', 'cholesky', 'lbfgs'] },
  maxIter: { kind: 'integer', doc: "solver 'lbfgs': iterations (default 500)" },
  tol: { kind: 'number', doc: "solver 'lbfgs': gradient tolerance (default 1e-8)" },
};
const ELASTIC_NET_OPTIONS: OptionRules = {
  alpha: { kind: 'number', doc: 'penalty strength, > 0 (default 1)' },
  l1Ratio: { kind: 'number', doc: '1 is the lasso, 0 a ridge (default 0.5)' },
  fitIntercept: { kind: 'boolean' },
  maxIter: { kind: 'integer', doc: 'solver iterations (default 1000)' },
  tol: { kind: 'number', doc: 'gradient tolerance (default 1e-8)' },
  ftol: { kind: 'number', doc: 'relative objective change tolerance (default 1e-12)' },
};

/** How the frame's columns enter the design: text and named numeric columns as categories. */
interface DesignLayout {
  /** Width of each categorical column's one-hot block (text: the vocabulary; numeric codes: max code + 1). */
  cardinalities: Record<string, number>;
  /** Numeric columns read as category codes. */
  numericCategorical: string[];
}

function layoutOf(frame: Frame, categorical: readonly string[]): DesignLayout {
  const cardinalities: Record<string, number> = {};
  const numericCategorical: string[] = [];
  const named = new Set(categorical);
  for (const name of frame.names) {
    const c = frame.column(name);
    if (c.kind === 'string') cardinalities[name] = c.dictionary.length;
    else if (named.has(name)) {
      let max = -1;
      for (const v of c.values) if (v > max) max = v; // NaN compares false: missing
      cardinalities[name] = max + 1;
      numericCategorical.push(name);
    }
  }
  return { cardinalities, numericCategorical };
}

/** Frame -> design matrix. Text columns carry codes into a fixed vocabulary (CategoryEncoder). */
export function frameToDesign(frame: Frame, cardinalities?: Readonly<Record<string, number>>, numericCategorical: readonly string[] = []): DesignMatrix {
  const dense: Record<string, Float64Array> = {};
  const categorical: Record<string, { codes: Int32Array; cardinality: number }> = {};
  const asCodes = new Set(numericCategorical);
  for (const name of frame.names) {
    const col = frame.column(name);
    if (col.kind === 'number' && asCodes.has(name)) {
      // Codes outside the training range (unseen categories) and missing ones contribute nothing.
      const width = cardinalities?.[name] ?? 0;
      const codes = Int32Array.from(col.values, (v) => (Number.isInteger(v) && v >= 0 && v < width ? v : -1));
      categorical[name] = { codes, cardinality: width };
    } else if (col.kind === 'number') {
      let values = col.values;
      for (let i = 0; i < values.length; i++) {
        if (Number.isNaN(values[i]!)) { values = values.map((v) => (Number.isNaN(v) ? 0 : v)); break; }
      }
      dense[name] = values;
    } else {
      categorical[name] = { codes: col.codes, cardinality: cardinalities?.[name] ?? col.dictionary.length };
    }
  }
  return designMatrix({ dense, categorical });
}

/** A warning when an iterative solver stopped without meeting its tolerance. */
function convergenceWarnings(type: string, info: FitInfo, maxIter: number | undefined): string[] {
  if (info.converged) return [];
  const why = info.reason === 'max-iter' ? `stopped at its iteration limit (maxIter ${maxIter ?? info.iterations})` : 'stopped when no step along its search direction decreased the loss (line search)';
  return [
    `${type} did not converge: the solver ${why} after ${info.iterations} iterations, with the gradient at ${info.gradientNorm.toPrecision(3)}. ` +
    'Its coefficients are not the optimum: raise maxIter, loosen tol, or check that the numeric features are scaled (trainModel scales them unless scale: false).',
  ];
}

class LogisticEstimator implements Estimator {
  readonly type = 'logistic-regression';
  readonly warnings: readonly string[];
  constructor(readonly model: LogisticRegressionModel, readonly layout: DesignLayout, readonly task: Task, maxIter?: number) {
    this.warnings = convergenceWarnings(this.type, model.fitInfo, maxIter);
  }
  predict(frame: Frame): Float64Array {
    checkPredictInput(frame, this.type, this.model.schema.denseNames);
    const p = this.model.predictProba(frameToDesign(frame, this.layout.cardinalities, this.layout.numericCategorical));
    if (this.task !== 'multiclass' || this.model.numClasses > 2 || this.model.intercept.length > 1) return p;
    // A two-class multiclass task: row-major (P(0), P(1)) as any multiclass output.
    const out = new Float64Array(p.length * 2);
    for (let i = 0; i < p.length; i++) { out[2 * i] = 1 - p[i]!; out[2 * i + 1] = p[i]!; }
    return out;
  }
  toJSON(): Json {
    return { model: this.model.toJSON() as unknown as Json, cardinalities: this.layout.cardinalities, numericCategorical: this.layout.numericCategorical, task: this.task };
  }
}

class LinearRegressionEstimator implements Estimator {
  readonly task: Task = 'regression';
  readonly warnings: readonly string[];
  constructor(readonly type: 'ridge' | 'elastic-net', readonly model: LinearRegressionModel, readonly layout: DesignLayout, maxIter?: number) {
    this.warnings = convergenceWarnings(type, model.fitInfo, maxIter);
  }
  predict(frame: Frame): Float64Array {
    checkPredictInput(frame, this.type, this.model.schema.denseNames);
    return this.model.predict(frameToDesign(frame, this.layout.cardinalities, this.layout.numericCategorical));
  }
  toJSON(): Json { return { model: this.model.toJSON() as unknown as Json, cardinalities: this.layout.cardinalities, numericCategorical: this.layout.numericCategorical }; }
}

/** Packages made before numeric categorical columns were one-hot have no numericCategorical. */
function readLayout(s: { cardinalities: Record<string, number>; numericCategorical?: string[] }): DesignLayout {
  return { cardinalities: s.cardinalities, numericCategorical: s.numericCategorical ?? [] };
}

registerEstimator({
  type: 'logistic-regression',
  tasks: ['binary', 'multiclass'],
  options: LOGISTIC_OPTIONS,
  scaled: true,
  async fit(frame, y, spec, options) {
    const { type: _type, ...rest } = spec;
    const layout = layoutOf(frame, options.categorical);
    // Cancellable between solver iterations when the run can be cancelled.
    const model = await fitLogisticRegressionAsync(frameToDesign(frame, layout.cardinalities, layout.numericCategorical), y, {
      ...rest,
      ...(options.task === 'multiclass' && options.numClasses !== undefined ? { numClasses: options.numClasses } : {}),
      ...(options.sampleWeight ? { sampleWeight: options.sampleWeight } : {}),
    }, options.signal);
    return new LogisticEstimator(model, layout, options.task, spec.maxIter ?? 100);
  },
  load(state) {
    const s = state as { model: unknown; cardinalities: Record<string, number>; numericCategorical?: string[]; task: Task };
    return new LogisticEstimator(LogisticRegressionModel.fromJSON(s.model), readLayout(s), s.task);
  },
  example: { C: 1 },
});

registerEstimator({
  type: 'ridge',
  tasks: ['regression'],
  options: RIDGE_OPTIONS,
  scaled: true,
  fit(frame, y, spec, options) {
    const { type: _type, ...rest } = spec;
    const layout = layoutOf(frame, options.categorical);
    const model = fitRidge(frameToDesign(frame, layout.cardinalities, layout.numericCategorical), y, { ...rest, ...(options.sampleWeight ? { sampleWeight: options.sampleWeight } : {}) });
    return new LinearRegressionEstimator('ridge', model, layout, spec.maxIter ?? 500);
  },
  load(state) {
    const s = state as { model: unknown; cardinalities: Record<string, number>; numericCategorical?: string[] };
    return new LinearRegressionEstimator('ridge', LinearRegressionModel.fromJSON(s.model), readLayout(s));
  },
  example: { alpha: 1 },
});

registerEstimator({
  type: 'elastic-net',
  tasks: ['regression'],
  options: ELASTIC_NET_OPTIONS,
  scaled: true,
  async fit(frame, y, spec, options) {
    const { type: _type, ...rest } = spec;
    const layout = layoutOf(frame, options.categorical);
    const model = await fitElasticNetAsync(frameToDesign(frame, layout.cardinalities, layout.numericCategorical), y, { ...rest, ...(options.sampleWeight ? { sampleWeight: options.sampleWeight } : {}) }, options.signal);
    return new LinearRegressionEstimator('elastic-net', model, layout, spec.maxIter ?? 1000);
  },
  load(state) {
    const s = state as { model: unknown; cardinalities: Record<string, number>; numericCategorical?: string[] };
    return new LinearRegressionEstimator('elastic-net', LinearRegressionModel.fromJSON(s.model), readLayout(s));
  },
  example: { alpha: 0.01, l1Ratio: 0.5 },
});
