/**
 * Best split of a node from its histogram.
 *
 * Gain is the loss reduction of the second-order approximation:
 *   gain = 1/2 [GL²/(HL+λ) + GR²/(HR+λ) - G²/(H+λ)]
 * and a split must leave `minSamplesLeaf` rows and `minHessianLeaf` hessian on each side. Row
 * counts of a side are estimated as its share of the node's hessian times the node's (exact) row
 * count, as LightGBM does: histograms carry no counts, which makes them a third cheaper to build.
 * The estimate is exact when hessians are constant (squared error, Huber).
 *
 * - Numeric features: thresholds between bins; the missing bin is tried on each side and the
 *   better side becomes the split's default direction. A node without missing values sends them
 *   (and at prediction any missing value) to the child with more rows.
 * - Categorical features: categories with at least `catMinSamples` rows at the node are ordered by
 *   gradient/(hessian + smoothing) and the split sends a prefix of that order (from either end, at
 *   most `catMaxSetSize` categories) left. Rarer categories, missing values, and categories unseen
 *   in training form an "other" group that follows the default direction, also learned. With few
 *   eligible categories (at most `catMaxOneHot`) each one is tried alone against the rest, with
 *   the plain L2; children of many-versus-many splits carry an extra L2 (`catL2`), which keeps
 *   many-category features from overfitting (LightGBM's `cat_l2`, which it too applies to those
 *   splits only: on a one-category split it would hide a small data set's strongest feature).
 *
 * Every split is finally a 256-entry table: bin -> 1 (left) or 0 (right).
 *
 * @example
 * const s = findBestSplit(hist, layout, features, categorical, G, H, C, params);
 * if (s) s.lut[bin]; // 1 when a row with this bin goes left
 */
import type { HistogramLayout } from './histogram.ts';

export interface SplitParams {
  l2: number;
  minSamplesLeaf: number;
  minHessianLeaf: number;
  minGain: number;
  catSmoothing: number;
  catL2: number;
  catMaxSetSize: number;
  catMinSamples: number;
  catMaxOneHot: number;
}

export interface SplitCandidate {
  gain: number;
  feature: number;
  categorical: boolean;
  /** Numeric: bins <= threshold go left. Categorical: -1. */
  threshold: number;
  /** Where missing (and, for categorical splits, rare or unseen) values go. */
  defaultLeft: boolean;
  /** bin -> 1 if a row with that bin goes left. */
  lut: Uint8Array;
  gl: number;
  hl: number;
  /** Estimated rows on each side (see above). */
  cl: number;
  gr: number;
  hr: number;
  cr: number;
}

// The running best while scanning; reused across calls (split finding runs on the main thread).
const best = {
  score: -Infinity, feature: -1, categorical: false, threshold: -1, defaultLeft: false,
  // categorical: 0 one-vs-rest of bin `bin`, 1 ascending prefix, 2 descending prefix; `size` categories
  mode: 0, bin: 0, size: 0,
  gl: 0, hl: 0, cl: 0,
};
const order = new Int32Array(256);
const ratio = new Float64Array(256);
const mergeBuf = new Int32Array(256);

/**
 * Stable bottom-up merge sort of order[0..n) by ratio[order[i]]: no comparator callback (this runs
 * for every categorical feature of every node, on the main thread). Stability keeps ties in bin
 * order.
 */
function sortByRatio(n: number): void {
  let src = order;
  let dst = mergeBuf;
  for (let width = 1; width < n; width *= 2) {
    for (let lo = 0; lo < n; lo += 2 * width) {
      const mid = Math.min(lo + width, n);
      const hi = Math.min(lo + 2 * width, n);
      let i = lo;
      let j = mid;
      let k = lo;
      while (i < mid && j < hi) dst[k++] = ratio[src[j]!]! < ratio[src[i]!]! ? src[j++]! : src[i++]!;
      while (i < mid) dst[k++] = src[i++]!;
      while (j < hi) dst[k++] = src[j++]!;
    }
    const t = src;
    src = dst;
    dst = t;
  }
  if (src !== order) order.set(src.subarray(0, n));
}

