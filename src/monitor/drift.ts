/**
 * Data drift between a reference (the model's training rows) and a batch, per feature.
 *
 * Method choice follows Evidently's defaults, so that results read the same as in the tool most teams
 * know: with a reference of at most 1,000 rows, numeric columns with more than 5 distinct values use the
 * two-sample Kolmogorov-Smirnov test (drift when p < 0.05) and the others the chi-squared test (p < 0.05);
 * with a bigger reference, numeric columns use the Wasserstein distance divided by the reference's
 * standard deviation (drift when >= 0.1) and the others the Jensen-Shannon distance (>= 0.1). PSI
 * (>= 0.1) is there on request. Missing values (null, NaN, +-Infinity) are left out of the test and
 * reported as shares. A dataset drifts when at least `driftShare` (0.5) of its tested columns do.
 *
 * @example
 * const report = dataDrift(trainFrame, batchFrame, { columns: ['distance', 'origin'] });
 * report.features.find((f) => f.feature === 'distance')?.drifted;
 */
import { DataError } from '../core/errors.ts';
import type { Column, Frame } from '../frame/frame.ts';
import { Frame as FrameClass, numberColumn, stringColumn } from '../frame/frame.ts';
import { chiSquaredTest, histogram, jensenShannon, ksTest, psi, sorted, std, wasserstein1 } from './stats.ts';

export type DriftMethod = 'wasserstein' | 'jensen-shannon' | 'ks' | 'chi-squared' | 'psi';

/** Whether the statistic is a p-value test (drift below the threshold) or a distance (drift at or above it). */
const P_VALUE_METHODS: ReadonlySet<DriftMethod> = new Set(['ks', 'chi-squared']);

export const DEFAULT_THRESHOLDS: Readonly<Record<DriftMethod, number>> = {
  wasserstein: 0.1, 'jensen-shannon': 0.1, ks: 0.05, 'chi-squared': 0.05, psi: 0.1,
};

/** Bins of a numeric feature's reference-vs-current histogram, over the reference's range. */
export const HISTOGRAM_BINS = 20;
/** Categories of a categorical feature's histogram; the rest are summed as "other". */
export const HISTOGRAM_TOP = 10;

/**
 * A feature's distribution for people to compare by eye: shares of the non-missing values, in bins (or
 * categories) shared by the reference and the current batch. Numeric: `edges` are HISTOGRAM_BINS equal
 * bins over the reference's range (the last bin includes its upper edge); current values outside it
 * are counted in `under` and `over`. Categorical: the HISTOGRAM_TOP categories with the largest share in
 * the two batches together, the rest summed in `other`.
 */
export type DriftHistogram =
  | { kind: 'numeric'; edges: number[]; shares: number[]; under: number; over: number }
  | { kind: 'categorical'; labels: string[]; shares: number[]; other: number };

/** Reference rows up to which the statistical tests (KS, chi-squared) are the default. */
export const SMALL_REFERENCE_ROWS = 1000;
/** Share given to an empty bin in Jensen-Shannon and PSI, as Evidently does. */
const EMPTY_BIN_SHARE = 0.0001;

export interface FeatureDriftOptions {
  method?: DriftMethod;
  /** Defaults per method: DEFAULT_THRESHOLDS. */
  threshold?: number;
  /** Equal-width bins over both samples' range for numeric Jensen-Shannon and PSI; default 30. */
  bins?: number;
}

export interface FeatureDrift {
  feature: string;
  kind: 'numeric' | 'categorical';
  method: DriftMethod;
  /** The distance, or the test statistic for KS and chi-squared. */
  statistic: number;
  /** For KS and chi-squared; null for distances. */
  pValue: number | null;
  threshold: number;
  drifted: boolean;
  referenceRows: number;
  currentRows: number;
  /** Share of rows left out as missing (null, NaN, +-Infinity). */
  referenceMissing: number;
  currentMissing: number;
  /** The two distributions on shared bins or categories (see DriftHistogram). */
  referenceHistogram: DriftHistogram;
  currentHistogram: DriftHistogram;
}

export interface DataDriftOptions {
  /** Columns to compare; default every column the two frames share. */
  columns?: readonly string[];
  /** Per-column method and threshold, e.g. `{ delay: { method: 'psi' } }`. */
  perColumn?: Record<string, FeatureDriftOptions>;
  /** Method for every column that `perColumn` does not name; default chosen per column (see the module doc). */
  method?: DriftMethod;
  bins?: number;
  /** Share of drifted columns at which the dataset drifts; default 0.5. */
  driftShare?: number;
}

