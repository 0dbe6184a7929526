/**
 * Expectation suites, written in TypeScript and typed by the row they describe: `between` takes only
 * number or time columns, `regex` only text columns, and a misspelt column name does not compile.
 * A suite is plain data; compile.ts turns it into DuckDB SQL.
 *
 * Three levels:
 * - schema: a column exists (with a type). Default severity 'fail'.
 * - row: each row passes or not (not null, unique, between, in set, regex, length, finite, values in
 *   another dataset, a SQL predicate). The expectation is met when at least `mostly` of the rows pass
 *   (default: all). Default severity 'fail': a batch with more failing rows than `mostly` allows fails
 *   the step and nothing is registered (the error lists the counts and sample rows). With severity
 *   'warn', or within `mostly`, the failing rows go to the quarantine with the name and reason of every
 *   expectation they broke, and the clean rows continue.
 * - dataset: one verdict on the clean rows (row count, mean, quantile, freshness, a SQL aggregate).
 *   Default severity 'fail'.
 *
 * A failed expectation of severity 'fail' fails the step (nothing is registered); 'warn' is reported.
 * Every level defaults to 'fail': bad data is never accepted in silence. An expectation that cannot be
 * evaluated at all (its column is missing, or has a type the check cannot read) is an error whatever
 * its severity (CHECK_NOT_EVALUABLE).
 *
 * @example
 * interface Flight { date: Date; delay: number; distance: number; origin: string; destination: string }
 * const checks = suite<Flight>('flights', (e) => [
 *   e.columnType('date', 'TIMESTAMP'),
 *   e.notNull(['date', 'delay', 'origin', 'destination']),
 *   e.between('delay', -120, 24 * 60, { severity: 'warn' }), // quarantine impossible delays, keep the rest
 *   e.regex('origin', /^[A-Z0-9]{3}$/),
 *   e.unique(['date', 'delay', 'distance', 'origin', 'destination']),
 *   e.rowCount({ min: 1 }),
 *   e.mean('delay', { min: -10, max: 60 }, { severity: 'warn' }),
 * ]);
 */
import { SluiceError } from '../core/errors.ts';

/**
 * What a failed expectation does. 'fail' (the default at every level): the step fails and nothing is
 * registered. 'warn': reported as warned; a row check's failing rows go to the quarantine and the clean
 * rows are registered.
 */
export type Severity = 'fail' | 'warn';
export type Level = 'schema' | 'row' | 'dataset';

export interface ExpectationOptions {
  /** Shown in reports and in the quarantine's `_failed`; default from the kind and columns, e.g. "delay_between". */
  name?: string;
  /**
   * 'fail' (the default at every level): a failed expectation fails the step and nothing is registered.
   * 'warn': it is reported as warned; for a row check, its failing rows go to the quarantine and the
   * clean rows are registered.
   */
  severity?: Severity;
}

export interface RowOptions extends ExpectationOptions {
  /**
   * Share of rows that must pass for the expectation to be met (0..1, default 1: every row). Failing
   * rows within that tolerance go to the quarantine and the batch passes.
   */
  mostly?: number;
  /** Rows that fail go to the quarantine (default true); false only counts them. */
  quarantine?: boolean;
}

/** A bound for between / mean / quantile: a number, or a time (Date or text such as '2001-01-01'). */
export type Bound = number | bigint | Date | string | null;

/** Another dataset's column, for valuesIn: a dataset name (its current content), or a SQL table expression. */
export type Reference = { dataset: string; column: string } | { sql: string; column: string; label?: string };

interface Base<K extends string, L extends Level> {
  readonly kind: K;
  readonly level: L;
  readonly name: string;
  readonly severity: Severity;
}
interface RowBase<K extends string> extends Base<K, 'row'> {
  readonly mostly: number;
  readonly quarantine: boolean;
}

export type SchemaExpectation =
  | (Base<'column_exists', 'schema'> & { column: string })
  | (Base<'column_type', 'schema'> & { column: string; type: string });

