/**
 * Isotonic calibration: the non-decreasing step function closest (weighted least squares) to the 0/1
 * labels as a function of the score, by pool-adjacent-violators, then linear interpolation between
 * its points and clipping outside the training range: scikit-learn's IsotonicRegression with
 * out_of_bounds='clip', step for step (equal scores are merged first, weighted; zero weights dropped;
 * the same PAV pass and the same interpolation formula), so the outputs agree to rounding.
 *
 * @example
 * const iso = fitIsotonic(oofScores, y);
 * iso.predict(scores); // calibrated probabilities, non-decreasing in the score
 */
import { DataError } from '../../core/errors.ts';
import type { Json } from '../../core/json.ts';
import { checkCalibrationInput } from './calibration-input.ts';

export class IsotonicCalibrator {
  readonly type = 'isotonic';
  /** Score thresholds, ascending, and the fitted values there. */
  readonly x: readonly number[];
  readonly y: readonly number[];

  constructor(x: readonly number[], y: readonly number[]) { this.x = x; this.y = y; }

  predict(scores: ArrayLike<number>): Float64Array {
    const { x, y } = this;
    const n = x.length;
    const out = new Float64Array(scores.length);
    for (let i = 0; i < out.length; i++) {
      let s = scores[i]!;
      if (Number.isNaN(s)) { out[i] = NaN; continue; }
      if (n === 1) { out[i] = y[0]!; continue; }
      s = Math.min(Math.max(s, x[0]!), x[n - 1]!);
      // scipy interp1d: hi = searchsorted(x, s, 'left') clipped to [1, n-1], then the line through lo, hi.
      let lo = 0, hi = n;
      while (lo < hi) { const mid = (lo + hi) >> 1; if (x[mid]! < s) lo = mid + 1; else hi = mid; }
      const h = Math.min(Math.max(lo, 1), n - 1), l = h - 1;
      const slope = (y[h]! - y[l]!) / (x[h]! - x[l]!);
      out[i] = slope * (s - x[l]!) + y[l]!;
    }
    return out;
  }

  toJSON(): Json { return { type: this.type, x: [...this.x], y: [...this.y] }; }
}

export function fitIsotonic(scores: ArrayLike<number>, labels: ArrayLike<number>, options: { sampleWeight?: ArrayLike<number> } = {}): IsotonicCalibrator {
  const n0 = checkCalibrationInput(scores, labels, options.sampleWeight, 'isotonic calibration');
  const w0 = options.sampleWeight;
  // Drop zero weights, then sort by score and label (numpy lexsort((y, X))).
  const rows = Array.from({ length: n0 }, (_, i) => i).filter((i) => (w0 ? w0[i]! > 0 : true));
  if (rows.length === 0) throw new DataError('isotonic calibration: every sample weight is zero', { hint: 'Give some rows a positive weight.' });
  rows.sort((a, b) => scores[a]! - scores[b]! || labels[a]! - labels[b]! || a - b);
  // Merge equal scores (scikit-learn's _make_unique: within float64 resolution 1e-15 of the first).
  const ux: number[] = [], uy: number[] = [], uw: number[] = [];
  let cx = scores[rows[0]!]!, cw = 0, cy = 0;
  for (const i of rows) {
    const x = scores[i]!, wi = w0 ? w0[i]! : 1;
    if (x - cx >= 1e-15) {
      ux.push(cx); uw.push(cw); uy.push(cy / cw);
      cx = x; cw = wi; cy = labels[i]! * wi;
    } else { cw += wi; cy += labels[i]! * wi; }
  }
  ux.push(cx); uw.push(cw); uy.push(cy / cw);
  const y = Float64Array.from(uy), w = Float64Array.from(uw);
  pav(y, w);
  // Keep only the ends of each flat run: the interpolation is the same with fewer points.
  const keepX: number[] = [], keepY: number[] = [];
  for (let i = 0; i < y.length; i++) {
    if (i === 0 || i === y.length - 1 || y[i] !== y[i - 1] || y[i] !== y[i + 1]) { keepX.push(ux[i]!); keepY.push(y[i]!); }
  }
  return new IsotonicCalibrator(keepX, keepY);
}

/**
 * In-place pool adjacent violators (scikit-learn's _inplace_contiguous_isotonic_regression): blocks
 * are runs [i..target[i]]; a decreasing run is pooled into its weighted mean, then the pass steps back
 * one block, so the whole fit is one O(n) sweep.
 */
function pav(y: Float64Array, w: Float64Array): void {
  const n = y.length;
  const target = Int32Array.from({ length: n }, (_, i) => i);
  let i = 0;
  while (i < n) {
    let k = target[i]! + 1;
    if (k === n) break;
    if (y[i]! < y[k]!) { i = k; continue; }
    let sumWy = w[i]! * y[i]!;
    let sumW = w[i]!;
    while (true) {
      const prevY = y[k]!;
      sumWy += w[k]! * y[k]!;
      sumW += w[k]!;
      k = target[k]! + 1;
      if (k === n || prevY < y[k]!) {
        y[i] = sumWy / sumW;
        w[i] = sumW;
        target[i] = k - 1;
        target[k - 1] = i;
        if (i > 0) i = target[i - 1]!;
        break;
      }
    }
  }
  i = 0;
  while (i < n) {
    const k = target[i]! + 1;
    for (let j = i + 1; j < k; j++) y[j] = y[i]!;
    i = k;
  }
}
