/**
 * Quantile binning: every feature becomes at most 255 value bins plus one missing-value bin, so a
 * row of F features is F bytes. Computed once per training set; prediction bins new rows with the
 * same mappers.
 *
 * - Numeric features: with at most `maxBins` distinct values, one bin per value (edges at the
 *   midpoints); otherwise edges chosen greedily on a sample so that bins hold about equal counts
 *   and a heavy single value gets a bin of its own. Bin b holds values v with
 *   edges[b-1] < v <= edges[b]. NaN is missing; ±Infinity fall in the first/last bin.
 * - Categorical features (string columns, or numeric integer codes declared categorical): one bin
 *   per category, most frequent first. Categories beyond the cap of `maxBins` (the rarest) and
 *   categories never seen in training share the missing bin, so they follow every split's missing
 *   direction.
 *
 * The missing bin of feature f is `numBins(f)` (at most 255), so bins fit in a byte.
 *
 * @example
 * const mappers = fitBinMappers([{ name: 'x', column: numberColumn(values), categorical: false }], { maxBins: 255 });
 * const bins = binColumns(mappers, [numberColumn(values)]); // row-major Uint8Array
 */
import { DataError } from '../../core/errors.ts';
import type { Column } from '../../frame/frame.ts';
import { streamKey, uniformOf } from './sampling.ts';

export const MAX_BINS = 255;

export interface NumericBinMapper {
  readonly kind: 'numeric';
  readonly name: string;
  /** Upper edges: bin b holds edges[b-1] < v <= edges[b]; the last bin is v > edges[last]. */
  readonly edges: Float64Array;
}

export interface CategoricalBinMapper {
  readonly kind: 'categorical';
  readonly name: string;
  /** Whether training saw a string column (categories are strings) or numeric integer codes. */
  readonly source: 'string' | 'number';
  /** The category of each bin, most frequent first. */
  readonly categories: readonly string[] | Float64Array;
}

export type BinMapper = NumericBinMapper | CategoricalBinMapper;

export interface FeatureInput {
  readonly name: string;
  readonly column: Column;
  /** Numeric integer codes to be treated as categories. String columns are always categorical. */
  readonly categorical: boolean;
}

export interface BinningOptions {
  /** Value bins per feature, 2..255 (default 255); one more bin holds missing values. */
  maxBins?: number;
  /** Rows sampled to place numeric edges (default 200000). */
  sampleSize?: number;
  /** Seed of the edge sample. */
  seed?: number;
}

/** Number of value bins of a feature; its missing bin has this index. */
export function numBins(m: BinMapper): number {
  return m.kind === 'numeric' ? m.edges.length + 1 : m.categories.length;
}

export function fitBinMappers(features: readonly FeatureInput[], options: BinningOptions = {}): BinMapper[] {
  const maxBins = options.maxBins ?? MAX_BINS;
  if (!Number.isInteger(maxBins) || maxBins < 2 || maxBins > MAX_BINS) {
    throw new DataError(`gbdt maxBins must be an integer in 2..${MAX_BINS}, got ${maxBins}`);
  }
  const sampleSize = options.sampleSize ?? 200_000;
  const seed = options.seed ?? 0;
  return features.map((f) => {
    if (f.column.kind === 'string') return fitStringCategories(f.name, f.column.codes, f.column.dictionary, maxBins);
    if (f.categorical) return fitNumericCategories(f.name, f.column.values, maxBins);
    return fitNumericEdges(f.name, f.column.values, maxBins, sampleSize, seed);
  });
}

