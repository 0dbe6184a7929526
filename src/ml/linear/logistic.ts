/**
 * Logistic regression, binary and multinomial, with scikit-learn's parameterization:
 *
 *   minimize  C * sum_i s_i * loss_i + (1 - l1Ratio) / 2 * ||W||^2 + l1Ratio * ||W||_1
 *
 * (penalty 'l2': l1Ratio = 0, 'l1': 1, 'none': no penalty term), intercepts unpenalized.
 * Binary labels fit one coefficient vector (P(class 1)); three or more classes fit the
 * multinomial (softmax) model with one vector per class, as scikit-learn's lbfgs solver.
 * L2 and no penalty use L-BFGS, L1 and elastic net OWL-QN, both with a diagonal
 * preconditioner and the intercepts started at the class log-odds. With L2, directions that
 * leave every prediction unchanged (a complete one-hot block against the intercept, one
 * vector added to every class) are solved in closed form after each step (see
 * makeRecentering): they are what makes plain L-BFGS crawl on one-hot designs.
 *
 * Measured on the flights data (2.4M rows, 5 dense + 229 + 228 categories, 2 cores):
 * 1.2 s, 13 iterations, 15 passes to the default tolerance; 1.9 s to tol 1e-10. Same
 * machine and design, scikit-learn 1.2 lbfgs: 12.0 s for 100 iterations, not converged.
 */
import { DataError, SluiceError } from '../../core/errors.ts';
import { addLinearPredictor, checkSchema, coefficientCount, type DesignMatrix, type DesignSchema } from './design.ts';
import {
  checkNonNegative, checkPositive, checkSampleWeight, diagonalCurvature, isRecord, makeObjective, makeRecentering, numberArray, prepareProblem, readFitInfo,
  readSchema, solveSteps, unpack, type FitInfo,
} from './problem.ts';
import { drain, drainAsync } from './lbfgs.ts';
import { Checkpoint } from '../trees/cancel.ts';

export type Penalty = 'l2' | 'l1' | 'elasticnet' | 'none';

export interface LogisticRegressionOptions {
  /** Inverse regularization strength (scikit-learn's C); default 1. */
  C?: number;
  /** Default 'l2'. */
  penalty?: Penalty;
  /** Mix for 'elasticnet' (required there): 0 is pure L2, 1 pure L1. */
  l1Ratio?: number;
  /** Fit intercepts (unpenalized); default true. */
  fitIntercept?: boolean;
  /** Maximum solver iterations; default 100. */
  maxIter?: number;
  /**
   * Converged when the max-abs gradient of the objective divided by C * sum(weights) (the
   * weighted mean loss plus the scaled penalty) is at most tol; default 1e-6. That gradient
   * weighs each coefficient by how many rows it moves, so a loose tol leaves rare categories
   * less exact but predictions at the optimum's quality. For coefficients equal to the
   * optimum's (scikit-learn's to 1e-5 or better), use tol 1e-8 to 1e-10 with ftol 0.
   */
  tol?: number;
  /** Converged when the relative decrease of the objective in one iteration is at most ftol; default 1e-10, 0 disables. */
  ftol?: number;
  sampleWeight?: Float64Array;
  /** Per-class weights multiplying the sample weights: 'balanced' (n / (K * count_k)) or one weight per class code. */
  classWeight?: 'balanced' | readonly number[];
  /** Number of classes; default max(y) + 1. Every class must have rows. */
  numClasses?: number;
  /** L-BFGS memory (correction pairs); default 10. */
  memory?: number;
}

export interface LogisticRegressionJSON {
  format: 'sluice.logistic-regression';
  version: 1;
  schema: DesignSchema;
  numClasses: number;
  coef: number[];
  intercept: number[];
  options: { C: number; penalty: Penalty; l1Ratio: number; fitIntercept: boolean };
  fit: FitInfo;
}

/** A fitted logistic regression. Rows of `coef` follow coefficientNames(schema). */
export class LogisticRegressionModel {
  constructor(
    readonly schema: DesignSchema,
    readonly numClasses: number,
    /** Row-major: 1 x coefs for binary (class 1 against 0), K x coefs for multinomial. */
    readonly coef: Float64Array,
    /** Length 1 (binary) or K. Multinomial intercepts are centered (they sum to zero). */
    readonly intercept: Float64Array,
    readonly options: LogisticRegressionJSON['options'],
    readonly fitInfo: FitInfo,
  ) {}