/**
 * The best split over `features` (ascending), or null when none passes the constraints and
 * `minGain`. `categorical[f]` is 1 for categorical features. G, H, C: the node's totals.
 */
export function findBestSplit(
  hist: Float64Array, layout: HistogramLayout, features: ArrayLike<number>, numFeatures: number,
  categorical: Uint8Array, G: number, H: number, C: number, p: SplitParams,
): SplitCandidate | null {
  if (C < 2 * p.minSamplesLeaf || H < 2 * p.minHessianLeaf || !(H > 0)) return null;
  const cf = C / H;
  best.score = -Infinity;
  best.feature = -1;
  const parentScore = G * G / (H + p.l2);
  for (let j = 0; j < numFeatures; j++) {
    const f = features[j]!;
    const o = layout.offsets[f]!;
    const nb = layout.numBins[f]!;
    if (categorical[f]) scanCategorical(hist, o, nb, f, G, H, C, cf, p);
    else scanNumeric(hist, o, nb, f, G, H, C, cf, p);
  }
  if (best.feature < 0) return null;
  // Categorical children use the larger L2, so their scores are comparable only through the gain.
  const gain = 0.5 * (best.score - parentScore);
  if (!(gain > p.minGain)) return null;
  const f = best.feature;
  const nb = layout.numBins[f]!;
  const lut = new Uint8Array(256);
  if (best.categorical) {
    lut.fill(best.defaultLeft ? 1 : 0);
    const ne = categoricalOrder(hist, layout.offsets[f]!, nb, cf, p);
    // Eligible categories not in the set go right; the "other" group keeps the default.
    for (let i = 0; i < ne; i++) lut[order[i]!] = 0;
    if (best.mode === 0) lut[best.bin] = 1;
    else if (best.mode === 1) for (let i = 0; i < best.size; i++) lut[order[i]!] = 1;
    else for (let i = 0; i < best.size; i++) lut[order[ne - 1 - i]!] = 1;
  } else {
    for (let b = 0; b <= best.threshold; b++) lut[b] = 1;
    for (let b = nb; b < 256; b++) lut[b] = best.defaultLeft ? 1 : 0;
  }
  return {
    gain,
    feature: f,
    categorical: best.categorical,
    threshold: best.categorical ? -1 : best.threshold,
    defaultLeft: best.defaultLeft,
    lut,
    gl: best.gl, hl: best.hl, cl: best.cl,
    gr: G - best.gl, hr: H - best.hl, cr: C - best.cl,
  };
}

function scanNumeric(hist: Float64Array, o: number, nb: number, f: number, G: number, H: number, C: number, cf: number, p: SplitParams): void {
  const l2 = p.l2;
  const minS = p.minSamplesLeaf;
  const minH = p.minHessianLeaf;
  const m = (o + nb) * 2;
  const gm = hist[m]!;
  const hm = hist[m + 1]!;
  const hasMissing = hm > 0;
  // Pass 1: missing goes right. With missing values present, also "all values | missing".
  const last = hasMissing ? nb - 1 : nb - 2;
  let gl = 0;
  let hl = 0;
  for (let t = 0, s = o * 2; t <= last; t++, s += 2) {
    gl += hist[s]!;
    hl += hist[s + 1]!;
    const cl = hl * cf;
    if (cl < minS || hl < minH) continue;
    const cr = C - cl;
    const hr = H - hl;
    if (cr < minS || hr < minH) break;
    const gr = G - gl;
    const score = gl * gl / (hl + l2) + gr * gr / (hr + l2);
    if (score > best.score) {
      best.score = score; best.feature = f; best.categorical = false; best.threshold = t;
      // Without missing values here, missing rows at prediction follow the majority.
      best.defaultLeft = hasMissing ? false : cl >= cr;
      best.gl = gl; best.hl = hl; best.cl = cl;
    }
  }
  if (!hasMissing) return;
  // Pass 2: missing goes left.
  gl = gm;
  hl = hm;
  for (let t = 0, s = o * 2; t <= nb - 2; t++, s += 2) {
    gl += hist[s]!;
    hl += hist[s + 1]!;
    const cl = hl * cf;
    if (cl < minS || hl < minH) continue;
    const cr = C - cl;
    const hr = H - hl;
    if (cr < minS || hr < minH) break;
    const gr = G - gl;
    const score = gl * gl / (hl + l2) + gr * gr / (hr + l2);
    if (score > best.score) {
      best.score = score; best.feature = f; best.categorical = false; best.threshold = t; best.defaultLeft = true;
      best.gl = gl; best.hl = hl; best.cl = cl;
    }
  }
}