export type RowExpectation =
  | (RowBase<'not_null'> & { columns: string[] })
  | (RowBase<'unique'> & { columns: string[]; keep: 'first' | 'none' })
  | (RowBase<'between'> & { column: string; min: Bound; max: Bound })
  | (RowBase<'in_set'> & { column: string; values: (string | number | boolean)[] })
  | (RowBase<'regex'> & { column: string; pattern: string })
  | (RowBase<'length'> & { column: string; min: number | null; max: number | null })
  | (RowBase<'finite'> & { column: string })
  | (RowBase<'values_in'> & { column: string; reference: Reference })
  | (RowBase<'sql'> & { predicate: string; reasonSql?: string });

export type DatasetExpectation =
  | (Base<'row_count', 'dataset'> & { min: number | null; max: number | null })
  | (Base<'mean', 'dataset'> & { column: string; min: number | null; max: number | null })
  | (Base<'quantile', 'dataset'> & { column: string; q: number; min: Bound; max: Bound })
  | (Base<'freshness', 'dataset'> & { column: string; maxAge: string; asOf: string | null })
  | (Base<'sql_aggregate', 'dataset'> & { predicate: string });

export type Expectation = SchemaExpectation | RowExpectation | DatasetExpectation;

export interface Suite<T = Record<string, unknown>> {
  readonly name: string;
  readonly expectations: readonly Expectation[];
  /** Type-only: the row the suite describes. */
  readonly __row?: T;
}

/** Column names of the row type (any name when the suite is untyped: unknown or a string record). */
type Col<T> = unknown extends T ? string : Extract<keyof T, string>;
type NumberCol<T> = { [K in Extract<keyof T, string>]: NonNullable<T[K]> extends number | bigint ? K : never }[Extract<keyof T, string>];
type TimeCol<T> = { [K in Extract<keyof T, string>]: NonNullable<T[K]> extends Date ? K : never }[Extract<keyof T, string>];
type TextCol<T> = { [K in Extract<keyof T, string>]: NonNullable<T[K]> extends string ? K : never }[Extract<keyof T, string>];
/** Untyped rows (Record<string, unknown>) accept any column name everywhere. */
type Loose<T, C> = string extends Col<T> ? string : C;

/** The builder a suite's callback receives; every method returns one expectation. */
export interface Expect<T> {
  columnExists(column: Col<T>, options?: ExpectationOptions): SchemaExpectation;
  /** The column exists with this SQL type (BIGINT, DOUBLE, VARCHAR, TIMESTAMP, DECIMAL(10,2)...). */
  columnType(column: Col<T>, type: string, options?: ExpectationOptions): SchemaExpectation;
  notNull(columns: Col<T> | readonly Col<T>[], options?: RowOptions): RowExpectation;
  /** No two rows share these columns' values (rows with a NULL among them are not compared, as in SQL). */
  unique(columns: Col<T> | readonly Col<T>[], options?: RowOptions & { keep?: 'first' | 'none' }): RowExpectation;
  /** min <= value <= max (null bound: open). NULL passes (use notNull); NaN fails. */
  between(column: Loose<T, NumberCol<T> | TimeCol<T>>, min: Bound, max: Bound, options?: RowOptions): RowExpectation;
  inSet(column: Col<T>, values: readonly (string | number | boolean)[], options?: RowOptions): RowExpectation;
  /** The value contains a match of the pattern (anchor it with ^...$ to match whole values); RE2 syntax. */
  regex(column: Loose<T, TextCol<T>>, pattern: RegExp | string, options?: RowOptions): RowExpectation;
  length(column: Loose<T, TextCol<T>>, bounds: { min?: number; max?: number }, options?: RowOptions): RowExpectation;
  /** Not NaN and not ±Infinity. */
  finite(column: Loose<T, NumberCol<T>>, options?: RowOptions): RowExpectation;
  /** Every non-null value occurs in another dataset's column (a foreign key). */
  valuesIn(column: Col<T>, reference: Reference, options?: RowOptions): RowExpectation;
  /** A row-level SQL predicate; like a SQL CHECK, a row fails only when it is FALSE. */
  sql(name: string, predicate: string, options?: Omit<RowOptions, 'name'>): RowExpectation;
  rowCount(bounds: { min?: number; max?: number }, options?: ExpectationOptions): DatasetExpectation;
  mean(column: Loose<T, NumberCol<T>>, bounds: { min?: number; max?: number }, options?: ExpectationOptions): DatasetExpectation;
  /** The q-quantile (0..1, approximate: t-digest) lies within bounds. */
  quantile(column: Loose<T, NumberCol<T> | TimeCol<T>>, q: number, bounds: { min?: Bound; max?: Bound }, options?: ExpectationOptions): DatasetExpectation;
  /**
   * The newest value is at most `maxAge` (a SQL interval such as '36 hours', or milliseconds) older
   * than `asOf` (default: the time of the check; pass the run's logical date for backfills).
   */
  freshness(column: Loose<T, TimeCol<T>>, limits: { maxAge: string | number; asOf?: Date | string | number }, options?: ExpectationOptions): DatasetExpectation;
  /** A SQL predicate over aggregates of the clean rows, e.g. 'count(DISTINCT origin) >= 100'. */
  sqlAggregate(name: string, predicate: string, options?: Omit<ExpectationOptions, 'name'>): DatasetExpectation;
}

