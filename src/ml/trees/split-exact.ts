/**
 * Exact threshold search of a small node on a feature's fine codes (../trees/fine.ts): the rows'
 * codes are sorted and every threshold between two distinct codes is scored, as scikit-learn's
 * best splitter does on raw values. A histogram over byte bins cannot split inside a bin; deep
 * nodes of a forest often need exactly that.
 *
 * Scores are the same as the histogram split finders': sum over children of S²/W (one label sum,
 * or one per class), the decrease being the children's score minus the parent's (times 2 for
 * binary Gini with one sum). Missing rows (FINE_MISSING) are tried on each side; without them at
 * the node, missing values go to the heavier child. The threshold is centred in the codes absent
 * from the node between the two sides, as the histogram path centres it in empty bins.
 *
 * @example
 * const s = new ExactSplitter(K, 'binary');
 * const best = s.best(idx, a, b, codes, w, label, center, minLeaf, S, W); // or null
 */
import { FINE_MISSING } from './fine.ts';
import type { Task } from '../estimator.ts';

export interface ExactSplit {
  /** Codes <= threshold go left. */
  threshold: number;
  defaultLeft: boolean;
  decrease: number;
  leftW: number;
  /** Per output: label sum of the left child (a view into the splitter's scratch). */
  leftS: Float64Array;
}

/** Rows per node at most (row positions take 13 bits of a sort key beside the 16-bit code). */
export const EXACT_MAX_ROWS = 8192;

export class ExactSplitter {
  readonly #K: number;
  readonly #task: Task;
  readonly #keys = new Uint32Array(EXACT_MAX_ROWS);
  readonly #rows = new Int32Array(EXACT_MAX_ROWS);
  readonly #SL: Float64Array;
  readonly #SM: Float64Array;
  readonly #bestS: Float64Array;

  constructor(K: number, task: Task) {
    this.#K = K;
    this.#task = task;
    this.#SL = new Float64Array(K);
    this.#SM = new Float64Array(K);
    this.#bestS = new Float64Array(K);
  }

  /** Whether rows idx[a..b) hold at least two distinct codes (missing counts as one). */
  static varies(idx: Int32Array, a: number, b: number, codes: Uint16Array): boolean {
    const c0 = codes[idx[a]!]!;
    for (let j = a + 1; j < b; j++) if (codes[idx[j]!] !== c0) return true;
    return false;
  }

  /**
   * The best threshold split of rows idx[a..b) (b - a <= EXACT_MAX_ROWS) by `codes`, or null.
   * `w` weights rows; labels are 0/1, class codes or values (`center` subtracted for regression);
   * S and W are the node's label sums and weight; `minGain` is on the decrease.
   */
  best(
    idx: Int32Array, a: number, b: number, codes: Uint16Array, w: Float64Array, label: Float64Array, center: number,
    minLeaf: number, S: Float64Array, W: number, minGain: number,
  ): ExactSplit | null {
    const m = b - a;
    const K = this.#K;
    const multi = this.#task === 'multiclass';
    const keys = this.#keys;
    for (let j = 0; j < m; j++) keys[j] = (codes[idx[a + j]!]! * EXACT_MAX_ROWS + j) >>> 0;
    const sorted = keys.subarray(0, m).sort();
    const rows = this.#rows;
    for (let j = 0; j < m; j++) rows[j] = idx[a + (sorted[j]! % EXACT_MAX_ROWS)]!;
    const codeAt = (j: number): number => Math.floor(sorted[j]! / EXACT_MAX_ROWS);
    // Missing rows sort last.
    let end = m;
    while (end > 0 && codeAt(end - 1) === FINE_MISSING) end--;
    const SM = this.#SM.fill(0);
    let WM = 0;
    for (let j = end; j < m; j++) {
      const r = rows[j]!;
      const wr = w[r]!;
      WM += wr;
      if (multi) SM[label[r]!]! += wr;
      else SM[0]! += wr * (label[r]! - center);
    }
    let parent = 0;
    for (let k = 0; k < K; k++) parent += S[k]! * S[k]! / W;
    const factor = this.#task === 'binary' ? 2 : 1;
    const SL = this.#SL.fill(0);
    let WL = 0;
    let bestScore = -Infinity;
    let bestT = -1;
    let bestLeft = false;
    let bestW = 0;
    const bestS = this.#bestS;
    const score = (wl: number, withMissing: boolean): number => {
      const wL = withMissing ? wl + WM : wl;
      const wR = W - wL;
      if (wL < minLeaf || wR < minLeaf) return -Infinity;
      let s = 0;
      for (let k = 0; k < K; k++) {
        const sl = withMissing ? SL[k]! + SM[k]! : SL[k]!;
        const sr = S[k]! - sl;
        s += sl * sl / wL + sr * sr / wR;
      }
      return s;
    };
    for (let j = 0; j < end - 1; j++) {
      const r = rows[j]!;
      const wr = w[r]!;
      WL += wr;
      if (multi) SL[label[r]!]! += wr;
      else SL[0]! += wr * (label[r]! - center);
      const c = codeAt(j);
      const next = codeAt(j + 1);
      if (c === next) continue;
      const right = score(WL, false);
      if (right > bestScore) {
        bestScore = right; bestLeft = WM > 0 ? false : WL >= W - WL; bestW = WL; bestS.set(SL);
        bestT = (c + next - 1) >> 1;
      }
      if (WM > 0) {
        const left = score(WL, true);
        if (left > bestScore) {
          bestScore = left; bestLeft = true; bestW = WL + WM;
          for (let k = 0; k < K; k++) bestS[k] = SL[k]! + SM[k]!;
          bestT = (c + next - 1) >> 1;
        }
      }
    }
    // Every present value on one side, missing rows on the other.
    if (WM > 0 && end > 0) {
      // SL holds rows [0, end - 1): add the last present row.
      const r = rows[end - 1]!;
      const wr = w[r]!;
      WL += wr;
      if (multi) SL[label[r]!]! += wr;
      else SL[0]! += wr * (label[r]! - center);
      const s = score(WL, false);
      if (s > bestScore) {
        bestScore = s; bestLeft = false; bestW = WL; bestS.set(SL);
        bestT = FINE_MISSING - 1;
      }
    }
    if (bestT < 0) return null;
    const decrease = factor * (bestScore - parent);
    if (!(decrease > minGain)) return null;
    return { threshold: bestT, defaultLeft: bestLeft, decrease, leftW: bestW, leftS: bestS };
  }
}
