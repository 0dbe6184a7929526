/**
 * Column profile of a dataset version: per column nulls, min/max, mean/std, approximate distinct,
 * quantiles, top values and a histogram. Built from two kinds of facts so that profiling costs a small
 * fraction of writing the data:
 *
 * - exact facts over every row: count, nulls, min, max (free from the Parquet writer's statistics when
 *   the version is written by `writeRelation`), mean and standard deviation (finite values only, with
 *   the count of NaN and infinities);
 * - a uniform sample of about 65,000 rows (every k-th row; all rows when there are fewer): quantiles,
 *   distinct count (Haas and Stokes' Duj1 estimator, scaled to the full row count), most frequent values
 *   and an equal-width histogram between the exact min and max, as shares of the non-null rows.
 *
 * HyperLogLog distinct counts and t-digest quantiles over every row cost about as much as writing the
 * Parquet file, which is why those come from the sample; `sampledRows` says how many rows it held.
 * (DuckDB's reservoir_quantile is not used: on sorted data it keeps a contiguous run of rows.)
 *
 * @example
 * const profile = await profileDataset(engine, readParquetSql('/data/v3.parquet'));
 * profile.find((c) => c.name === 'delay')?.histogram;
 */
import { newId } from '../core/ids.ts';
import type { ColumnSchema, Engine, Row } from '../engine/index.ts';
import { quoteIdent } from '../engine/index.ts';
import type { Json } from '../core/json.ts';

export interface ColumnProfile {
  [key: string]: Json;
  name: string;
  type: string;
  min: string | null;
  max: string | null;
  /** Approximate number of distinct non-null values. */
  distinct: number | null;
  mean: number | null;
  std: number | null;
  q25: string | null;
  q50: string | null;
  q75: string | null;
  /** Rows (null or not). */
  count: number;
  nulls: number;
  nullFraction: number;
  /** NaN and infinite values of a floating-point column (left out of mean, std, quantiles and histogram). */
  nonFinite: number | null;
  /** Quantiles 1%, 5%, 25%, 50%, 75%, 95%, 99% (from the sample; values that occur in the data). */
  quantiles: { q: number; value: string }[] | null;
  /** Most frequent values with their share of the non-null rows (from the sample). */
  top: { value: string; share: number }[] | null;
  /** Equal-width bins over [min, max] with the share of non-null finite rows in each (from the sample). */
  histogram: { lo: number; hi: number; share: number }[] | null;
  /** Rows the sample-based statistics (distinct, quantiles, top, histogram) saw. */
  sampledRows: number;
}

/** The exact per-column facts a profile starts from. */
export interface ColumnFacts {
  name: string;
  type: string;
  /** Rows in the dataset. */
  rows: number;
  nonNull: number;
  min: string | null;
  max: string | null;
  mean: number | null;
  std: number | null;
  nonFinite: number | null;
}

export interface ProfileOptions {
  /** Only rows matching this SQL condition. */
  where?: string;
  /** Columns to profile; default all. */
  schema?: readonly ColumnSchema[];
  /** Histogram bins; default 20. */
  bins?: number;
  /** How many most frequent values; default 5. */
  topK?: number;
  /** `tableSql` has a rowid (a table, not a query): sample every k-th row instead of at random. */
  isTable?: boolean;
}

const QUANTILES = [0.01, 0.05, 0.25, 0.5, 0.75, 0.95, 0.99];
/** Above this many rows the sample-based statistics use a sample of about SAMPLE_ROWS rows. */
export const SAMPLE_ABOVE = 131_072;
export const SAMPLE_ROWS = 65_536;

export type ColumnKind = 'number' | 'float' | 'temporal' | 'other';

export function kindOf(type: string): ColumnKind {
  const t = type.toUpperCase();
  if (/^(DOUBLE|FLOAT|REAL)$/.test(t)) return 'float';
  if (/^(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT|UTINYINT|USMALLINT|UINTEGER|UBIGINT|UHUGEINT)$/.test(t) || t.startsWith('DECIMAL')) return 'number';
  if (t === 'DATE' || t.startsWith('TIMESTAMP')) return 'temporal';
  return 'other';
}

/** Every k-th row gives about SAMPLE_ROWS rows out of `rows` (1: all of them). */
export function sampleStride(rows: number): number {
  return rows > SAMPLE_ABOVE ? Math.max(1, Math.floor(rows / SAMPLE_ROWS)) : 1;
}

