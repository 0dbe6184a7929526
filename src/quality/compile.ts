/**
 * A suite compiled to DuckDB SQL against the columns of the data at hand, so that every check runs at
 * engine speed in as few passes as possible (validate.ts runs them):
 *
 * - each row expectation becomes a boolean SQL expression, TRUE when a row breaks it, and a SQL
 *   expression for the reason (evaluated for failing rows only); `unique` needs a GROUP BY first, so
 *   its expression is filled in after that pre-pass (`uniqueSql`);
 * - dataset expectations are checked for the columns they need here and evaluated by validate.ts from
 *   the aggregates and sample of its one pass over the data;
 * - an expectation naming a missing column, or a column of the wrong type, cannot be evaluated: that is
 *   an error here (CHECK_NOT_EVALUABLE), whatever its severity, and the batch stops before any SQL runs.
 *
 * Every column name is quoted and every value is a SQL literal (quoteIdent / sqlValue); predicates in
 * `sql` / `sqlAggregate` expectations are the suite author's code and are used as written.
 */
import { DataError } from '../core/errors.ts';
import type { ColumnSchema } from '../engine/index.ts';
import { quoteIdent, quoteLiteral, sqlValue } from '../engine/index.ts';
import type { Bound, DatasetExpectation, Expectation, RowExpectation, SchemaExpectation, Suite } from './expectations.ts';
import type { ExpectationResult } from './report.ts';

export interface RowCheck {
  exp: RowExpectation;
  /** TRUE when a row breaks the expectation; null for `unique` until its pre-pass (`uniqueSql`). */
  violation: string | null;
  /** Text explaining why a failing row failed (evaluated only for failing rows). */
  reason: string;
  description: string;
}

export interface DatasetCheck {
  exp: DatasetExpectation;
  /** The type of the column it reads (null for row_count and sql_aggregate). */
  type: string | null;
  description: string;
}

export interface CompiledSuite {
  suite: Suite<unknown>;
  /** Results known from the schema alone (schema expectations). */
  early: ExpectationResult[];
  rows: RowCheck[];
  datasets: DatasetCheck[];
}

export interface CompileOptions {
  /** Table expressions of referenced datasets, by dataset name (for valuesIn). */
  references?: ReadonlyMap<string, string>;
}

export function compileSuite(suite: Suite<unknown>, schema: readonly ColumnSchema[], options: CompileOptions = {}): CompiledSuite {
  const types = new Map(schema.map((c) => [c.name, c.type]));
  const early: ExpectationResult[] = [];
  const rows: RowCheck[] = [];
  const datasets: DatasetCheck[] = [];
  // A check that cannot be evaluated on this data is an error, whatever its severity: reporting it as a
  // warning would let every row through unchecked.
  const missing = (e: Expectation, cols: readonly string[]): void => {
    const gone = cols.filter((c) => !types.has(c));
    if (gone.length > 0) throw notEvaluable(e, gone[0]!, null, schema);
  };
  const wrongType = (e: Expectation, col: string, want: 'number' | 'time' | 'number or time'): void => {
    const t = types.get(col)!;
    const k = kindOf(t);
    const ok = want === 'number' ? k === 'number' : want === 'time' ? k === 'time' : k !== 'other';
    if (!ok) throw notEvaluable(e, col, t, schema);
  };

  for (const e of suite.expectations) {
    if (e.level === 'schema') {
      early.push(checkSchema(e, types));
      continue;
    }
    if (e.level === 'row') {
      const cols = e.kind === 'not_null' || e.kind === 'unique' ? e.columns : e.kind === 'sql' ? [] : [e.column];
      missing(e, cols);
      if (e.kind === 'between') wrongType(e, e.column, 'number or time');
      if (e.kind === 'finite') wrongType(e, e.column, 'number');
      if (e.kind === 'values_in' && 'dataset' in e.reference && !options.references?.has(e.reference.dataset)) {
        throw new DataError(`Expectation "${e.name}" (${describe(e)}) cannot be evaluated: the referenced dataset "${e.reference.dataset}" does not exist`, {
          code: 'CHECK_NOT_EVALUABLE', context: { expectation: e.name, dataset: e.reference.dataset },
          hint: 'Ingest the referenced dataset first (an earlier step), or correct its name in valuesIn.',
        });
      }
      const { violation, reason } = rowSql(e, types, options.references);
      rows.push({ exp: e, violation, reason, description: describe(e) });
      continue;
    }
    const cols = e.kind === 'row_count' || e.kind === 'sql_aggregate' ? [] : [e.column];
    missing(e, cols);
    if (e.kind === 'mean') wrongType(e, e.column, 'number');
    if (e.kind === 'quantile') wrongType(e, e.column, 'number or time');
    if (e.kind === 'freshness') wrongType(e, e.column, 'time');
    datasets.push({ exp: e, type: e.kind === 'row_count' || e.kind === 'sql_aggregate' ? null : types.get(e.column)!, description: describe(e) });
  }

  return { suite, early, rows, datasets };
}

