/**
 * Validation of a batch (a relation: a streamed Parquet batch or a temp table) against a compiled suite:
 *
 * 1. the checks: a streamed batch in one aggregate query that computes every row check, collects the
 *    rows that broke any expectation (few, as a list), a uniform sample of the rows (for the profile and
 *    quantile checks) and the moments of every numeric column. A table (CSV, JSON, Arrow, database) is
 *    cheap to scan again and has no dictionary vectors: its text checks run once per distinct value
 *    (checkDistinctValues), then one aggregate takes the moments and one filter keeps the bad rows and
 *    the sample. The failing counts, samples of bad rows and every verdict follow from those in memory.
 *    A failed expectation of severity 'fail' stops here, before anything is written.
 * 2. one streaming COPY writes the clean rows as the dataset version (writeRelation: the Parquet
 *    writer's statistics complete the profile). The quarantine (the bad rows, with the name and reason
 *    of every expectation each broke) is written from the small list.
 *
 * A `unique` expectation adds its own GROUP BY pre-pass. Clean + quarantined = rows read is checked.
 *
 * @example
 * const { report } = await validateDataset(engine, catalog, ref, flightsSuite, { output: 'flights_clean', lineage });
 */
import { DataError, SluiceError } from '../core/errors.ts';
import { newId } from '../core/ids.ts';
import type { ColumnSchema, Engine } from '../engine/index.ts';
import { quoteIdent, quoteLiteral } from '../engine/index.ts';
import {
  checkName, checkRetention, datasetSql, FAILED_TYPE, isDatasetSnapshot, kindOf as profileKind, quarantineName, rejectsAsQuarantineSql, relationOf, writeRelation, writeVersion,
  type DatasetCatalog, type DatasetRef, type DatasetSnapshot, type Lineage, type Moments, type Relation, type RetentionPolicy, type StagedDataset,
} from '../data/index.ts';
import { sampleStride } from '../data/profile.ts';
import type { Json } from '../core/json.ts';
import { bound, compileSuite, describe, uniqueSql, type CompiledSuite, type DatasetCheck } from './compile.ts';
import { decideDrift, type DriftPolicy } from './drift.ts';
import type { Suite } from './expectations.ts';
import { resolveReferences } from './references.ts';
import { overallStatus, reportJson, ValidationError, type DriftReport, type ExpectationResult, type ValidationReport } from './report.ts';

export interface SplitOptions {
  /** The clean rows' dataset, and the quarantine's (default `<dataset>_quarantine`). */
  dataset: string;
  quarantine?: string;
  lineage: Lineage;
  partition: string | null;
  /** Recorded on both versions (e.g. the ingest state). */
  meta?: { [key: string]: Json };
  retention?: RetentionPolicy;
  drift?: DriftReport | null;
  /** When the validation started (epoch ms), for the report's duration. */
  startedAt?: number;
  /** "Now" for freshness checks without asOf (epoch ms). */
  now?: number;
  /** Check and report only: write nothing. */
  checkOnly?: boolean;
}

export interface ValidationOutcome {
  report: ValidationReport;
  clean: StagedDataset | null;
  quarantine: StagedDataset | null;
}

const SAMPLES = 5;
/** Rows read to judge whether a text column repeats its values enough to check each value once. */
const PROBE_ROWS = 65_536;
/** Row checks whose verdict depends on one text value alone, at the cost of a function call or a lookup per row. */
const PER_VALUE: ReadonlySet<string> = new Set(['regex', 'length', 'in_set', 'values_in']);