/**
 * Defines a suite. The callback gets a builder typed by `T` (the row); the suite is frozen data.
 *
 * @example
 * const s = suite('orders', (e) => [e.notNull('id'), e.unique('id'), e.rowCount({ min: 1 })]);
 */
export function suite<T = Record<string, unknown>>(name: string, build: (e: Expect<NoInfer<T>>) => readonly Expectation[]): Suite<T> {
  if (!name.trim()) throw new SluiceError('A suite needs a name', { code: 'BAD_SUITE' });
  const expectations = build(builder<T>());
  const names = new Set<string>();
  for (const e of expectations) {
    if (names.has(e.name)) {
      throw new SluiceError(`Suite "${name}" has two expectations named "${e.name}"`, { code: 'BAD_SUITE', hint: 'Give one of them a distinct { name }.' });
    }
    names.add(e.name);
  }
  return Object.freeze({ name, expectations: Object.freeze([...expectations]) });
}

function builder<T>(): Expect<T> {
  const list = (c: string | readonly string[]): string[] => {
    const cols = typeof c === 'string' ? [c] : [...c];
    if (cols.length === 0) throw new SluiceError('An expectation needs at least one column', { code: 'BAD_SUITE' });
    return cols;
  };
  const row = <K extends RowExpectation['kind']>(kind: K, defaultName: string, o: RowOptions | undefined) => {
    const mostly = o?.mostly ?? 1;
    if (!(mostly >= 0 && mostly <= 1)) throw new SluiceError(`Expectation ${o?.name ?? defaultName}: mostly must be within [0, 1], got ${mostly}`, { code: 'BAD_SUITE' });
    return { kind, level: 'row' as const, name: o?.name ?? defaultName, severity: o?.severity ?? 'fail', mostly, quarantine: o?.quarantine ?? true };
  };
  const dataset = <K extends DatasetExpectation['kind']>(kind: K, defaultName: string, o: ExpectationOptions | undefined) =>
    ({ kind, level: 'dataset' as const, name: o?.name ?? defaultName, severity: o?.severity ?? 'fail' });
  const schema = <K extends SchemaExpectation['kind']>(kind: K, defaultName: string, o: ExpectationOptions | undefined) =>
    ({ kind, level: 'schema' as const, name: o?.name ?? defaultName, severity: o?.severity ?? 'fail' });
  const bounds = (b: { min?: number; max?: number }, what: string): { min: number | null; max: number | null } => {
    const min = b.min ?? null;
    const max = b.max ?? null;
    for (const v of [min, max]) {
      if (v !== null && (typeof v !== 'number' || !Number.isFinite(v))) throw new SluiceError(`${what}: bounds must be finite numbers, got ${String(v)}`, { code: 'BAD_SUITE' });
    }
    if (min === null && max === null) throw new SluiceError(`${what} needs a min or a max`, { code: 'BAD_SUITE' });
    if (min !== null && max !== null && min > max) throw new SluiceError(`${what}: min ${min} is above max ${max}`, { code: 'BAD_SUITE' });
    return { min, max };
  };
  return {
    columnExists: (column, o) => ({ ...schema('column_exists', `${column}_exists`, o), column }),
    columnType: (column, type, o) => ({ ...schema('column_type', `${column}_type`, o), column, type }),
    notNull: (columns, o) => { const cols = list(columns); return { ...row('not_null', `${cols.join('_')}_not_null`, o), columns: cols }; },
    unique: (columns, o) => { const cols = list(columns); return { ...row('unique', `${cols.length > 3 ? 'rows' : cols.join('_')}_unique`, o), columns: cols, keep: o?.keep ?? 'first' }; },
    between: (column, min, max, o) => {
      if (min === null && max === null) throw new SluiceError(`between(${column}) needs a min or a max`, { code: 'BAD_SUITE' });
      return { ...row('between', `${column}_between`, o), column, min, max };
    },
    inSet: (column, values, o) => {
      if (values.length === 0) throw new SluiceError(`inSet(${column}) needs at least one value`, { code: 'BAD_SUITE' });
      return { ...row('in_set', `${column}_in_set`, o), column, values: [...values] };
    },
    regex: (column, pattern, o) => ({ ...row('regex', `${column}_matches`, o), column, pattern: toRe2(pattern) }),
    length: (column, b, o) => {
      if (![b.min, b.max].every((v) => v === undefined || Number.isInteger(v))) throw new SluiceError(`length(${column}): bounds must be integers`, { code: 'BAD_SUITE' });
      return { ...row('length', `${column}_length`, o), column, ...bounds(b, `length(${column})`) };
    },
    finite: (column, o) => ({ ...row('finite', `${column}_finite`, o), column }),
    valuesIn: (column, reference, o) => ({ ...row('values_in', `${column}_in_${'dataset' in reference ? reference.dataset : (reference.label ?? 'reference')}`, o), column, reference }),
    sql: (name, predicate, o) => ({ ...row('sql', name, { ...o, name }), predicate: checkPredicate(predicate, name) }),
    rowCount: (b, o) => ({ ...dataset('row_count', 'row_count', o), ...bounds(b, 'rowCount') }),
    mean: (column, b, o) => ({ ...dataset('mean', `${column}_mean`, o), column, ...bounds(b, `mean(${column})`) }),
    quantile: (column, q, b, o) => {
      if (!(q >= 0 && q <= 1)) throw new SluiceError(`quantile(${column}): q must be within [0, 1], got ${q}`, { code: 'BAD_SUITE' });
      if ((b.min ?? null) === null && (b.max ?? null) === null) throw new SluiceError(`quantile(${column}) needs a min or a max`, { code: 'BAD_SUITE' });
      return { ...dataset('quantile', `${column}_q${Math.round(q * 100)}`, o), column, q, min: b.min ?? null, max: b.max ?? null };
    },
    freshness: (column, limits, o) => ({
      ...dataset('freshness', `${column}_fresh`, o), column,
      maxAge: typeof limits.maxAge === 'number' ? `${Math.round(limits.maxAge)} milliseconds` : limits.maxAge,
      asOf: limits.asOf === undefined ? null : new Date(limits.asOf).toISOString(),
    }),
    sqlAggregate: (name, predicate, o) => ({ ...dataset('sql_aggregate', name, { ...o, name }), predicate: checkPredicate(predicate, name) }),
  };
}

