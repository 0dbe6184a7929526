/**
 * The code both tree learners (gbdt/ and forest/) stand on, as LightGBM's random forest stands on
 * its GBDT: binning (`binning.ts`, and the finer 16-bit codes of exact splits, `fine.ts`),
 * histograms and their generated kernels (`histogram.ts`), split search (`split.ts` for one sum per
 * bin, `split-multiclass.ts` for K classes, `split-exact.ts` for exact thresholds on sorted rows),
 * the tree in bin space (`tree.ts`), the flattened trees and their one predictor (`flat.ts`), the
 * artifact framing (`artifact.ts`), hashed sampling streams (`sampling.ts`), worker threads
 * (`threads.ts`) and cancellation of fit loops (`cancel.ts`).
 *
 * @example
 * import { fitBinMappers, flattenTrees, accumulate } from './index.ts';
 */
export { MAX_BINS, binColumns, binFeature, fitBinMappers, numBins, type BinMapper, type BinningOptions } from './binning.ts';
export { FINE_MISSING, fineCode, fineCodes, fitFineEdges, type FineEdges } from './fine.ts';
export { histogramLayout, histogramKernel, type HistogramLayout } from './histogram.ts';
export { findBestSplit, type SplitCandidate, type SplitParams } from './split.ts';
export { findMulticlassSplit, type NodeSplit } from './split-multiclass.ts';
export { ExactSplitter, EXACT_MAX_ROWS, type ExactSplit } from './split-exact.ts';
export { treeFromNodes, type NodeSpec, type Tree } from './tree.ts';
export { accumulate, flattenTrees, leafOf, type FlatTrees } from './flat.ts';
export { Checkpoint } from './cancel.ts';
export { liveTreeWorkers, startTreeWorker } from './threads.ts';
