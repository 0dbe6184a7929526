/**
 * The statistics behind the drift tests, each checked against SciPy in test/monitor/drift.golden.test.ts:
 * the first Wasserstein distance between two samples, the two-sample Kolmogorov-Smirnov statistic with
 * its exact and asymptotic p-values, the chi-squared survival function, Jensen-Shannon distance and PSI.
 * Inputs are plain arrays with missing values already removed.
 */

/** Ascending copy of the values (Float64Array sorts numerically). */
export function sorted(values: Float64Array): Float64Array {
  return Float64Array.from(values).sort();
}

/**
 * First Wasserstein (earth mover's) distance between the empirical distributions of two sorted
 * samples: the integral of |F_a(x) - F_b(x)| dx, as scipy.stats.wasserstein_distance computes it.
 */
export function wasserstein1(a: Float64Array, b: Float64Array): number {
  const n = a.length;
  const m = b.length;
  let i = 0;
  let j = 0;
  let total = 0;
  let prev = Math.min(a[0]!, b[0]!);
  // Walk the merged order; between consecutive values the two CDFs are constant.
  while (i < n || j < m) {
    const x = j >= m || (i < n && a[i]! <= b[j]!) ? a[i]! : b[j]!;
    total += Math.abs(i / n - j / m) * (x - prev);
    prev = x;
    while (i < n && a[i] === x) i++;
    while (j < m && b[j] === x) j++;
  }
  return total;
}

/** Population standard deviation (ddof 0), as numpy's std. */
export function std(values: Float64Array): number {
  let mean = 0;
  for (let i = 0; i < values.length; i++) mean += values[i]!;
  mean /= values.length;
  let ss = 0;
  for (let i = 0; i < values.length; i++) { const d = values[i]! - mean; ss += d * d; }
  return Math.sqrt(ss / values.length);
}

/**
 * Two-sample KS statistic on sorted samples, as an integer numerator: D = k / (n * m) where
 * k = max |i * m - j * n| over the merged order. Kept integral so that the exact p-value can test
 * lattice points against it without rounding.
 */
export function ksNumerator(a: Float64Array, b: Float64Array): number {
  const n = a.length;
  const m = b.length;
  let i = 0;
  let j = 0;
  let best = 0;
  while (i < n && j < m) {
    const x = Math.min(a[i]!, b[j]!);
    while (i < n && a[i] === x) i++;
    while (j < m && b[j] === x) j++;
    best = Math.max(best, Math.abs(i * m - j * n));
  }
  return best;
}

/**
 * P(D >= d) for two samples of sizes n and m under the null hypothesis (no ties), computed exactly:
 * a uniformly random merge order is a lattice path from (0, 0) to (n, m); the path stays strictly
 * inside the band |i*m - j*n| < k with the probability carried step by step (each step's probability is
 * that of drawing from one sample or the other without replacement, so nothing overflows).
 * O(n * m) time, O(m) memory.
 */
export function ksExactPValue(k: number, n: number, m: number): number {
  if (k <= 0) return 1;
  let row = new Float64Array(m + 1);
  let next = new Float64Array(m + 1);
  row[0] = 1;
  for (let j = 1; j <= m; j++) {
    // Move along b only: prob of drawing b when i = 0 and j - 1 drawn.
    row[j] = Math.abs(0 * m - j * n) >= k ? 0 : row[j - 1]! * ((m - (j - 1)) / (n + m - (j - 1)));
  }
  for (let i = 1; i <= n; i++) {
    next.fill(0);
    for (let j = 0; j <= m; j++) {
      if (Math.abs(i * m - j * n) >= k) { next[j] = 0; continue; }
      // Arrive from (i-1, j) by drawing from a, or from (i, j-1) by drawing from b.
      const remaining = n + m - (i - 1) - j;
      let p = row[j]! * ((n - (i - 1)) / remaining);
      if (j > 0) p += next[j - 1]! * ((m - (j - 1)) / (n + m - i - (j - 1)));
      next[j] = p;
    }
    [row, next] = [next, row];
  }
  return Math.min(1, Math.max(0, 1 - row[m]!));
}

/** Survival function of the limiting Kolmogorov distribution (scipy.stats.kstwobign.sf). */
export function kolmogorovSf(x: number): number {
  if (x <= 0) return 1;
  if (x < 1) {
    // For small x the alternating series converges slowly; the CDF's Jacobi-theta form converges fast.
    let cdf = 0;
    for (let k = 1; k <= 50; k++) {
      const t = Math.exp(-((2 * k - 1) ** 2) * Math.PI * Math.PI / (8 * x * x));
      cdf += t;
      if (t < 1e-17) break;
    }
    return Math.min(1, Math.max(0, 1 - (Math.sqrt(2 * Math.PI) / x) * cdf));
  }
  let sum = 0;
  for (let k = 1; k <= 100; k++) {
    const term = Math.exp(-2 * k * k * x * x);
    sum += (k % 2 === 1 ? 1 : -1) * term;
    if (term < 1e-17) break;
  }
  return Math.min(1, Math.max(0, 2 * sum));
}

export interface KsResult { statistic: number; pValue: number; method: 'exact' | 'asymptotic' }

/** Products of the sizes up to this many lattice points get the exact p-value. */
export const KS_EXACT_LIMIT = 10_000_000;

