/**
 * Percentiles as numpy computes them (the 'linear' method, and its exact interpolation formula), so
 * robust scaling and quantile binning land on the same bin edges as scikit-learn.
 */

/** The non-missing values of x, sorted ascending. */
export function sortedFinite(x: Float64Array): Float64Array {
  let n = 0;
  for (let i = 0; i < x.length; i++) if (!Number.isNaN(x[i]!)) n++;
  const out = new Float64Array(n);
  for (let i = 0, j = 0; i < x.length; i++) { const v = x[i]!; if (!Number.isNaN(v)) out[j++] = v; }
  return out.sort();
}

/**
 * The q-th percentile (0..100) of sorted values, numpy's default method: virtual index q/100 * (n-1),
 * interpolated with numpy's `_lerp` (which computes from the upper end when the fraction is >= 0.5).
 */
export function percentileSorted(sorted: Float64Array, q: number): number {
  const n = sorted.length;
  if (n === 0) return NaN;
  const virtual = (q / 100) * (n - 1);
  const lo = Math.max(0, Math.min(n - 1, Math.floor(virtual)));
  const hi = Math.min(n - 1, lo + 1);
  const t = virtual - lo;
  const a = sorted[lo]!, b = sorted[hi]!;
  const diff = b - a;
  return t >= 0.5 ? b - diff * (1 - t) : a + diff * t;
}

/** numpy.linspace(start, stop, num) (endpoint included), with the same rounding. */
export function linspace(start: number, stop: number, num: number): number[] {
  const div = num - 1;
  const step = (stop - start) / div;
  const out: number[] = [];
  for (let i = 0; i < num; i++) out.push(i * step + start);
  if (num > 1) out[num - 1] = stop;
  return out;
}
