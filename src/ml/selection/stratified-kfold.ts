/**
 * Stratified k-fold splits, as scikit-learn's StratifiedKFold: each fold holds every class in nearly
 * its overall proportion. Without shuffling the folds are exactly scikit-learn's.
 *
 * @example
 * const folds = stratifiedKFold(frame.numbers('late'), { k: 5, shuffle: true, seed: 3 });
 */
import { stratifiedKFoldAssignment } from '../../features/folds.ts';
import { splitsFromAssignment, type Split } from './split.ts';

export interface StratifiedKFoldOptions {
  /** Number of folds (default 5). */
  k?: number;
  /** Shuffle each class's fold ids (default false, as scikit-learn). */
  shuffle?: boolean;
  /** Seed of the shuffle (default 0). */
  seed?: number;
}

export function stratifiedKFold(labels: ArrayLike<number>, options: StratifiedKFoldOptions = {}): Split[] {
  const k = options.k ?? 5;
  return splitsFromAssignment(stratifiedKFoldAssignment(labels, k, { shuffle: options.shuffle ?? false, seed: options.seed ?? 0 }), k, 'stratified k-fold');
}