/** Validates a relation and writes the clean / quarantine split (see the module comment). */
export async function validateRelation(engine: Engine, catalog: DatasetCatalog, rel: Relation, compiled: CompiledSuite, o: SplitOptions): Promise<ValidationOutcome> {
  const started = o.startedAt ?? Date.now();
  const temps: string[] = [];
  const temp = (what: string): string => { const t = quoteIdent(`__sluice_${what}_${newId('v').slice(2)}`); temps.push(t); return t; };
  try {
    const rn = rel.rowNumber;
    const violations = new Map<number, string>();
    for (const [i, r] of compiled.rows.entries()) {
      if (r.exp.kind === 'unique') {
        // Pre-pass: the rows `unique` flags, by row number (and file).
        const dup = temp('dup');
        const u = uniqueSql(r.exp, rel.sql, rn, rel.fileColumn);
        await engine.run(`CREATE TEMP TABLE ${dup} AS ${u.select}`).catch(async (err: unknown) => { throw await rel.explain(err); });
        violations.set(i, `${u.key} IN (SELECT k FROM ${dup})`);
      } else {
        violations.set(i, r.violation!);
      }
    }
    // A batch in a table has no dictionary vectors: its text checks run once per distinct value instead.
    if (rel.table !== null) await checkDistinctValues(engine, rel.table, rel.columns, compiled, violations, temp);
    /** Check i's verdict for a row: evaluated in each pass, and on the (few) bad rows. */
    const v = (i: number): string => `coalesce((${violations.get(i)!}), FALSE)`;
    const quarantining = compiled.rows.map((r, i) => (r.exp.quarantine ? i : -1)).filter((i) => i >= 0);
    const anyQ = quarantining.length ? quarantining.map(v).join(' OR ') : 'FALSE';
    // Each check evaluated once per row, flag columns first and their ORs on top.
    const flagged = (checks: number[]): string => (checks.length === 0 ? `(SELECT *, FALSE AS __sluice_any, FALSE AS __sluice_q FROM ${rel.sql})`
      : `(SELECT *, ${checks.map((i) => `__sluice_v${i}`).join(' OR ')} AS __sluice_any, ${quarantining.length ? quarantining.map((i) => `__sluice_v${i}`).join(' OR ') : 'FALSE'} AS __sluice_q
          FROM (SELECT *, ${checks.map((i) => `${v(i)} AS __sluice_v${i}`).join(', ')} FROM ${rel.sql}))`);

    const cols = rel.columns;
    const stride = sampleStride(rel.rows);
    const numeric = cols.filter((c) => profileKind(c.type) === 'number' || profileKind(c.type) === 'float');
    const fresh = compiled.datasets.filter((d) => d.exp.kind === 'freshness');
    const momentAggs = [
      'count(*) AS n',
      ...numeric.flatMap((c, k) => {
        const x = quoteIdent(c.name);
        const fin = profileKind(c.type) === 'float' ? `CASE WHEN isfinite(${x}) THEN ${x} END` : `CAST(${x} AS DOUBLE)`;
        return [`count(${fin}) AS mc${k}`, `avg(${fin}) AS mm${k}`, `var_samp(${fin}) AS mv${k}`, `count(${x}) - count(${fin}) AS mf${k}`];
      }),
      // The newest value of all rows (datasetVerdict corrects it when that row was quarantined, which is rare).
      ...fresh.map((d, k) => `max(${quoteIdent((d.exp as { column: string }).column)}) AS fr${k}`),
    ];
    const summary = temp('summary');
    const bad = temp('bad');
    const sample = temp('sample');
    const extra = rel.internal.map((c) => c.name);
    const pick = stride === 1 ? 'TRUE' : `${rn} % ${stride} = 0`;
    try {
      if (rel.table !== null) {
        // A table: cheap to scan twice. The moments over every row (no checks evaluated), then one
        // filter keeps the rows that broke something and every k-th row (the sample).
        await engine.run(`CREATE TEMP TABLE ${summary} AS SELECT ${momentAggs.join(', ')}, NULL AS bad, NULL AS sample FROM ${rel.sql}`);
        const picked = temp('picked');
        await engine.run(`CREATE TEMP TABLE ${picked} AS SELECT ${[...cols.map((c) => quoteIdent(c.name)), ...extra.map(quoteIdent), `${rn} AS __sluice_rn`,
          'CAST(NULL AS VARCHAR) AS __sluice_file', '__sluice_any', '__sluice_q', `${pick} AS __sluice_sample`].join(', ')}
          FROM ${flagged(compiled.rows.map((_, i) => i))} WHERE __sluice_any OR ${pick}`);
        await engine.run(`CREATE TEMP TABLE ${bad} AS SELECT * EXCLUDE (__sluice_any, __sluice_q, __sluice_sample) FROM ${picked} WHERE __sluice_any`);
        await engine.run(`CREATE TEMP TABLE ${sample} AS SELECT ${cols.map((c) => quoteIdent(c.name)).join(', ')} FROM ${picked} WHERE __sluice_sample AND NOT __sluice_q`);
      } else {
        // Streamed: one aggregate pass gathers the moments, the rows that broke something and an even
        // sample (as lists), so the files are read once before the write.
        const struct = (more: string[]): string => `{${[...cols.map((c) => `${quoteLiteral(c.name)}: ${quoteIdent(c.name)}`), ...more].join(', ')}}`;
        const badExtra = extra.map((x) => `${quoteLiteral(x)}: ${quoteIdent(x)}`);
        await engine.run(`CREATE TEMP TABLE ${summary} AS SELECT ${[...momentAggs,
          `list(${struct([...badExtra, `'__sluice_rn': ${rn}`, `'__sluice_file': ${rel.fileColumn ?? 'CAST(NULL AS VARCHAR)'}`])}) FILTER (WHERE __sluice_any) AS bad`,
          `list(${struct(["'__sluice_ok': NOT __sluice_q"])}) FILTER (WHERE __sluice_sample) AS sample`,
        ].join(', ')} FROM (SELECT *, ${pick} AS __sluice_sample FROM ${flagged(compiled.rows.map((_, i) => i))})`);
        await engine.run(`CREATE TEMP TABLE ${bad} AS SELECT unnest(bad, recursive := true) FROM ${summary}`);
        await engine.run(`CREATE TEMP TABLE ${sample} AS SELECT * EXCLUDE (__sluice_ok) FROM (SELECT unnest(sample, recursive := true) FROM ${summary}) WHERE __sluice_ok`);
      }
    } catch (err) {
      throw await rel.explain(err);
    }
    const s = (await engine.rows(`SELECT * EXCLUDE (bad, sample) FROM ${summary}`))[0] ?? {};
    const n = Number(s['n'] ?? 0);
    // The bad rows, in memory: per-expectation counts, samples, and the quarantine.
    const counts = (await engine.rows(`SELECT count(*) FILTER (WHERE ${anyQ}) AS q${compiled.rows.map((_, i) => `, count(*) FILTER (WHERE ${v(i)}) AS f${i}`).join('')} FROM ${bad}`))[0] ?? {};
    const quarantined = Number(counts['q'] ?? 0);
    const nClean = n - quarantined;
    const moments = await cleanMoments(engine, numeric, s, bad, anyQ);

    const results: ExpectationResult[] = [...compiled.early];
    for (const [i, r] of compiled.rows.entries()) {
      const failed = Number(counts[`f${i}`] ?? 0);
      const met = failed <= Math.floor((1 - r.exp.mostly) * n + 1e-9);
      results.push({
        name: r.exp.name, kind: r.exp.kind, level: 'row', severity: r.exp.severity, description: r.description,
        status: met ? 'passed' : r.exp.severity === 'fail' ? 'failed' : 'warned',
        failedRows: failed, failedShare: n > 0 ? failed / n : 0, quarantined: r.exp.quarantine, observed: null,
        ...(failed > 0 ? { samples: await samples(engine, bad, cols, v(i)) } : {}),
      });
    }
    for (const d of compiled.datasets) {
      const { ok, observed } = await datasetVerdict(engine, d, {
        rows: nClean, moments, sample, summary, freshness: fresh.indexOf(d), from: flagged(quarantining), now: o.now ?? Date.now(), bad, anyQ,
      });
      results.push({ name: d.exp.name, kind: d.exp.kind, level: 'dataset', severity: d.exp.severity, description: d.description, status: ok ? 'passed' : d.exp.severity === 'fail' ? 'failed' : 'warned', observed });
    }
    const order = new Map(compiled.suite.expectations.map((e, i) => [e.name, i]));
    results.sort((a, b) => (order.get(a.name) ?? 1e9) - (order.get(b.name) ?? 1e9));
    const drift = o.drift ?? null;
    const unparsed = rel.rejected;
    const report: ValidationReport = {
      suite: compiled.suite.name, dataset: o.dataset, partition: o.partition, status: overallStatus(results, drift),
      rows: { input: n + unparsed, clean: nClean, quarantined: quarantined + unparsed, unparsed },
      expectations: results, drift, at: started, durationMs: Date.now() - started,
    };
    if (report.status === 'failed') throw new ValidationError(report);
    if (o.checkOnly) return { report, clean: null, quarantine: null };

    // Pass 2: the clean rows, streamed into the version's Parquet file, leaving out the quarantined rows
    // by their row numbers instead of evaluating every check again: a table has them deleted (its scan
    // skips deleted rows for free), a streamed batch is anti-joined with their (few) keys.
    let source = rel.sql;
    if (quarantined > 0 && rel.table !== null) {
      await engine.run(`DELETE FROM ${rel.table} WHERE rowid IN (SELECT __sluice_rn FROM ${bad} WHERE ${anyQ})`);
    } else if (quarantined > 0) {
      const keys = temp('qkeys');
      const key = (file: string, r: string): string => (rel.fileColumn ? `{'f': ${file}, 'r': ${r}}` : r);
      await engine.run(`CREATE TEMP TABLE ${keys} AS SELECT ${key('__sluice_file', '__sluice_rn')} AS k FROM ${bad} WHERE ${anyQ}`);
      source = `(SELECT * FROM ${rel.sql} WHERE ${key(rel.fileColumn ?? 'NULL', rn)} NOT IN (SELECT k FROM ${keys}))`;
    }
    const clean = await writeRelation(engine, catalog, o.dataset, { sql: source, columns: cols }, {
      moments, sample, lineage: o.lineage, partition: o.partition,
      meta: { ...(o.meta ?? {}), validation: reportJson({ ...report, durationMs: Date.now() - started }) },
      ...(o.retention ? { retention: o.retention } : {}),
    });
    if (clean.rowCount !== nClean) {
      throw new DataError(`The source of "${o.dataset}" changed while it was being read (${nClean} clean rows counted, ${clean.rowCount} written)`, {
        code: 'SOURCE_CHANGED', context: { dataset: o.dataset }, hint: 'Nothing was registered; rerun once the source files are complete.',
      });
    }
    let quarantine: StagedDataset | null = null;
    if (quarantined > 0 || unparsed > 0) {
      const failedList = `list_filter([${compiled.rows.map((r, i) => `CASE WHEN ${v(i)} THEN {'expectation': ${quoteLiteral(r.exp.name)}, 'reason': ${r.reason}} END`).join(', ')}], x -> x IS NOT NULL)`;
      const parts = [
        ...(quarantined > 0 ? [`SELECT ${[...cols.map((c) => quoteIdent(c.name)), `${failedList}::${FAILED_TYPE} AS _failed`, `CAST(__sluice_rn + 1 AS BIGINT) AS _source_row`,
          'CAST(__sluice_file AS VARCHAR) AS _source_file', 'CAST(NULL AS BIGINT) AS _source_line', 'CAST(NULL AS VARCHAR) AS _raw'].join(', ')} FROM ${bad} WHERE ${anyQ}`] : []),
        ...(rel.rejects && unparsed > 0 ? [rejectsAsQuarantineSql(rel.rejects, cols)] : []),
      ];
      const q = temp('quarantine');
      await engine.run(`CREATE TEMP TABLE ${q} AS ${parts.join(' UNION ALL BY NAME ')}`);
      quarantine = await writeVersion(engine, catalog, o.quarantine ?? quarantineName(o.dataset), q, {
        columns: await engine.describe(`SELECT * FROM ${q}`), lineage: { ...o.lineage, inputs: [...o.lineage.inputs] }, partition: o.partition,
        meta: { ...(o.meta ?? {}), quarantineOf: { dataset: o.dataset, version: clean.id, suite: compiled.suite.name } },
        ...(o.retention ? { retention: o.retention } : {}),
      });
      if (quarantine.rowCount !== quarantined + unparsed) throw new SluiceError(`The quarantine of "${o.dataset}" has ${quarantine.rowCount} rows, expected ${quarantined + unparsed}`, { code: 'INTERNAL' });
    }
    return { report, clean, quarantine };
  } finally {
    for (const t of temps) await engine.run(`DROP TABLE IF EXISTS ${t}`).catch(() => {});
  }
}

