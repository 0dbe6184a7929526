/**
 * Linear models on a design of dense columns plus implicitly one-hot categorical columns:
 * logistic regression (binary, multinomial), ridge, elastic net / lasso; the solvers
 * (L-BFGS, OWL-QN) for reuse.
 *
 * @example
 * import { designMatrix, fitLogisticRegression } from './index.ts';
 * const X = designMatrix({ dense: { distance }, categorical: { origin: { codes, cardinality: 230 } } });
 * const model = fitLogisticRegression(X, y, { C: 1 });
 * const p = model.predictProba(X);
 */
export {
  designMatrix,
  schemaOf,
  coefficientNames,
  coefficientCount,
  validateDesign,
  type CategoricalColumn,
  type DesignMatrix,
  type DesignSchema,
} from './design.ts';
export {
  fitLogisticRegression,
  LogisticRegressionModel,
  type LogisticRegressionOptions,
  type LogisticRegressionJSON,
  type Penalty,
} from './logistic.ts';
export { fitRidge, type RidgeOptions } from './ridge.ts';
export { fitElasticNet, type ElasticNetOptions } from './elastic-net.ts';
export { LinearRegressionModel, type LinearRegressionJSON } from './regression-model.ts';
export type { FitInfo } from './problem.ts';
export { lbfgs, lbfgsAsync, type OptimizeResult, type QuasiNewtonOptions, type SmoothObjective, type StopReason } from './lbfgs.ts';
export { owlqn, owlqnAsync } from './owlqn.ts';