/**
 * The error for an expectation that cannot be evaluated: it names the expectation, the column, the
 * type found (null: the column is missing) and what the expectation needs.
 */
function notEvaluable(e: Expectation, column: string, found: string | null, schema: readonly ColumnSchema[]): DataError {
  const needed = e.kind === 'between' || e.kind === 'quantile' ? 'a number or time column'
    : e.kind === 'finite' || e.kind === 'mean' ? 'a number column' : e.kind === 'freshness' ? 'a time column' : 'the column';
  const what = found === null
    ? `column "${column}" is not in the data (it has ${schema.map((c) => JSON.stringify(c.name)).join(', ') || 'no columns'}); ${e.kind} needs ${needed}`
    : `column "${column}" has type ${found}; ${e.kind} needs ${needed}`;
  const hint = found === null
    ? 'Correct the column name in the suite, or fix the source (a renamed or dropped column).'
    : `A value that is not a number makes the reader type the whole column as text. Declare the column's type on the source ` +
      `(for example csv(path, { columns: { ${JSON.stringify(column)}: 'DOUBLE' }, onBadRows: 'quarantine' })) or in the suite ` +
      `(e.columnType(${JSON.stringify(column)}, 'DOUBLE')), so that values that do not convert are reported or quarantined with their line.`;
  return new DataError(`Expectation "${e.name}" (${describe(e)}) cannot be evaluated: ${what}`, {
    code: 'CHECK_NOT_EVALUABLE', context: { expectation: e.name, column, ...(found !== null ? { type: found } : {}), needed }, hint,
  });
}

function checkSchema(e: SchemaExpectation, types: Map<string, string>): ExpectationResult {
  const t = types.get(e.column);
  if (e.kind === 'column_exists') {
    return result(e, describe(e), t !== undefined ? 'passed' : 'failed', t !== undefined ? undefined : `column "${e.column}" is missing`, t ?? null);
  }
  const ok = t !== undefined && normType(t) === normType(e.type);
  return result(e, describe(e), ok ? 'passed' : 'failed', ok ? undefined : t === undefined ? `column "${e.column}" is missing` : `column "${e.column}" has type ${t}, expected ${e.type}`, t ?? null);
}

/**
 * A row check as SQL. Violations are wrapped in coalesce(..., FALSE) by the caller, so a NULL value
 * (unknown) never fails a check except not_null; no `IS NOT NULL` guards are needed.
 */