/**
 * Mean and std of the clean rows: the moments of all rows (one pass) minus those of the quarantined
 * rows (few, in memory), by the pooled-variance identity; exact up to floating point.
 */
async function cleanMoments(engine: Engine, numeric: readonly ColumnSchema[], all: Record<string, unknown>, bad: string, anyQ: string): Promise<Map<string, Moments>> {
  const out = new Map<string, Moments>();
  if (numeric.length === 0) return out;
  const aggs = numeric.flatMap((c, k) => {
    const x = quoteIdent(c.name);
    const fin = profileKind(c.type) === 'float' ? `CASE WHEN isfinite(${x}) THEN ${x} END` : `CAST(${x} AS DOUBLE)`;
    return [`count(${fin}) AS c${k}`, `avg(${fin}) AS m${k}`, `var_samp(${fin}) AS v${k}`, `count(${x}) - count(${fin}) AS f${k}`];
  });
  const b = (await engine.rows(`SELECT ${aggs.join(', ')} FROM ${bad} WHERE ${anyQ}`))[0] ?? {};
  numeric.forEach((c, k) => {
    const na = Number(all[`mc${k}`] ?? 0), ma = num(all[`mm${k}`]), va = num(all[`mv${k}`]) ?? 0;
    const nb = Number(b[`c${k}`] ?? 0), mb = num(b[`m${k}`]) ?? 0, vb = num(b[`v${k}`]) ?? 0;
    const nf = Number(all[`mf${k}`] ?? 0) - Number(b[`f${k}`] ?? 0);
    const nc = na - nb;
    if (nc <= 0 || ma === null) { out.set(c.name, { mean: null, std: null, nonFinite: nf }); return; }
    if (nb === 0) { out.set(c.name, { mean: ma, std: nc > 1 ? Math.sqrt(va) : null, nonFinite: nf }); return; }
    const mc = (na * ma - nb * mb) / nc;
    const m2 = va * (na - 1) - vb * Math.max(0, nb - 1) - (mb - mc) ** 2 * ((nb * nc) / na);
    out.set(c.name, { mean: mc, std: nc > 1 ? Math.sqrt(Math.max(0, m2) / (nc - 1)) : null, nonFinite: nf });
  });
  return out;
}