/** JS RegExp -> RE2 text for DuckDB (the i flag becomes (?i); other flags have no RE2 equivalent here). */
function toRe2(pattern: RegExp | string): string {
  if (typeof pattern === 'string') return pattern;
  const unsupported = pattern.flags.replace(/[igu]/g, '');
  if (unsupported) throw new SluiceError(`regex /${pattern.source}/${pattern.flags}: flags "${unsupported}" are not supported`, { code: 'BAD_SUITE' });
  return pattern.flags.includes('i') ? `(?i)${pattern.source}` : pattern.source;
}

/**
 * A predicate is code from the suite's author, not data; still, refuse what can only be a mistake or
 * an injection: several statements, or comments that could hide the rest of the query.
 */
function checkPredicate(sql: string, name: string): string {
  const bare = sql.replace(/'(?:[^']|'')*'/g, "''").replace(/"(?:[^"]|"")*"/g, '""');
  if (/;|--|\/\*/.test(bare)) {
    throw new SluiceError(`Expectation "${name}": the SQL predicate must be one expression (no ";" or comments)`, { code: 'BAD_SUITE' });
  }
  if (!sql.trim()) throw new SluiceError(`Expectation "${name}": the SQL predicate is empty`, { code: 'BAD_SUITE' });
  return sql.trim();
}