/**
 * Fills `order` with the eligible categories (bins with at least catMinSamples estimated rows),
 * sorted by gradient / (hessian + smoothing), ties by bin; returns how many.
 */
function categoricalOrder(hist: Float64Array, o: number, nb: number, cf: number, p: SplitParams): number {
  let ne = 0;
  for (let b = 0; b < nb; b++) {
    const s = (o + b) * 2;
    if (hist[s + 1]! * cf >= p.catMinSamples) {
      order[ne] = b;
      ratio[b] = hist[s]! / (hist[s + 1]! + p.catSmoothing);
      ne++;
    }
  }
  sortByRatio(ne);
  return ne;
}

function scanCategorical(hist: Float64Array, o: number, nb: number, f: number, G: number, H: number, C: number, cf: number, p: SplitParams): void {
  const ne = categoricalOrder(hist, o, nb, cf, p);
  if (ne === 0) return;
  // The "other" group: missing bin plus categories too rare to order.
  let go = 0;
  let ho = 0;
  for (let b = 0; b <= nb; b++) {
    const s = (o + b) * 2;
    if (b === nb || hist[s + 1]! * cf < p.catMinSamples) { go += hist[s]!; ho += hist[s + 1]!; }
  }
  const hasOther = ho > 0;
  // One category against the rest is a threshold on an indicator: plain L2, as LightGBM does. The
  // extra catL2 holds back only many-versus-many splits, which choose the set from the same rows.
  const oneHot = ne <= p.catMaxOneHot;
  const lam = oneHot ? p.l2 : p.l2 + p.catL2;
  const consider = (gl: number, hl: number, defaultLeft: boolean, mode: number, bin: number, size: number): void => {
    const cl = hl * cf;
    if (cl < p.minSamplesLeaf || hl < p.minHessianLeaf) return;
    const cr = C - cl;
    const hr = H - hl;
    if (cr < p.minSamplesLeaf || hr < p.minHessianLeaf) return;
    const gr = G - gl;
    const score = gl * gl / (hl + lam) + gr * gr / (hr + lam);
    if (score > best.score) {
      best.score = score; best.feature = f; best.categorical = true; best.threshold = -1;
      best.defaultLeft = hasOther ? defaultLeft : cl >= cr;
      best.mode = mode; best.bin = bin; best.size = size;
      best.gl = gl; best.hl = hl; best.cl = cl;
    }
  };
  if (oneHot) {
    for (let i = 0; i < ne; i++) {
      const b = order[i]!;
      const s = (o + b) * 2;
      consider(hist[s]!, hist[s + 1]!, false, 0, b, 1);
      if (hasOther) consider(hist[s]! + go, hist[s + 1]! + ho, true, 0, b, 1);
    }
    return;
  }
  const maxSize = Math.min(p.catMaxSetSize, (ne + 1) >> 1);
  for (let dir = 1; dir <= 2; dir++) {
    let gl = 0;
    let hl = 0;
    for (let i = 0; i < maxSize; i++) {
      const b = order[dir === 1 ? i : ne - 1 - i]!;
      const s = (o + b) * 2;
      gl += hist[s]!;
      hl += hist[s + 1]!;
      consider(gl, hl, false, dir, 0, i + 1);
      if (hasOther) consider(gl + go, hl + ho, true, dir, 0, i + 1);
    }
  }
}