/**
 * Text checks (regex, length, in-set, values-in) of a batch held in a table, evaluated once per distinct
 * value of their column rather than once per row: a CSV column of airport codes has a few hundred values
 * in millions of rows. The values that break check i go to a small table, and the check's verdict for
 * a row becomes a lookup in it; when no value breaks it (the usual case) the verdict is FALSE and costs
 * nothing. Columns whose first rows are mostly distinct keep the per-row check (hashing every value
 * would cost more than the checks).
 */
async function checkDistinctValues(engine: Engine, table: string, columns: readonly ColumnSchema[], compiled: CompiledSuite, violations: Map<number, string>, temp: (what: string) => string): Promise<void> {
  const text = new Set(columns.filter((c) => /^VARCHAR$/i.test(c.type)).map((c) => c.name));
  const byColumn = new Map<string, number[]>();
  for (const [i, r] of compiled.rows.entries()) {
    const e = r.exp;
    if (!PER_VALUE.has(e.kind) || !('column' in e) || !text.has(e.column)) continue;
    byColumn.set(e.column, [...(byColumn.get(e.column) ?? []), i]);
  }
  if (byColumn.size === 0) return;
  const names = [...byColumn.keys()];
  const probe = (await engine.rows(`SELECT count(*) AS n, ${names.map((c, k) => `count(DISTINCT ${quoteIdent(c)}) AS d${k}`).join(', ')}
    FROM (SELECT ${names.map(quoteIdent).join(', ')} FROM ${table} LIMIT ${PROBE_ROWS})`))[0] ?? {};
  const n = Number(probe['n'] ?? 0);
  for (const [k, name] of names.entries()) {
    if (Number(probe[`d${k}`] ?? n) * 10 > n) continue;
    const checks = byColumn.get(name)!;
    const x = quoteIdent(name);
    const values = temp('values');
    await engine.run(`CREATE TEMP TABLE ${values} AS SELECT * FROM (SELECT ${x}, ${checks.map((i) => `coalesce((${violations.get(i)!}), FALSE) AS __sluice_b${i}`).join(', ')}
      FROM (SELECT DISTINCT ${x} FROM ${table})) WHERE ${checks.map((i) => `__sluice_b${i}`).join(' OR ')}`);
    const hits = (await engine.rows(`SELECT ${checks.map((i) => `count(*) FILTER (WHERE __sluice_b${i} AND ${x} IS NOT NULL) AS h${i}, count(*) FILTER (WHERE __sluice_b${i} AND ${x} IS NULL) AS z${i}`).join(', ')} FROM ${values}`))[0] ?? {};
    for (const i of checks) {
      const verdict = [
        ...(Number(hits[`z${i}`] ?? 0) > 0 ? [`${x} IS NULL`] : []),
        // Inside the subquery the name is the values table's column.
        ...(Number(hits[`h${i}`] ?? 0) > 0 ? [`${x} IN (SELECT ${x} FROM ${values} WHERE __sluice_b${i} AND ${x} IS NOT NULL)`] : []),
      ];
      violations.set(i, verdict.length ? verdict.join(' OR ') : 'FALSE');
    }
  }
}

