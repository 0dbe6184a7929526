/**
 * Batch prediction of a forest: the shared flattened trees and walk of ../trees/flat.ts, each leaf
 * holding K class shares (or one value), averaged over the trees.
 *
 * Rows are coded as prediction reads them (model.ts codesForFrame): a byte per feature, or 16-bit
 * codes when some split is exact on fine codes.
 *
 * @example
 * const flat = flattenForestTrees(model.trees, model.outputs, Int32Array.from(model.mappers, numBins));
 * const p = predictBinned(flat, codesForFrame(model, frame), n, F);
 */
import { accumulate, flattenTrees, type FlatTrees } from '../trees/flat.ts';
import type { ForestTree } from './grow.ts';

export type { FlatTrees } from '../trees/flat.ts';
export { accumulate as accumulateTrees, leafOf as leafOfRow } from '../trees/flat.ts';

/** Flattens a forest's trees: every tree adds its leaf's `outputs` values to slots 0..outputs-1. */
export function flattenForestTrees(
  trees: readonly ForestTree[], outputs: number, numBins: ArrayLike<number>, fine?: readonly (Uint8Array | null)[],
): FlatTrees {
  return flattenTrees(trees.map((t) => ({ tree: t.tree, values: t.values })), { width: outputs, outputs, treeOutput: () => 0, numBins, ...(fine ? { fine } : {}) });
}

/** Mean over trees (per row and output) of rows [0, n) of a row-major code matrix (F per row). */
export function predictBinned(flat: FlatTrees, codes: Uint8Array | Uint16Array, n: number, F: number): Float64Array {
  const out = new Float64Array(n * flat.outputs);
  accumulate(flat, codes, F, out, 0, n);
  const T = flat.numTrees;
  for (let i = 0; i < out.length; i++) out[i]! /= T;
  return out;
}
