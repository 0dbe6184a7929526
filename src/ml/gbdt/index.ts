/**
 * Histogram gradient-boosted decision trees.
 *
 * - `GradientBoostedTrees`: the estimator on Frames (fit, predict*, SHAP, importance, toBytes/fromBytes).
 * - Lower-level pieces for other tree ensembles: quantile binning (`fitBinMappers`, `binColumns`),
 *   the booster on pre-binned data (`trainBooster`), flattened prediction (`flattenForest`,
 *   `predictRawBinned`), TreeSHAP (`treeShap`), the artifact format (`modelToBytes`, `modelFromBytes`).
 *
 * @example
 * import { GradientBoostedTrees } from './index.ts';
 * const model = await new GradientBoostedTrees().fit(frame, label, { objective: 'binary' });
 * model.predictProba(frame);
 */
export { GradientBoostedTrees, type GbdtFitOptions } from './estimator.ts';
export {
  MAX_BINS, binColumns, binFeature, describeThreshold, fitBinMappers, numBins, searchBin,
  type BinMapper, type BinningOptions, type CategoricalBinMapper, type FeatureInput, type NumericBinMapper,
} from '../trees/binning.ts';
export { startExecutor, trainBooster, type BinnedData, type Booster, type TrainInput } from './booster.ts';
export { resolveBoosterOptions, type BoosterOptions, type CategoricalSplitOptions, type ResolvedOptions } from './options.ts';
export { OBJECTIVES, lossFor, transformScores, type Loss, type Objective } from './losses.ts';
export { binFrame, featureColumns, type GbdtModel } from './model.ts';
export { PredictJob, accumulateForest, flattenForest, predictRawBinned, type FlatForest } from './predict.ts';
export { treeShap, expectedValue } from './shap.ts';
export { featureImportance, type ImportanceKind } from './importance.ts';
export { modelFromBytes, modelToBytes } from './serialize.ts';
export { goesLeft, isLeaf, leafOf, treeDepth, type Tree } from '../trees/tree.ts';
export { findBestSplit, type SplitCandidate, type SplitParams } from '../trees/split.ts';
export { histogramLayout, type HistogramLayout } from '../trees/histogram.ts';
export { LocalExecutor, TaskPool, closeThreads, sharedTaskPool, type Executor } from './pool.ts';