async function datasetVerdict(engine: Engine, d: DatasetCheck, f: {
  rows: number; moments: Map<string, Moments>; sample: string; summary: string; freshness: number; from: string; now: number; bad: string; anyQ: string;
}): Promise<{ ok: boolean; observed: Json }> {
  const within = (x: number | null, min: number | null, max: number | null): boolean => x !== null && Number.isFinite(x) && (min === null || x >= min) && (max === null || x <= max);
  const e = d.exp;
  switch (e.kind) {
    case 'row_count':
      return { ok: within(f.rows, e.min, e.max), observed: f.rows };
    case 'mean': {
      const m = f.moments.get(e.column)?.mean ?? null;
      return { ok: within(m, e.min, e.max), observed: m };
    }
    case 'quantile': {
      // From the uniform sample of clean rows: exact for up to ~131k rows, else within about half a percent in rank.
      const x = quoteIdent(e.column);
      const t = d.type!;
      const q = profileKind(t) === 'temporal' ? `quantile_disc(${x}, ${e.q})` : `quantile_cont(${x}, ${e.q})`;
      const conds = [...(e.min !== null ? [`v >= ${bound(e.min, t)}`] : []), ...(e.max !== null ? [`v <= ${bound(e.max, t)}`] : [])];
      const r = (await engine.rows(`SELECT CAST(v AS VARCHAR) AS o, coalesce(${conds.join(' AND ')}, FALSE) AS ok FROM (SELECT ${q} AS v FROM ${f.sample} WHERE ${x} IS NOT NULL)`))[0];
      const o = r?.['o'] ?? null;
      return { ok: r?.['ok'] === true, observed: o === null ? null : profileKind(t) === 'temporal' ? String(o) : Number(o) };
    }
    case 'freshness': {
      const tz = /TIME ZONE|TZ/i.test(d.type!);
      const asOf = e.asOf ?? new Date(f.now).toISOString();
      const limit = tz
        ? `CAST(${quoteLiteral(asOf)} AS TIMESTAMPTZ) - INTERVAL ${quoteLiteral(e.maxAge)}`
        : `CAST(${quoteLiteral(asOf.replace('T', ' ').replace('Z', ''))} AS TIMESTAMP) - INTERVAL ${quoteLiteral(e.maxAge)}`;
      const x = quoteIdent(e.column);
      // The newest clean value: the newest of all rows, unless a quarantined row holds it.
      const hit = (await engine.rows(`SELECT (SELECT max(${x}) FROM ${f.bad} WHERE ${f.anyQ}) >= fr${f.freshness} AS hit FROM ${f.summary}`))[0]?.['hit'] === true;
      const newest = hit ? `(SELECT max(${x}) FROM ${f.from} WHERE NOT __sluice_q)` : `(SELECT fr${f.freshness} FROM ${f.summary})`;
      const r = (await engine.rows(`SELECT CAST(a AS VARCHAR) AS o, coalesce(CAST(a AS ${tz ? 'TIMESTAMPTZ' : 'TIMESTAMP'}) >= ${limit}, FALSE) AS ok FROM (SELECT ${newest} AS a)`))[0];
      return { ok: r?.['ok'] === true, observed: (r?.['o'] as string | null) ?? null };
    }
    case 'sql_aggregate': {
      const r = (await engine.rows(`SELECT coalesce((${e.predicate}), FALSE) AS ok FROM ${f.from} WHERE NOT __sluice_q`))[0];
      return { ok: r?.['ok'] === true, observed: r?.['ok'] === true };
    }
  }
}

