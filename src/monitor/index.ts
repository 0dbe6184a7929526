export { dataDrift, driftFrame, featureDrift, DEFAULT_THRESHOLDS, SMALL_REFERENCE_ROWS } from './drift.ts';
export type { DataDriftOptions, DataDriftReport, DriftMethod, FeatureDrift, FeatureDriftOptions } from './drift.ts';
