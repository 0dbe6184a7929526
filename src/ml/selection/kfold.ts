/**
 * K-fold cross-validation splits, as scikit-learn's KFold: rows (shuffled with the seed if asked)
 * cut into k contiguous folds; each fold is the test part once.
 *
 * @example
 * const folds = kFold(frame.numRows, { k: 5, shuffle: true, seed: 3 });
 */
import { kFoldAssignment } from '../../features/folds.ts';
import { splitsFromAssignment, type Split } from './split.ts';

export interface KFoldOptions {
  /** Number of folds (default 5). */
  k?: number;
  /** Shuffle before cutting (default false, as scikit-learn). */
  shuffle?: boolean;
  /** Seed of the shuffle (default 0). */
  seed?: number;
}

export function kFold(n: number, options: KFoldOptions = {}): Split[] {
  const k = options.k ?? 5;
  return splitsFromAssignment(kFoldAssignment(n, k, { shuffle: options.shuffle ?? false, seed: options.seed ?? 0 }), k, 'k-fold');
}