  /**
   * Linear predictor: n values (binary) or row-major n x K (multinomial).
   *
   * @example
   * model.decisionFunction(X)[i]; // log-odds of class 1 for row i (binary)
   */
  decisionFunction(X: DesignMatrix): Float64Array {
    checkSchema(X, this.schema, 'LogisticRegressionModel.decisionFunction');
    const rows = this.intercept.length;
    const D = coefficientCount(this.schema);
    const out = new Float64Array(X.rows * rows);
    for (let k = 0; k < rows; k++) {
      const b = this.intercept[k]!;
      for (let i = 0; i < X.rows; i++) out[i * rows + k] = b;
      addLinearPredictor(X, this.schema, this.coef, k * D, out, rows, k);
    }
    return out;
  }

  /**
   * Binary: P(class 1) per row. Multinomial: row-major n x K class probabilities.
   * Category codes outside the fitted range (-1, or unseen categories) contribute zero.
   *
   * @example
   * const p = model.predictProba(X); // binary: p[i] = P(y_i = 1); multinomial: p[i * K + k]
   */
  predictProba(X: DesignMatrix): Float64Array {
    const z = this.decisionFunction(X);
    if (this.intercept.length === 1) {
      for (let i = 0; i < z.length; i++) {
        const v = z[i]!;
        z[i] = v >= 0 ? 1 / (1 + Math.exp(-v)) : Math.exp(v) / (1 + Math.exp(v));
      }
      return z;
    }
    softmaxRows(z, this.numClasses);
    return z;
  }

  /**
   * Most probable class code per row (binary: 1 when P(class 1) > 0.5).
   *
   * @example
   * accuracy(y, model.predict(X));
   */
  predict(X: DesignMatrix): Float64Array {
    const z = this.decisionFunction(X);
    const K = this.intercept.length;
    const out = new Float64Array(X.rows);
    for (let i = 0; i < X.rows; i++) {
      if (K === 1) { out[i] = z[i]! > 0 ? 1 : 0; continue; }
      let best = 0;
      for (let k = 1; k < K; k++) if (z[i * K + k]! > z[i * K + best]!) best = k;
      out[i] = best;
    }
    return out;
  }

  /** Plain JSON-safe object (JSON.stringify calls it); numbers round-trip exactly. */
  toJSON(): LogisticRegressionJSON {
    return {
      format: 'sluice.logistic-regression',
      version: 1,
      schema: this.schema,
      numClasses: this.numClasses,
      coef: Array.from(this.coef),
      intercept: Array.from(this.intercept),
      options: this.options,
      fit: this.fitInfo,
    };
  }

  /**
   * Rebuilds a model from toJSON() output (also after JSON.stringify / JSON.parse).
   *
   * @example
   * const copy = LogisticRegressionModel.fromJSON(JSON.parse(JSON.stringify(model)));
   */
  static fromJSON(json: unknown): LogisticRegressionModel {
    const where = 'LogisticRegressionModel.fromJSON';
    if (!isRecord(json) || json.format !== 'sluice.logistic-regression' || json.version !== 1) {
      throw new SluiceError(`${where}: not a serialized logistic regression (format 'sluice.logistic-regression', version 1)`, { hint: 'Pass the object produced by toJSON().' });
    }
    const schema = readSchema(json, where);
    const K = json.numClasses;
    if (!Number.isInteger(K) || (K as number) < 2) throw new DataError(`${where}: numClasses must be an integer >= 2`, { hint: 'Pass the object produced by toJSON(), unmodified.' });
    const rows = K === 2 ? 1 : (K as number);
    const coef = numberArray(json, 'coef', where, rows * coefficientCount(schema));
    const intercept = numberArray(json, 'intercept', where, rows);
    const o = json.options;
    if (!isRecord(o) || typeof o.C !== 'number' || typeof o.penalty !== 'string' || typeof o.l1Ratio !== 'number' || typeof o.fitIntercept !== 'boolean') {
      throw new DataError(`${where}: field 'options' is missing or malformed`, { hint: 'Pass the object produced by toJSON(), unmodified.' });
    }
    const options = { C: o.C, penalty: o.penalty as Penalty, l1Ratio: o.l1Ratio, fitIntercept: o.fitIntercept };
    return new LogisticRegressionModel(schema, K as number, coef, intercept, options, readFitInfo(json, where));
  }
}

