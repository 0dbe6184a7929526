/**
 * Best Gini split of a node for K classes, from K histograms of one layout (histogram k holds,
 * per slot, the weight of class k rows and the weight of all rows: gbdt's [gradient, hessian]
 * pairs with gradient = weight * [y == k]). Binary and regression nodes use gbdt's findBestSplit,
 * which scores one sum per slot; K classes need K sums, hence this one.
 *
 * The score of a partition is sum over children and classes of S_ck^2 / W_c, so the weighted Gini
 * decrease is score(children) - score(parent).
 *
 * - Numeric features: every threshold between bins, with the missing bin on either side (the
 *   better side becomes the default direction; without missing values, the heavier child).
 * - Categorical features: Gini's best category subset has no closed form for K > 2; for each class
 *   k the categories present are ordered by their share of class k and every prefix (from either
 *   end) is tried, which is exact for two classes (Breiman) and a good heuristic beyond. Missing
 *   values (and, at prediction, unseen categories) follow the default direction, also learned.
 *
 * @example
 * const s = findMulticlassSplit(hists, layout, features, 2, categorical, totals, W, { minSamplesLeaf: 1, minGain: 0 });
 * if (s) s.lut[bin]; // 1 when a row with this bin goes left
 */
import type { HistogramLayout } from './histogram.ts';

/** A chosen split, whatever found it. */
export interface NodeSplit {
  feature: number;
  categorical: boolean;
  /** Numeric: bins <= threshold go left; categorical: -1. */
  threshold: number;
  defaultLeft: boolean;
  /** bin -> 1 when left, 256 entries. */
  lut: Uint8Array;
  /** An exact split on fine codes: codes <= fine go left (the lut is then its byte-bin outline). */
  fine?: number;
  /** Weighted impurity decrease (Gini or squared error, in weight units). */
  decrease: number;
  /** Weight and per-output sums of the left child. */
  leftW: number;
  leftS: Float64Array;
}

export interface MulticlassSplitParams {
  minSamplesLeaf: number;
  minGain: number;
  /** Categories with less weight at the node count as absent. */
  minCategoryWeight: number;
}

const ratio = new Float64Array(256);
const order = new Int32Array(256);

// The running best (module state: each thread has its own).
const best = { score: -Infinity, feature: -1, categorical: false, threshold: -1, defaultLeft: false, cls: 0, dir: 0, size: 0 };

function sortOrder(ne: number): void {
  // Stable insertion sort by ratio (at most 255 categories, once per feature and class).
  for (let i = 1; i < ne; i++) {
    const b = order[i]!;
    const v = ratio[b]!;
    let j = i - 1;
    while (j >= 0 && ratio[order[j]!]! > v) { order[j + 1] = order[j]!; j--; }
    order[j + 1] = b;
  }
}

/** Eligible (present) categories of a feature in bin order; returns how many. */
function eligible(w: Float64Array, o: number, nb: number, minW: number): number {
  let ne = 0;
  for (let b = 0; b < nb; b++) if (w[(o + b) * 2 + 1]! >= minW) order[ne++] = b;
  return ne;
}