function fitNumericEdges(name: string, values: Float64Array, maxBins: number, sampleSize: number, seed: number): NumericBinMapper {
  const n = values.length;
  // Stratified sample: one hashed row from each of sampleSize equal windows, so sorted or periodic
  // data is sampled evenly and only sampleSize hashes are computed.
  const windows = Math.min(n, sampleSize);
  const sample = new Float64Array(windows);
  const key = streamKey(seed, 0x5eed);
  let m = 0;
  for (let w = 0; w < windows; w++) {
    const lo = Math.floor((w * n) / windows);
    const hi = Math.floor(((w + 1) * n) / windows);
    const i = hi - lo > 1 ? lo + Math.floor(uniformOf(key, w) * (hi - lo)) : lo;
    const v = values[i]!;
    if (v === v) sample[m++] = v;
  }
  const distinct: number[] = [];
  const counts: number[] = [];
  // Integer data in a small range (hours, days, distances...) is counted, not sorted.
  let lo = Infinity;
  let hi = -Infinity;
  let ints = true;
  for (let i = 0; i < m; i++) {
    const v = sample[i]!;
    if ((v | 0) !== v) { ints = false; break; }
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  if (ints && m > 0 && hi - lo < 1 << 20) {
    const tally = new Int32Array(hi - lo + 1);
    for (let i = 0; i < m; i++) tally[sample[i]! - lo]!++;
    for (let v = 0; v < tally.length; v++) if (tally[v]! > 0) { distinct.push(v + lo); counts.push(tally[v]!); }
  } else {
    const sorted = sample.subarray(0, m).sort();
    for (let i = 0; i < m; i++) {
      const v = sorted[i]!;
      if (i > 0 && v === sorted[i - 1]) counts[counts.length - 1]!++;
      else { distinct.push(v); counts.push(1); }
    }
  }
  return { kind: 'numeric', name, edges: Float64Array.from(chooseEdges(distinct, counts, m, maxBins)) };
}

function midpoint(lo: number, hi: number): number {
  // Infinite neighbours keep the finite value's own bin apart from the infinity.
  if (hi === Infinity) return lo;
  if (lo === -Infinity) return -Number.MAX_VALUE;
  const mid = lo + (hi - lo) / 2;
  return mid < hi ? mid : lo;
}

/** Greedy equal-count edges over sorted distinct values; a value alone above the target gets its own bin. */
function chooseEdges(distinct: number[], counts: number[], total: number, maxBins: number): number[] {
  const d = distinct.length;
  const edges: number[] = [];
  if (d <= 1) return edges;
  if (d <= maxBins) {
    for (let i = 0; i + 1 < d; i++) edges.push(midpoint(distinct[i]!, distinct[i + 1]!));
    return edges;
  }
  let rest = total;
  let binsLeft = maxBins;
  let cur = 0;
  for (let i = 0; i + 1 < d && binsLeft > 1; i++) {
    cur += counts[i]!;
    const target = rest / binsLeft;
    // Close the bin when it is full, or early when the next value alone would fill a bin.
    if (cur >= target || (cur >= target / 2 && counts[i + 1]! >= target)) {
      edges.push(midpoint(distinct[i]!, distinct[i + 1]!));
      rest -= cur;
      binsLeft--;
      cur = 0;
    }
  }
  return edges;
}

function byCountThenKey<T>(counts: Map<T, number>, cmp: (a: T, b: T) => number, maxBins: number): T[] {
  return [...counts.entries()]
    .sort((a, b) => b[1] - a[1] || cmp(a[0], b[0]))
    .slice(0, maxBins)
    .map((e) => e[0]);
}

function fitStringCategories(name: string, codes: Int32Array, dictionary: readonly string[], maxBins: number): CategoricalBinMapper {
  const perCode = new Float64Array(dictionary.length);
  for (let i = 0; i < codes.length; i++) {
    const c = codes[i]!;
    if (c >= 0) perCode[c]!++;
  }
  const counts = new Map<string, number>();
  for (let c = 0; c < dictionary.length; c++) {
    if (perCode[c]! > 0) {
      const s = dictionary[c]!;
      counts.set(s, (counts.get(s) ?? 0) + perCode[c]!);
    }
  }
  // Ties broken by the string itself so that the bins do not depend on dictionary order.
  const categories = byCountThenKey(counts, (a, b) => (a < b ? -1 : a > b ? 1 : 0), maxBins);
  return { kind: 'categorical', name, source: 'string', categories };
}

function fitNumericCategories(name: string, values: Float64Array, maxBins: number): CategoricalBinMapper {
  const counts = new Map<number, number>();
  // Codes 0..65535 are counted in an array (the usual case); others in a Map.
  const dense = new Float64Array(1 << 16);
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (v !== v) continue;
    if ((v & 0xffff) === v) { dense[v]!++; continue; }
    if (!Number.isInteger(v)) {
      throw new DataError(`gbdt categorical feature "${name}" has a non-integer value ${v} at row ${i}; numeric categorical features must hold integer codes`, { context: { column: name, row: i } });
    }
    counts.set(v, (counts.get(v) ?? 0) + 1);
  }
  for (let v = 0; v < dense.length; v++) if (dense[v]! > 0) counts.set(v, dense[v]!);
  const categories = Float64Array.from(byCountThenKey(counts, (a, b) => a - b, maxBins));
  return { kind: 'categorical', name, source: 'number', categories };
}

/**
 * Bins columns (in mapper order) into a row-major byte matrix: row r, feature f at `r * F + f`.
 * `out` may be given (e.g. backed by a SharedArrayBuffer) and must hold rows * F bytes.
 */
export function binColumns(mappers: readonly BinMapper[], columns: readonly Column[], out?: Uint8Array): Uint8Array {
  const F = mappers.length;
  if (columns.length !== F) throw new DataError(`gbdt binning got ${columns.length} columns for ${F} features`);
  const n = F === 0 ? 0 : columnRows(columns[0]!);
  const bins = out ?? new Uint8Array(n * F);
  if (bins.length < n * F) throw new DataError(`gbdt binning output holds ${bins.length} bytes, ${n * F} needed`);
  for (let f = 0; f < F; f++) {
    const col = columns[f]!;
    if (columnRows(col) !== n) throw new DataError(`gbdt feature "${mappers[f]!.name}" has ${columnRows(col)} rows, expected ${n}`);
    binFeature(mappers[f]!, col, bins, f, F);
  }
  return bins;
}

function columnRows(c: Column): number {
  return c.kind === 'number' ? c.values.length : c.codes.length;
}