function rowSql(e: RowExpectation, types: Map<string, string>, refs: ReadonlyMap<string, string> | undefined): { violation: string | null; reason: string } {
  const show = (x: string): string => `coalesce(left(CAST(${x} AS VARCHAR), 80), 'NULL')`;
  // Text columns stay as they are (a CAST would hide DuckDB's dictionary vectors from string functions).
  const text = (c: string): string => (/^VARCHAR$/i.test(types.get(c) ?? '') ? quoteIdent(c) : `CAST(${quoteIdent(c)} AS VARCHAR)`);
  switch (e.kind) {
    case 'not_null': {
      const cols = e.columns.map(quoteIdent);
      return {
        violation: cols.map((c) => `${c} IS NULL`).join(' OR '),
        reason: `concat_ws(', ', ${e.columns.map((c, i) => `CASE WHEN ${cols[i]} IS NULL THEN ${quoteLiteral(c)} END`).join(', ')}) || ' is null'`,
      };
    }
    case 'unique': {
      const list = e.columns.join(', ');
      return { violation: null, reason: quoteLiteral(e.keep === 'first' ? `duplicates an earlier row on (${list})` : `(${list}) is not unique`) };
    }
    case 'between': {
      const x = quoteIdent(e.column);
      const t = types.get(e.column)!;
      const conds = [
        ...(e.min !== null ? [`${x} < ${bound(e.min, t)}`] : []),
        ...(e.max !== null ? [`${x} > ${bound(e.max, t)}`] : []),
        ...(/^(DOUBLE|FLOAT|REAL)$/i.test(t) ? [`isnan(${x})`] : []),
      ];
      return { violation: conds.join(' OR '), reason: `${quoteLiteral(`${e.column} = `)} || ${show(x)} || ${quoteLiteral(` is outside [${showBound(e.min)}, ${showBound(e.max)}]`)}` };
    }
    case 'in_set': {
      const x = quoteIdent(e.column);
      const shown = e.values.slice(0, 6).map(String).join(', ') + (e.values.length > 6 ? ', ...' : '');
      return { violation: `${x} NOT IN (${e.values.map(sqlValue).join(', ')})`, reason: `${quoteLiteral(`${e.column} = `)} || ${show(x)} || ${quoteLiteral(` is not one of {${shown}}`)}` };
    }
    case 'regex': {
      const x = quoteIdent(e.column);
      // A pattern anchored at both ends is a full match, which DuckDB evaluates once per dictionary entry.
      const full = /^\^(.*)\$$/s.exec(e.pattern);
      const test = full && !full[1]!.endsWith('\\') && !/(^|[^\\])\|/.test(full[1]!.replace(/\([^()]*\)/g, ''))
        ? `regexp_full_match(${text(e.column)}, ${quoteLiteral(full[1]!)})`
        : `regexp_matches(${text(e.column)}, ${quoteLiteral(e.pattern)})`;
      return { violation: `NOT ${test}`, reason: `${quoteLiteral(`${e.column} = `)} || ${show(x)} || ${quoteLiteral(` does not match /${e.pattern}/`)}` };
    }
    case 'length': {
      const x = quoteIdent(e.column);
      const len = `length(${text(e.column)})`;
      const conds = [...(e.min !== null ? [`${len} < ${e.min}`] : []), ...(e.max !== null ? [`${len} > ${e.max}`] : [])];
      return { violation: conds.join(' OR '), reason: `${quoteLiteral(`${e.column} = `)} || ${show(x)} || ' has length ' || ${len} || ${quoteLiteral(`, expected ${e.min ?? 0} to ${e.max ?? 'any'}`)}` };
    }
    case 'finite': {
      const x = quoteIdent(e.column);
      return { violation: `NOT isfinite(${x})`, reason: `${quoteLiteral(`${e.column} is `)} || CAST(${x} AS VARCHAR)` };
    }
    case 'values_in': {
      const x = quoteIdent(e.column);
      const table = 'dataset' in e.reference ? refs!.get(e.reference.dataset)! : `(${e.reference.sql})`;
      const label = 'dataset' in e.reference ? `${e.reference.dataset}.${e.reference.column}` : (e.reference.label ?? e.reference.column);
      const ref = quoteIdent(e.reference.column);
      return {
        violation: `${x} NOT IN (SELECT ${ref} FROM ${table} WHERE ${ref} IS NOT NULL)`,
        reason: `${quoteLiteral(`${e.column} = `)} || ${show(x)} || ${quoteLiteral(` is not in ${label}`)}`,
      };
    }
    case 'sql':
      // Like a CHECK constraint: only FALSE fails (NULL passes).
      return { violation: `(${e.predicate}) = FALSE`, reason: e.reasonSql ?? quoteLiteral(`breaks ${e.predicate}`) };
  }
}

/**
 * The SQL of a `unique` pre-pass over `rel` (a table expression with a row number column `rn`, and a
 * file column when several files are read): a SELECT of the keys (`k`) of the rows to flag. With
 * keep 'first' the first occurrence in reading order stays clean; with 'none' every copy is flagged.
 * Rows with a NULL among the columns are never duplicates (as in SQL UNIQUE).
 */