export interface DataDriftReport {
  features: FeatureDrift[];
  driftedColumns: number;
  testedColumns: number;
  driftShare: number;
  /** True when driftedColumns / testedColumns >= driftShare. */
  drifted: boolean;
}

interface Sample { kind: 'numeric' | 'categorical'; values: Float64Array; labels: string[] | null; rows: number; missing: number }

/** Drift of one feature: two columns of the same kind (numbers or strings). */
export function featureDrift(feature: string, reference: Column, current: Column, options: FeatureDriftOptions = {}): FeatureDrift {
  if (reference.kind !== current.kind) {
    throw new DataError(`Drift of "${feature}": the reference column holds ${reference.kind === 'number' ? 'numbers' : 'text'} but the current one ${current.kind === 'number' ? 'numbers' : 'text'}`, {
      context: { column: feature }, hint: 'Compare the same feature from both batches; cast one of them in the query that reads it.',
    });
  }
  const [ref, cur] = samples(reference, current);
  if (ref.values.length === 0 || cur.values.length === 0) {
    const which = ref.values.length === 0 ? 'reference' : 'current';
    throw new DataError(`Drift of "${feature}": the ${which} batch has no values that are not missing`, {
      context: { column: feature }, hint: 'Check the batch: a column that is entirely null cannot be compared; leave it out with `columns`.',
    });
  }
  const method = options.method ?? defaultMethod(ref, cur);
  const threshold = options.threshold ?? DEFAULT_THRESHOLDS[method];
  const { statistic, pValue } = measure(method, ref, cur, options.bins ?? 30, feature);
  const drifted = P_VALUE_METHODS.has(method) ? (pValue as number) < threshold : statistic >= threshold;
  const [referenceHistogram, currentHistogram] = histograms(ref, cur);
  return {
    feature, kind: ref.kind, method, statistic, pValue, threshold, drifted,
    referenceRows: ref.rows, currentRows: cur.rows,
    referenceMissing: ref.rows === 0 ? 0 : ref.missing / ref.rows,
    currentMissing: cur.rows === 0 ? 0 : cur.missing / cur.rows,
    referenceHistogram, currentHistogram,
  };
}

/** Drift of every shared column (or the ones named) between a reference frame and a batch. */
export function dataDrift(reference: Frame, current: Frame, options: DataDriftOptions = {}): DataDriftReport {
  const columns = options.columns ?? reference.names.filter((n) => current.names.includes(n));
  for (const c of columns) {
    for (const [frame, which] of [[reference, 'reference'], [current, 'current']] as const) {
      if (!frame.names.includes(c)) {
        throw new DataError(`Drift: column "${c}" is not in the ${which} batch (it has ${frame.names.join(', ')})`, {
          context: { column: c }, hint: 'Name only columns both batches have in `columns`.',
        });
      }
    }
  }
  const features = columns.map((c) => featureDrift(c, reference.column(c), current.column(c), {
    ...(options.method ? { method: options.method } : {}),
    ...(options.bins ? { bins: options.bins } : {}),
    ...options.perColumn?.[c],
  }));
  const driftedColumns = features.filter((f) => f.drifted).length;
  const driftShare = options.driftShare ?? 0.5;
  return {
    features, driftedColumns, testedColumns: features.length, driftShare,
    drifted: features.length > 0 && driftedColumns / features.length >= driftShare,
  };
}

/**
 * A drift report as a Frame, one row per feature, so that a step can write it as a dataset and results
 * over many batches can be charted and queried (`batch` names the batch, e.g. the run's partition).
 */
export function driftFrame(report: DataDriftReport, batch: string): Frame {
  const f = report.features;
  return FrameClass.from({
    batch: stringColumn(f.map(() => batch)),
    feature: stringColumn(f.map((x) => x.feature)),
    kind: stringColumn(f.map((x) => x.kind)),
    method: stringColumn(f.map((x) => x.method)),
    statistic: numberColumn(f.map((x) => (Number.isFinite(x.statistic) ? x.statistic : null))),
    p_value: numberColumn(f.map((x) => x.pValue)),
    threshold: numberColumn(f.map((x) => x.threshold)),
    drifted: numberColumn(f.map((x) => (x.drifted ? 1 : 0)), 'bool'),
    reference_rows: numberColumn(f.map((x) => x.referenceRows), 'int'),
    current_rows: numberColumn(f.map((x) => x.currentRows), 'int'),
    reference_missing: numberColumn(f.map((x) => x.referenceMissing)),
    current_missing: numberColumn(f.map((x) => x.currentMissing)),
    reference_hist: stringColumn(f.map((x) => JSON.stringify(x.referenceHistogram))),
    current_hist: stringColumn(f.map((x) => JSON.stringify(x.currentHistogram))),
  });
}

