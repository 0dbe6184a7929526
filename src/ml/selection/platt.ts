/**
 * Platt scaling: p = 1 / (1 + exp(a * s + b)) fitted to held-out scores s (a decision function or
 * probabilities) and 0/1 labels, as scikit-learn's _sigmoid_calibration: the targets are smoothed to
 * (n1 + 1) / (n1 + 2) and 1 / (n0 + 2) (Platt's prior, so a perfectly separated set does not push a
 * to infinity), started at (0, log((n0 + 1) / (n1 + 1))). scikit-learn stops BFGS at a gradient of
 * 1e-5; here Newton's method with a backtracking line search runs to the optimum itself, so the two
 * agree to that tolerance (and exactly with a tighter optimizer).
 *
 * @example
 * const platt = fitPlatt(oofScores, y);
 * platt.predict(scores); // calibrated probabilities
 */
import { DataError } from '../../core/errors.ts';
import type { Json } from '../../core/json.ts';
import { checkCalibrationInput } from './calibration-input.ts';

export class PlattCalibrator {
  readonly type = 'platt';
  readonly a: number;
  readonly b: number;

  constructor(a: number, b: number) { this.a = a; this.b = b; }

  predict(scores: ArrayLike<number>): Float64Array {
    const out = new Float64Array(scores.length);
    for (let i = 0; i < out.length; i++) out[i] = sigmoid(-(this.a * scores[i]! + this.b));
    return out;
  }

  toJSON(): Json { return { type: this.type, a: this.a, b: this.b }; }
}

export function fitPlatt(scores: ArrayLike<number>, labels: ArrayLike<number>, options: { sampleWeight?: ArrayLike<number> } = {}): PlattCalibrator {
  const n = checkCalibrationInput(scores, labels, options.sampleWeight, 'Platt calibration');
  const w = options.sampleWeight;
  let prior0 = 0, prior1 = 0;
  for (let i = 0; i < n; i++) { const wi = w ? w[i]! : 1; if (labels[i]! > 0) prior1 += wi; else prior0 += wi; }
  const hi = (prior1 + 1) / (prior1 + 2), lo = 1 / (prior0 + 2);
  const t = new Float64Array(n);
  for (let i = 0; i < n; i++) t[i] = labels[i]! > 0 ? hi : lo;

  const f = scores;
  const objective = (a: number, b: number): number => {
    let s = 0;
    for (let i = 0; i < n; i++) {
      const z = a * f[i]! + b;
      // -[t log p + (1 - t) log(1 - p)] with p = sigmoid(-z), written to stay finite for large |z|.
      const loss = t[i]! * softplus(z) + (1 - t[i]!) * softplus(-z);
      s += (w ? w[i]! : 1) * loss;
    }
    return s;
  };
  let a = 0, b = Math.log((prior0 + 1) / (prior1 + 1));
  let fval = objective(a, b);
  for (let iter = 0; iter < 200; iter++) {
    let gA = 0, gB = 0, hAA = 0, hAB = 0, hBB = 0;
    for (let i = 0; i < n; i++) {
      const wi = w ? w[i]! : 1;
      const p = sigmoid(-(a * f[i]! + b));
      const d = wi * (t[i]! - p);
      const h = wi * p * (1 - p);
      gA += d * f[i]!; gB += d;
      hAA += h * f[i]! * f[i]!; hAB += h * f[i]!; hBB += h;
    }
    if (Math.abs(gA) < 1e-12 * Math.max(1, Math.abs(fval)) && Math.abs(gB) < 1e-12 * Math.max(1, Math.abs(fval))) break;
    // Newton direction, with a tiny ridge so a flat direction (all scores equal) stays solvable.
    hAA += 1e-12; hBB += 1e-12;
    const det = hAA * hBB - hAB * hAB;
    const dA = -(hBB * gA - hAB * gB) / det;
    const dB = -(hAA * gB - hAB * gA) / det;
    let step = 1, improved = false;
    while (step >= 1e-10) {
      const na = a + step * dA, nb = b + step * dB;
      const nf = objective(na, nb);
      if (nf <= fval + 1e-4 * step * (gA * dA + gB * dB)) { a = na; b = nb; improved = fval - nf > 0; fval = nf; break; }
      step /= 2;
    }
    if (!improved) break;
  }
  if (!Number.isFinite(a) || !Number.isFinite(b)) throw new DataError('Platt calibration did not converge (non-finite parameters)', { hint: 'Check the scores for extreme values.' });
  return new PlattCalibrator(a, b);
}

function sigmoid(x: number): number {
  if (x >= 0) return 1 / (1 + Math.exp(-x));
  const e = Math.exp(x);
  return e / (1 + e);
}

/** log(1 + exp(x)) without overflow. */
function softplus(x: number): number {
  return x > 0 ? x + Math.log1p(Math.exp(-x)) : Math.log1p(Math.exp(x));
}