export function uniqueSql(e: Extract<RowExpectation, { kind: 'unique' }>, rel: string, rn: string, file: string | null): { select: string; key: string } {
  const cols = e.columns.map(quoteIdent);
  const key = file ? `{'f': ${file}, 'r': ${rn}}` : rn;
  const dups = `SELECT ${cols.join(', ')} FROM ${rel} WHERE ${cols.map((c) => `${c} IS NOT NULL`).join(' AND ')} GROUP BY ALL HAVING count(*) > 1`;
  const on = cols.map((c) => `s.${c} = d.${c}`).join(' AND ');
  const skey = file ? `{'f': s.${file}, 'r': s.${rn}}` : `s.${rn}`;
  const select = e.keep === 'first'
    ? `SELECT k FROM (SELECT ${skey} AS k, row_number() OVER (PARTITION BY ${cols.map((c) => `s.${c}`).join(', ')} ORDER BY ${file ? `s.${file}, ` : ''}s.${rn}) AS n FROM ${rel} AS s SEMI JOIN (${dups}) AS d ON ${on}) WHERE n > 1`
    : `SELECT ${skey} AS k FROM ${rel} AS s SEMI JOIN (${dups}) AS d ON ${on}`;
  return { select, key };
}

/** A plain-words description of an expectation, for reports. */
export function describe(e: Expectation): string {
  switch (e.kind) {
    case 'column_exists': return `column ${e.column} exists`;
    case 'column_type': return `column ${e.column} is ${e.type}`;
    case 'not_null': return `${e.columns.join(', ')} not null`;
    case 'unique': return `(${e.columns.join(', ')}) unique${e.keep === 'first' ? ', later duplicates quarantined' : ''}`;
    case 'between': return `${e.column} within [${showBound(e.min)}, ${showBound(e.max)}]`;
    case 'in_set': return `${e.column} in {${e.values.slice(0, 6).join(', ')}${e.values.length > 6 ? ', ...' : ''}}`;
    case 'regex': return `${e.column} matches /${e.pattern}/`;
    case 'length': return `length(${e.column}) within [${e.min ?? 0}, ${e.max ?? 'any'}]`;
    case 'finite': return `${e.column} finite (no NaN or infinity)`;
    case 'values_in': return `${e.column} present in ${'dataset' in e.reference ? `${e.reference.dataset}.${e.reference.column}` : (e.reference.label ?? e.reference.column)}`;
    case 'sql': return e.predicate;
    case 'row_count': return `row count within [${e.min ?? 0}, ${e.max ?? 'any'}]`;
    case 'mean': return `mean(${e.column}) within [${e.min ?? '-inf'}, ${e.max ?? 'inf'}]`;
    case 'quantile': return `q${e.q}(${e.column}) within [${showBound(e.min)}, ${showBound(e.max)}]`;
    case 'freshness': return `newest ${e.column} at most ${e.maxAge} before ${e.asOf ?? 'now'}`;
    case 'sql_aggregate': return e.predicate;
  }
}

export function result(e: Expectation, description: string, status: 'passed' | 'failed', message?: string, observed: unknown = null): ExpectationResult {
  const s = status === 'failed' && e.severity === 'warn' ? 'warned' : status;
  return {
    name: e.name, kind: e.kind, level: e.level, severity: e.severity, status: s, description,
    ...(message ? { message } : {}), observed: observed === undefined ? null : (observed as ExpectationResult['observed']),
  };
}

type Kind = 'number' | 'time' | 'other';
export function kindOf(type: string): Kind {
  const t = type.toUpperCase();
  if (/^(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT|UTINYINT|USMALLINT|UINTEGER|UBIGINT|UHUGEINT|DOUBLE|FLOAT|REAL)$/.test(t) || t.startsWith('DECIMAL')) return 'number';
  if (t === 'DATE' || t.startsWith('TIMESTAMP') || t === 'TIME') return 'time';
  return 'other';
}

/** A bound as a SQL literal of the column's type. */
export function bound(b: Exclude<Bound, null>, type: string): string {
  if (typeof b === 'number' || typeof b === 'bigint') return sqlValue(b);
  const text = b instanceof Date ? b.toISOString().replace('T', ' ').replace('Z', '') : b;
  return `CAST(${quoteLiteral(text)} AS ${kindOf(type) === 'other' ? 'VARCHAR' : type})`;
}

function showBound(b: Bound): string {
  if (b === null) return '...';
  return b instanceof Date ? b.toISOString() : String(b);
}

function normType(t: string): string {
  return t.toUpperCase().replace(/\s+/g, ' ').replace(/\s*([(),])\s*/g, '$1').replace(/^INT$/, 'INTEGER').replace(/^INT8$/, 'BIGINT').replace(/^STRING$|^TEXT$/, 'VARCHAR');
}
