/**
 * Reliability diagram data, as scikit-learn 1.2's `calibration_curve`: predictions are
 * binned (uniform bins on [0, 1], or quantile bins holding equal counts) and each non-empty
 * bin reports the fraction of positives and the mean predicted probability.
 */
import { DataError } from '../../core/errors.ts';
import { checkBinaryLabels, checkPair, checkProbabilities } from './check.ts';

export interface CalibrationCurveOptions {
  /** Number of bins; default 5 (scikit-learn's default). */
  nBins?: number;
  /** 'uniform' (default): equal-width bins; 'quantile': bin edges at quantiles of yProb. */
  strategy?: 'uniform' | 'quantile';
}

export interface CalibrationCurve {
  /** Fraction of positives in each non-empty bin. */
  probTrue: Float64Array;
  /** Mean predicted probability in each non-empty bin. */
  probPred: Float64Array;
  /** Rows in each non-empty bin (not in scikit-learn's output; useful for plot sizes). */
  count: Float64Array;
}

/**
 * @example
 * const c = calibrationCurve(new Float64Array([0, 0, 0, 0, 1, 1, 1, 1, 1]),
 *   new Float64Array([0.1, 0.2, 0.3, 0.4, 0.65, 0.7, 0.8, 0.9, 1]), { nBins: 3 });
 * // c.probTrue = [0, 0.5, 1], c.probPred = [0.2, 0.525, 0.85]
 */
export function calibrationCurve(yTrue: Float64Array, yProb: Float64Array, options: CalibrationCurveOptions = {}): CalibrationCurve {
  const metric = 'calibrationCurve';
  checkPair(metric, 'yTrue', yTrue, 'yProb', yProb, undefined);
  checkBinaryLabels(metric, 'yTrue', yTrue);
  checkProbabilities(metric, 'yProb', yProb);
  const nBins = options.nBins ?? 5;
  if (!Number.isInteger(nBins) || nBins < 1) {
    throw new DataError(`${metric}: nBins is ${nBins}; it must be a positive integer`, { hint: 'Use for example nBins: 10.', context: { metric, argument: 'nBins' } });
  }
  const strategy = options.strategy ?? 'uniform';
  const q = linspace01(nBins);
  let edges: Float64Array;
  if (strategy === 'uniform') {
    edges = q;
  } else if (strategy === 'quantile') {
    const sorted = Float64Array.from(yProb).sort();
    // np.percentile(y, q * 100) divides by 100 again: reproduce the rounding of both steps.
    edges = q.map((x) => percentileLinear(sorted, (x * 100) / 100));
  } else {
    throw new DataError(`${metric}: strategy is '${String(strategy)}'; use 'uniform' or 'quantile'`, { hint: "Use strategy: 'uniform' or 'quantile'.", context: { metric, argument: 'strategy' } });
  }
  const sums = new Float64Array(nBins + 1);
  const trues = new Float64Array(nBins + 1);
  const totals = new Float64Array(nBins + 1);
  for (let i = 0; i < yProb.length; i++) {
    const p = yProb[i]!;
    const b = binOf(edges, p);
    sums[b]! += p;
    trues[b]! += yTrue[i]!;
    totals[b]! += 1;
  }
  const probTrue: number[] = [];
  const probPred: number[] = [];
  const count: number[] = [];
  for (let b = 0; b <= nBins; b++) {
    const t = totals[b]!;
    if (t === 0) continue;
    probTrue.push(trues[b]! / t);
    probPred.push(sums[b]! / t);
    count.push(t);
  }
  return { probTrue: Float64Array.from(probTrue), probPred: Float64Array.from(probPred), count: Float64Array.from(count) };
}

/** np.linspace(0, 1, n + 1) with numpy's rounding (i * step, last exactly 1). */
function linspace01(n: number): Float64Array {
  const out = new Float64Array(n + 1);
  const step = 1 / n;
  for (let i = 0; i <= n; i++) out[i] = i * step;
  out[n] = 1;
  return out;
}

/** numpy's default ('linear') percentile of sorted data at fraction q in [0, 1]. */
function percentileLinear(sorted: Float64Array, q: number): number {
  const n = sorted.length;
  const virtual = (n - 1) * q;
  if (virtual >= n - 1) return sorted[n - 1]!;
  const prev = Math.floor(virtual);
  const gamma = virtual - prev;
  const a = sorted[prev]!;
  const b = sorted[prev + 1]!;
  const diff = b - a;
  // numpy's _lerp: interpolate from the nearer end.
  return gamma >= 0.5 ? b - diff * (1 - gamma) : a + diff * gamma;
}

/**
 * np.searchsorted(edges[1:-1], x, 'left'): the number of inner edges strictly below x,
 * so a probability equal to an edge falls in the lower bin, as in scikit-learn.
 */
function binOf(edges: Float64Array, x: number): number {
  let lo = 0;
  let hi = edges.length - 2;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (edges[1 + mid]! < x) lo = mid + 1; else hi = mid;
  }
  return lo;
}
