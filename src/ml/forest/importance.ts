/**
 * Mean decrease in impurity (MDI), as scikit-learn's feature_importances_: per tree, each feature's
 * weighted impurity decrease over its splits divided by the root's weight, normalized to sum 1;
 * then the mean over trees that split at all, normalized again.
 *
 * @example
 * forestImportance(model.trees, 7); // Float64Array of 7 summing to 1 (or all 0)
 */
import type { ForestTree } from './grow.ts';

export function forestImportance(trees: readonly ForestTree[], numFeatures: number): Float64Array {
  const out = new Float64Array(numFeatures);
  const per = new Float64Array(numFeatures);
  let used = 0;
  for (const { tree: t } of trees) {
    if (t.numNodes <= 1) continue;
    per.fill(0);
    for (let i = 0; i < t.numNodes; i++) if (t.feature[i]! >= 0) per[t.feature[i]!]! += t.gain[i]!;
    let sum = 0;
    for (let f = 0; f < numFeatures; f++) sum += per[f]!;
    if (!(sum > 0)) continue;
    for (let f = 0; f < numFeatures; f++) out[f]! += per[f]! / sum;
    used++;
  }
  let total = 0;
  for (let f = 0; f < numFeatures; f++) total += out[f]!;
  if (used > 0 && total > 0) for (let f = 0; f < numFeatures; f++) out[f]! /= total;
  return out;
}
