/**
 * Group k-fold splits, as scikit-learn's GroupKFold: all rows of a group (a customer, an airport, a
 * day) fall in the same fold, so the model is always tested on groups it has not seen. Groups go,
 * largest first, to the fold with the fewest rows so far, which balances fold sizes.
 *
 * @example
 * const folds = groupKFold(frame.strings('customer').codes, { k: 5 });
 */
import { DataError } from '../../core/errors.ts';
import { splitsFromAssignment, type Split } from './split.ts';

export interface GroupKFoldOptions {
  /** Number of folds (default 5). */
  k?: number;
}

/** Groups: one value per row (numbers or strings; for a text column, its codes, -1 being a group too). */
export function groupKFold(groups: ArrayLike<number | string>, options: GroupKFoldOptions = {}): Split[] {
  const k = options.k ?? 5;
  if (!Number.isInteger(k) || k < 2) throw new DataError(`group k-fold: the number of folds must be an integer >= 2, got ${k}`);
  const n = groups.length;
  const index = new Map<number | string, number>();
  const keys: (number | string)[] = [];
  const groupOf = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const g = groups[i]!;
    if (typeof g === 'number' && Number.isNaN(g)) throw new DataError(`group k-fold: the group is missing at row ${i}`, { context: { row: i } });
    let c = index.get(g);
    if (c === undefined) { c = keys.length; index.set(g, c); keys.push(g); }
    groupOf[i] = c;
  }
  const nGroups = keys.length;
  if (nGroups < k) {
    throw new DataError(`group k-fold: ${k} folds but only ${nGroups} groups, so a fold would be empty`, { hint: `Use at most ${nGroups} folds.` });
  }
  const sizes = new Int32Array(nGroups);
  for (let i = 0; i < n; i++) sizes[groupOf[i]!]!++;
  // scikit-learn numbers groups in sorted order and visits them by size, largest first; among equal
  // sizes the reversed ascending argsort puts the later group first.
  const sortedKeys = keys.map((_, c) => c).sort((a, b) => compareKeys(keys[a]!, keys[b]!));
  const rank = new Int32Array(nGroups);
  sortedKeys.forEach((c, r) => { rank[c] = r; });
  const visit = sortedKeys.slice().sort((a, b) => sizes[b]! - sizes[a]! || rank[b]! - rank[a]!);
  const load = new Float64Array(k);
  const foldOfGroup = new Int32Array(nGroups);
  for (const g of visit) {
    let lightest = 0;
    for (let f = 1; f < k; f++) if (load[f]! < load[lightest]!) lightest = f;
    load[lightest]! += sizes[g]!;
    foldOfGroup[g] = lightest;
  }
  const fold = new Int32Array(n);
  for (let i = 0; i < n; i++) fold[i] = foldOfGroup[groupOf[i]!]!;
  return splitsFromAssignment(fold, k, 'group k-fold');
}

function compareKeys(a: number | string, b: number | string): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  const x = String(a), y = String(b);
  return x < y ? -1 : x > y ? 1 : 0;
}
