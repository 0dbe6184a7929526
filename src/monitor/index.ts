export { dataDrift, driftFrame, featureDrift, DEFAULT_THRESHOLDS, SMALL_REFERENCE_ROWS } from './drift.ts';
export type { DataDriftOptions, DataDriftReport, DriftHistogram, DriftMethod, FeatureDrift, FeatureDriftOptions } from './drift.ts';
export { compareOnRows, heldOutMetrics, type CompareOnRowsOptions } from './promotion.ts';
export { shouldRetrain, type RetrainDecision, type RetrainPolicy } from './retrain.ts';
export { measurePerformance, performanceFrame, type PerformanceOptions, type PerformanceRecord } from './performance.ts';