/** Profiles every column of a table expression (all rows, or those matching `where`). */
export async function profileDataset(engine: Engine, tableSql: string, options: ProfileOptions = {}): Promise<ColumnProfile[]> {
  const schema = options.schema ?? (await engine.describe(`SELECT * FROM ${tableSql}`));
  if (schema.length === 0) return [];
  const facts = await exactFacts(engine, tableSql, schema, options.where);
  const rows = facts[0]?.rows ?? 0;
  const cols = schema.map((c) => quoteIdent(c.name)).join(', ');
  const stride = sampleStride(rows);
  if (stride === 1) return sampleProfile(engine, `(SELECT ${cols} FROM ${tableSql}${options.where ? ` WHERE ${options.where}` : ''})`, facts, options);
  const sample = `__sluice_profile_${newId('s').slice(2)}`;
  const pick = options.isTable ? `rowid % ${stride} = 0` : `random() < ${1 / stride}`;
  await engine.run(`CREATE TEMP TABLE ${sample} AS SELECT ${cols} FROM ${tableSql} WHERE ${options.where ? `(${options.where}) AND ` : ''}${pick}`);
  try {
    return await sampleProfile(engine, sample, facts, options);
  } finally {
    await engine.run(`DROP TABLE IF EXISTS ${sample}`);
  }
}

/** One aggregate query over every row: count, nulls, min, max, mean, std, non-finite values. */
export async function exactFacts(engine: Engine, tableSql: string, schema: readonly ColumnSchema[], where?: string): Promise<ColumnFacts[]> {
  const aggs: string[] = ['count(*) AS n'];
  schema.forEach((c, i) => {
    const x = quoteIdent(c.name);
    const kind = kindOf(c.type);
    aggs.push(`count(${x}) AS c${i}`);
    if (kind === 'float') {
      const fin = `CASE WHEN isfinite(${x}) THEN ${x} END`;
      aggs.push(`CAST(min(${fin}) AS VARCHAR) AS lo${i}`, `CAST(max(${fin}) AS VARCHAR) AS hi${i}`);
      aggs.push(`avg(${fin}) AS m${i}`, `stddev_samp(${fin}) AS s${i}`, `count(${x}) - count(${fin}) AS nf${i}`);
    } else if (kind === 'number') {
      aggs.push(`CAST(min(${x}) AS VARCHAR) AS lo${i}`, `CAST(max(${x}) AS VARCHAR) AS hi${i}`);
      aggs.push(`avg(CAST(${x} AS DOUBLE)) AS m${i}`, `stddev_samp(CAST(${x} AS DOUBLE)) AS s${i}`);
    } else if (kind === 'temporal' || /^(VARCHAR|BOOLEAN|UUID|ENUM|TIME)/i.test(c.type)) {
      aggs.push(`CAST(min(${x}) AS VARCHAR) AS lo${i}`, `CAST(max(${x}) AS VARCHAR) AS hi${i}`);
    }
  });
  const r = (await engine.rows(`SELECT ${aggs.join(', ')} FROM ${tableSql}${where ? ` WHERE ${where}` : ''}`))[0] ?? {};
  const rows = num(r['n']) ?? 0;
  return schema.map((c, i) => ({
    name: c.name, type: c.type, rows, nonNull: num(r[`c${i}`]) ?? 0, min: str(r[`lo${i}`]), max: str(r[`hi${i}`]),
    mean: num(r[`m${i}`]), std: num(r[`s${i}`]), nonFinite: r[`nf${i}`] === undefined ? null : num(r[`nf${i}`]),
  }));
}

/**
 * The profile from exact facts and a sample table (or table expression) of the same columns: the
 * sample gives quantiles, distinct counts, top values and histograms.
 */
