/**
 * Model selection: splits, cross-validation, hyperparameter search and probability calibration.
 * Every random choice takes a seed.
 */
export { CalibratedEstimator, fitCalibratedEstimator, fitCalibrator, loadCalibrator, type CalibratedSpec, type CalibrationMethod, type Calibrator } from './calibrated-estimator.ts';
export { crossValidateModel, type CrossValidateModelOptions } from './cross-validate-model.ts';
export { crossValidate, crossValPredict, type CrossValidateOptions, type CrossValidationResult, type CrossValPredictOptions, type FoldResult, type Scores } from './cross-validate.ts';
export type { CandidateResult, EvaluationContext, Evaluate, EvaluatorOptions, WorkerEvaluate } from './evaluator.ts';
export { groupKFold, type GroupKFoldOptions } from './group-kfold.ts';
export { IsotonicCalibrator, fitIsotonic } from './isotonic.ts';
export { kFold, type KFoldOptions } from './kfold.ts';
export { mapConcurrent, WorkerPool, type WorkerPoolOptions } from './parallel.ts';
export { checkSpace, choice, gridSize, intRange, logUniform, ParamDistribution, sampleCandidates, uniform, type Params, type SearchSpace } from './param-space.ts';
export { PlattCalibrator, fitPlatt } from './platt.ts';
export { randomSearch, type RandomSearchOptions, type SearchResult } from './random-search.ts';
export { randomSplit, type RandomSplitOptions } from './random-split.ts';
export { frameFromShared, shareFrame, type SharedFrame } from './shared-frame.ts';
export { checkSplit, type Split } from './split.ts';
export { stratifiedKFold, type StratifiedKFoldOptions } from './stratified-kfold.ts';
export { stratifiedSplit, type StratifiedSplitOptions } from './stratified-split.ts';
export { successiveHalving, type HalvingResult, type HalvingRound, type SuccessiveHalvingOptions } from './successive-halving.ts';
export { timeSeriesSplit, type TimeSeriesSplitOptions } from './time-series-split.ts';
export { timeSplit, type TimeSplitOptions } from './time-split.ts';
