/**
 * Every estimator family, registered: importing this module makes their type names usable in
 * `trainModel({ estimator: { type } })` (and in the EstimatorSpec union the compiler checks) and
 * loadable from model packages.
 */
import './gbdt/register.ts';
import './linear/estimator.ts';
import './forest/estimator.ts';
import './selection/calibrated-estimator.ts';

export {
  checkSpec, estimatorFamily, fitEstimator, loadEstimator, registerEstimator, registeredEstimators, wantsScaling,
  type ClassLabel, type Estimator, type PredictAsyncOptions, type EstimatorFamily, type EstimatorSpec, type EstimatorSpecs, type EstimatorType, type FitOptions, type Task,
} from './estimator.ts';
export { checkFitInput, checkPredictInput } from './input.ts';
export { encodeLabel, codeLabels, type EncodedLabel, type LabelOptions } from './labels.ts';
export type { OptionRule, OptionRules } from './spec.ts';