export async function sampleProfile(engine: Engine, sample: string, facts: readonly ColumnFacts[], options: { bins?: number; topK?: number } = {}): Promise<ColumnProfile[]> {
  const bins = options.bins ?? 20;
  const topK = options.topK ?? 5;
  const groups: string[] = [];
  const hists: string[] = [];
  const qs: string[] = [];
  facts.forEach((c, i) => {
    const x = quoteIdent(c.name);
    if (/^(STRUCT|MAP|UNION)|\[\]$/i.test(c.type)) return;
    const kind = kindOf(c.type);
    // Distinct count, singletons and the most frequent values from one GROUP BY of the sample.
    groups.push(`SELECT ${i} AS i, count(*) AS d, count(*) FILTER (WHERE k = 1) AS f1, sum(k) AS nn, max_by(CAST(v AS VARCHAR), k, ${topK}) AS tv, max(k, ${topK}) AS tk
      FROM (SELECT ${x} AS v, count(*) AS k FROM ${sample} WHERE ${x} IS NOT NULL GROUP BY ALL)`);
    if (kind !== 'other') {
      const fin = kind === 'float' ? ` AND isfinite(${x})` : '';
      qs.push(`SELECT ${i} AS i, CAST(quantile_disc(${x}, [${QUANTILES.join(', ')}]) AS VARCHAR[]) AS q FROM ${sample} WHERE ${x} IS NOT NULL${fin}`);
    }
    const lo = kind === 'number' || kind === 'float' ? num(c.min) : null;
    const hi = kind === 'number' || kind === 'float' ? num(c.max) : null;
    if (lo !== null && hi !== null) {
      const width = hi > lo ? (hi - lo) / bins : 1;
      const fin = kind === 'float' ? ` AND isfinite(${x})` : '';
      hists.push(`SELECT ${i} AS i, CAST(least(${bins - 1}, greatest(0, floor((CAST(${x} AS DOUBLE) - ${lo}) / ${width}))) AS INTEGER) AS b, count(*) AS k FROM ${sample} WHERE ${x} IS NOT NULL${fin} GROUP BY ALL`);
    }
  });
  const run = async (parts: string[]): Promise<Row[]> => (parts.length ? engine.rows(parts.join(' UNION ALL ')) : []);
  const groupRows = await run(groups);
  const histRows = await run(hists);
  const qRows = await run(qs);
  const sampledRows = Math.max(0, ...groupRows.map((r) => num(r['nn']) ?? 0));
  return facts.map((c, i): ColumnProfile => {
    const g = groupRows.find((r) => Number(r['i']) === i);
    const nn = num(g?.['nn']) ?? 0;
    const q = qRows.find((r) => Number(r['i']) === i)?.['q'];
    const quantiles = Array.isArray(q) && q.length === QUANTILES.length ? QUANTILES.map((p, k) => ({ q: p, value: String(q[k]) })) : null;
    const kind = kindOf(c.type);
    const hist = kind === 'number' || kind === 'float' ? histogramOf(histRows.filter((r) => Number(r['i']) === i), num(c.min), num(c.max), bins) : null;
    const tv = (g?.['tv'] ?? []) as unknown[];
    const tk = (g?.['tk'] ?? []) as unknown[];
    const top = tv.map((v, k) => ({ value: String(v), share: nn > 0 ? Number(tk[k] ?? 0) / nn : 0 }));
    return {
      name: c.name,
      type: c.type,
      min: c.min,
      max: c.max,
      distinct: g ? estimateDistinct(num(g['d']) ?? 0, num(g['f1']) ?? 0, nn, c.nonNull - (c.nonFinite ?? 0)) : null,
      mean: c.mean,
      std: c.std,
      q25: quantiles?.[2]?.value ?? null,
      q50: quantiles?.[3]?.value ?? null,
      q75: quantiles?.[4]?.value ?? null,
      count: c.rows,
      nulls: c.rows - c.nonNull,
      nullFraction: c.rows > 0 ? (c.rows - c.nonNull) / c.rows : 0,
      nonFinite: c.nonFinite,
      quantiles,
      top: g ? top : null,
      histogram: hist,
      sampledRows,
    };
  });
}

/**
 * Distinct values of a column from a sample: exact when the sample is the whole column, else Haas and
 * Stokes' Duj1 estimator n·d / (n − f1 + f1·n/N), which stays near d for repetitive columns and near N
 * for nearly unique ones.
 */
export function estimateDistinct(d: number, f1: number, n: number, N: number): number {
  if (n <= 0) return 0;
  if (n >= N) return d;
  const est = (n * d) / (n - f1 + (f1 * n) / N);
  return Math.round(Math.min(N, Math.max(d, est)));
}

function histogramOf(rows: Row[], lo: number | null, hi: number | null, bins: number): ColumnProfile['histogram'] {
  if (lo === null || hi === null || rows.length === 0) return null;
  const width = hi > lo ? (hi - lo) / bins : 1;
  const counts = new Array<number>(bins).fill(0);
  let total = 0;
  for (const r of rows) {
    const b = Number(r['b']);
    const k = Number(r['k']);
    if (b >= 0 && b < bins) { counts[b] = (counts[b] ?? 0) + k; total += k; }
  }
  const n = hi > lo ? bins : 1;
  return counts.slice(0, n).map((k, b) => ({ lo: lo + b * width, hi: b === n - 1 ? hi : lo + (b + 1) * width, share: total > 0 ? k / total : 0 }));
}

function str(v: unknown): string | null {
  return v === null || v === undefined ? null : String(v);
}

function num(v: unknown): number | null {
  if (v === null || v === undefined) return null;
  const n = typeof v === 'number' ? v : Number(v);
  return Number.isFinite(n) ? n : null;
}