/** Both samples' histograms on the same bins (numeric, over the reference's range) or categories. */
function histograms(ref: Sample, cur: Sample): [DriftHistogram, DriftHistogram] {
  if (ref.kind === 'numeric') {
    let lo = ref.values[0]!;
    let hi = ref.values[ref.values.length - 1]!;
    if (lo === hi) { lo -= 0.5; hi += 0.5; }
    const edges = Array.from({ length: HISTOGRAM_BINS + 1 }, (_, i) => (i === HISTOGRAM_BINS ? hi : lo + ((hi - lo) * i) / HISTOGRAM_BINS));
    const numeric = (s: Sample): DriftHistogram => {
      const n = s.values.length;
      let under = 0;
      let over = 0;
      for (let i = 0; i < n; i++) { if (s.values[i]! < lo) under++; else if (s.values[i]! > hi) over++; }
      return { kind: 'numeric', edges, shares: histogram(s.values, lo, hi, HISTOGRAM_BINS).map((c) => c / n), under: under / n, over: over / n };
    };
    return [numeric(ref), numeric(cur)];
  }
  const labels = ref.labels!;
  const shareOf = (s: Sample): Float64Array => {
    const out = new Float64Array(labels.length);
    for (let i = 0; i < s.values.length; i++) out[s.values[i]!]!++;
    for (let k = 0; k < out.length; k++) out[k]! /= s.values.length;
    return out;
  };
  const r = shareOf(ref);
  const c = shareOf(cur);
  // Largest in both batches together, ties by label: a category new in the current batch shows up too.
  const top = labels.map((_, k) => k).sort((a, b) => (r[b]! + c[b]!) - (r[a]! + c[a]!) || (labels[a]! < labels[b]! ? -1 : 1)).slice(0, HISTOGRAM_TOP);
  const inTop = new Set(top);
  const categorical = (shares: Float64Array): DriftHistogram => {
    let other = 0;
    for (let k = 0; k < shares.length; k++) if (!inTop.has(k)) other += shares[k]!;
    return { kind: 'categorical', labels: top.map((k) => labels[k]!), shares: top.map((k) => shares[k]!), other };
  };
  return [categorical(r), categorical(c)];
}

function samples(reference: Column, current: Column): [Sample, Sample] {
  if (reference.kind === 'number' && current.kind === 'number') {
    return [numericSample(reference.values), numericSample(current.values)];
  }
  // Strings: map both dictionaries onto one sorted label list, values are label indices.
  const r = reference as Extract<Column, { kind: 'string' }>;
  const c = current as Extract<Column, { kind: 'string' }>;
  const labels = [...new Set([...usedLabels(r), ...usedLabels(c)])].sort();
  const index = new Map(labels.map((l, i) => [l, i]));
  return [categoricalSample(r, index, labels), categoricalSample(c, index, labels)];
}

function numericSample(values: Float64Array): Sample {
  let n = 0;
  for (let i = 0; i < values.length; i++) if (Number.isFinite(values[i]!)) n++;
  const out = new Float64Array(n);
  let k = 0;
  for (let i = 0; i < values.length; i++) if (Number.isFinite(values[i]!)) out[k++] = values[i]!;
  return { kind: 'numeric', values: sorted(out), labels: null, rows: values.length, missing: values.length - n };
}

function usedLabels(c: Extract<Column, { kind: 'string' }>): string[] {
  const used = new Uint8Array(c.dictionary.length);
  for (let i = 0; i < c.codes.length; i++) if (c.codes[i]! >= 0) used[c.codes[i]!] = 1;
  return c.dictionary.filter((_, i) => used[i] === 1);
}