/** Bins one feature into column f of a row-major matrix with `stride` bytes per row. */
export function binFeature(mapper: BinMapper, col: Column, out: Uint8Array, f: number, stride: number): void {
  const missing = numBins(mapper);
  if (mapper.kind === 'numeric') {
    if (col.kind !== 'number') throw new DataError(`gbdt feature "${mapper.name}" was numeric in training but is a string column here`, { context: { column: mapper.name } });
    binNumeric(mapper.edges, col.values, out, f, stride, missing);
    return;
  }
  if (mapper.source === 'string') {
    if (col.kind !== 'string') throw new DataError(`gbdt feature "${mapper.name}" was a string (categorical) column in training but is numeric here`, { context: { column: mapper.name } });
    const index = new Map<string, number>();
    (mapper.categories as readonly string[]).forEach((c, b) => index.set(c, b));
    // Per-code table: the frame's dictionary may differ from training's; unseen -> missing bin.
    const table = new Uint8Array(col.dictionary.length);
    for (let c = 0; c < col.dictionary.length; c++) table[c] = index.get(col.dictionary[c]!) ?? missing;
    const codes = col.codes;
    for (let i = 0, p = f; i < codes.length; i++, p += stride) {
      const c = codes[i]!;
      out[p] = c < 0 ? missing : table[c]!;
    }
    return;
  }
  if (col.kind !== 'number') throw new DataError(`gbdt feature "${mapper.name}" held numeric category codes in training but is a string column here`, { context: { column: mapper.name } });
  const cats = mapper.categories as Float64Array;
  const values = col.values;
  let lo = Infinity;
  let hi = -Infinity;
  for (let b = 0; b < cats.length; b++) { lo = Math.min(lo, cats[b]!); hi = Math.max(hi, cats[b]!); }
  if (cats.length > 0 && hi - lo < 1 << 16) {
    // Dense table over the code range: no Map lookup per row.
    const table = new Uint8Array(hi - lo + 1).fill(missing);
    for (let b = 0; b < cats.length; b++) table[cats[b]! - lo] = b;
    const span = table.length;
    for (let i = 0, p = f; i < values.length; i++, p += stride) {
      const v = values[i]! - lo;
      out[p] = (v | 0) === v && v < span && v >= 0 ? table[v]! : missing;
    }
    return;
  }
  const index = new Map<number, number>();
  cats.forEach((c, b) => index.set(c, b));
  for (let i = 0, p = f; i < values.length; i++, p += stride) out[p] = index.get(values[i]!) ?? missing;
}

function binNumeric(edges: Float64Array, values: Float64Array, out: Uint8Array, f: number, stride: number, missing: number): void {
  const e = edges.length;
  // Small integer ranges (hours, counts, codes) use a direct table instead of a binary search.
  let intLo = Infinity;
  let intHi = -Infinity;
  let allInt = true;
  const probe = Math.min(values.length, 4096);
  for (let i = 0; i < probe; i++) {
    const v = values[i]!;
    if (v !== v) continue;
    if (!Number.isInteger(v)) { allInt = false; break; }
    if (v < intLo) intLo = v;
    if (v > intHi) intHi = v;
  }
  let table: Uint8Array | null = null;
  let lo = 0;
  if (allInt && intHi >= intLo && intHi - intLo < 1 << 16) {
    // Widen to the edges' range so most rows hit the table even if the probe missed extremes.
    lo = Math.floor(Math.max(intLo - 1024, e > 0 ? Math.min(intLo, edges[0]!) : intLo));
    const hi = Math.ceil(Math.min(intHi + 1024, e > 0 ? Math.max(intHi, edges[e - 1]! + 1) : intHi));
    if (hi - lo < 1 << 17) {
      table = new Uint8Array(hi - lo + 1);
      for (let v = lo; v <= hi; v++) table[v - lo] = searchBin(edges, v);
    }
  }
  if (table !== null) {
    const span = table.length;
    for (let i = 0, p = f; i < values.length; i++, p += stride) {
      const t = values[i]! - lo;
      // In range and integral (NaN fails both): the table; otherwise a search.
      if ((t | 0) === t && t < span && t >= 0) out[p] = table[t]!;
      else out[p] = binValue(edges, values[i]!, missing);
    }
    return;
  }
  for (let i = 0, p = f; i < values.length; i++, p += stride) out[p] = binValue(edges, values[i]!, missing);
}

function binValue(edges: Float64Array, v: number, missing: number): number {
  return v !== v ? missing : searchBin(edges, v);
}

/** First b with v <= edges[b], else edges.length. */
export function searchBin(edges: Float64Array, v: number): number {
  let lo = 0;
  let hi = edges.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (v <= edges[mid]!) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/** The raw-value description of a bin threshold, for explanations and exports. */
export function describeThreshold(mapper: BinMapper, bin: number): number {
  return mapper.kind === 'numeric' ? (bin < mapper.edges.length ? mapper.edges[bin]! : Infinity) : NaN;
}