export interface ValidateOptions {
  /** Write the clean rows as a version of this dataset (and the flagged ones to its quarantine). Without it: check only. */
  output?: string;
  quarantine?: string;
  lineage?: Lineage;
  schemaDrift?: DriftPolicy;
  retention?: RetentionPolicy;
  /** "Now" for freshness checks (epoch ms). */
  now?: number;
}

/** Validates a dataset version or snapshot (see the module comment). Throws ValidationError on failure. */
export async function validateDataset(engine: Engine, catalog: DatasetCatalog, input: DatasetRef | StagedDataset | DatasetSnapshot, suite: Suite<unknown>, options: ValidateOptions = {}): Promise<ValidationOutcome> {
  const started = Date.now();
  if (options.output !== undefined) checkName(options.output);
  if (options.quarantine !== undefined) checkName(options.quarantine, 'Quarantine name');
  if (options.retention !== undefined) checkRetention(options.retention);
  const sql = datasetSql(input);
  const schema: ColumnSchema[] = await engine.describe(`SELECT * FROM ${sql}`);
  const name = options.output ?? input.name;
  const prev = options.output ? await catalog.find(options.output) : undefined;
  const drift = decideDrift(prev ? { dataset: prev.name, version: prev.version, schema: prev.schema } : null, schema, options.schemaDrift ?? 'fail');
  const references = await resolveReferences(catalog, suite);
  const rel = await relationOf(engine, sql, drift.project ? { project: () => drift.project } : {});
  try {
    const compiled = compileSuite(withChecks(suite, drift.checks), rel.columns, { references });
    const inputs = isDatasetSnapshot(input) ? input.parts.map((p) => p.id) : [input.id];
    const partition = isDatasetSnapshot(input) ? null : ('partition' in input && input.partition !== undefined ? input.partition : null);
    return await validateRelation(engine, catalog, rel, compiled, {
      dataset: name, ...(options.quarantine ? { quarantine: options.quarantine } : {}),
      lineage: options.lineage ? { ...options.lineage, inputs: [...options.lineage.inputs, ...inputs] } : { runId: null, step: null, inputs, partition },
      partition, drift: drift.report, startedAt: started, checkOnly: !options.output,
      ...(options.now !== undefined ? { now: options.now } : {}),
      ...(options.retention ? { retention: options.retention } : {}),
    });
  } finally {
    await rel.drop();
  }
}

/** A suite with extra (internal) row checks appended, e.g. the casts of a 'coerce' drift policy. */
export function withChecks(suite: Suite<unknown>, checks: Suite<unknown>['expectations']): Suite<unknown> {
  return checks.length ? { name: suite.name, expectations: [...suite.expectations, ...checks] } : suite;
}

async function samples(engine: Engine, table: string, columns: readonly ColumnSchema[], where: string): Promise<{ [column: string]: string | null }[]> {
  const cols = columns.slice(0, 12).map((c) => `CAST(${quoteIdent(c.name)} AS VARCHAR) AS ${quoteIdent(c.name)}`);
  const rows = await engine.rows(`SELECT ${cols.join(', ')} FROM ${table} WHERE ${where} LIMIT ${SAMPLES}`);
  return rows.map((r) => Object.fromEntries(Object.entries(r).map(([k, val]) => [k, val === null ? null : String(val)])));
}

function num(x: unknown): number | null {
  if (x === null || x === undefined) return null;
  const n = Number(x);
  return Number.isFinite(n) ? n : null;
}

export { describe };