function categoricalSample(c: Extract<Column, { kind: 'string' }>, index: Map<string, number>, labels: string[]): Sample {
  const map = c.dictionary.map((l) => index.get(l) ?? -1);
  let n = 0;
  for (let i = 0; i < c.codes.length; i++) if (c.codes[i]! >= 0) n++;
  const out = new Float64Array(n);
  let k = 0;
  for (let i = 0; i < c.codes.length; i++) if (c.codes[i]! >= 0) out[k++] = map[c.codes[i]!]!;
  return { kind: 'categorical', values: out, labels, rows: c.codes.length, missing: c.codes.length - n };
}

function distinctCount(a: Float64Array, b: Float64Array, limit: number): number {
  const seen = new Set<number>();
  for (const arr of [a, b]) {
    for (let i = 0; i < arr.length; i++) { seen.add(arr[i]!); if (seen.size > limit) return seen.size; }
  }
  return seen.size;
}

function defaultMethod(ref: Sample, cur: Sample): DriftMethod {
  const continuous = ref.kind === 'numeric' && distinctCount(ref.values, cur.values, 5) > 5;
  if (ref.values.length <= SMALL_REFERENCE_ROWS) return continuous ? 'ks' : 'chi-squared';
  return continuous ? 'wasserstein' : 'jensen-shannon';
}

function measure(method: DriftMethod, ref: Sample, cur: Sample, bins: number, feature: string): { statistic: number; pValue: number | null } {
  switch (method) {
    case 'wasserstein': {
      requireNumeric(method, ref, feature);
      return { statistic: wasserstein1(ref.values, cur.values) / Math.max(std(ref.values), 0.001), pValue: null };
    }
    case 'ks': {
      requireNumeric(method, ref, feature);
      const r = ksTest(ref.values, cur.values);
      return { statistic: r.statistic, pValue: r.pValue };
    }
    case 'jensen-shannon': {
      const [p, q] = shares(ref, cur, bins);
      return { statistic: jensenShannon(p, q), pValue: null };
    }
    case 'psi': {
      const [p, q] = shares(ref, cur, bins);
      return { statistic: psi(p, q), pValue: null };
    }
    case 'chi-squared': {
      const [rc, cc] = ref.kind === 'categorical' ? counts(ref, cur, bins) : valueCounts(ref.values, cur.values);
      const scale = cur.values.length / ref.values.length;
      return chiSquaredTest(cc, rc.map((x) => x * scale));
    }
  }
}

function requireNumeric(method: DriftMethod, s: Sample, feature: string): void {
  if (s.kind !== 'numeric') {
    throw new DataError(`Drift of "${feature}": ${method} needs a numeric column, and this one holds text`, {
      context: { column: feature }, hint: "Use 'jensen-shannon', 'chi-squared' or 'psi' for a categorical feature.",
    });
  }
}

/** Counts per category (every label either side has), or per equal-width bin over both samples' range. */
function counts(ref: Sample, cur: Sample, bins: number): [number[], number[]] {
  if (ref.kind === 'categorical') {
    const k = ref.labels!.length;
    const count = (s: Sample): number[] => {
      const out = new Array<number>(k).fill(0);
      for (let i = 0; i < s.values.length; i++) out[s.values[i]!]!++;
      return out;
    };
    return [count(ref), count(cur)];
  }
  const lo = Math.min(ref.values[0]!, cur.values[0]!);
  const hi = Math.max(ref.values[ref.values.length - 1]!, cur.values[cur.values.length - 1]!);
  return [histogram(ref.values, lo, hi, bins), histogram(cur.values, lo, hi, bins)];
}

/** Counts per distinct value of two numeric samples (chi-squared treats a discrete number as a category). */
function valueCounts(a: Float64Array, b: Float64Array): [number[], number[]] {
  const index = new Map<number, number>();
  for (const arr of [a, b]) for (let i = 0; i < arr.length; i++) if (!index.has(arr[i]!)) index.set(arr[i]!, index.size);
  const count = (arr: Float64Array): number[] => {
    const out = new Array<number>(index.size).fill(0);
    for (let i = 0; i < arr.length; i++) out[index.get(arr[i]!)!]!++;
    return out;
  };
  return [count(a), count(b)];
}

function shares(ref: Sample, cur: Sample, bins: number): [number[], number[]] {
  const [rc, cc] = counts(ref, cur, bins);
  const toShares = (c: number[], n: number): number[] => c.map((x) => (x === 0 ? EMPTY_BIN_SHARE : x / n));
  return [toShares(rc, ref.values.length), toShares(cc, cur.values.length)];
}