/** Two-sample Kolmogorov-Smirnov test on sorted samples (two-sided). */
export function ksTest(a: Float64Array, b: Float64Array): KsResult {
  const n = a.length;
  const m = b.length;
  const k = ksNumerator(a, b);
  const statistic = k / (n * m);
  if (n * m <= KS_EXACT_LIMIT) return { statistic, pValue: ksExactPValue(k, n, m), method: 'exact' };
  const en = (n * m) / (n + m);
  return { statistic, pValue: kolmogorovSf(Math.sqrt(en) * statistic), method: 'asymptotic' };
}

/** ln Γ(x) for x > 0 (Lanczos approximation with g = 671/128 and 14 terms; relative error about 1e-15). */
const LANCZOS = [57.15623566586292, -59.59796035547549, 14.136097974741746, -0.4919138160976202,
  0.00003399464998481189, 0.00004652362892704858, -0.00009837447530487956, 0.0001580887032249125,
  -0.00021026444172410488, 0.00021743961811521265, -0.0001643181065367639, 0.00008441822398385275,
  -0.000026190838401581408, 0.0000036899182659531625];
export function logGamma(x: number): number {
  let y = x;
  let t = x + 5.2421875;
  t = (x + 0.5) * Math.log(t) - t;
  let series = 0.999999999999997;
  for (const c of LANCZOS) series += c / ++y;
  return t + Math.log((2.5066282746310002 * series) / x);
}

/** Regularized upper incomplete gamma Q(a, x): series below a + 1, continued fraction above. */
export function gammaQ(a: number, x: number): number {
  if (x <= 0) return 1;
  if (!Number.isFinite(x)) return 0;
  const lead = a * Math.log(x) - x - logGamma(a);
  if (x < a + 1) {
    let term = 1 / a;
    let sum = term;
    for (let n = 1; n < 10_000; n++) {
      term *= x / (a + n);
      sum += term;
      if (Math.abs(term) < Math.abs(sum) * 1e-16) break;
    }
    return Math.max(0, 1 - sum * Math.exp(lead));
  }
  // Lentz's method for the continued fraction of Q.
  const tiny = 1e-300;
  let b = x + 1 - a;
  let c = 1 / tiny;
  let d = 1 / b;
  let h = d;
  for (let i = 1; i < 10_000; i++) {
    const an = -i * (i - a);
    b += 2;
    d = an * d + b;
    if (Math.abs(d) < tiny) d = tiny;
    c = b + an / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    const delta = d * c;
    h *= delta;
    if (Math.abs(delta - 1) < 1e-16) break;
  }
  return Math.min(1, Math.exp(lead) * h);
}

/** P(X >= x) for a chi-squared variable with `df` degrees of freedom. */
export function chiSquaredSf(x: number, df: number): number {
  return gammaQ(df / 2, x / 2);
}

/** Pearson's chi-squared goodness of fit of observed counts against expected counts (scipy.stats.chisquare). */
export function chiSquaredTest(observed: readonly number[], expected: readonly number[]): { statistic: number; pValue: number } {
  let statistic = 0;
  for (let i = 0; i < observed.length; i++) {
    const e = expected[i]!;
    const d = observed[i]! - e;
    statistic += e === 0 ? (d === 0 ? 0 : Infinity) : (d * d) / e;
  }
  const df = observed.length - 1;
  if (df < 1) return { statistic: 0, pValue: 1 };
  return { statistic, pValue: chiSquaredSf(statistic, df) };
}

/** Jensen-Shannon distance (natural log, as scipy.spatial.distance.jensenshannon): each vector is normalized first. */
export function jensenShannon(p: readonly number[], q: readonly number[]): number {
  let sp = 0;
  let sq = 0;
  for (let i = 0; i < p.length; i++) { sp += p[i]!; sq += q[i]!; }
  let js = 0;
  for (let i = 0; i < p.length; i++) {
    const a = p[i]! / sp;
    const b = q[i]! / sq;
    const mid = (a + b) / 2;
    if (a > 0) js += a * Math.log(a / mid);
    if (b > 0) js += b * Math.log(b / mid);
  }
  return Math.sqrt(Math.max(0, js / 2));
}

/** Population stability index of two share vectors (shares of 0 must already be floored). */
export function psi(reference: readonly number[], current: readonly number[]): number {
  let total = 0;
  for (let i = 0; i < reference.length; i++) {
    const r = reference[i]!;
    const c = current[i]!;
    total += (r - c) * Math.log(r / c);
  }
  return total;
}

/**
 * Equal-width histogram counts over [lo, hi] with `bins` bins, last bin closed, as numpy.histogram
 * with `np.histogram_bin_edges(..., bins)` computes them (including its correction of values that
 * floating point puts one bin off).
 */
export function histogram(values: Float64Array, lo: number, hi: number, bins: number): number[] {
  const counts = new Array<number>(bins).fill(0);
  if (hi === lo) { lo -= 0.5; hi += 0.5; }
  const edges = new Float64Array(bins + 1);
  for (let i = 0; i <= bins; i++) edges[i] = lo + ((hi - lo) * i) / bins;
  const norm = bins / (hi - lo);
  for (let i = 0; i < values.length; i++) {
    const x = values[i]!;
    if (x < lo || x > hi) continue;
    let k = Math.floor((x - lo) * norm);
    if (k === bins) k--;
    if (x < edges[k]!) k--;
    else if (x >= edges[k + 1]! && k !== bins - 1) k++;
    counts[k]!++;
  }
  return counts;
}