/** In-place softmax of each row of a row-major n x K matrix. */
function softmaxRows(z: Float64Array, K: number): void {
  for (let o = 0; o < z.length; o += K) {
    let mx = z[o]!;
    for (let k = 1; k < K; k++) if (z[o + k]! > mx) mx = z[o + k]!;
    let s = 0;
    for (let k = 0; k < K; k++) { const e = Math.exp(z[o + k]! - mx); z[o + k] = e; s += e; }
    for (let k = 0; k < K; k++) z[o + k]! /= s;
  }
}

/** Resolves penalty and l1Ratio into the (l1, l2) weights of the normalized objective. */
export function penaltyWeights(where: string, penalty: Penalty, l1Ratio: number | undefined, strength: number): { l1: number; l2: number; ratio: number } {
  if (penalty === 'none') return { l1: 0, l2: 0, ratio: 0 };
  if (penalty === 'l2') return { l1: 0, l2: strength, ratio: 0 };
  if (penalty === 'l1') return { l1: strength, l2: 0, ratio: 1 };
  if (penalty === 'elasticnet') {
    if (l1Ratio === undefined || !(l1Ratio >= 0 && l1Ratio <= 1)) {
      throw new DataError(`${where}: penalty 'elasticnet' needs l1Ratio within [0, 1], got ${l1Ratio}`, { hint: 'Pass for example l1Ratio: 0.5.', context: { argument: 'l1Ratio' } });
    }
    return { l1: strength * l1Ratio, l2: strength * (1 - l1Ratio), ratio: l1Ratio };
  }
  throw new DataError(`${where}: unknown penalty '${String(penalty)}'`, { hint: "Use 'l2', 'l1', 'elasticnet' or 'none'.", context: { argument: 'penalty' } });
}

/**
 * Fits a logistic regression. `y` holds class codes: 0/1 for binary, 0..K-1 for multinomial.
 * Throws a DataError on bad shapes, non-finite values, a single class or bad options.
 *
 * @example
 * const X = designMatrix({ dense: { x: new Float64Array([-2, -1, 1, 2]) } });
 * const m = fitLogisticRegression(X, new Float64Array([0, 1, 0, 1]), { C: 1 });
 * m.predictProba(X); // P(class 1) per row
 * m.fitInfo.converged; // true
 */
export function fitLogisticRegression(X: DesignMatrix, y: Float64Array, options: LogisticRegressionOptions = {}): LogisticRegressionModel {
  return drain(logisticSteps(X, y, options));
}

/**
 * fitLogisticRegression, giving the event loop a turn between solver iterations (about every 20 ms)
 * and rejecting with CancelledError when `signal` aborts: the fit a pipeline run can cancel.
 */
export function fitLogisticRegressionAsync(X: DesignMatrix, y: Float64Array, options: LogisticRegressionOptions = {}, signal?: AbortSignal): Promise<LogisticRegressionModel> {
  return drainAsync(logisticSteps(X, y, options), new Checkpoint(signal, 'logistic regression'));
}

