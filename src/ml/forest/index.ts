/**
 * Random forests for classification and regression.
 *
 * - `RandomForest`: the estimator on Frames (fit, predict, predictProba, OOB score, importance,
 *   toBytes/fromBytes). As a registered estimator its type is 'random-forest' (estimator.ts).
 * - Lower-level pieces: growing trees on binned data (`growForest`, `TreeBuilder`), flattened
 *   prediction (`flattenTrees`, `predictBinned`), the artifact format.
 *
 * @example
 * import { RandomForest } from './index.ts';
 * const forest = await new RandomForest({ numTrees: 100 }).fit(frame, label);
 * forest.predictProba(frame);
 */
export { RandomForest } from './forest.ts';
export { fitForest, type RandomForestFitOptions } from './fit.ts';
export { resolveForestOptions, resolveMaxFeatures, type ForestOptions, type MaxFeatures, type ResolvedForestOptions } from './options.ts';
export { TreeBuilder, type ForestTree, type GrowData, type GrowParams } from './grow.ts';
export { growForest, type ForestData, type GrowForestOptions } from './train.ts';
export { accumulateTrees, flattenForestTrees, predictBinned, type FlatTrees } from './predict.ts';
export { forestImportance } from './importance.ts';
export { forestFromBytes, forestToBytes } from './serialize.ts';
export { binForFrame, codesForFrame, type ForestModel } from './model.ts';
export { oobResult, type OobResult } from './oob.ts';
export { closeForestThreads } from './pool.ts';
export type { PredictOptions } from './forest.ts';