export function findMulticlassSplit(
  hists: readonly Float64Array[], layout: HistogramLayout, features: ArrayLike<number>, numFeatures: number,
  categorical: Uint8Array, S: Float64Array, W: number, p: MulticlassSplitParams,
): NodeSplit | null {
  const K = hists.length;
  const minS = p.minSamplesLeaf;
  if (W < 2 * minS) return null;
  let parent = 0;
  for (let k = 0; k < K; k++) parent += (S[k]! * S[k]!) / W;
  const h0 = hists[0]!;
  const cl = new Float64Array(K);
  const cm = new Float64Array(K);
  best.score = -Infinity;
  best.feature = -1;
  const score = (wl: number): number => {
    const wr = W - wl;
    let s = 0;
    for (let k = 0; k < K; k++) {
      const l = cl[k]!;
      const r = S[k]! - l;
      s += (l * l) / wl + (r * r) / wr;
    }
    return s;
  };
  for (let j = 0; j < numFeatures; j++) {
    const f = features[j]!;
    const o = layout.offsets[f]!;
    const nb = layout.numBins[f]!;
    // The missing bin's weight and class sums.
    const ms = (o + nb) * 2;
    for (let k = 0; k < K; k++) cm[k] = hists[k]![ms]!;
    const wm = h0[ms + 1]!;
    const hasMissing = wm > 0;
    if (!categorical[f]) {
      for (let pass = 0; pass < (hasMissing ? 2 : 1); pass++) {
        // pass 0: missing right; pass 1: missing left.
        let wl = pass === 0 ? 0 : wm;
        for (let k = 0; k < K; k++) cl[k] = pass === 0 ? 0 : cm[k]!;
        const last = pass === 0 && hasMissing ? nb - 1 : nb - 2;
        for (let t = 0; t <= last; t++) {
          const s = (o + t) * 2;
          wl += h0[s + 1]!;
          for (let k = 0; k < K; k++) cl[k]! += hists[k]![s]!;
          if (wl < minS) continue;
          if (W - wl < minS) break;
          const sc = score(wl);
          if (sc > best.score) {
            best.score = sc; best.feature = f; best.categorical = false; best.threshold = t;
            best.defaultLeft = hasMissing ? pass === 1 : wl >= W - wl;
          }
        }
      }
      continue;
    }
    const ne = eligible(h0, o, nb, p.minCategoryWeight);
    if (ne < 1) continue;
    // Weight of the "other" group: missing values plus categories too light to count as present.
    let wo = 0;
    for (let b = 0; b <= nb; b++) {
      const s = (o + b) * 2;
      if (b === nb || h0[s + 1]! < p.minCategoryWeight) wo += h0[s + 1]!;
    }
    const hasOther = wo > 0;
    const maxSize = (ne + 1) >> 1;
    // With two classes, ordering by class 1 is ordering by class 0 reversed: one order suffices.
    const orders = K === 2 ? 1 : K;
    for (let k0 = 0; k0 < orders; k0++) {
      eligible(h0, o, nb, p.minCategoryWeight);
      const hk = hists[k0]!;
      for (let i = 0; i < ne; i++) { const b = order[i]!; const s = (o + b) * 2; ratio[b] = hk[s]! / h0[s + 1]!; }
      sortOrder(ne);
      for (let dir = 1; dir <= 2; dir++) {
        for (let otherLeft = 0; otherLeft <= (hasOther ? 1 : 0); otherLeft++) {
          let wl = 0;
          for (let k = 0; k < K; k++) cl[k] = 0;
          if (otherLeft) {
            for (let b = 0; b <= nb; b++) {
              const s = (o + b) * 2;
              if (b === nb || h0[s + 1]! < p.minCategoryWeight) { wl += h0[s + 1]!; for (let k = 0; k < K; k++) cl[k]! += hists[k]![s]!; }
            }
          }
          for (let i = 0; i < maxSize; i++) {
            const b = order[dir === 1 ? i : ne - 1 - i]!;
            const s = (o + b) * 2;
            wl += h0[s + 1]!;
            for (let k = 0; k < K; k++) cl[k]! += hists[k]![s]!;
            if (wl < minS || W - wl < minS) continue;
            const sc = score(wl);
            if (sc > best.score) {
              best.score = sc; best.feature = f; best.categorical = true; best.threshold = -1;
              best.defaultLeft = hasOther ? otherLeft === 1 : wl >= W - wl;
              best.cls = k0; best.dir = dir; best.size = i + 1;
            }
          }
        }
      }
    }
  }
  if (best.feature < 0) return null;
  const decrease = best.score - parent;
  if (!(decrease > p.minGain)) return null;
  const f = best.feature;
  const o = layout.offsets[f]!;
  const nb = layout.numBins[f]!;
  const lut = new Uint8Array(256);
  if (best.categorical) {
    lut.fill(best.defaultLeft ? 1 : 0);
    const ne = eligible(h0, o, nb, p.minCategoryWeight);
    const hk = hists[best.cls]!;
    for (let i = 0; i < ne; i++) { const b = order[i]!; const s = (o + b) * 2; ratio[b] = hk[s]! / h0[s + 1]!; }
    sortOrder(ne);
    for (let i = 0; i < ne; i++) lut[order[i]!] = 0;
    for (let i = 0; i < best.size; i++) lut[order[best.dir === 1 ? i : ne - 1 - i]!] = 1;
  } else {
    for (let b = 0; b <= best.threshold; b++) lut[b] = 1;
    for (let b = nb; b < 256; b++) lut[b] = best.defaultLeft ? 1 : 0;
  }
  // Left totals from the table itself: one pass over the feature's slots.
  let leftW = 0;
  const leftS = new Float64Array(K);
  for (let b = 0; b <= nb; b++) {
    if (!lut[b]) continue;
    const s = (o + b) * 2;
    leftW += h0[s + 1]!;
    for (let k = 0; k < K; k++) leftS[k]! += hists[k]![s]!;
  }
  return { feature: f, categorical: best.categorical, threshold: best.threshold, defaultLeft: best.defaultLeft, lut, decrease, leftW, leftS };
}