function* logisticSteps(X: DesignMatrix, y: Float64Array, options: LogisticRegressionOptions): Generator<number, LogisticRegressionModel, void> {
  const where = 'fitLogisticRegression';
  const C = options.C ?? 1;
  checkPositive(where, 'C', C);
  const maxIter = options.maxIter ?? 100;
  checkPositive(where, 'maxIter', maxIter, true);
  const gtol = options.tol ?? 1e-6;
  checkPositive(where, 'tol', gtol);
  const ftol = options.ftol ?? 1e-10;
  checkNonNegative(where, 'ftol', ftol);
  const memory = options.memory ?? 10;
  checkPositive(where, 'memory', memory, true);
  const penalty = options.penalty ?? 'l2';
  const fitIntercept = options.fitIntercept ?? true;

  if (y.length !== X.rows) {
    throw new DataError(`${where}: y has ${y.length} labels but the design has ${X.rows} rows`, { hint: 'Pass one label per row.', context: { argument: 'y' } });
  }
  let maxLabel = 0;
  for (let i = 0; i < y.length; i++) {
    const v = y[i]!;
    if (!(v >= 0) || !Number.isInteger(v)) {
      throw new DataError(`${where}: y[${i}] is ${v}; labels must be class codes 0, 1, ...`, { hint: 'Encode the label column as integer class codes (binary: 0/1).', context: { argument: 'y', row: i } });
    }
    if (v > maxLabel) maxLabel = v;
  }
  const K = options.numClasses ?? Math.max(2, maxLabel + 1);
  if (!Number.isInteger(K) || K < 2 || maxLabel >= K) {
    throw new DataError(`${where}: numClasses is ${K} but labels go up to ${maxLabel}`, { hint: 'Omit numClasses or set it above the largest class code.', context: { argument: 'numClasses' } });
  }
  let sw = checkSampleWeight(where, X.rows, options.sampleWeight);
  if (options.classWeight !== undefined) sw = applyClassWeight(where, y, K, sw, options.classWeight);
  // Weighted class totals: every class needs weight, otherwise its intercept runs to -infinity.
  const classWeight = new Float64Array(K);
  for (let i = 0; i < y.length; i++) classWeight[y[i]!]! += sw === null ? 1 : sw[i]!;
  let total = 0;
  for (let k = 0; k < K; k++) total += classWeight[k]!;
  for (let k = 0; k < K; k++) {
    if (!(classWeight[k]! > 0)) {
      throw new DataError(`${where}: class ${k} has no rows (or zero total weight); a classifier needs every class present`, {
        hint: K === 2 ? 'The training sample holds a single class: check the split or the filter.' : 'Re-encode the labels as consecutive codes of the classes present, or set numClasses.',
        context: { argument: 'y', class: k },
      });
    }
  }

  const multinomial = K > 2;
  const labels = multinomial ? Int32Array.from(y) : Float64Array.from(y);
  const problem = prepareProblem(X, { loss: multinomial ? 'multinomial' : 'binomial', classes: K, y: labels, sampleWeight: sw, center: fitIntercept, where });
  const { l1, l2, ratio } = penaltyWeights(where, penalty, options.l1Ratio, 1 / (C * problem.weightSum));

  // Start from the best constant model: intercepts at the (weighted) class log-odds.
  const D = problem.coefs;
  const x0 = new Float64Array(problem.dim);
  const curvature = new Float64Array(problem.classes);
  if (multinomial) {
    let meanLog = 0;
    for (let k = 0; k < K; k++) meanLog += Math.log(classWeight[k]! / total) / K;
    for (let k = 0; k < K; k++) {
      const pk = classWeight[k]! / total;
      if (fitIntercept) x0[k * (D + 1) + D] = Math.log(pk) - meanLog;
      curvature[k] = fitIntercept ? pk * (1 - pk) : 0.25;
    }
  } else {
    const p1 = classWeight[1]! / total;
    if (fitIntercept) x0[D] = Math.log(p1 / (1 - p1));
    curvature[0] = fitIntercept ? p1 * (1 - p1) : 0.25;
  }
  const objective = makeObjective(problem, l2, fitIntercept);
  const diagonal = diagonalCurvature(problem, curvature, l2);
  const afterStep = l1 > 0 ? undefined : makeRecentering(problem, l2, fitIntercept);
  const { result, info } = yield* solveSteps(objective, x0, l1, (i) => i % (D + 1) !== D, { maxIter, gtol, ftol, memory, diagonal, afterStep });
  const { coef, intercept } = unpack(problem, result.x);
  if (multinomial) {
    // Softmax is invariant to a common shift of the (unpenalized) intercepts: center them.
    let m = 0;
    for (let k = 0; k < K; k++) m += intercept[k]! / K;
    for (let k = 0; k < K; k++) intercept[k]! -= m;
  }
  return new LogisticRegressionModel(problem.schema, K, coef, intercept, { C, penalty, l1Ratio: ratio, fitIntercept }, info);
}

function applyClassWeight(where: string, y: Float64Array, K: number, sw: Float64Array | null, classWeight: 'balanced' | readonly number[]): Float64Array {
  const n = y.length;
  let perClass: Float64Array;
  if (classWeight === 'balanced') {
    // scikit-learn: n_samples / (n_classes * bincount(y)), from unweighted counts.
    const counts = new Float64Array(K);
    for (let i = 0; i < n; i++) counts[y[i]!]!++;
    perClass = counts.map((c) => (c > 0 ? n / (K * c) : 0));
  } else {
    if (classWeight.length !== K || !classWeight.every((w) => w >= 0 && Number.isFinite(w))) {
      throw new DataError(`${where}: classWeight has ${classWeight.length} entries for ${K} classes; pass one finite non-negative weight per class code`, { hint: "Pass one weight per class, or 'balanced'.", context: { argument: 'classWeight' } });
    }
    perClass = Float64Array.from(classWeight);
  }
  const out = sw === null ? new Float64Array(n).fill(1) : sw;
  for (let i = 0; i < n; i++) out[i]! *= perClass[y[i]!]!;
  return out;
}
