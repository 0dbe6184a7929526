/**
 * Per-row feature contributions with TreeSHAP (Lundberg et al. 2018, "Consistent Individualized
 * Feature Attribution for Tree Ensembles", Algorithm 2; ported from the shap package's
 * tree_shap_recursive). Node covers are training row counts. For each row and output the
 * contributions plus the bias (base score + each tree's cover-weighted mean leaf value) sum to the
 * raw score exactly up to rounding.
 *
 * A row's path through a split is decided by its bin and the split's left set, so numeric,
 * categorical and missing values need no special cases.
 *
 * @example
 * const phi = treeShap(trees, 1, baseScore, bins, n, F); // n * (F + 1), bias last
 */
import { goesLeft, treeDepth, type Tree } from '../trees/tree.ts';

class Path {
  readonly feat: Int32Array;
  readonly zero: Float64Array;
  readonly one: Float64Array;
  readonly pw: Float64Array;
  constructor(size: number) {
    this.feat = new Int32Array(size);
    this.zero = new Float64Array(size);
    this.one = new Float64Array(size);
    this.pw = new Float64Array(size);
  }
}

function extend(P: Path, s: number, d: number, z: number, o: number, f: number): void {
  P.feat[s + d] = f;
  P.zero[s + d] = z;
  P.one[s + d] = o;
  P.pw[s + d] = d === 0 ? 1 : 0;
  for (let i = d - 1; i >= 0; i--) {
    P.pw[s + i + 1]! += (o * P.pw[s + i]! * (i + 1)) / (d + 1);
    P.pw[s + i] = (z * P.pw[s + i]! * (d - i)) / (d + 1);
  }
}

function unwind(P: Path, s: number, d: number, pi: number): void {
  const o = P.one[s + pi]!;
  const z = P.zero[s + pi]!;
  let next = P.pw[s + d]!;
  for (let i = d - 1; i >= 0; i--) {
    if (o !== 0) {
      const tmp = P.pw[s + i]!;
      P.pw[s + i] = (next * (d + 1)) / ((i + 1) * o);
      next = tmp - (P.pw[s + i]! * z * (d - i)) / (d + 1);
    } else {
      P.pw[s + i] = (P.pw[s + i]! * (d + 1)) / (z * (d - i));
    }
  }
  for (let i = pi; i < d; i++) {
    P.feat[s + i] = P.feat[s + i + 1]!;
    P.zero[s + i] = P.zero[s + i + 1]!;
    P.one[s + i] = P.one[s + i + 1]!;
  }
}

function unwoundSum(P: Path, s: number, d: number, pi: number): number {
  const o = P.one[s + pi]!;
  const z = P.zero[s + pi]!;
  let next = P.pw[s + d]!;
  let total = 0;
  for (let i = d - 1; i >= 0; i--) {
    if (o !== 0) {
      const tmp = (next * (d + 1)) / ((i + 1) * o);
      total += tmp;
      next = P.pw[s + i]! - tmp * z * ((d - i) / (d + 1));
    } else if (z !== 0) {
      total += P.pw[s + i]! / z / ((d - i) / (d + 1));
    }
  }
  return total;
}

function recurse(t: Tree, P: Path, bins: Uint8Array, rowBase: number, phi: Float64Array, phiBase: number,
  node: number, d: number, parentStart: number, pz: number, po: number, pf: number): void {
  const s = parentStart + d + 1;
  for (let i = 0; i < d; i++) {
    P.feat[s + i] = P.feat[parentStart + i]!;
    P.zero[s + i] = P.zero[parentStart + i]!;
    P.one[s + i] = P.one[parentStart + i]!;
    P.pw[s + i] = P.pw[parentStart + i]!;
  }
  extend(P, s, d, pz, po, pf);
  const left = t.left[node]!;
  if (left < 0) {
    const v = t.value[node]!;
    for (let i = 1; i <= d; i++) {
      const w = unwoundSum(P, s, d, i);
      phi[phiBase + P.feat[s + i]!]! += w * (P.one[s + i]! - P.zero[s + i]!) * v;
    }
    return;
  }
  const right = t.right[node]!;
  const f = t.feature[node]!;
  const hotLeft = goesLeft(t, node, bins[rowBase + f]!);
  const hot = hotLeft ? left : right;
  const cold = hotLeft ? right : left;
  const w = t.cover[node]!;
  const hotZero = t.cover[hot]! / w;
  const coldZero = t.cover[cold]! / w;
  let iz = 1;
  let io = 1;
  let pi = 0;
  for (; pi <= d; pi++) if (P.feat[s + pi] === f) break;
  if (pi !== d + 1) {
    iz = P.zero[s + pi]!;
    io = P.one[s + pi]!;
    unwind(P, s, d, pi);
    d -= 1;
  }
  recurse(t, P, bins, rowBase, phi, phiBase, hot, d + 1, s, hotZero * iz, io, f);
  recurse(t, P, bins, rowBase, phi, phiBase, cold, d + 1, s, coldZero * iz, 0, f);
}

/** Cover-weighted mean of the tree's leaf values: its contribution to the bias. */
export function expectedValue(t: Tree): number {
  const e = new Float64Array(t.numNodes);
  for (let i = t.numNodes - 1; i >= 0; i--) {
    const l = t.left[i]!;
    if (l < 0) e[i] = t.value[i]!;
    else {
      const r = t.right[i]!;
      e[i] = (t.cover[l]! * e[l]! + t.cover[r]! * e[r]!) / (t.cover[l]! + t.cover[r]!);
    }
  }
  return e[0]!;
}

/**
 * Contributions of n binned rows (F bytes each): Float64Array at [(row * outputs + k) * (F + 1) + f],
 * f = F being the bias. Tree t adds to output t % outputs.
 */
export function treeShap(trees: readonly Tree[], outputs: number, baseScore: Float64Array, bins: Uint8Array, n: number, F: number): Float64Array {
  const K = outputs;
  const out = new Float64Array(n * K * (F + 1));
  const bias = Float64Array.from(baseScore);
  let maxDepth = 0;
  trees.forEach((t, ti) => {
    bias[ti % K]! += expectedValue(t);
    maxDepth = Math.max(maxDepth, treeDepth(t));
  });
  const P = new Path(((maxDepth + 3) * (maxDepth + 4)) / 2 + 2);
  for (let r = 0; r < n; r++) {
    for (let k = 0; k < K; k++) out[(r * K + k) * (F + 1) + F] = bias[k]!;
    trees.forEach((t, ti) => {
      if (t.left[0]! < 0) return;
      recurse(t, P, bins, r * F, out, (r * K + (ti % K)) * (F + 1), 0, 0, -1, 1, 1, -1);
    });
  }
  return out;
}
