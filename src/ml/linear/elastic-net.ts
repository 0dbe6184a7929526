/**
 * Elastic net and lasso regression as scikit-learn's ElasticNet / Lasso:
 *
 *   minimize  1 / (2 sum(s)) * sum_i s_i (y_i - b - x_i·w)^2
 *             + alpha * l1Ratio * ||w||_1 + alpha * (1 - l1Ratio) / 2 * ||w||^2
 *
 * solved by OWL-QN (exact zeros for dropped coefficients), intercept unpenalized.
 */
import { DataError } from '../../core/errors.ts';
import type { DesignMatrix } from './design.ts';
import { checkNonNegative, checkPositive, checkSampleWeight, diagonalCurvature, makeObjective, prepareProblem, solveSteps, unpack } from './problem.ts';
import { drain, drainAsync } from './lbfgs.ts';
import { Checkpoint } from '../trees/cancel.ts';
import { LinearRegressionModel, checkTarget } from './regression-model.ts';

export interface ElasticNetOptions {
  /** Penalty strength; default 1 (scikit-learn's default). */
  alpha?: number;
  /** 1 (default 0.5 as scikit-learn) is the lasso, 0 a ridge on the mean squared error. */
  l1Ratio?: number;
  fitIntercept?: boolean;
  sampleWeight?: Float64Array;
  /** Maximum iterations; default 1000. */
  maxIter?: number;
  /** Max-abs pseudo-gradient tolerance; default 1e-8. */
  tol?: number;
  /** Relative objective change tolerance; default 1e-12. */
  ftol?: number;
}

/**
 * @example
 * const m = fitElasticNet(X, y, { alpha: 0.1, l1Ratio: 1 }); // lasso
 * m.coef; // exact zeros for the dropped columns
 */
export function fitElasticNet(X: DesignMatrix, y: Float64Array, options: ElasticNetOptions = {}): LinearRegressionModel {
  return drain(elasticNetSteps(X, y, options));
}

/** fitElasticNet, cancellable between solver iterations (see fitLogisticRegressionAsync). */
export function fitElasticNetAsync(X: DesignMatrix, y: Float64Array, options: ElasticNetOptions = {}, signal?: AbortSignal): Promise<LinearRegressionModel> {
  return drainAsync(elasticNetSteps(X, y, options), new Checkpoint(signal, 'elastic net'));
}

function* elasticNetSteps(X: DesignMatrix, y: Float64Array, options: ElasticNetOptions): Generator<number, LinearRegressionModel, void> {
  const where = 'fitElasticNet';
  const alpha = options.alpha ?? 1;
  const l1Ratio = options.l1Ratio ?? 0.5;
  if (!(alpha >= 0) || !Number.isFinite(alpha)) {
    throw new DataError(`${where}: alpha is ${alpha}; it must be a finite number >= 0`, { hint: 'Pass for example alpha: 0.1.', context: { argument: 'alpha' } });
  }
  if (!(l1Ratio >= 0 && l1Ratio <= 1)) {
    throw new DataError(`${where}: l1Ratio is ${l1Ratio}; it must be within [0, 1]`, { hint: 'Use 1 for the lasso, 0.5 for an even mix.', context: { argument: 'l1Ratio' } });
  }
  const maxIter = options.maxIter ?? 1000;
  checkPositive(where, 'maxIter', maxIter, true);
  const gtol = options.tol ?? 1e-8;
  checkPositive(where, 'tol', gtol);
  const ftol = options.ftol ?? 1e-12;
  checkNonNegative(where, 'ftol', ftol);
  const fitIntercept = options.fitIntercept ?? true;
  checkTarget(where, y, X.rows);
  const sw = checkSampleWeight(where, X.rows, options.sampleWeight);
  const problem = prepareProblem(X, { loss: 'squared', classes: 1, y, sampleWeight: sw, center: fitIntercept, where });
  const l1 = alpha * l1Ratio;
  const l2 = alpha * (1 - l1Ratio);
  const objective = makeObjective(problem, l2, fitIntercept);
  const D = problem.coefs;
  const x0 = new Float64Array(problem.dim);
  if (fitIntercept) {
    // Start at the weighted mean of y (the centered intercept at w = 0).
    let m = 0;
    for (let i = 0; i < y.length; i++) m += sw === null ? y[i]! : sw[i]! * y[i]!;
    x0[D] = m / problem.weightSum;
  }
  const diagonal = diagonalCurvature(problem, Float64Array.of(1), l2);
  const { result, info } = yield* solveSteps(objective, x0, l1, (i) => i !== D, { maxIter, gtol, ftol, memory: 10, diagonal });
  const { coef, intercept } = unpack(problem, result.x);
  return new LinearRegressionModel(problem.schema, coef, intercept[0]!, { method: 'elasticnet', alpha, l1Ratio, fitIntercept }, info);
}
