/**
 * Feature importance from the trees: total split gain (loss reduction) and split count per feature.
 *
 * @example
 * featureImportance(model.trees, 3, 'gain'); // Float64Array of 3
 */
import type { Tree } from '../trees/tree.ts';

export type ImportanceKind = 'gain' | 'split';

export function featureImportance(trees: readonly Tree[], numFeatures: number, kind: ImportanceKind = 'gain'): Float64Array {
  const out = new Float64Array(numFeatures);
  for (const t of trees) {
    for (let i = 0; i < t.numNodes; i++) {
      const f = t.feature[i]!;
      if (f < 0) continue;
      out[f]! += kind === 'gain' ? t.gain[i]! : 1;
    }
  }
  return out;
}
