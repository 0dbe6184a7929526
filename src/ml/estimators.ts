/**
 * Every estimator family, registered: importing this module makes their type names usable in
 * `trainModel({ estimator: { type } })` and loadable from model packages.
 */
import './gbdt/register.ts';
import './linear/estimator.ts';
import './forest/estimator.ts';
import './selection/calibrated-estimator.ts';

export { fitEstimator, loadEstimator, registerEstimator, type Estimator, type EstimatorSpec, type FitOptions, type Task } from './estimator.ts';
